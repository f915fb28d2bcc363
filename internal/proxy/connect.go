package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/elazarl/goproxy"
	"go.uber.org/zap"
)

// handleConnect decides a CONNECT: intercept with the company CA, or tunnel
// without inspection when the host is on the policy's TLS bypass list or
// there is no CA (then the policy's tunnel action applies: a fail-closed
// policy refuses it, except to allow_hosts hosts, never inspected anyway). Either way the proxy takes the connection over
// (goproxy's hijack action): intercept serves the decrypted requests itself.
func (p *Proxy) handleConnect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	x, _ := ctx.Req.Context().Value(exchangeKey{}).(*exchange)
	if x == nil { // not through ServeHTTP: refuse rather than serve unchecked
		return goproxy.RejectConnect, host
	}
	x.rules = p.Policy()
	serve := p.intercept
	switch {
	case x.rules.TLSBypass(hostOnly(host)), p.CA == nil && x.rules.HostAllowed(hostOnly(host)):
		serve = p.tunnel // explicit policy choices: never inspected
	case p.CA == nil && x.rules.FailClosed(ReasonTunnelBypass):
		serve = func(x *exchange, client net.Conn, _ string) { p.blockTunnel(x, ctx.Req, client) }
	case p.CA == nil:
		serve = p.tunnel
	}
	return &goproxy.ConnectAction{Action: goproxy.ConnectHijack, Hijack: func(_ *http.Request, client net.Conn, _ *goproxy.ProxyCtx) {
		serve(x, client, host)
	}}, host
}

// leafConfig is the TLS server configuration presented to an intercepted
// client for host: a leaf from the CA, HTTP/1.1 only (the decrypted
// connection is served by an HTTP/1 http.Server).
func (p *Proxy) leafConfig(host string) (*tls.Config, error) {
	cert, err := p.CA.LeafFor(hostOnly(host))
	if err != nil {
		return nil, fmt.Errorf("leaf certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, nil
}

// refuseTunnel answers a CONNECT that gets no tunnel with status, closing.
func refuseTunnel(client net.Conn, status int) {
	_, _ = io.WriteString(client, "HTTP/1.1 "+statusLine(status)+"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
}

// acceptTunnel tells the client its CONNECT is established.
func acceptTunnel(client net.Conn) error {
	_, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n")
	return err
}

// blockTunnel refuses a CONNECT that could only be tunnelled uninspected
// (no CA) under a policy that fails closed on tunnels: the block page as the
// CONNECT's answer (curl -v shows it; browsers show their own error), an
// incident and the access line.
func (p *Proxy) blockTunnel(x *exchange, req *http.Request, client net.Conn) {
	defer client.Close()
	resp := p.blockPage(req, p.uninspectableIncident(x, Request, ReasonTunnelBypass), x.rules)
	resp.Close = true
	if resp.Write(client) == nil {
		x.bytesDown.Store(resp.ContentLength)
	}
	p.logAccess(x, resp.StatusCode)
}

// tunnel connects client to host without inspection, counting the bytes
// each way as uninspected (reason tunnel_bypass). It returns when both
// directions are done.
func (p *Proxy) tunnel(x *exchange, client net.Conn, host string) {
	defer client.Close()
	x.setOutcome(OutcomeBypassed)
	upstream, err := p.dialContext(context.Background(), "tcp", host)
	if err != nil {
		status := http.StatusBadGateway
		switch {
		case errors.Is(err, errSelf):
			status = http.StatusForbidden
			p.metrics().AccessDenied(DeniedSelf)
			x.setOutcome(OutcomeDenied)
		case errors.Is(err, errDestination):
			status = http.StatusForbidden
			p.metrics().AccessDenied(DeniedDestination)
			x.setOutcome(OutcomeDenied)
		default:
			x.setOutcome(OutcomeError)
			p.log().Info("tunnel dial", zap.String("host", host), zap.Error(err))
		}
		refuseTunnel(client, status)
		p.logAccess(x, status)
		return
	}
	defer upstream.Close()
	if err := acceptTunnel(client); err != nil {
		p.logAccess(x, http.StatusOK)
		return
	}
	up, down := pipe(client, upstream)
	x.bytesUp.Store(up)
	x.bytesDown.Store(down)
	m := p.metrics()
	m.UninspectedBytes(Request, ReasonTunnelBypass, up)
	m.UninspectedBytes(Response, ReasonTunnelBypass, down)
	m.UninspectedMessage(Request, ReasonTunnelBypass, false)
	p.logAccess(x, http.StatusOK)
}

func statusLine(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// pipe copies both ways until either side ends, then closes both and
// waits. The upload runs in tunnelCopier, named for readable stacks.
func pipe(client, upstream net.Conn) (up, down int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go tunnelCopier(upstream, client, &up, &wg)
	down, _ = io.Copy(client, upstream)
	// Either side ending ends the tunnel: closing both unblocks the copier.
	_ = client.Close()
	_ = upstream.Close()
	wg.Wait()
	return up, down
}

// tunnelCopier copies src to dst for a CONNECT tunnel; it stops when either
// connection is closed.
func tunnelCopier(dst, src net.Conn, n *int64, wg *sync.WaitGroup) {
	defer wg.Done()
	*n, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}
