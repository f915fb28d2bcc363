// Package proxy is dlpproxy's HTTP(S) forward proxy: access control, TLS
// interception with the company CA, and streaming enforcement of the policy
// on request and response bodies, built on github.com/elazarl/goproxy.
//
// Every body is scanned chunk by chunk before it is forwarded (the leak
// budget of DESIGN.md): the chunk that would cross a block threshold is never
// sent. Bodies up to the policy's hold size are read whole first, so a block
// is a clean response page; larger bodies stream, a blocked request never
// reaches its end upstream, and a blocked response already under way is cut
// off by aborting the client connection, never completed as if whole.
package proxy

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Proxy is a forward proxy that enforces a DLP policy. Configure it by its
// fields before the first request; they must not change afterwards. The
// zero value of every field except Policy is usable and documented.
type Proxy struct {
	// Policy returns the policy snapshot in force. It is called once per
	// exchange, so a hot reload applies from the next request on. Required.
	Policy func() Rules

	// Engine runs the detectors; nil means an engine with every detector
	// and default limits.
	Engine *inspect.Engine

	// CA issues leaf certificates for TLS interception. Nil means CONNECT
	// requests are tunnelled without inspection and counted as
	// uninspectable (reason tunnel_bypass), whatever the policy says.
	CA LeafSource

	// UpstreamRoots verifies upstream TLS certificates; nil means the
	// system roots. Verification is never skipped.
	UpstreamRoots *x509.CertPool

	// AllowedClients lists the client networks served; nil means loopback
	// only (127.0.0.0/8 and ::1).
	AllowedClients []netip.Prefix

	// Auth, when set, requires proxy Basic authentication; the user name
	// appears in incidents and access lines. Nil means no authentication.
	Auth Authenticator

	// ConnectPorts lists the destination ports CONNECT may reach; nil
	// means 443 only.
	ConnectPorts []int

	// SelfAddrs lists the proxy's own listener addresses (proxy and admin).
	// The proxy refuses to forward to them, whatever name or local address
	// a client uses. Nil means no check.
	SelfAddrs []string

	// AllowedDestinations lists addresses the proxy may connect to although
	// they are refused by default: link-local (169.254.0.0/16, fe80::/10),
	// loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0, ::) and cloud
	// metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200). Every address
	// actually dialed is checked, after name resolution, for plain
	// requests, intercepted requests and tunnels alike. Nil allows none.
	AllowedDestinations []netip.Prefix

	// Resolver resolves upstream names; nil means net.DefaultResolver.
	Resolver *net.Resolver

	// DialTimeout bounds connecting upstream; zero means 10s.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the upstream TLS handshake; zero means
	// DefaultTLSHandshake.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for upstream response headers;
	// zero means no limit beyond the client's patience.
	ResponseHeaderTimeout time.Duration

	// The client-side timeouts below apply to servers made by NewServer
	// and connections accepted through Listener, and inside intercepted
	// TLS tunnels alike.

	// ReadHeaderTimeout bounds reading a request's headers (slowloris),
	// and an intercepted client's TLS handshake; zero means
	// DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadBodyIdle bounds each wait for request body bytes: a client that
	// sends nothing for this long gets 408 (or, once the body streams
	// upstream, a closed connection). Zero means DefaultReadBodyIdle;
	// negative disables it.
	ReadBodyIdle time.Duration
	// WriteIdle bounds each write to a client: one that reads nothing for
	// this long is disconnected. Zero means DefaultWriteIdle; negative
	// disables it.
	WriteIdle time.Duration
	// IdleTimeout bounds a keep-alive connection's wait for its next
	// request; zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// TunnelIdle ends a CONNECT tunnel (bypassed or intercepted) after this
	// long without a byte either way; zero means DefaultTunnelIdle,
	// negative disables it.
	TunnelIdle time.Duration
	// MaxHeaderBytes bounds a request's header section (431 beyond it);
	// zero means DefaultMaxHeaderBytes.
	MaxHeaderBytes int

	// MaxConnections bounds the client connections open at once: Listener
	// stops accepting while it is reached (clients wait in the kernel's
	// backlog). Zero means no limit.
	MaxConnections int
	// MaxInspections bounds the bodies inspected at once; a message
	// waits up to InspectionWait for a slot, then the request is refused
	// with 503 and Retry-After. Zero means no limit.
	MaxInspections int
	// InspectionWait is how long a message waits for an inspection slot;
	// zero means DefaultInspectionWait.
	InspectionWait time.Duration

	// AuthLimit rate-limits failed proxy authentication per client (429
	// when exhausted); its zero value is usable. Only used with Auth.
	AuthLimit AuthLimit

	// Logger receives access lines, incidents and proxy errors; nil
	// discards them.
	Logger *zap.Logger

	// Metrics receives measurements; nil discards them.
	Metrics Metrics

	// ErrorHandler turns an upstream or proxy failure into the response
	// the client gets. Nil means errorResponse: 403 for forwarding to the
	// proxy itself, 502 with a short reason otherwise.
	ErrorHandler func(req *http.Request, err error) *http.Response

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	initOnce sync.Once
	gp       *goproxy.ProxyHttpServer
	tr       *http.Transport
	engine   *inspect.Engine
	self     selfCheck
	conns    connSet
	tunnels  tunnelSet
	initErr  error
	inspects slots
	connSlot slots
	authLim  *authLimiter
	bufs     sync.Pool // *[]byte of bufSize: see getBuf
	// dialCheck, when set, must also accept every address dialed (tests
	// keep fuzzed destinations on loopback with it).
	dialCheck func(address string) error
}

