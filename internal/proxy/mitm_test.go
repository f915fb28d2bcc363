package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// mitmTimeouts are shortTimeouts with each client-side timeout distinct
// and the tunnel idle timeout far beyond the test's patience, so an
// outcome inside a tunnel is the doing of the timeout under test.
func mitmTimeouts(p *Proxy) {
	shortTimeouts(p)
	p.IdleTimeout = 600 * time.Millisecond
	p.TunnelIdle = time.Minute
}

// authority is the host:port of e's TLS upstream, the CONNECT target.
func (e *env) authority() string { return strings.TrimPrefix(e.tls.URL, "https://") }

// connectRaw opens a raw connection to e's proxy and sends a CONNECT to
// target with the extra header lines; it returns the connection and the
// proxy's answer.
func connectRaw(t *testing.T, e *env, target, extra string) (net.Conn, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", e.proxyURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n"+extra+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT answer: %v", err)
	}
	if br.Buffered() != 0 {
		t.Fatalf("the proxy sent %d bytes after its CONNECT answer", br.Buffered())
	}
	return c, resp
}

// dialTunnel opens an intercepted tunnel to target through e's proxy on a
// raw connection and completes the TLS handshake, trusting the proxy's CA.
func dialTunnel(t *testing.T, e *env, target, extra string) *tls.Conn {
	t.Helper()
	c, resp := connectRaw(t, e, target, extra)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT status %d, want 200", resp.StatusCode)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: e.client.Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
		t.Fatalf("ALPN %q, want http/1.1", p)
	}
	return tc
}

// tunnelOutcome is what a client saw inside a tunnel after sending a
// request: the response status (0: none before the close), whether the
// proxy then closed the connection, and when, counted from the send.
type tunnelOutcome struct {
	status int
	closed bool
	after  time.Duration
}

// sendInTunnel writes raw into c, runs after (to stall or half-close),
// reads a response if one comes, then waits for the proxy to close the
// connection, within c's deadline.
func sendInTunnel(t *testing.T, c *tls.Conn, raw string, after func(*tls.Conn)) tunnelOutcome {
	t.Helper()
	start := time.Now()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	if after != nil {
		after(c)
	}
	var out tunnelOutcome
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err == nil {
		out.status = resp.StatusCode
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, err := br.ReadByte()
	out.closed = err != nil && !isTimeout(err)
	out.after = time.Since(start)
	return out
}

// trickle keeps sending header lines, one every 50 ms, until the proxy
// closes the connection or 2 s pass: a slowloris client.
func trickle(c *tls.Conn) {
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		if _, err := io.WriteString(c, "X-Slow: 1\r\n"); err != nil {
			return
		}
	}
}

