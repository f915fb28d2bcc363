package window

import (
	"context"
	"math"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// storeFactory makes an empty store with the given exact limit.
type storeFactory struct {
	name string
	make func(t *testing.T, limit int) Store
}

func storeFactories() []storeFactory {
	return []storeFactory{
		{"local", func(t *testing.T, limit int) Store {
			l, err := NewLocal(LocalConfig{ExactLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"redis", func(t *testing.T, limit int) Store {
			srv := windowtest.StartRedis(t)
			r, err := NewRedis(RedisConfig{Addr: srv.Addr, ExactLimit: limit, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() })
			return r
		}},
	}
}

// step is one Observe of a store test: at offset from the start, add
// hashes of ResidentID and expect the count.
type step struct {
	at   time.Duration
	add  []uint64
	want int
}

// seq returns the hashes from..to-1 (spread so they are not sequential).
func seq(from, to int) []uint64 {
	out := make([]uint64, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, uint64(i)*0x9e3779b97f4a7c15+1)
	}
	return out
}

func TestStoreContract(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "distinct and repeated", steps: []step{
			{at: 0, add: seq(0, 20), want: 20},
			{at: time.Minute, add: seq(10, 30), want: 30},
			{at: 2 * time.Minute, add: nil, want: 30},
		}},
		{name: "values expire one window after last seen", steps: []step{
			{at: 0, add: seq(0, 20), want: 20},
			{at: 30 * time.Minute, add: seq(20, 30), want: 30},
			{at: time.Hour - time.Millisecond, want: 30},
			{at: time.Hour, want: 10},
			{at: 90 * time.Minute, want: 0},
		}},
		{name: "seeing a value again refreshes it", steps: []step{
			{at: 0, add: seq(0, 20), want: 20},
			{at: 50 * time.Minute, add: seq(0, 5), want: 20},
			{at: 70 * time.Minute, want: 5},
		}},
		{name: "unknown series reads zero", steps: []step{
			{at: 0, want: 0},
		}},
	}
	for _, f := range storeFactories() {
		t.Run(f.name, func(t *testing.T) {
			s := f.make(t, 1000)
			start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					series := Series{ID: "contract-" + string(rune('a'+i)), Window: time.Hour}
					for _, st := range tt.steps {
						o := &Observation{}
						o.Add[inspect.ResidentID] = st.add
						o.Want[inspect.ResidentID] = true
						got, err := s.Observe(context.Background(), series, o, start.Add(st.at))
						if err != nil {
							t.Fatalf("at %v: %v", st.at, err)
						}
						if got[inspect.ResidentID] != st.want {
							t.Errorf("at %v: count %d, want %d", st.at, got[inspect.ResidentID], st.want)
						}
						if got[inspect.Mobile] != 0 {
							t.Errorf("at %v: unwanted detector counted %d", st.at, got[inspect.Mobile])
						}
					}
				})
			}
		})
	}
}

// TestStoreOverflow checks the switch to estimating past the exact limit
// and back to exact counting one window after the last overflow.
func TestStoreOverflow(t *testing.T) {
	const limit = 1000
	for _, f := range storeFactories() {
		t.Run(f.name, func(t *testing.T) {
			s := f.make(t, limit)
			start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			series := Series{ID: "overflow", Window: time.Hour}
			observe := func(at time.Duration, add []uint64) int {
				t.Helper()
				o := &Observation{}
				o.Add[inspect.BankCard] = add
				o.Want[inspect.BankCard] = true
				c, err := s.Observe(context.Background(), series, o, start.Add(at))
				if err != nil {
					t.Fatal(err)
				}
				return c[inspect.BankCard]
			}
			// 5000 values in 50 messages over 50 minutes: estimated.
			var got int
			for i := range 50 {
				got = observe(time.Duration(i)*time.Minute, seq(i*100, i*100+100))
			}
			if rel := math.Abs(float64(got)-5000) / 5000; rel > 0.05 {
				t.Errorf("estimate %d for 5000 values (%.1f%% off)", got, rel*100)
			}
			// Long after the last overflow: exact again.
			if got := observe(3*time.Hour, seq(100_000, 100_007)); got != 7 {
				t.Errorf("after the window: %d, want exactly 7", got)
			}
			if got := observe(3*time.Hour+time.Minute, seq(100_000, 100_010)); got != 10 {
				t.Errorf("exact again: %d, want 10", got)
			}
		})
	}
}

