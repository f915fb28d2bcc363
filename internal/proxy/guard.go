package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of the Proxy's timeouts and limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 90 * time.Second
	DefaultReadBodyIdle      = 30 * time.Second
	DefaultWriteIdle         = 60 * time.Second
	DefaultTunnelIdle        = 10 * time.Minute
	DefaultTLSHandshake      = 10 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultInspectionWait    = 5 * time.Second
)

// orDefault returns d, or def when d is zero.
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// NewServer returns the http.Server that serves p: p as the handler, the
// header, keep-alive and header-size limits of p, and the connection hook
// the per-connection guards (smuggling check, idle deadlines) need. Serve
// it on p.Listener(ln). errorLog may be nil. The decrypted connection of
// every intercepted tunnel is served by one too, so the same limits apply
// there.
func (p *Proxy) NewServer(errorLog *log.Logger) *http.Server {
	p.init()
	maxHeader := p.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	return &http.Server{
		Handler:           p,
		ReadHeaderTimeout: orDefault(p.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		IdleTimeout:       orDefault(p.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          errorLog,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*trackedConn); ok {
				return context.WithValue(ctx, connKey{}, tc)
			}
			return ctx
		},
	}
}

// connKey carries the *trackedConn of a request in its context.
type connKey struct{}

func connOf(r *http.Request) *trackedConn {
	tc, _ := r.Context().Value(connKey{}).(*trackedConn)
	return tc
}

// ambiguous reports whether r is chunked and came on a connection that sent
// a header block with both Content-Length and Transfer-Encoding: net/http
// dropped the Content-Length (see smuggleSniffer). c may be nil.
func (c *trackedConn) ambiguous(r *http.Request) bool {
	return c != nil && c.sniff.ambiguous.Load() && slices.Contains(r.TransferEncoding, "chunked")
}

// forward sends an admitted request on the path every request takes: x in
// its context for the enforcement hooks, its body read under ReadBodyIdle,
// through goproxy to roundTrip. A streaming response cut by a block aborts
// the client connection.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, x *exchange) {
	// A shallow copy: net/http must still see its own body type in the
	// original request to know whether the body was drained.
	r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
	rc := http.NewResponseController(w) // one per request: body deadlines and flushes
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &clientBody{ReadCloser: r.Body, rc: rc, idle: max(orDefault(p.ReadBodyIdle, DefaultReadBodyIdle), 0), x: x, conn: connOf(r)}
	}
	p.gp.ServeHTTP(&streamingWriter{ResponseWriter: w, rc: rc}, r)
	if x.cut.Load() {
		// The response headers went out; only an aborted connection tells
		// the client the body is incomplete.
		panic(http.ErrAbortHandler)
	}
}

// errDestination is returned by the upstream dialer for an address the
// proxy must not reach (link-local, loopback, unspecified, cloud metadata)
// unless allowed.
var errDestination = errors.New("destination address not allowed")

// destinationAllowed reports whether the proxy may connect to ip (see
// destinationRefusal).
func (p *Proxy) destinationAllowed(ip netip.Addr) bool { return p.destinationRefusal(ip) == "" }

// destinationRefusal names the kind of address ip is when the proxy must
// not connect to it, or returns "" when it may: link-local (169.254.0.0/16,
// fe80::/10, which hold the cloud metadata service 169.254.169.254),
// loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0, ::) or another cloud
// metadata address (fd00:ec2::254 of AWS, 100.100.100.200 of Alibaba
// Cloud), unless one of AllowedDestinations contains it.
func (p *Proxy) destinationRefusal(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	for _, pfx := range p.AllowedDestinations {
		if pfx.Contains(ip) {
			return ""
		}
	}
	metadataV4 := netip.AddrFrom4([4]byte{169, 254, 169, 254})
	metadataV6 := netip.AddrFrom16([16]byte{0xfd, 0x00, 0x0e, 0xc2, 14: 0x02, 15: 0x54}) // fd00:ec2::254, AWS metadata over IPv6
	metadataAliyun := netip.AddrFrom4([4]byte{100, 100, 100, 200})                       // Alibaba Cloud metadata
	// Loopback and unspecified addresses reach the proxy host's own
	// services (a local Redis, the Docker API, exporters).
	switch {
	case ip == metadataV4 || ip == metadataV6 || ip == metadataAliyun:
		return "cloud metadata"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified():
		return "unspecified"
	}
	return ""
}

// destinationError is errDestination with the kind of address refused.
type destinationError struct{ kind string }

// Error names the kind of address refused.
func (e *destinationError) Error() string {
	return "destination address not allowed (" + e.kind + ")"
}

// destinationMessage is what a client refused a destination of that kind
// reads.
func destinationMessage(kind string) string {
	return "dlpproxy: destination address not allowed: " + kind + " (the proxy's allow_destinations setting lists exceptions)"
}

