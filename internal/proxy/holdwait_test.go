package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pausingHandler answers a chunked JSON response: first, then a pause until
// resume is closed (or the request ends), then rest.
func pausingHandler(first, rest []byte, resume <-chan struct{}) http.HandlerFunc {
	return streamHandler("application/json", []string{string(first), string(rest)}, resume)
}

// holdWaitEnv is a proxy holding bodies up to 1 MiB, chunked ones for at
// most 200 ms, with a plain and a TLS upstream serving h.
func holdWaitEnv(t *testing.T, rules *byteRules, h http.Handler) (*env, map[string]string) {
	t.Helper()
	rules.settings = Settings{HoldSize: 1 << 20, HoldWait: 200 * time.Millisecond}
	plain, tlsUp := httptest.NewServer(h), httptest.NewTLSServer(h)
	t.Cleanup(plain.Close)
	t.Cleanup(tlsUp.Close)
	e := newEnv(t, rules, func(p *Proxy) { p.ConnectPorts = append(p.ConnectPorts, portOf(t, tlsUp.URL)) })
	return e, map[string]string{"http": plain.URL, "https": tlsUp.URL}
}

// TestChunkedResponseNotStalled: a chunked response that pauses (a watch, a
// long poll) is held only for the policy's hold_wait, not until it has sent
// hold_size: its headers and what has passed inspection reach the client
// while the upstream waits, and the rest follows unchanged.
func TestChunkedResponseNotStalled(t *testing.T) {
	first, rest := pattern(8<<10), pattern(100<<10)
	resumes := map[string]chan struct{}{"http": make(chan struct{}), "https": make(chan struct{})}
	var current atomic.Pointer[chan struct{}]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pausingHandler(first, rest, *current.Load())(w, r)
	})
	e, bases := holdWaitEnv(t, &byteRules{}, h)
	for scheme, base := range bases {
		t.Run(scheme, func(t *testing.T) {
			resume := resumes[scheme]
			current.Store(&resume)
			type result struct {
				resp *http.Response
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := e.client.Get(base + "/watch")
				got <- result{resp, err}
			}()
			var resp *http.Response
			select {
			case r := <-got:
				if r.err != nil {
					t.Fatal(r.err)
				}
				resp = r.resp
			case <-time.After(3 * time.Second):
				close(resume) // let the upstream finish
				t.Fatal("no response headers while the upstream pauses: the chunked body is held")
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			var n atomic.Int64
			done := make(chan error, 1)
			go func() {
				buf := make([]byte, 32<<10)
				for {
					k, err := resp.Body.Read(buf)
					body.Write(buf[:k])
					n.Add(int64(k))
					if err != nil {
						done <- err
						return
					}
				}
			}()
			deadline := time.Now().Add(3 * time.Second)
			for n.Load() < int64(len(first))-1024 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if k := n.Load(); k < int64(len(first))-1024 {
				t.Fatalf("%d of the first %d bytes arrived while the upstream paused", k, len(first))
			}
			close(resume)
			if err := <-done; err != io.EOF {
				t.Fatalf("body ended with %v, want EOF", err)
			}
			if !bytes.Equal(body.Bytes(), append(append([]byte{}, first...), rest...)) {
				t.Errorf("body differs: %d bytes, want %d", body.Len(), len(first)+len(rest))
			}
		})
	}
}

// TestChunkedResponseBlockAfterWait: once a paused chunked response
// streams, a block cuts it like any streaming download: the client has its
// headers and fewer bytes than the threshold, and the body never ends
// cleanly. A chunked response that ends within the wait is still held
// whole: its block is a clean page.
func TestChunkedResponseBlockAfterWait(t *testing.T) {
	resume := make(chan struct{})
	close(resume) // the pause is the handler's own: see below
	first, rest := pattern(4<<10), pattern(300<<10)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/quick" {
			pausingHandler(first, rest, resume)(w, r)
			return
		}
		pause := make(chan struct{})
		time.AfterFunc(600*time.Millisecond, func() { close(pause) })
		pausingHandler(first, rest, pause)(w, r)
	})
	e, bases := holdWaitEnv(t, &byteRules{blockAt: 64 << 10}, h)
	for scheme, base := range bases {
		t.Run(scheme+"/paused", func(t *testing.T) {
			resp, err := e.client.Get(base + "/paused")
			if err != nil {
				t.Fatal(err)
			}
			got, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || rerr == nil {
				t.Fatalf("status %d, read error %v after %d bytes; want 200 and the body cut", resp.StatusCode, rerr, len(got))
			}
			if len(got) >= 64<<10 {
				t.Errorf("client received %d bytes, want fewer than the %d of the threshold", len(got), 64<<10)
			}
		})
		t.Run(scheme+"/quick", func(t *testing.T) {
			resp, err := e.client.Get(base + "/quick")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(got), "事件编号") {
				t.Errorf("status %d, body %.80q; want the block page", resp.StatusCode, got)
			}
		})
	}
}