// TestInterceptedHostileRequests sends broken, ambiguous and slow requests
// inside an intercepted TLS tunnel: each gets the outcome it gets on a
// plain connection (docs/hardening.md), the connection is closed, and
// none reaches the upstream.
func TestInterceptedHostileRequests(t *testing.T) {
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}}, mitmTimeouts)
	head := "POST /u HTTP/1.1\r\nHost: " + e.authority() + "\r\n"
	readHeader, readBody := e.proxy.ReadHeaderTimeout, e.proxy.ReadBodyIdle
	tests := []struct {
		name       string
		give       string
		after      func(*tls.Conn)
		wantStatus int           // 0: closed without a response
		wantAfter  time.Duration // the close comes no sooner: a timeout's doing
	}{
		{name: "header over MaxHeaderBytes", give: head + "X-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", wantStatus: 431},
		{name: "too many headers", give: head + strings.Repeat("X-Pad: 0123456789abcdef\r\n", 1000) + "\r\n", wantStatus: 431},
		{name: "content-length and chunked (smuggling)", give: head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantStatus: 400},
		{name: "chunked then content-length, smuggled request behind", give: head +
			"transfer-encoding: chunked\r\ncontent-length: 40\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 400},
		{name: "bad chunk size", give: head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", wantStatus: 400},
		{name: "chunk longer than declared", give: head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", wantStatus: 400},
		{name: "body shorter than content-length, then close_notify", give: head + "Content-Length: 100\r\n\r\nshort",
			after: func(c *tls.Conn) { _ = c.CloseWrite() }, wantStatus: 400},
		{name: "slowloris headers", give: head, after: trickle, wantStatus: 0, wantAfter: readHeader},
		{name: "slow body", give: head + "Content-Length: 100\r\n\r\nten bytes.", wantStatus: 408, wantAfter: readBody},
		{name: "CONNECT inside the tunnel", give: "CONNECT " + e.authority() + " HTTP/1.1\r\nHost: " + e.authority() + "\r\n\r\n", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := e.up.last()
			got := sendInTunnel(t, dialTunnel(t, e, e.authority(), ""), tt.give, tt.after)
			if got.status != tt.wantStatus || !got.closed {
				t.Errorf("status %d, closed %v; want %d and the connection closed", got.status, got.closed, tt.wantStatus)
			}
			// The proxy's clock for a timeout starts when it has the
			// connection, a little before the client's.
			if got.after < tt.wantAfter-100*time.Millisecond {
				t.Errorf("closed after %v, before the %v timeout", got.after, tt.wantAfter)
			}
			if _, after := e.up.last(); after != before {
				t.Errorf("the upstream received the request")
			}
		})
	}
	if got := e.metrics.get("denied/" + DeniedBadRequest); got != 3 {
		t.Errorf("denied/bad_request = %v, want 3 (two smuggling attempts, one nested CONNECT)", got)
	}
	waitFor(t, func() bool { return e.metrics.get("active_connections") == 0 }, "every tunnel closed and counted once")
}

// TestInterceptedConnections: keep-alive inside a tunnel, the idle
// timeout, a client that reads nothing, and CloseConnections.
func TestInterceptedConnections(t *testing.T) {
	e := newEnv(t, &byteRules{}, mitmTimeouts)
	get := "GET /u HTTP/1.1\r\nHost: " + e.authority() + "\r\n\r\n"

	t.Run("two requests on one connection, then the idle timeout", func(t *testing.T) {
		c := dialTunnel(t, e, e.authority(), "")
		br := bufio.NewReader(c)
		_, before := e.up.last()
		for i := range 2 {
			if _, err := io.WriteString(c, get); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Close {
				t.Fatalf("request %d: status %d, close %v; want 200 kept alive", i+1, resp.StatusCode, resp.Close)
			}
		}
		if _, after := e.up.last(); after != before+2 {
			t.Errorf("upstream served %d requests, want 2", after-before)
		}
		start := time.Now()
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle connection: read %v, want EOF from the proxy closing it", err)
		}
		if d := time.Since(start); d < e.proxy.IdleTimeout-100*time.Millisecond {
			t.Errorf("closed after %v idle, before the %v idle timeout", d, e.proxy.IdleTimeout)
		}
	})
	t.Run("client that reads nothing is cut after the write idle timeout", func(t *testing.T) {
		c := dialTunnel(t, e, e.authority(), "")
		if _, err := io.WriteString(c, "GET /resp?n="+fmt.Sprint(64<<20)+" HTTP/1.1\r\nHost: "+e.authority()+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return e.metrics.get("active_connections") == 0 }, "the proxy to close the connection")
	})
	t.Run("CloseConnections ends an idle tunnel", func(t *testing.T) {
		c := dialTunnel(t, e, e.authority(), "")
		br := bufio.NewReader(c)
		if _, err := io.WriteString(c, get); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		start := time.Now()
		e.proxy.CloseConnections()
		if _, err := br.ReadByte(); err == nil || isTimeout(err) {
			t.Fatalf("read %v, want the connection closed", err)
		}
		if d := time.Since(start); d >= e.proxy.IdleTimeout {
			t.Errorf("closed after %v: the idle timeout, not CloseConnections", d)
		}
	})
}

