package window

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
)

// windowRules is how the proxy is meant to use a Tracker (see
// docs/window.md, "Integration"): the policy source's rules, with scopes
// that decide through the tracker.
type windowRules struct {
	proxy.Rules
	snap *policy.Snapshot
	tr   *Tracker
}

func (r windowRules) Scope(m proxy.Message) proxy.Scope {
	dir := policy.Request
	if m.Direction == proxy.Response {
		dir = policy.Response
	}
	sc := r.snap.Scope(policy.Message{Direction: dir, Host: m.Host, Method: m.Method,
		ContentType: m.ContentType, User: m.User, Client: m.Client})
	if sc.Empty() {
		return nil
	}
	return &windowScope{m: r.tr.Begin(sc), snap: r.snap}
}

type windowScope struct {
	m    *Message
	snap *policy.Snapshot
}

func (s *windowScope) Decide(t *inspect.Tally) proxy.Decision {
	d := s.m.Decide(t)
	out := proxy.Decision{LogRules: s.snap.RuleNames(d.Logs)}
	switch d.Action {
	case policy.Block:
		out.Action = proxy.Block
	case policy.Log:
		out.Action = proxy.Log
	default:
		return out
	}
	out.Rule = s.snap.Rule(d.Rule).Name
	return out
}

// pageServer serves /page?n=N: records 20N..20N+19 as CSV.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil {
			http.Error(w, "bad page", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(page(20*n, 20))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startProxy serves a proxy deciding through tr on 127.0.0.1 and returns
// a client that uses it.
func startProxy(t *testing.T, snap *policy.Snapshot, tr *Tracker) *http.Client {
	t.Helper()
	engine := newEngine(t)
	src := proxy.NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{HashKey: hashKey})
	rules := windowRules{Rules: src.Rules(), snap: snap, tr: tr}
	p := &proxy.Proxy{Policy: func() proxy.Rules { return rules }, Engine: engine}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(p.Listener(ln))
	}()
	tr2 := &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: ln.Addr().String()})}
	t.Cleanup(func() {
		tr2.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		p.CloseConnections()
		<-done
	})
	return &http.Client{Transport: tr2, Timeout: 10 * time.Second}
}

// get fetches page n and returns the status and body.
func get(t *testing.T, c *http.Client, upstream string, n int) (int, string) {
	t.Helper()
	resp, err := c.Get(upstream + "/page?n=" + strconv.Itoa(n))
	if err != nil {
		t.Fatalf("page %d: %v", n, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("page %d body: %v", n, err)
	}
	return resp.StatusCode, string(body)
}

// wantPages expects status 200 for pages before blockAt and 403 from it.
func wantPages(t *testing.T, clients []*http.Client, upstream string, from, to, blockAt int, clock *fakeClock) {
	t.Helper()
	for n := from; n < to; n++ {
		clock.Advance(time.Minute)
		status, body := get(t, clients[n%len(clients)], upstream, n)
		want := http.StatusOK
		if n >= blockAt {
			want = http.StatusForbidden
		}
		if status != want {
			t.Fatalf("page %d via proxy %d: status %d, want %d", n, n%len(clients), status, want)
		}
		if want == http.StatusOK && len(body) < 20*18 {
			t.Fatalf("page %d: short body (%d bytes)", n, len(body))
		}
	}
}

// e2ePolicy blocks a client receiving 100 distinct resident IDs in an
// hour: 5 pages of 20 pass, the sixth would reach 100.
const e2ePolicy = `version: e2e-1
rules:
  - name: drip-block
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 100}}
    action: block
`

func TestProxyPagingScraper(t *testing.T) {
	snap := compile(t, e2ePolicy)
	upstream := pageServer(t).URL
	clock := newClock()
	c := startProxy(t, snap, newTracker(t, Config{HashKey: hashKey, Now: clock.Now}))
	wantPages(t, []*http.Client{c}, upstream, 0, 8, 4, clock)
	// An hour later the window has room again.
	clock.Advance(time.Hour)
	wantPages(t, []*http.Client{c}, upstream, 100, 102, 1000, clock)
}

func TestProxyTwoReplicasShareRedis(t *testing.T) {
	srv := startRedis(t)
	snap := compile(t, e2ePolicy)
	upstream := pageServer(t).URL
	clock := newClock()
	var clients []*http.Client
	for range 2 {
		r, err := NewRedis(RedisConfig{Addr: srv.Addr, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		clients = append(clients, startProxy(t, snap, newTracker(t, Config{HashKey: hashKey, Shared: r, Now: clock.Now, Timeout: time.Second})))
	}
	// Alternating replicas: one budget of 100, not two.
	wantPages(t, clients, upstream, 0, 7, 4, clock)
}

func TestProxyRedisStoppedMidTest(t *testing.T) {
	srv := startRedis(t)
	snap := compile(t, e2ePolicy)
	upstream := pageServer(t).URL
	clock := newClock()
	r, err := NewRedis(RedisConfig{Addr: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var met countingMetrics
	c := startProxy(t, snap, newTracker(t, Config{HashKey: hashKey, Shared: r, Now: clock.Now, Metrics: &met}))
	wantPages(t, []*http.Client{c}, upstream, 0, 2, 1000, clock)
	srv.Stop()
	// Traffic keeps flowing on local counts, and the budget still holds.
	wantPages(t, []*http.Client{c}, upstream, 2, 7, 4, clock)
	if met.errors.Load() == 0 || met.fallbacks.Load() < 5 {
		t.Errorf("store errors %d, fallbacks %d", met.errors.Load(), met.fallbacks.Load())
	}
}
