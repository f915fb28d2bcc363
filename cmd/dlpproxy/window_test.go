package main

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/config"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// dripPolicy blocks a client receiving 100 distinct resident IDs within
// an hour: with 20 records a page, pages 0 to 3 pass and page 4 is
// blocked.
const dripPolicy = `version: drip-serve-1
rules:
  - name: drip-block
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 100}}
    action: block
`

// dripEnv is what the drip tests share: a policy file, a hash key file
// and a clock.
type dripEnv struct {
	dir, policy, hashKey string
	clock                *windowtest.Clock
}

func newDripEnv(t *testing.T) *dripEnv {
	t.Helper()
	e := &dripEnv{dir: t.TempDir(), clock: windowtest.NewClock()}
	e.policy, e.hashKey = filepath.Join(e.dir, "policy.yaml"), filepath.Join(e.dir, "hash.key")
	writeFile(t, e.policy, []byte(dripPolicy))
	writeFile(t, e.hashKey, []byte("serve-window-test-hash-key-0123456789\n"))
	return e
}

// config is a serve configuration on 127.0.0.1 with the drip policy,
// sharing counts on redisAddr unless it is empty.
func (e *dripEnv) config(redisAddr string) *config.Config {
	cfg := config.Default()
	cfg.Listen, cfg.Admin, cfg.Policy = "127.0.0.1:0", "127.0.0.1:0", e.policy
	cfg.AllowDestinations = loopbackDestinations()
	if redisAddr != "" {
		cfg.Window.HashKeyFile = e.hashKey
		cfg.Window.Redis.Addr, cfg.Window.Redis.Timeout = redisAddr, time.Second
	}
	return cfg
}

// serve runs one dlpproxy serve on cfg with the env's clock and returns
// a client using it, its admin address and its log.
func (e *dripEnv) serve(t *testing.T, cfg *config.Config) (*http.Client, string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger, logSink, err := accesslog.New(accesslog.Options{Stderr: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logSink.Close() })
	proxyAddr, adminAddr := startServe(t, cfg, serveDeps{logger: logger, now: e.clock.Now})
	tr := &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr})}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}, adminAddr, logs
}

func (e *dripEnv) scraper(t *testing.T, clients ...*http.Client) *windowtest.Scraper {
	return &windowtest.Scraper{T: t, Upstream: windowtest.PageServer(t).URL, Proxies: clients, Clock: e.clock}
}

func TestServeDripScraperBlockedThenWindowExpires(t *testing.T) {
	e := newDripEnv(t)
	c, admin, logs := e.serve(t, e.config(""))
	s := e.scraper(t, c)
	s.WantPages(0, 7, 4)
	status, page, _ := s.Get(7)
	// Values of blocked pages count too: 8 pages of 20.
	if want := "rule drip-block: 160 cn_resident_id within 1h0m0s for client=127.0.0.1"; status != http.StatusForbidden || !strings.Contains(page, want) {
		t.Errorf("block page: status %d, want %q in\n%s", status, want, page)
	}
	if v := scrape(t, admin, "dlp_window_tracked_keys", nil); v != 1 {
		t.Errorf("dlp_window_tracked_keys = %v, want 1", v)
	}
	if v := scrape(t, admin, "dlp_incidents_total", map[string]string{"rule": "drip-block", "action": "block"}); v < 3 {
		t.Errorf("dlp_incidents_total{drip-block,block} = %v, want >= 3", v)
	}
	// Every value was last seen within the hour; an hour later the
	// window is empty and the scraper passes again.
	e.clock.Advance(time.Hour)
	s.WantPages(100, 103, 1000)
	if !strings.Contains(logs.String(), `"window":{"rule":"drip-block","key":"client=127.0.0.1"`) {
		t.Errorf("no window object in the incidents:\n%s", logs.String())
	}
	assertNoRawValues(t, logs.String(), 103*windowtest.PageSize)
}

func TestServeDripTwoReplicasShareRedis(t *testing.T) {
	srv := windowtest.StartRedis(t)
	e := newDripEnv(t)
	a, adminA, _ := e.serve(t, e.config(srv.Addr))
	b, _, _ := e.serve(t, e.config(srv.Addr))
	// Alternating replicas: one budget of 100, not one each.
	e.scraper(t, a, b).WantPages(0, 7, 4)
	if v := scrape(t, adminA, "dlp_window_fallbacks_total", nil); v != 0 {
		t.Errorf("dlp_window_fallbacks_total = %v with Redis up", v)
	}
}

func TestServeDripRedisStopped(t *testing.T) {
	srv := windowtest.StartRedis(t)
	e := newDripEnv(t)
	c, admin, logs := e.serve(t, e.config(srv.Addr))
	s := e.scraper(t, c)
	s.WantPages(0, 2, 1000)
	srv.Stop()
	// Traffic keeps flowing on local counts (this replica saw every
	// page), and the budget still holds.
	s.WantPages(2, 7, 4)
	if v := scrape(t, admin, "dlp_window_store_errors_total", nil); v < 1 {
		t.Errorf("dlp_window_store_errors_total = %v, want >= 1", v)
	}
	if v := scrape(t, admin, "dlp_window_fallbacks_total", nil); v < 5 {
		t.Errorf("dlp_window_fallbacks_total = %v, want >= 5", v)
	}
	if !strings.Contains(logs.String(), "window store unavailable; counting locally") {
		t.Error("the Redis outage is not logged")
	}
}

func TestServeRejectsSharedRedisWithoutHashKey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dlpproxy.yaml")
	writeFile(t, cfgPath, []byte("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nwindow: {redis: {addr: 127.0.0.1:6379}}\n"))
	var stderr bytes.Buffer
	if code := run([]string{"serve", "--config", cfgPath}, nil, &stderr, &stderr); code != exitError {
		t.Fatalf("exit code %d, want %d", code, exitError)
	}
	if want := "window.redis.addr: replicas sharing Redis need window.hash_key_file"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
}

// assertNoRawValues fails if a PI value of the first n records of the
// paging API appears in logs.
func assertNoRawValues(t *testing.T, logs string, n int) {
	t.Helper()
	for _, r := range corpus.Records(1, n) {
		for _, v := range []string{r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Passport} {
			if strings.Contains(logs, v) {
				t.Fatalf("a raw value (%s...) appears in the logs", v[:3])
			}
		}
	}
}