// exchangeKey carries the *exchange of a plain HTTP request or a CONNECT
// through goproxy in the request context.
type exchangeKey struct{}

// exchange is one request/response pair, or one CONNECT tunnel.
type exchange struct {
	start  time.Time
	client netip.Addr
	user   string

	rules  Rules
	method string
	host   string // host[:port] as requested
	path   string

	bytesUp   atomic.Int64
	bytesDown atomic.Int64
	inspected atomic.Int64
	incident  atomic.Pointer[string]
	block     atomic.Pointer[incident] // set when a body was blocked
	outcome   atomic.Pointer[string]
	cut       atomic.Bool // a streaming response was cut: abort the client connection
	// clientErr is set when reading the client's request body failed:
	// errClientTimeout or errClientBody.
	clientErr atomic.Pointer[error]
	logged    sync.Once
}

func (x *exchange) setOutcome(o string) { x.outcome.Store(&o) }

func (p *Proxy) init() {
	p.initOnce.Do(func() {
		p.engine = p.Engine
		if p.engine == nil {
			p.engine, p.initErr = inspect.NewEngine(inspect.Config{})
		}
		p.self = newSelfCheck(p.SelfAddrs)
		p.inspects = newSlots(p.MaxInspections)
		p.connSlot = newSlots(p.MaxConnections)
		p.authLim = newAuthLimiter(p.AuthLimit, p.now)
		p.tr = p.newTransport()
		gp := goproxy.NewProxyHttpServer()
		gp.Logger = goproxyLogger{p}
		gp.Tr = p.tr
		gp.KeepAcceptEncoding = true // bodies are forwarded byte for byte, encoded as the client accepts
		gp.NonproxyHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "dlpproxy is a forward proxy: send absolute-form requests or CONNECT", http.StatusBadRequest)
		})
		gp.OnRequest().HandleConnectFunc(p.handleConnect)
		gp.OnRequest().DoFunc(p.onRequest)
		p.gp = gp
	})
}

func (p *Proxy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Proxy) log() *zap.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return zap.NewNop()
}

func (p *Proxy) metrics() Metrics {
	if p.Metrics != nil {
		return p.Metrics
	}
	return nopMetrics{}
}

func (p *Proxy) records() accesslog.Log { return accesslog.Log{Logger: p.Logger} }

// errorHandler is the one accessor every failure path goes through.
func (p *Proxy) errorHandler() func(*http.Request, error) *http.Response {
	if p.ErrorHandler != nil {
		return p.ErrorHandler
	}
	return errorResponse
}