// Is makes errors.Is(err, errDestination) hold.
func (e *destinationError) Is(target error) bool { return target == errDestination }

// controlDial runs on every address the dialer actually connects to, after
// name resolution: a name that resolves (or rebinds) to a refused address
// is refused, whatever it was called.
func (p *Proxy) controlDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, errDestination)
	}
	if kind := p.destinationRefusal(ap.Addr()); kind != "" {
		return fmt.Errorf("dial %s: %w", address, &destinationError{kind: kind})
	}
	if p.dialCheck != nil {
		return p.dialCheck(address)
	}
	return nil
}

// clientBody is a client's request body as the proxy reads it. It bounds
// each wait for bytes (ReadBodyIdle; zero idle: no bound) so a client that
// stops sending gets its request ended (408), however long the whole upload
// takes, and it marks the exchange when the client's body is malformed
// (bad chunked encoding, short body: 400). The read deadline is lifted at
// the end of the body, so the connection's keep-alive wait is not cut
// short; after a failure it is left in the past, so net/http's drain of
// the rest of the body before answering fails at once instead of waiting.
type clientBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	x    *exchange
	conn *trackedConn // nil when not served through Listener or intercept
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.idle > 0 {
		_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
	if b.conn != nil { // see trackedConn.Read: big reads now are body bytes only
		b.conn.inBody.Store(true)
		defer b.conn.inBody.Store(false)
	}
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		if b.idle > 0 {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	default:
		_ = b.rc.SetReadDeadline(time.Unix(1, 0))
		if isTimeout(err) {
			b.x.clientErr.Store(&errClientTimeout)
		} else {
			b.x.clientErr.Store(&errClientBody)
		}
	}
	return n, err
}

// isTimeout reports whether err is a timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// smuggleSniffer watches the header blocks a client sends for one that
// carries both Content-Length and Transfer-Encoding. net/http accepts such
// a request by dropping Content-Length (RFC 9112 §6.1 allows it); a front
// end that honoured the Content-Length instead would split the stream
// differently, so the proxy refuses the request (400) rather than forward
// it. The sniffer looks at the first bytes of every line between blank
// lines; it can only err towards refusing a chunked request whose body
// holds such a block.
type smuggleSniffer struct {
	head      [len("transfer-encoding:")]byte
	n         int  // bytes of the current line in head
	mid       bool // inside a line past head
	cl, te    bool // the current block has Content-Length / Transfer-Encoding
	ambiguous atomic.Bool
}

func (s *smuggleSniffer) scan(b []byte) {
	for len(b) > 0 {
		if !s.mid {
			k := copy(s.head[s.n:], b)
			i := bytes.IndexByte(b[:k], '\n')
			if i < 0 {
				s.n += k
				b = b[k:]
				s.mid = s.n == len(s.head)
				continue
			}
			s.n += i
			s.line()
			b = b[i+1:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return
		}
		s.line()
		b = b[i+1:]
	}
}

// line ends the current line, of which head[:n] is the start.
func (s *smuggleSniffer) line() {
	h := s.head[:s.n]
	switch {
	case len(h) == 0 || (len(h) == 1 && h[0] == '\r'):
		s.cl, s.te = false, false
	case len(h) >= len("content-length:") && bytes.EqualFold(h[:len("content-length:")], []byte("content-length:")):
		s.cl = true
	case len(h) == len("transfer-encoding:") && bytes.EqualFold(h, []byte("transfer-encoding:")):
		s.te = true
	}
	if s.cl && s.te {
		s.ambiguous.Store(true)
	}
	s.n, s.mid = 0, false
}

// streamingWriter is the response writer goproxy copies a response
// through. A response without a declared length (chunked: an NDJSON feed,
// a watch, a long poll, a streamed answer) is flushed after every write,
// as net/http/httputil.ReverseProxy does, so what the proxy has inspected
// and released reaches the client at once instead of waiting in net/http's
// buffers for the next few KiB; goproxy itself flushes only event streams
// (it looks for a Transfer-Encoding header that net/http's client removes).
// A response of declared length is written as it comes.
type streamingWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController // of ResponseWriter
	flush bool
}

// WriteHeader decides whether the response streams: no Content-Length,
// and a status that has a body.
func (s *streamingWriter) WriteHeader(code int) {
	s.flush = code >= http.StatusOK && code != http.StatusNoContent && code != http.StatusNotModified &&
		s.Header().Get("Content-Length") == ""
	s.ResponseWriter.WriteHeader(code)
}

func (s *streamingWriter) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	if s.flush && err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// Flush, Hijack and Unwrap keep what goproxy needs of the writer beneath:
// flushing event streams and trailers, taking over a WebSocket connection.
func (s *streamingWriter) Flush() { _ = s.rc.Flush() }

func (s *streamingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.rc.Hijack()
}

func (s *streamingWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
