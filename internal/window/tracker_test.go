package window

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// dripPolicy blocks a client that receives 200 distinct resident IDs
// within an hour, and logs one that receives 100.
const dripPolicy = `version: drip-1
rules:
  - name: block-bulk
    direction: both
    when: {any: {cn_resident_id: 50}}
    action: block
  - name: drip-block
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 200}}
    action: block
  - name: drip-log
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 100}}
    action: log
`

func compile(t testing.TB, src string) *policy.Snapshot {
	t.Helper()
	s, _, err := policy.Compile("drip.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// countingMetrics counts the tracker's measurements.
type countingMetrics struct{ errors, fallbacks atomic.Int64 }

func (m *countingMetrics) WindowStoreError() { m.errors.Add(1) }
func (m *countingMetrics) WindowFallback()   { m.fallbacks.Add(1) }

// scraper fetches pages of 20 records for one client through a tracker.
type scraper struct {
	t      testing.TB
	engine *inspect.Engine
	snap   *policy.Snapshot
	tr     *Tracker
	client netip.Addr
}

// fetch scans page n (records 20n..20n+19) as one response message and
// returns the decision and the status of the deciding window rule.
func (s *scraper) fetch(n int) (policy.Decision, *Message) {
	return s.message(windowtest.Page(20*n, 20))
}

func (s *scraper) message(body []byte) (policy.Decision, *Message) {
	sc := s.snap.Scope(policy.Message{Direction: policy.Response, Host: "api.internal.example", Method: "GET", Client: s.client})
	m := s.tr.Begin(sc)
	scn := s.engine.NewScanner()
	defer scn.Release()
	var d policy.Decision
	// Two chunks, each decided, as the proxy does.
	half := len(body) / 2
	for _, chunk := range [][]byte{body[:half], body[half:]} {
		if _, err := scn.Write(chunk); err != nil {
			s.t.Fatal(err)
		}
		if d = m.Decide(scn.Tally()); d.Action == policy.Block {
			return d, m
		}
	}
	if err := scn.Close(); err != nil {
		s.t.Fatal(err)
	}
	return m.Decide(scn.Tally()), m
}

func ruleName(s *policy.Snapshot, d policy.Decision) string {
	if d.Rule < 0 {
		return ""
	}
	return s.Rule(d.Rule).Name
}

func newTracker(t testing.TB, cfg Config) *Tracker {
	t.Helper()
	if cfg.Local == nil {
		l, err := NewLocal(LocalConfig{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Local = l
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestPagingScraperBlocked(t *testing.T) {
	clock := windowtest.NewClock()
	snap := compile(t, dripPolicy)
	s := &scraper{t: t, engine: newEngine(t), snap: snap, client: netip.MustParseAddr("10.0.0.5"),
		tr: newTracker(t, Config{HashKey: hashKey, Now: clock.Now})}
	other := &scraper{t: t, engine: s.engine, snap: snap, client: netip.MustParseAddr("10.0.0.6"), tr: s.tr}
	tests := []struct {
		page     int
		wantAct  policy.Action
		wantRule string
		wantIDs  int
	}{
		{0, policy.Allow, "", 20},
		{1, policy.Allow, "", 40},
		{1, policy.Allow, "", 40}, // the same page again: no new records
		{4, policy.Allow, "", 60},
		{5, policy.Allow, "", 80},
		{6, policy.Log, "drip-log", 100},
		{7, policy.Log, "drip-log", 120},
		{8, policy.Log, "drip-log", 140},
		{9, policy.Log, "drip-log", 160},
		{10, policy.Log, "drip-log", 180},
		{11, policy.Block, "drip-block", 200}, // the page that would reach 200 never passes
		{12, policy.Block, "drip-block", 200}, // blocked at its first chunk: at least 200
	}
	for _, tt := range tests {
		clock.Advance(time.Minute)
		d, m := s.fetch(tt.page)
		st, _ := m.Status(1)
		ids := st.Counts[inspect.ResidentID]
		if d.Action != tt.wantAct || ruleName(snap, d) != tt.wantRule || ids != tt.wantIDs && (tt.wantAct != policy.Block || ids < tt.wantIDs || ids > tt.wantIDs+20) {
			t.Fatalf("page %d: %v %q with %d ids, want %v %q with %d", tt.page, d.Action, ruleName(snap, d), ids, tt.wantAct, tt.wantRule, tt.wantIDs)
		}
	}
	// A blocked key stays blocked, even for a message without records.
	if d, m := s.message([]byte("no records here")); d.Action != policy.Block {
		t.Errorf("empty message after the block: %v", d.Action)
	} else if st, _ := m.Status(d.Rule); st.Key != "client=10.0.0.5" || st.Window != time.Hour || st.Local != true {
		t.Errorf("status %+v", st)
	} else if got := st.String(); !strings.HasPrefix(got, "rule drip-block: 2") || !strings.HasSuffix(got, " cn_resident_id within 1h0m0s for client=10.0.0.5 (this replica only)") {
		t.Errorf("status string %q", got)
	}
	// Another client has its own budget.
	if d, _ := other.fetch(0); d.Action != policy.Allow {
		t.Errorf("other client: %v", d.Action)
	}
	// The window slides: an hour after the last records, the key is free.
	clock.Advance(time.Hour)
	if d, _ := s.fetch(20); d.Action != policy.Allow {
		t.Errorf("after the window: %v %q", d.Action, ruleName(snap, d))
	}
}

// TestPagingScraperSharedRedis runs two trackers (two replicas) on one
// Redis: the scraper alternates between them and is blocked at the one
// budget, not at twice it.
func TestPagingScraperSharedRedis(t *testing.T) {
	srv := windowtest.StartRedis(t)
	clock := windowtest.NewClock()
	snap := compile(t, dripPolicy)
	engine := newEngine(t)
	client := netip.MustParseAddr("10.0.0.5")
	var replicas [2]*scraper
	for i := range replicas {
		r, err := NewRedis(RedisConfig{Addr: srv.Addr, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		replicas[i] = &scraper{t: t, engine: engine, snap: snap, client: client,
			tr: newTracker(t, Config{HashKey: hashKey, Shared: r, Now: clock.Now, Timeout: time.Second})}
	}
	for n := range 12 {
		clock.Advance(time.Minute)
		d, m := replicas[n%2].fetch(n)
		st, _ := m.Status(1)
		want := policy.Allow
		switch {
		case n >= 9: // 200 ids with page 9
			want = policy.Block
		case n >= 4: // 100 ids with page 4
			want = policy.Log
		}
		if d.Action != want || st.Local {
			t.Fatalf("page %d on replica %d: %v with %d ids (local %v), want %v", n, n%2, d.Action, st.Counts[inspect.ResidentID], st.Local, want)
		}
	}
}

// TestRedisDownFallsBack stops Redis mid-test: traffic is decided on
// local counts without errors, the outage is logged once and counted, and
// the window still blocks.
func TestRedisDownFallsBack(t *testing.T) {
	srv := windowtest.StartRedis(t)
	clock := windowtest.NewClock()
	snap := compile(t, dripPolicy)
	r, err := NewRedis(RedisConfig{Addr: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	core, logs := observer.New(zapcore.DebugLevel)
	var met countingMetrics
	s := &scraper{t: t, engine: newEngine(t), snap: snap, client: netip.MustParseAddr("10.0.0.5"),
		tr: newTracker(t, Config{HashKey: hashKey, Shared: r, Now: clock.Now, Logger: zap.New(core), Metrics: &met})}
	for n := range 3 {
		clock.Advance(time.Minute)
		if d, m := s.fetch(n); d.Action != policy.Allow {
			t.Fatalf("page %d with Redis up: %v", n, d.Action)
		} else if st, _ := m.Status(1); st.Local {
			t.Fatalf("page %d counted locally with Redis up", n)
		}
	}
	srv.Stop()
	start := time.Now()
	for n := 3; n < 12; n++ {
		clock.Advance(100 * time.Millisecond) // inside RetryAfter: Redis is skipped
		d, m := s.fetch(n)
		want := policy.Allow
		switch {
		case n >= 9: // 200 ids with page 9
			want = policy.Block
		case n >= 4: // 100 ids with page 4
			want = policy.Log
		}
		if st, _ := m.Status(1); d.Action != want || !st.Local {
			t.Fatalf("page %d with Redis down: %v (local %v), want %v", n, d.Action, st.Local, want)
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("9 messages with Redis down took %v: traffic stalled", el)
	}
	if met.errors.Load() != 1 || met.fallbacks.Load() < 9 {
		t.Errorf("store errors %d, fallbacks %d; want 1 and at least 9", met.errors.Load(), met.fallbacks.Load())
	}
	if n := logs.FilterMessage("window store unavailable; counting locally").Len(); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
	// After RetryAfter the store is tried again, fails again, and is
	// counted again without a second log line.
	clock.Advance(2 * time.Second)
	s.fetch(12)
	if met.errors.Load() != 2 || logs.FilterMessage("window store unavailable; counting locally").Len() != 1 {
		t.Errorf("retry: errors %d, outage logs %d", met.errors.Load(), logs.FilterMessage("window store unavailable; counting locally").Len())
	}
	assertNoRawValues(t, logs, 0, 13*20)
}

// assertNoRawValues fails when a resident ID of records [first, last)
// appears in a log entry.
func assertNoRawValues(t *testing.T, logs *observer.ObservedLogs, first, last int) {
	t.Helper()
	var text strings.Builder
	for _, e := range logs.All() {
		text.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			text.WriteString(" " + k + "=")
			text.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(zapAny(v), "\n", " "), "\t", " ")))
		}
	}
	for i := first; i < last; i++ {
		for _, r := range corpus.Records(uint64(i)+1, 1) {
			if strings.Contains(text.String(), r.ResidentID) {
				t.Fatalf("raw resident ID of record %d in the logs", i)
			}
		}
	}
}

func zapAny(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

func TestNewRequiresKeyForSharedStore(t *testing.T) {
	l, _ := NewLocal(LocalConfig{})
	r, err := NewRedis(RedisConfig{Addr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	tests := []struct {
		name string
		give Config
		ok   bool
	}{
		{"no local", Config{}, false},
		{"local only", Config{Local: l}, true},
		{"shared without key", Config{Local: l, Shared: r}, false},
		{"shared with key", Config{Local: l, Shared: r, HashKey: hashKey}, true},
	}
	for _, tt := range tests {
		if _, err := New(tt.give); (err == nil) != tt.ok {
			t.Errorf("%s: New error %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if _, err := NewRedis(RedisConfig{}); err == nil {
		t.Error("NewRedis without an address accepted")
	}
}

// TestSeriesIDKeyed checks that series ids depend on the key, the rule
// and the hash key, and do not contain the key text.
func TestSeriesIDKeyed(t *testing.T) {
	a := newTracker(t, Config{HashKey: hashKey})
	b := newTracker(t, Config{HashKey: []byte("another key")})
	r := policy.RuleInfo{Name: "drip", Window: policy.Window{Key: policy.KeyUser, Duration: time.Hour}}
	r2 := r
	r2.Window.Duration = 2 * time.Hour
	ids := map[string]bool{
		a.seriesID(r, "user=alice"):  true,
		a.seriesID(r, "user=bob"):    true,
		a.seriesID(r2, "user=alice"): true,
		b.seriesID(r, "user=alice"):  true,
	}
	if len(ids) != 4 {
		t.Errorf("series ids collide: %v", ids)
	}
	for id := range ids {
		if len(id) != 24 || strings.Contains(id, "alice") {
			t.Errorf("series id %q", id)
		}
	}
	if a.seriesID(r, "user=alice") != newTracker(t, Config{HashKey: hashKey}).seriesID(r, "user=alice") {
		t.Error("series id differs between trackers sharing a hash key")
	}
}
