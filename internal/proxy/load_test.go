package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// discard is an upstream that reads every body and answers its size.
func discard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	})
}

// slowPost sends one request whose body of size bytes arrives in pieces
// with pause between them, and returns the status (0: no response).
func slowPost(addr, target string, body []byte, pieces int, pause time.Duration) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(25 * time.Second))
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", target, len(body)); err != nil {
		return 0, err
	}
	step := (len(body) + pieces - 1) / pieces
	for b := body; len(b) > 0; {
		n := min(step, len(b))
		if _, err := c.Write(b[:n]); err != nil {
			return 0, err
		}
		b = b[n:]
		if len(b) > 0 {
			time.Sleep(pause)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// memSample is the process's Go memory in use: heap and stacks.
func memSample() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

// perConnBound is the documented memory bound per concurrent connection
// carrying a held body of up to 64 KiB (docs/hardening.md), measured for
// the whole process: client, proxy and upstream sides, garbage not yet
// collected included.
const perConnBound = 512 << 10

// TestThousandSlowClients: 1,000 concurrent clients each send a 64 KiB body
// in four pieces over 0.6 s. All are answered, within 30 s, and the
// process's memory (heap and stacks, proxy, upstream and clients together)
// grows by less than perConnBound per connection.
func TestThousandSlowClients(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("1,000 connections: skipped with -short and under the race detector (its goroutine limit)")
	}
	const clients, size = 1000, 64 << 10
	up := httptest.NewServer(discard())
	t.Cleanup(up.Close)
	p := &Proxy{Policy: (&byteRules{settings: Settings{HoldSize: 1 << 20}}).policy()}
	pu := startProxy(t, p)
	body := pattern(size)
	runtime.GC()
	base := memSample()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if m := memSample(); m > peak.Load() {
					peak.Store(m)
				}
			}
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Pointer[string]
	for range clients {
		wg.Go(func() {
			status, err := slowPost(pu.Host, up.URL+"/u", body, 4, 200*time.Millisecond)
			if status != 200 {
				failed.Add(1)
				msg := fmt.Sprintf("status %d: %v", status, err)
				firstErr.CompareAndSwap(nil, &msg)
			}
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	elapsed := time.Since(start)
	growth := int64(peak.Load()) - int64(base)
	t.Logf("%d clients x %d KiB: %v, peak growth %.1f MiB (%.0f KiB per connection)",
		clients, size>>10, elapsed.Round(time.Millisecond), float64(growth)/(1<<20), float64(growth)/clients/1024)
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d clients failed; first: %s", n, clients, *firstErr.Load())
	}
	if elapsed > 30*time.Second {
		t.Errorf("took %v, want under 30s", elapsed)
	}
	if growth > clients*perConnBound {
		t.Errorf("memory grew by %d MiB, want under %d MiB", growth>>20, clients*perConnBound>>20)
	}
}

// TestInspectionBackPressure: with one inspection slot taken by a slow
// upload, another request waits InspectionWait, then gets 503 with
// Retry-After; once the slot is free, requests pass again.
func TestInspectionBackPressure(t *testing.T) {
	up := httptest.NewServer(discard())
	t.Cleanup(up.Close)
	m := newFakeMetrics()
	p := &Proxy{Policy: (&byteRules{settings: Settings{HoldSize: 1 << 20}}).policy(), Metrics: m,
		MaxInspections: 1, InspectionWait: 200 * time.Millisecond}
	pu := startProxy(t, p)
	slow := make(chan int, 1)
	go func() {
		status, _ := slowPost(pu.Host, up.URL+"/slow", pattern(4096), 4, 300*time.Millisecond)
		slow <- status
	}()
	waitFor(t, func() bool { return m.get("active_inspections") == 1 }, "the slow upload to take the slot")
	client := proxyClient(t, pu, nil)
	resp, err := client.Post(up.URL+"/u", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("while busy: status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := <-slow; got != 200 {
		t.Errorf("slow upload: status %d, want 200", got)
	}
	resp, err = client.Post(up.URL+"/u", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the slot is free: status %d, want 200", resp.StatusCode)
	}
	if got := m.get("denied/" + DeniedOverload); got != 1 {
		t.Errorf("denied/overload = %v, want 1", got)
	}
}

// TestConnectionLimit: with MaxConnections reached, a new connection is
// not served until one closes; then it is, nothing lost.
func TestConnectionLimit(t *testing.T) {
	up := httptest.NewServer(discard())
	t.Cleanup(up.Close)
	p := &Proxy{Policy: (&byteRules{}).policy(), MaxConnections: 2}
	pu := startProxy(t, p)
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", pu.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	c, err := net.Dial("tcp", pu.Host) // completes in the kernel's backlog
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s/x HTTP/1.1\r\nHost: x\r\n\r\n", up.URL)
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); !isTimeout(err) {
		t.Fatalf("third connection answered while two are open (%v)", err)
	}
	_ = idle[0].Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("after a slot freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
}

// TestGracefulShutdown: a slow upload in flight when Shutdown starts
// completes with its answer; new connections are refused meanwhile.
func TestGracefulShutdown(t *testing.T) {
	up := httptest.NewServer(discard())
	t.Cleanup(up.Close)
	p := &Proxy{Policy: (&byteRules{settings: Settings{HoldSize: 1 << 20}}).policy()}
	allowLoopback(p)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer(nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(p.Listener(ln)) }()
	t.Cleanup(p.tr.CloseIdleConnections)
	body := pattern(300 << 10)
	result := make(chan string, 1)
	go func() {
		status, err := slowPost(ln.Addr().String(), up.URL+"/u", body, 6, 200*time.Millisecond)
		result <- fmt.Sprint(status, err)
	}()
	time.Sleep(300 * time.Millisecond) // the upload is under way
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	if got := <-result; got != "200 <nil>" {
		t.Errorf("in-flight upload: %s, want 200", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	<-served
}

// TestReloadUnderLoad: 40 clients send 10 requests each, clean and
// PI-bearing, while the policy is swapped 30 times: every clean request
// passes, every PI-bearing one is blocked, none fails.
func TestReloadUnderLoad(t *testing.T) {
	snaps := []*policy.Snapshot{compilePolicy(t), compilePolicy(t, `version: "default-2026.2"`, `version: "reloaded"`)}
	var current atomic.Pointer[policy.Snapshot]
	current.Store(snaps[0])
	up := httptest.NewServer(discard())
	t.Cleanup(up.Close)
	p := &Proxy{Policy: NewPolicySource(current.Load, inspect.Config{}).Rules}
	client := proxyClient(t, startProxy(t, p), nil)
	recs := corpus.Records(41, 60)
	pi := corpus.CSV(recs, corpus.CSVOptions{}).Data
	clean := pattern(20 << 10)
	done := make(chan struct{})
	var reloader sync.WaitGroup
	reloader.Go(func() {
		for i := 0; i < 30; i++ {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			current.Store(snaps[i%2])
		}
	})
	var wg sync.WaitGroup
	var errs atomic.Int64
	var firstErr atomic.Pointer[string]
	for c := range 40 {
		wg.Go(func() {
			for i := range 10 {
				body, want := clean, 200
				if (c+i)%2 == 0 {
					body, want = pi, 403
				}
				resp, err := client.Post(up.URL+"/u", "text/csv", bytes.NewReader(body))
				got := 0
				if err == nil {
					got = resp.StatusCode
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if got != want {
					errs.Add(1)
					msg := fmt.Sprintf("status %d (%v), want %d", got, err, want)
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	reloader.Wait()
	if n := errs.Load(); n > 0 {
		t.Errorf("%d of 400 requests went wrong; first: %s", n, *firstErr.Load())
	}
}

// TestOneEnginePerSnapshot: requests arriving together after a start or a
// reload share one engine build.
func TestOneEnginePerSnapshot(t *testing.T) {
	snap := compilePolicy(t)
	src := NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{})
	engines := make(chan *inspect.Engine, 32)
	var wg sync.WaitGroup
	for range cap(engines) {
		wg.Go(func() { engines <- src.Rules().Engine() })
	}
	wg.Wait()
	close(engines)
	first := <-engines
	for e := range engines {
		if e != first {
			t.Fatal("concurrent first calls built more than one engine")
		}
	}
}
