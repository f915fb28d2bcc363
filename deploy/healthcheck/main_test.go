package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := newLoopbackServer(t, mux)

	tests := []struct {
		name string
		give []string
		want int
	}{
		{name: "healthy", give: []string{srv.URL + "/ok"}, want: 0},
		{name: "not ready", give: []string{srv.URL + "/down"}, want: 1},
		{name: "timeout", give: []string{"-timeout", "100ms", srv.URL + "/slow"}, want: 1},
		{name: "bad flag", give: []string{"-nope"}, want: 2},
		{name: "bad url", give: []string{"http://127.0.0.1:0/\x7f"}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(tt.give, io.Discard); got != tt.want {
				t.Errorf("run(%q) = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}

// newLoopbackServer starts an httptest server bound to 127.0.0.1 only.
func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
