package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// short timeouts for the adversarial tests: every phase ends well within
// the test's patience.
func shortTimeouts(p *Proxy) {
	p.ReadHeaderTimeout = 300 * time.Millisecond
	p.ReadBodyIdle = 300 * time.Millisecond
	p.WriteIdle = 300 * time.Millisecond
	p.IdleTimeout = 300 * time.Millisecond
	p.TunnelIdle = 300 * time.Millisecond
	p.ResponseHeaderTimeout = 300 * time.Millisecond
	p.DialTimeout = 500 * time.Millisecond
	p.MaxHeaderBytes = 8 << 10
}

// rawOutcome is what a raw client saw: a status, or 0 for a connection
// closed without a response.
type rawOutcome struct {
	status int
	body   string
}

// rawRequest sends raw to the proxy over TCP, then runs after (e.g. to stall
// or half-close) and reads one response; the connection closing without
// one is status 0. It fails the test if nothing happens within 5 s.
func rawRequest(t *testing.T, proxyAddr, raw string, after func(c *net.TCPConn)) rawOutcome {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	if after != nil {
		after(c.(*net.TCPConn))
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		if isTimeout(err) {
			t.Fatalf("no response and no close within 5s: %v", err)
		}
		return rawOutcome{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawOutcome{status: resp.StatusCode, body: string(b)}
}

// TestMalformedRequests sends broken and ambiguous requests over raw TCP:
// each gets a defined answer, and none reaches the upstream.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}}, shortTimeouts)
	host := strings.TrimPrefix(e.plain.URL, "http://")
	head := "POST " + e.plain.URL + "/u HTTP/1.1\r\nHost: " + host + "\r\n"
	manyHeaders := strings.Repeat("X-Pad: 0123456789abcdef\r\n", 1000)
	tests := []struct {
		name       string
		give       string
		after      func(c *net.TCPConn)
		wantStatus int // 0: connection closed without a response
	}{
		{name: "bad chunk size", give: head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", wantStatus: 400},
		{name: "chunk longer than declared", give: head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", wantStatus: 400},
		{name: "content-length and chunked (smuggling)", give: head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantStatus: 400},
		{name: "chunked then content-length (smuggling)", give: head + "transfer-encoding: chunked\r\ncontent-length: 40\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 400},
		{name: "two different content-lengths", give: head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", wantStatus: 400},
		{name: "transfer-encoding other than chunked", give: head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", wantStatus: 501},
		{name: "two transfer-encodings", give: head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", wantStatus: 501},
		{name: "space before colon", give: head + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", wantStatus: 400},
		{name: "oversized header", give: head + "X-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", wantStatus: 431},
		{name: "too many headers", give: head + manyHeaders + "\r\n", wantStatus: 431},
		{name: "body shorter than content-length, then half-close", give: head + "Content-Length: 100\r\n\r\nshort",
			after: func(c *net.TCPConn) { _ = c.CloseWrite() }, wantStatus: 400},
		{name: "slowloris headers", give: head + "X-Slow: 1\r\n", wantStatus: 0},
		{name: "slow body", give: head + "Content-Length: 100\r\n\r\nten bytes.", wantStatus: 408},
		{name: "garbage request line", give: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := e.up.last()
			got := rawRequest(t, e.proxyURL.Host, tt.give, tt.after)
			if got.status != tt.wantStatus {
				t.Errorf("status %d (%q), want %d", got.status, got.body, tt.wantStatus)
			}
			if _, after := e.up.last(); after != before {
				t.Errorf("the upstream received the request")
			}
		})
	}
	if got := e.metrics.get("denied/" + DeniedBadRequest); got != 2 {
		t.Errorf("denied/bad_request = %v, want 2 (the two smuggling attempts)", got)
	}
}

// TestSmugglingBehindBigBody: the sniffer skips the bulk of a body (reads
// net/http makes straight into the handler's buffer), yet a smuggling head
// pipelined right behind a 64 KiB body, in the same write, is still
// refused, after a Content-Length body and after a chunked one.
func TestSmugglingBehindBigBody(t *testing.T) {
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}}, shortTimeouts)
	host := strings.TrimPrefix(e.plain.URL, "http://")
	head := "POST " + e.plain.URL + "/u HTTP/1.1\r\nHost: " + host + "\r\n"
	body := string(pattern(64 << 10))
	smuggle := head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	tests := []struct {
		name  string
		first string
	}{
		{name: "content-length body", first: head + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body},
		{name: "chunked body", first: head + "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := e.up.last()
			c, err := net.Dial("tcp", e.proxyURL.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tt.first+smuggle); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i+1, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("response %d: status %d, want %d", i+1, resp.StatusCode, want)
				}
			}
			if _, after := e.up.last(); after != before+1 {
				t.Errorf("the upstream received %d requests, want only the first", after-before)
			}
		})
	}
}

// TestClientConnections covers a half-closed client (still answered), a
// reset mid-body (the proxy carries on), a client that reads nothing (cut
// after WriteIdle) and an idle keep-alive connection (closed).
func TestClientConnections(t *testing.T) {
	big := strings.Repeat("x", 64<<20)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = io.WriteString(w, big)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	e := newEnv(t, &byteRules{}, shortTimeouts)
	addr := e.proxyURL.Host
	get := func(path string) string {
		return "GET " + up.URL + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(up.URL, "http://") + "\r\n\r\n"
	}

	t.Run("half-closed after the request is answered", func(t *testing.T) {
		got := rawRequest(t, addr, get("/small"), func(c *net.TCPConn) { _ = c.CloseWrite() })
		if got.status != 200 || got.body != "ok" {
			t.Errorf("got %d %q, want 200 ok", got.status, got.body)
		}
	})
	t.Run("reset mid-body leaves the proxy serving", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, "POST "+up.URL+"/u HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("a", 1000))
		time.Sleep(50 * time.Millisecond)
		_ = c.(*net.TCPConn).SetLinger(0)
		_ = c.Close() // RST
		if got := rawRequest(t, addr, get("/small"), nil); got.status != 200 {
			t.Errorf("after a reset: status %d, want 200", got.status)
		}
	})
	t.Run("client that reads nothing is cut after the write idle timeout", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		_, _ = io.WriteString(c, get("/big"))
		// The proxy's writes block, time out, and it closes its end.
		waitFor(t, func() bool { return e.metrics.get("active_connections") == 0 }, "the proxy to close the connection")
	})
	t.Run("idle keep-alive connection is closed", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, get("/small"))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("idle connection: read %v, want EOF from the proxy closing it", err)
		}
	})
}

