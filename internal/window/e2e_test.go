package window_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
	"github.com/dlpproxy/dlpproxy/internal/window"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// startProxy serves a proxy on 127.0.0.1 wired as dlpproxy serve wires
// it (proxy.NewPolicySource with proxy.WithWindows, engine and tracker
// sharing the hash key) and returns a client that uses it.
func startProxy(t *testing.T, snap *policy.Snapshot, tr *window.Tracker) *http.Client {
	t.Helper()
	src := proxy.NewPolicySource(func() *policy.Snapshot { return snap },
		inspect.Config{HashKey: window.HashKeyForTest}, proxy.WithWindows(tr))
	// The paging API runs on 127.0.0.1: loopback destinations are refused
	// by default, so the test opts in.
	p := &proxy.Proxy{Policy: src.Rules, AllowedDestinations: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	}}
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

// e2ePolicy blocks a client receiving 100 distinct resident IDs in an
// hour: 4 pages of 20 pass, the fifth would reach 100.
const e2ePolicy = `version: e2e-1
rules:
  - name: drip-block
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 100}}
    action: block
`

// scraper returns a scraper of a fresh paging API through clients.
func scraper(t *testing.T, clock *windowtest.Clock, clients ...*http.Client) *windowtest.Scraper {
	return &windowtest.Scraper{T: t, Upstream: windowtest.PageServer(t).URL, Proxies: clients, Clock: clock}
}

func TestProxyPagingScraper(t *testing.T) {
	snap := window.CompileForTest(t, e2ePolicy)
	clock := windowtest.NewClock()
	c := startProxy(t, snap, window.NewTrackerForTest(t, window.Config{HashKey: window.HashKeyForTest, Now: clock.Now}))
	s := scraper(t, clock, c)
	s.WantPages(0, 8, 4)
	// An hour later the window has room again.
	clock.Advance(time.Hour)
	s.WantPages(100, 102, 1000)
}

func TestProxyTwoReplicasShareRedis(t *testing.T) {
	srv := windowtest.StartRedis(t)
	snap := window.CompileForTest(t, e2ePolicy)
	clock := windowtest.NewClock()
	var clients []*http.Client
	for range 2 {
		r, err := window.NewRedis(window.RedisConfig{Addr: srv.Addr, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		tr := window.NewTrackerForTest(t, window.Config{HashKey: window.HashKeyForTest, Shared: r, Now: clock.Now, Timeout: time.Second})
		clients = append(clients, startProxy(t, snap, tr))
	}
	// Alternating replicas: one budget of 100, not two.
	scraper(t, clock, clients...).WantPages(0, 7, 4)
}

func TestProxyRedisStoppedMidTest(t *testing.T) {
	srv := windowtest.StartRedis(t)
	snap := window.CompileForTest(t, e2ePolicy)
	clock := windowtest.NewClock()
	r, err := window.NewRedis(window.RedisConfig{Addr: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var met window.CountingMetricsForTest
	c := startProxy(t, snap, window.NewTrackerForTest(t, window.Config{HashKey: window.HashKeyForTest, Shared: r, Now: clock.Now, Metrics: &met}))
	s := scraper(t, clock, c)
	s.WantPages(0, 2, 1000)
	srv.Stop()
	// Traffic keeps flowing on local counts, and the budget still holds.
	s.WantPages(2, 7, 4)
	if errs, fallbacks := met.Counts(); errs == 0 || fallbacks < 5 {
		t.Errorf("store errors %d, fallbacks %d", errs, fallbacks)
	}
}
