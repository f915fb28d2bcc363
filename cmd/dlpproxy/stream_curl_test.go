package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBinaryStreamsWithCurl: through the built binary under its embedded
// default policy (1 MiB hold size), curl sees streamed answers as they are
// written, over intercepted HTTPS: an NDJSON chat answer and a Kubernetes
// watch line by line, and a chunked JSON response that pauses once
// hold_wait (1 s) has passed.
func TestBinaryStreamsWithCurl(t *testing.T) {
	curl := needCurl(t)
	f := newFixture(t)
	streams := map[string]struct {
		ctype  string
		pieces []string
	}{
		"/api/chat": {"application/x-ndjson", []string{
			`{"message":{"content":"你好"},"done":false}` + "\n",
			`{"message":{"content":"，今天 12 点见"},"done":false}` + "\n",
			`{"done":true}` + "\n",
		}},
		"/api/v1/pods": {"application/json;stream=watch", []string{
			`{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}` + "\n",
			`{"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a"}}}` + "\n",
		}},
		"/report": {"application/json", []string{
			`{"rows":[` + strings.Repeat(`{"n":12,"v":"clean"},`, 400), // 8 KiB, then a pause
			`{"n":0}]}` + "\n",
		}},
	}
	// One channel per stream: the handler of a stream whose subtest failed
	// may still wait, and must not take the next stream's signal.
	next := make(map[string]chan struct{}, len(streams))
	for path := range streams {
		next[path] = make(chan struct{})
	}
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := streams[r.URL.Path]
		w.Header().Set("Content-Type", st.ctype)
		for _, piece := range st.pieces {
			_, _ = w.Write([]byte(piece))
			w.(http.Flusher).Flush()
			select {
			case <-next[r.URL.Path]:
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
				return
			}
		}
	}))
	t.Cleanup(up.Close)
	proxyAddr, _ := f.startBinary(t, up.Listener.Addr().(*net.TCPAddr).Port)
	for path, st := range streams {
		t.Run(path, func(t *testing.T) {
			// --max-time bounds the wait for curl's end (deferred below).
			cmd := exec.Command(curl, "-sS", "-N", "--max-time", "60", "-x", "http://"+proxyAddr, "--cacert", filepath.Join(f.caDir, "ca.crt"), up.URL+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Wait() }()
			r := bufio.NewReader(out)
			for i, piece := range st.pieces {
				// What must reach curl while the upstream waits: a whole
				// record of a live stream; of another chunked body, all
				// but the inspection's holdback (512 bytes).
				want := len(piece)
				if path == "/report" {
					want = max(want-1024, 1)
				}
				got := make(chan int, 1)
				go func() {
					n, _ := io.ReadAtLeast(r, make([]byte, want), want)
					got <- n
				}()
				select {
				case n := <-got:
					if n < want {
						t.Fatalf("piece %d: %d bytes before the end, want %d", i, n, want)
					}
				case <-time.After(5 * time.Second):
					_ = cmd.Process.Kill()
					t.Fatalf("piece %d did not reach curl while the upstream waited", i)
				}
				select {
				case next[path] <- struct{}{}: // the upstream sends the next piece
				case <-time.After(5 * time.Second):
					_ = cmd.Process.Kill()
					t.Fatalf("the upstream stopped waiting after piece %d", i)
				}
			}
		})
	}
}