// ServeHTTP serves one proxy request: access control first, then goproxy,
// which calls back into the enforcement hooks.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.init()
	x := &exchange{start: p.now(), client: remoteIP(r.RemoteAddr), method: r.Method, host: r.Host}
	if r.URL != nil {
		x.path = r.URL.Path
		if r.URL.Host != "" {
			x.host = r.URL.Host
		}
	}
	if p.initErr != nil {
		p.log().Error("proxy init", zap.Error(p.initErr))
		http.Error(w, "dlpproxy: not configured", http.StatusInternalServerError)
		return
	}
	if !p.clientAllowed(x.client) {
		p.deny(w, x, DeniedClientCIDR, http.StatusForbidden)
		return
	}
	if connOf(r).ambiguous(r) {
		// net/http dropped a Content-Length sent next to Transfer-Encoding:
		// refuse rather than pick one framing for a smuggling attempt.
		p.deny(w, x, DeniedBadRequest, http.StatusBadRequest)
		return
	}
	if p.Auth != nil {
		if wait, limited := p.authLim.limited(x.client); limited {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			p.deny(w, x, DeniedAuthRate, http.StatusTooManyRequests)
			return
		}
	}
	user, ok := p.authenticate(r)
	if !ok {
		if r.Header.Get("Proxy-Authorization") != "" { // a wrong credential, not a first try without one
			p.authLim.failed(x.client)
		}
		w.Header().Set("Proxy-Authenticate", `Basic realm="dlpproxy"`)
		p.deny(w, x, DeniedAuth, http.StatusProxyAuthRequired)
		return
	}
	x.user = user
	// Credentials are for this hop only: drop them before any hook can
	// see or forward them.
	r.Header.Del("Proxy-Authorization")
	if r.Method == http.MethodConnect && !p.portAllowed(r.Host) {
		p.deny(w, x, DeniedPort, http.StatusForbidden)
		return
	}
	if ip, err := netip.ParseAddr(hostOnly(r.Host)); r.Method == http.MethodConnect && err == nil && !p.destinationAllowed(ip) {
		// Refused before the tunnel is accepted; a name is checked when
		// it is dialed (intercepted tunnels dial per request).
		p.denyWith(w, x, DeniedDestination, http.StatusForbidden, destinationMessage(p.destinationRefusal(ip)))
		return
	}
	if tc := connOf(r); r.Method == http.MethodConnect && tc != nil {
		tc.tunnel.Store(true) // from here on the connection carries a tunnel
	}
	p.forward(w, r, x)
}

// onRequest is goproxy's first request hook, for plain and intercepted
// requests alike. It sanitises the headers before anything else runs,
// including goproxy's own header handling, and routes the request through
// roundTrip, where enforcement happens.
func (p *Proxy) onRequest(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	upgrade := upgradeProtocol(req.Header)
	sanitizeRequest(req.Header)
	if upgrade != "" { // the handshake needs its hop-by-hop pair; enforcement decides on it
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", upgrade)
	}
	ctx.RoundTripper = goproxy.RoundTripperFunc(p.roundTrip)
	return req, nil
}

// deny answers an access-control refusal and records it.
func (p *Proxy) deny(w http.ResponseWriter, x *exchange, reason string, status int) {
	p.denyWith(w, x, reason, status, "dlpproxy: access denied ("+reason+")")
}

// denyWith is deny with the text the client reads.
func (p *Proxy) denyWith(w http.ResponseWriter, x *exchange, reason string, status int, msg string) {
	p.metrics().AccessDenied(reason)
	x.setOutcome(OutcomeDenied)
	w.Header().Set("Connection", "close")
	http.Error(w, msg, status)
	x.bytesDown.Store(int64(len(msg) + 1)) // http.Error ends the text with a newline
	p.logAccess(x, status)
}

func (p *Proxy) clientAllowed(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if p.AllowedClients == nil {
		return a.IsLoopback()
	}
	for _, pfx := range p.AllowedClients {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// authenticate checks Proxy-Authorization when Auth is set and returns the
// user name.
func (p *Proxy) authenticate(r *http.Request) (string, bool) {
	if p.Auth == nil {
		return "", true
	}
	user, pass, ok := parseBasic(r.Header.Get("Proxy-Authorization"))
	if !ok || !p.Auth.Authenticate(user, pass) {
		return "", false
	}
	return user, true
}

// parseBasic decodes a "Basic base64(user:password)" credential.
func parseBasic(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	return user, pass, ok && user != ""
}

func (p *Proxy) portAllowed(hostport string) bool {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return false
	}
	if p.ConnectPorts == nil {
		return n == 443
	}
	for _, allowed := range p.ConnectPorts {
		if n == allowed {
			return true
		}
	}
	return false
}

// remoteIP parses the IP of a RemoteAddr; the zero Addr if it cannot.
func remoteIP(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// hostOnly strips the port from host[:port].
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// logAccess writes the exchange's access line and request metrics once.
func (p *Proxy) logAccess(x *exchange, status int) {
	x.logged.Do(func() {
		outcome := OutcomeAllowed
		if o := x.outcome.Load(); o != nil {
			outcome = *o
		}
		d := p.now().Sub(x.start)
		p.metrics().Request(outcome, d)
		a := &accesslog.Access{
			Client: x.client.String(), User: x.user, Method: x.method, Host: x.host, Path: x.path,
			Status: status, Outcome: outcome, BytesUp: x.bytesUp.Load(), BytesDown: x.bytesDown.Load(),
			Inspected: x.inspected.Load(), Duration: d,
		}
		if id := x.incident.Load(); id != nil {
			a.Incident = *id
		}
		p.records().Access(a)
	})
}

// errSelf is returned by the upstream dialer for the proxy's own listeners.
var errSelf = errors.New("destination is the proxy itself")
