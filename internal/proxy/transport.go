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
	"time"

	"go.uber.org/zap"
)

// newTransport builds the upstream transport: TLS always verified against
// UpstreamRoots (system roots when nil), no environment proxy, no transparent
// decompression (bodies are forwarded byte for byte), and a dialer that
// refuses the proxy's own listeners.
func (p *Proxy) newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           p.dialContext,
		TLSClientConfig:       &tls.Config{RootCAs: p.UpstreamRoots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: p.ResponseHeaderTimeout,
		DisableCompression:    true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// dialContext connects upstream and refuses a connection whose far end is
// one of the proxy's own listeners, whatever name resolved to it.
func (p *Proxy) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := p.DialTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
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
	return &trackedListener{Listener: ln, p: p}
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
	p *Proxy
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, p: l.p}
	l.p.conns.mu.Lock()
	if l.p.conns.conns == nil {
		l.p.conns.conns = map[*trackedConn]struct{}{}
	}
	l.p.conns.conns[tc] = struct{}{}
	l.p.conns.mu.Unlock()
	l.p.metrics().ActiveConnections(1)
	return tc, nil
}

type trackedConn struct {
	net.Conn
	p    *Proxy
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.p.conns.mu.Lock()
		delete(c.p.conns.conns, c)
		c.p.conns.mu.Unlock()
		c.p.metrics().ActiveConnections(-1)
	})
	return err
}

// goproxyLogger routes goproxy's messages to the debug log. Only the format
// string is kept: goproxy's arguments can echo raw request bytes.
type goproxyLogger struct{ p *Proxy }

func (l goproxyLogger) Printf(format string, _ ...any) {
	if strings.Contains(format, "Cannot handshake client") {
		l.p.metrics().TLSInterceptError(StageClientHandshake)
	}
	l.p.log().Debug("goproxy", zap.String("event", strings.TrimSpace(format)))
}
