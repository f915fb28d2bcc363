package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// newTransport builds the upstream transport: TLS always verified against
// UpstreamRoots (system roots when nil), no environment proxy, no transparent
// decompression (bodies are forwarded byte for byte), 64 KiB connection
// buffers, and a dialer that refuses the proxy's own listeners.
func (p *Proxy) newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           p.dialContext,
		TLSClientConfig:       &tls.Config{RootCAs: p.UpstreamRoots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   orDefault(p.TLSHandshakeTimeout, DefaultTLSHandshake),
		ResponseHeaderTimeout: p.ResponseHeaderTimeout,
		DisableCompression:    true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// A request body is copied upstream through the connection's
		// write buffer, so its size is the read size asked of the
		// enforcing reader: the 4 KiB default means eight policy reads and
		// writes per 32 KiB chunk scanned.
		WriteBufferSize: 64 << 10,
		ReadBufferSize:  64 << 10,
	}
}

// dialContext connects upstream. It refuses the addresses
// destinationRefusal names (checked on the address dialed, after
// resolution) and a
// connection whose far end is one of the proxy's own listeners, whatever
// name resolved to it.
func (p *Proxy) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := p.DialTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.controlDial, Resolver: p.Resolver}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if p.self.is(c.RemoteAddr()) {
		_ = c.Close()
		return nil, fmt.Errorf("dial %s: %w", addr, errSelf)
	}
	return c, nil
}

// selfCheck recognises the proxy's own listening sockets.
type selfCheck struct {
	ports map[uint16]bool
	local map[netip.Addr]bool // addresses of this host's interfaces
}

func newSelfCheck(addrs []string) selfCheck {
	s := selfCheck{ports: map[uint16]bool{}, local: map[netip.Addr]bool{}}
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(port, 10, 16); err == nil && n != 0 {
			s.ports[uint16(n)] = true
		}
	}
	if ifaddrs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifaddrs {
			if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
				s.local[pfx.Addr().Unmap()] = true
			}
		}
	}
	return s
}

// is reports whether a is a local address on one of the proxy's ports.
func (s selfCheck) is(a net.Addr) bool {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil || !s.ports[ap.Port()] {
		return false
	}
	ip := ap.Addr().Unmap()
	return ip.IsLoopback() || ip.IsUnspecified() || s.local[ip]
}

// connSet tracks the client connections of a listener so the active
// connections gauge is right and Close can end hijacked tunnels, which
// http.Server.Shutdown does not track.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

// Listener wraps ln so the proxy counts its connections (including
// hijacked CONNECT tunnels) and CloseConnections can end them.
func (p *Proxy) Listener(ln net.Listener) net.Listener {
	p.init()
	return &trackedListener{Listener: ln, p: p, done: make(chan struct{})}
}

// CloseConnections closes every client connection accepted through
// Listener, ending CONNECT tunnels and intercepted sessions. Call it after
// http.Server.Shutdown has drained ordinary requests.
func (p *Proxy) CloseConnections() {
	p.conns.mu.Lock()
	all := make([]*trackedConn, 0, len(p.conns.conns))
	for c := range p.conns.conns {
		all = append(all, c)
	}
	p.conns.mu.Unlock()
	for _, c := range all {
		_ = c.Close()
	}
}

type trackedListener struct {
	net.Listener
	p         *Proxy
	done      chan struct{} // closed by Close: stops waiting for a slot
	closeOnce sync.Once
}