// TestInterceptedEnforcement: requests inside a tunnel inherit the
// tunnel's client and user (no second authentication), are enforced as
// plain ones (a block page, nothing forwarded; a clean body passes
// intact), and go to the CONNECT's authority whatever their Host header.
func TestInterceptedEnforcement(t *testing.T) {
	e := newEnv(t, &byteRules{blockAt: 100, settings: Settings{HoldSize: 1 << 20}}, mitmTimeouts, func(p *Proxy) {
		p.Auth = staticAuth{"alice": "pw"}
	})
	c := dialTunnel(t, e, e.authority(), "Proxy-Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("alice:pw"))+"\r\n")
	br := bufio.NewReader(c)
	tests := []struct {
		name      string
		host      string // Host header
		body      string
		wantCode  int
		wantBody  string // contained
		wantUpHit bool
	}{
		{name: "clean body passes intact", host: e.authority(), body: "hello", wantCode: 200, wantBody: sum([]byte("hello")), wantUpHit: true},
		{name: "another Host still reaches the CONNECT authority", host: "elsewhere.example", body: "hi", wantCode: 200,
			wantBody: sum([]byte("hi")), wantUpHit: true},
		{name: "body over the threshold is blocked", host: e.authority(), body: string(pattern(1000)), wantCode: 403, wantBody: "bytes_block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := e.up.last()
			raw := fmt.Sprintf("POST /u HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", tt.host, len(tt.body), tt.body)
			if _, err := io.WriteString(c, raw); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(got), tt.wantBody) {
				t.Fatalf("got %d %.80q, want %d %q", resp.StatusCode, got, tt.wantCode, tt.wantBody)
			}
			if tt.wantCode == http.StatusForbidden && resp.Header.Get("X-Dlp-Incident") == "" {
				t.Errorf("block page without an incident id")
			}
			if _, after := e.up.last(); (after > before) != tt.wantUpHit {
				t.Errorf("upstream hit %v, want %v", after > before, tt.wantUpHit)
			}
		})
	}
	// An access line is written when the proxy closes the response body,
	// which may come after the client has read it.
	waitFor(t, func() bool { return e.logs.FilterMessage("access").Len() >= len(tests) }, "the access lines")
	access := e.logs.FilterMessage("access").AllUntimed()
	if len(access) != len(tests) {
		t.Fatalf("%d access lines, want %d (one per request, none for the CONNECT)", len(access), len(tests))
	}
	for _, a := range access {
		line := fmt.Sprint(a.ContextMap())
		for _, want := range []string{"user:alice", "client:127.0.0.1", "host:" + e.authority(), "path:/u", "method:POST"} {
			if !strings.Contains(line, want) {
				t.Errorf("access line %s lacks %s", line, want)
			}
		}
	}
	if n := e.metrics.get("denied/" + DeniedAuth); n != 0 {
		t.Errorf("denied/auth = %v: requests inside the tunnel were asked to authenticate", n)
	}
}

// failingCA issues no certificate.
type failingCA struct{}

func (failingCA) LeafFor(string) (*tls.Certificate, error) { return nil, errors.New("no key") }

// TestInterceptHandshake: a failed or stalled client handshake closes the
// tunnel and counts client_handshake; a CA that cannot issue the leaf is a
// 502 to the CONNECT, counted as leaf_cert.
func TestInterceptHandshake(t *testing.T) {
	tests := []struct {
		name       string
		ca         LeafSource
		send       string // after the CONNECT answer; nothing: stall
		wantStatus int    // of the CONNECT
		wantMetric string
	}{
		{name: "plain HTTP instead of TLS", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 200, wantMetric: "tls/" + StageClientHandshake},
		{name: "no ClientHello within the header timeout", wantStatus: 200, wantMetric: "tls/" + StageClientHandshake},
		{name: "no leaf certificate", ca: failingCA{}, wantStatus: 502, wantMetric: "tls/" + StageLeafCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, &byteRules{}, mitmTimeouts, func(p *Proxy) {
				if tt.ca != nil {
					p.CA = tt.ca
				}
			})
			c, resp := connectRaw(t, e, e.authority(), "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("CONNECT status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			_, _ = io.WriteString(c, tt.send)
			if _, err := io.Copy(io.Discard, c); err != nil {
				t.Fatalf("read %v, want the proxy to close the connection", err)
			}
			// A handshake timeout closes the connection before it returns
			// and is counted.
			waitFor(t, func() bool { return e.metrics.get(tt.wantMetric) == 1 }, tt.wantMetric)
		})
	}
}

