package proxy

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// intercept serves an intercepted CONNECT tunnel to host. It answers 200,
// completes the client's TLS handshake with a leaf certificate from the CA
// (within ReadHeaderTimeout, as net/http bounds an HTTPS server's
// handshake), and serves the decrypted connection with a server made by
// NewServer, so the header, keep-alive and header-size limits, the
// smuggling sniffer and the idle deadlines of plain connections apply
// inside the tunnel too. It returns when the tunnel ends: the client
// closes, the connection idles out, or CloseConnections closes it.
func (p *Proxy) intercept(tunnel *exchange, client net.Conn, host string) {
	defer client.Close()
	if p.tunnels.isDraining() {
		// Shutting down: no leaf certificate and handshake for a tunnel
		// that would be closed at once; the client retries elsewhere.
		tunnel.setOutcome(OutcomeError)
		refuseTunnel(client, http.StatusServiceUnavailable)
		p.logAccess(tunnel, http.StatusServiceUnavailable)
		return
	}
	cfg, err := p.leafConfig(host)
	if err != nil {
		p.metrics().TLSInterceptError(StageLeafCert)
		p.log().Warn("intercept", zap.String("host", hostOnly(host)), zap.Error(err))
		tunnel.setOutcome(OutcomeError)
		refuseTunnel(client, http.StatusBadGateway)
		p.logAccess(tunnel, http.StatusBadGateway)
		return
	}
	if acceptTunnel(client) != nil {
		return
	}
	conn := tls.Server(client, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(p.ReadHeaderTimeout, DefaultReadHeaderTimeout))
	err = conn.HandshakeContext(ctx)
	cancel()
	if err != nil {
		p.metrics().TLSInterceptError(StageClientHandshake)
		p.log().Debug("intercept: client handshake", zap.String("host", hostOnly(host)), zap.Error(err))
		// The access line says which client failed where: most often a
		// client that does not trust the company CA, or speaks no TLS.
		tunnel.setOutcome(OutcomeError)
		p.logAccess(tunnel, http.StatusOK)
		return
	}
	h := &tunnelHandler{p: p, tunnel: tunnel, host: strings.TrimSuffix(host, ":443")}
	ln := newConnListener(p.guardConn(conn))
	srv := p.NewServer(zap.NewStdLog(p.log().Named("http")))
	srv.Handler = h
	srv.ConnState = ln.connState
	if !p.tunnels.add(srv) {
		return // shutting down: the client retries on a new connection
	}
	defer p.tunnels.remove(srv)
	_ = srv.Serve(ln) // net.ErrClosed once the connection is closed or hijacked; ErrServerClosed once drained
	ln.wait()         // a draining server returns before its connection is done
	h.running.Wait()  // a hijacked (upgraded) connection is relayed until it ends
}

// tunnelSet holds the servers of the intercepted tunnels being served, so
// a shutdown can let their requests finish as http.Server.Shutdown lets
// plain ones finish: it tracks neither hijacked CONNECT connections nor
// the servers the proxy runs on them.
type tunnelSet struct {
	mu       sync.Mutex
	servers  map[*http.Server]struct{}
	draining bool
}

// add registers srv; false once a shutdown has begun.
func (s *tunnelSet) add(srv *http.Server) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	if s.servers == nil {
		s.servers = map[*http.Server]struct{}{}
	}
	s.servers[srv] = struct{}{}
	return true
}

// isDraining reports whether a shutdown has begun.
func (s *tunnelSet) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

func (s *tunnelSet) remove(srv *http.Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.servers, srv)
}

// DrainTunnels shuts down the intercepted tunnels gracefully, as
// http.Server.Shutdown does a listener's connections: a tunnel idle
// between requests is closed at once (one that has not sent its first
// request yet after 5 s, as net/http treats new connections), and one with
// a request in flight (an upload, a download) when the request ends, or
// when ctx is done, whichever comes first. Tunnels asked for from then on
// are refused with 503 (one that slips in as the drain begins is closed
// after its handshake). Run it alongside the proxy server's Shutdown, then
// CloseConnections for what is left (blind tunnels, WebSockets).
func (p *Proxy) DrainTunnels(ctx context.Context) error {
	p.tunnels.mu.Lock()
	p.tunnels.draining = true
	servers := make([]*http.Server, 0, len(p.tunnels.servers))
	for srv := range p.tunnels.servers {
		servers = append(servers, srv)
	}
	p.tunnels.mu.Unlock()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() { _ = srv.Shutdown(ctx) })
	}
	wg.Wait()
	return ctx.Err()
}

// tunnelHandler serves the decrypted requests of one intercepted tunnel.
type tunnelHandler struct {
	p      *Proxy
	tunnel *exchange // the CONNECT: its client and user carry over
	// host is the CONNECT's authority (without the default port, as a
	// URL writes it): every request of the tunnel goes there.
	host    string
	running sync.WaitGroup // ServeHTTP calls in progress
}

// ServeHTTP serves a request read inside the tunnel. Its client and user
// are the tunnel's, checked and authenticated with the CONNECT, so only the
// framing is checked here; then it takes the path of plain requests. The
// destination is the CONNECT's authority, in the URL and the Host header
// alike: the policy decides on the host actually reached, and a Host
// header naming another site cannot front for it.
func (h *tunnelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.running.Add(1)
	defer h.running.Done()
	p := h.p
	x := &exchange{start: p.now(), client: h.tunnel.client, user: h.tunnel.user, method: r.Method, host: h.host, path: r.URL.Path}
	if r.Method == http.MethodConnect || connOf(r).ambiguous(r) {
		p.deny(w, x, DeniedBadRequest, http.StatusBadRequest)
		return
	}
	r.URL.Scheme, r.URL.Host, r.Host = "https", h.host, h.host
	p.forward(w, r, x)
}

// connListener is a net.Listener holding one connection, so that an
// http.Server serves a connection the proxy already has: Accept returns it
// once, then waits until Close, which the server's ConnState hook calls
// when it is done with the connection.
type connListener struct {
	addr     net.Addr
	next     chan net.Conn // the connection, until accepted
	done     chan struct{} // closed by Close
	once     sync.Once
	accepted atomic.Bool
	ended    chan struct{} // closed when the server is done with the connection
	endOnce  sync.Once
}

func newConnListener(c net.Conn) *connListener {
	l := &connListener{addr: c.LocalAddr(), next: make(chan net.Conn, 1), done: make(chan struct{}), ended: make(chan struct{})}
	l.next <- c
	return l
}

// Accept returns the connection the first time, then net.ErrClosed once
// the listener is closed.
func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.next:
		l.accepted.Store(true)
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// wait returns once the server is done with the connection (closed or
// hijacked), at once if it never accepted it.
func (l *connListener) wait() {
	if l.accepted.Load() {
		<-l.ended
	}
}

// Close ends Accept; the connection itself is the server's to close.
func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the connection's local address.
func (l *connListener) Addr() net.Addr { return l.addr }

// connState closes the listener when the server is done with the
// connection (closed, or hijacked for an upgrade), so Serve returns.
func (l *connListener) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateClosed || s == http.StateHijacked {
		l.endOnce.Do(func() { close(l.ended) })
		_ = l.Close()
	}
}