// TestUpstreamFaults: an upstream that resets mid-body, does not resolve,
// refuses connections or answers too slowly gets a defined answer.
func TestUpstreamFaults(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/reset":
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, strings.Repeat("a", 1000))
			w.(http.Flusher).Flush()
			c, _, _ := http.NewResponseController(w).Hijack()
			_ = c.(*net.TCPConn).SetLinger(0)
			_ = c.Close()
		case "/slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer up.Close()
	var refused atomic.Pointer[string] // a closed loopback port, taken once every server of the test listens
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}}, shortTimeouts, func(p *Proxy) {
		// Names resolve through a DNS server on a closed loopback port:
		// every lookup fails without leaving the machine.
		p.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", *refused.Load())
		}}
	})
	// The port is closed after the environment's servers started, so none
	// of them can be given it (one was, once: the "refused" request reached
	// the test upstream).
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	refused.Store(&addr)
	_ = closed.Close()
	tests := []struct {
		name       string
		url        string
		wantStatus int
		wantBody   string
	}{
		{name: "reset mid-body", url: up.URL + "/reset", wantStatus: 502, wantBody: "upstream unreachable or failed"},
		{name: "dns failure", url: "http://no-such-host.invalid/", wantStatus: 502, wantBody: "does not resolve"},
		{name: "connection refused", url: "http://" + addr + "/", wantStatus: 502, wantBody: "upstream unreachable"},
		{name: "slow upstream", url: up.URL + "/slow", wantStatus: 504, wantBody: "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.client.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