// Accept waits for a connection slot (MaxConnections), then accepts.
func (l *trackedListener) Accept() (net.Conn, error) {
	if l.p.connSlot != nil {
		select {
		case l.p.connSlot <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.p.connSlot.release()
		return nil, err
	}
	tc := l.p.guardConn(c)
	tc.listed = true
	l.p.conns.mu.Lock()
	if l.p.conns.conns == nil {
		l.p.conns.conns = map[*trackedConn]struct{}{}
	}
	l.p.conns.conns[tc] = struct{}{}
	l.p.conns.mu.Unlock()
	l.p.metrics().ActiveConnections(1)
	return tc, nil
}

// Close stops the listener and any Accept waiting for a slot.
func (l *trackedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// guardConn wraps a client connection in the per-connection guards:
// the smuggling sniffer and the write and tunnel idle deadlines. It is not
// counted until Listener's Accept marks it listed.
func (p *Proxy) guardConn(c net.Conn) *trackedConn {
	return &trackedConn{Conn: c, p: p,
		writeIdle: orDefault(p.WriteIdle, DefaultWriteIdle), tunnelIdle: orDefault(p.TunnelIdle, DefaultTunnelIdle)}
}

// trackedConn is one client connection: sniffed for ambiguous framing and
// bounded by the write and tunnel idle timeouts; when accepted by Listener
// (listed) also counted and closable by CloseConnections. The decrypted
// connection of an intercepted tunnel is guarded but not listed: its TLS
// connection is.
type trackedConn struct {
	net.Conn
	p          *Proxy
	listed     bool // accepted by Listener: counted and in p.conns
	once       sync.Once
	writeIdle  time.Duration
	tunnelIdle time.Duration
	tunnel     atomic.Bool // a CONNECT was accepted: the bytes are a tunnel's
	inBody     atomic.Bool // a handler is reading a request body (clientBody.Read)
	sniff      smuggleSniffer
	// readDeadline is the read deadline the http.Server (or goproxy) set,
	// in Unix nanoseconds, 0 for none. The tunnel idle deadline never
	// extends it: the server aborts a pending read with a past deadline
	// when it hijacks the connection.
	deadlineMu   sync.Mutex // orders the owner's deadlines and the tunnel's
	readDeadline time.Time
}

// SetReadDeadline records the caller's deadline and applies it.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.readDeadline = t
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline records the caller's read deadline and applies both.
func (c *trackedConn) SetDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.readDeadline = t
	return c.Conn.SetDeadline(t)
}

// extendTunnel moves the read deadline to TunnelIdle from now, never past
// a deadline the connection's owner set.
func (c *trackedConn) extendTunnel() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	d := time.Now().Add(c.tunnelIdle)
	if !c.readDeadline.IsZero() && c.readDeadline.Before(d) {
		d = c.readDeadline
	}
	_ = c.Conn.SetReadDeadline(d)
}

func (c *trackedConn) Read(b []byte) (int, error) {
	tunnel := c.tunnel.Load()
	if tunnel && c.tunnelIdle > 0 {
		c.extendTunnel()
	}
	n, err := c.Conn.Read(b)
	if !tunnel && !(len(b) > serverReadBuffer && c.inBody.Load()) {
		c.sniff.scan(b[:n])
	}
	return n, err
}

// serverReadBuffer is the size of the buffer net/http's server reads
// request heads through. While a handler reads a body, net/http reads into
// the handler's slice directly only when it is larger than that buffer and
// the buffer is empty, and then at most the rest of the body (Content-Length)
// or of the chunk: such a read holds body bytes only, never the next
// request's head, so the smuggling sniffer skips it. Every other read goes
// through the buffer and is sniffed. Skipping bulk body bytes saves about
// 0.3 CPU s per GiB uploaded.
const serverReadBuffer = 4 << 10

func (c *trackedConn) Write(b []byte) (int, error) {
	if c.writeIdle > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeIdle))
	}
	if c.tunnelIdle > 0 && c.tunnel.Load() { // bytes going down keep the tunnel alive too
		c.extendTunnel()
	}
	return c.Conn.Write(b)
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	if !c.listed {
		return err
	}
	c.once.Do(func() {
		c.p.conns.mu.Lock()
		delete(c.p.conns.conns, c)
		c.p.conns.mu.Unlock()
		c.p.metrics().ActiveConnections(-1)
		c.p.connSlot.release()
	})
	return err
}

// goproxyLogger routes goproxy's messages to the debug log. Only the format
// string is kept: goproxy's arguments can echo raw request bytes.
type goproxyLogger struct{ p *Proxy }

func (l goproxyLogger) Printf(format string, _ ...any) {
	l.p.log().Debug("goproxy", zap.String("event", strings.TrimSpace(format)))
}