func TestLocalEvictsLeastRecentlyUsed(t *testing.T) {
	evicted := 0
	l, err := NewLocal(LocalConfig{MaxKeys: 3, OnEvict: func() { evicted++ }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	add := func(id string, want int) {
		t.Helper()
		o := &Observation{}
		o.Add[inspect.Email] = seq(0, 1)
		o.Want[inspect.Email] = true
		c, _ := l.Observe(context.Background(), Series{ID: id, Window: time.Hour}, o, now)
		if c[inspect.Email] != want {
			t.Errorf("series %s: count %d, want %d", id, c[inspect.Email], want)
		}
	}
	read := func(id string) int {
		o := &Observation{}
		o.Want[inspect.Email] = true
		c, _ := l.Observe(context.Background(), Series{ID: id, Window: time.Hour}, o, now)
		return c[inspect.Email]
	}
	add("a", 1)
	add("b", 1)
	add("c", 1)
	if read("a") != 1 { // a is now the most recently used
		t.Fatal("a lost before eviction")
	}
	add("d", 1) // evicts b
	if l.Len() != 3 || evicted != 1 {
		t.Errorf("Len %d, evictions %d; want 3, 1", l.Len(), evicted)
	}
	tests := []struct {
		give string
		want int
	}{{"a", 1}, {"b", 0}, {"c", 1}, {"d", 1}}
	for _, tt := range tests {
		if got := read(tt.give); got != tt.want {
			t.Errorf("series %s after eviction: %d, want %d", tt.give, got, tt.want)
		}
	}
	if read("never") != 0 || l.Len() != 3 {
		t.Errorf("reading an unknown series created it: Len %d", l.Len())
	}
}

func TestNewLocalRejectsNegative(t *testing.T) {
	tests := []LocalConfig{{MaxKeys: -1}, {ExactLimit: -1}}
	for _, tt := range tests {
		if _, err := NewLocal(tt); err == nil {
			t.Errorf("NewLocal(%+v) accepted", tt)
		}
	}
}

func TestHLLError(t *testing.T) {
	tests := []struct {
		give   int
		maxErr float64
	}{
		{give: 0, maxErr: 0},
		{give: 10, maxErr: 0.01},
		{give: 1000, maxErr: 0.03},
		{give: 50_000, maxErr: 0.05},
		{give: 1_000_000, maxErr: 0.05},
	}
	for _, tt := range tests {
		var s hll
		for _, h := range seq(0, tt.give) {
			s.add(h)
			s.add(h) // repeats do not count
		}
		got := s.estimate()
		if tt.give == 0 && got != 0 || tt.give > 0 && math.Abs(float64(got-tt.give))/float64(tt.give) > tt.maxErr {
			t.Errorf("estimate of %d distinct = %d", tt.give, got)
		}
	}
}

func TestBucketsCoverOneWindow(t *testing.T) {
	const window = 12 * 60_000 // 12 minutes: one bucket a minute
	b := newBuckets(window)
	for i, h := range seq(0, 120) {
		b.add(h, int64(i/10)*60_000) // 10 values a minute for 12 minutes
	}
	tests := []struct {
		at   int64
		want int
	}{
		{at: 11 * 60_000, want: 120},
		{at: 12 * 60_000, want: 120}, // 13 buckets: one bucket of slack
		{at: 13 * 60_000, want: 110},
		{at: 24 * 60_000, want: 0},
	}
	for _, tt := range tests {
		// Linear counting is within a few values at these sizes.
		if got := b.estimate(tt.at); math.Abs(float64(got-tt.want)) > float64(tt.want)*0.03 {
			t.Errorf("estimate at %d min = %d, want %d±3%%", tt.at/60_000, got, tt.want)
		}
	}
	b.add(seq(500, 501)[0], 0) // older than the ring now holds: ignored
	if got := b.estimate(24 * 60_000); got != 0 {
		t.Errorf("stale add counted: %d", got)
	}
}

// TestRedisClientLogsToZap: the Redis client's own messages reach the
// configured zap logger (the JSON log), not stderr.
func TestRedisClientLogsToZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	redisLog{zap.New(core)}.Printf(context.Background(), "connection pool: %s", "dial tcp 127.0.0.1:1: connect: connection refused")
	got := logs.All()
	if len(got) != 1 || got[0].Level != zapcore.WarnLevel || got[0].Message != "connection pool: dial tcp 127.0.0.1:1: connect: connection refused" {
		t.Fatalf("logged %+v, want one warning with the formatted message", got)
	}
}
