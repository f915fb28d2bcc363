package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// forwardProxy is a minimal plain-HTTP forward proxy on 127.0.0.1 that
// refuses CSV uploads with more than maxRows rows, standing in for dlpproxy.
// It forwards to 127.0.0.1 and localhost only, and counts the requests
// per destination host.
func forwardProxy(t *testing.T, maxRows int) (*httptest.Server, *atomic.Int64, *sync.Map) {
	t.Helper()
	var n atomic.Int64
	var hosts sync.Map // host -> *atomic.Int64
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		host, _, _ := net.SplitHostPort(r.URL.Host)
		c, _ := hosts.LoadOrStore(host, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		if host != "127.0.0.1" && host != "localhost" {
			http.Error(w, "loopback only", http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") && bytes.Count(body, []byte("\n")) > maxRows {
			http.Error(w, "blocked", http.StatusForbidden)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := tr.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n, &hosts
}

func TestRun(t *testing.T) {
	proxy, seen, _ := forwardProxy(t, 100)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-proxy", proxy.URL, "-requests", "20", "-rate", "200", "-duration", "20s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	if got := seen.Load(); got != 20 {
		t.Errorf("proxy saw %d requests, want 20", got)
	}
	for _, want := range []string{"clean-upload 204", "clean-download 200", "pi-upload-logged 204", "pi-upload-bulk 403", "pi-download-bulk 200"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunOriginHost: with -origin-host every request names the origin by
// that host (as the compose demo names it by the proxy container's name).
func TestRunOriginHost(t *testing.T) {
	proxy, seen, hosts := forwardProxy(t, 100)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-proxy", proxy.URL, "-origin-host", "localhost", "-requests", "10", "-rate", "200", "-duration", "20s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	c, ok := hosts.Load("localhost")
	if !ok || c.(*atomic.Int64).Load() != 10 || seen.Load() != 10 {
		t.Errorf("proxy saw %d requests, %v of them for localhost; want all 10", seen.Load(), c)
	}
}

func TestRunFailures(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want int
	}{
		{name: "bad flag", give: []string{"-nope"}, want: 2},
		{name: "bad proxy", give: []string{"-proxy", "::"}, want: 2},
		{name: "zero rate", give: []string{"-rate", "0"}, want: 2},
		// Port 1 on loopback: nothing listens, every request fails fast.
		{name: "proxy down", give: []string{"-proxy", "http://127.0.0.1:1", "-requests", "5", "-rate", "100", "-duration", "5s"}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(context.Background(), tt.give, io.Discard, io.Discard); got != tt.want {
				t.Errorf("run(%q) = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}