// TestInterceptedWebSocket: a WebSocket handshake inside an intercepted
// tunnel is relayed as on a plain connection (frames both ways, counted as
// uninspected websocket); when the client closes, the upstream side, the
// tunnel and its connection end.
func TestInterceptedWebSocket(t *testing.T) {
	ws := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		if payload, err := readFrame(brw); err == nil {
			_, _ = c.Write(frame(payload, nil))
		}
		_, _ = io.Copy(io.Discard, brw) // until the proxy closes
	}))
	t.Cleanup(ws.Close)
	target := strings.TrimPrefix(ws.URL, "https://")
	e := newEnv(t, &byteRules{}, mitmTimeouts, func(p *Proxy) {
		p.ConnectPorts = []int{portOf(t, ws.URL)}
		p.UpstreamRoots = ws.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	})
	c := dialTunnel(t, e, target, "")
	if _, err := io.WriteString(c, "GET /chat HTTP/1.1\r\nHost: "+target+"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	hello := []byte("hello through the tunnel")
	if _, err := c.Write(frame(hello, []byte{1, 2, 3, 4})); err != nil {
		t.Fatal(err)
	}
	echo, err := readFrame(br)
	if err != nil || !bytes.Equal(echo, hello) {
		t.Fatalf("echo %q, %v; want %q", echo, err, hello)
	}
	_ = c.Close()
	ended := func() bool {
		return e.metrics.get("request/"+OutcomeBypassed) == 1 && e.metrics.get("active_connections") == 0
	}
	waitFor(t, ended, "the access line and the tunnel closed")
	if n := e.metrics.get("uninspected_msg/request/websocket/false"); n != 1 {
		t.Errorf("uninspected websocket messages = %v, want 1", n)
	}
}

// TestDrainTunnels: a shutdown lets a request in flight inside an
// intercepted tunnel finish, then closes the tunnel; an idle tunnel is
// closed at once; a tunnel opened while draining is refused.
func TestDrainTunnels(t *testing.T) {
	e := newEnv(t, &byteRules{}) // default timeouts: only the drain ends a tunnel
	busy := dialTunnel(t, e, e.authority(), "")
	idle := dialTunnel(t, e, e.authority(), "")
	// The idle tunnel has served a request and waits for the next; one
	// that never sent a request counts as idle after 5 s, as net/http has it.
	if out := getInTunnel(t, idle, e.authority()); out != http.StatusOK {
		t.Fatalf("request on the idle tunnel: status %d", out)
	}
	body := pattern(64 << 10)
	head := fmt.Sprintf("POST /up HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", e.authority(), len(body))
	if _, err := io.WriteString(busy, head); err != nil {
		t.Fatal(err)
	}
	if _, err := busy.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the request is in the handler, half its body read

	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		drained <- e.proxy.DrainTunnels(ctx)
	}()
	// The idle tunnel closes at once.
	_ = idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("idle tunnel: read %v, want it closed by the drain", err)
	}
	// The busy one finishes its request.
	time.Sleep(200 * time.Millisecond)
	if _, err := busy.Write(body[len(body)/2:]); err != nil {
		t.Fatalf("rest of the body: %v", err)
	}
	br := bufio.NewReader(busy)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("response to the request in flight: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != sum(body) {
		t.Fatalf("request in flight: status %d, upstream got %q, want %q", resp.StatusCode, got, sum(body))
	}
	select {
	case err := <-drained:
		if err != nil {
			t.Fatalf("DrainTunnels: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("DrainTunnels did not return after the last request ended")
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the drained tunnel stayed open")
	}
	// A tunnel asked for now is refused before any handshake.
	if _, resp := connectRaw(t, e, e.authority(), ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("CONNECT while draining: status %d, want 503", resp.StatusCode)
	}
}

// TestDrainTunnelsDeadline: a request still in flight when the drain's
// deadline passes is left to CloseConnections, which cuts it.
func TestDrainTunnelsDeadline(t *testing.T) {
	e := newEnv(t, &byteRules{})
	busy := dialTunnel(t, e, e.authority(), "")
	if _, err := fmt.Fprintf(busy, "POST /up HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\nhalf", e.authority()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := e.proxy.DrainTunnels(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DrainTunnels = %v, want the deadline", err)
	}
	e.proxy.CloseConnections()
	_ = busy.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadAll(busy); isTimeout(err) {
		t.Fatal("the tunnel stayed open after CloseConnections")
	}
}

// getInTunnel sends a GET for /resp?n=10 on c and returns the status,
// leaving the connection open.
func getInTunnel(t *testing.T, c *tls.Conn, host string) int {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET /resp?n=10&cl=1 HTTP/1.1\r\nHost: %s\r\n\r\n", host); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
