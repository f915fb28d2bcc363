package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestServeHardenedServer checks that serve's proxy listener is the hardened
// one, configured from internal/config: a request framed by both
// Content-Length and Transfer-Encoding (a smuggling attempt) gets 400 and
// never reaches the upstream, a header section over limits.max_header_bytes
// gets 431, and a client that stalls in its headers is disconnected after
// timeouts.read_header.
func TestServeHardenedServer(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer up.Close()
	host := up.Listener.Addr().String()

	f := newFixture(t)
	cfg := f.config(t)
	cfg.Limits.MaxHeaderBytes = 4 << 10
	cfg.Timeouts.ReadHeader = 300 * time.Millisecond
	proxyAddr, _ := startServe(t, cfg, serveDeps{logger: zap.NewNop()})

	tests := []struct {
		name       string
		give       string
		wantStatus int // 0: the connection is closed without a response
	}{
		{name: "CL+TE smuggling", wantStatus: http.StatusBadRequest,
			give: "POST http://" + host + "/ HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 6\r\n" +
				"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: " + host + "\r\n\r\n"},
		{name: "header over max_header_bytes", wantStatus: http.StatusRequestHeaderFieldsTooLarge,
			give: "GET http://" + host + "/ HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n"},
		{name: "stalled headers", give: "GET http://" + host + "/ HTTP/1.1\r\nHost: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", proxyAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tt.give); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			if tt.wantStatus == 0 {
				start := time.Now()
				if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
					t.Fatalf("read: %v, want EOF (closed after read_header)", err)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("closed after %v, want about %v", d, cfg.Timeouts.ReadHeader)
				}
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("upstream got %d requests, want 0", n)
	}
}
