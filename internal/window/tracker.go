package window

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// Defaults of Config.
const (
	DefaultRetryAfter = time.Second
	DefaultTimeout    = 50 * time.Millisecond
)

// Metrics receives the tracker's measurements; *metrics.Metrics
// implements it.
type Metrics interface {
	// WindowStoreError counts a failed call to the shared store.
	WindowStoreError()
	// WindowFallback counts a window update decided on local counts
	// because the shared store failed or is being skipped after a failure.
	WindowFallback()
}

// Config configures a Tracker. Only Local is required.
type Config struct {
	// HashKey keys the series ids (a keyed hash of rule and key). Replicas
	// sharing a store must share it, and the inspect engine must hash
	// values with it too (inspect.Config.HashKey), or their counts do not
	// meet. Nil draws a random key: fine for a single process.
	HashKey []byte
	// Local counts in process memory. Every update is recorded here, also
	// when a shared store is used, so that a fallback has this replica's
	// history. Required.
	Local *Local
	// Shared is an optional store shared by replicas (Redis). When it
	// fails, counts come from Local for RetryAfter, and the failure is
	// logged once and counted.
	Shared Store
	// Timeout bounds one call to the shared store; zero means
	// DefaultTimeout. A message waits at most this long for its counts.
	Timeout time.Duration
	// RetryAfter is how long the shared store is skipped after a failure;
	// zero means DefaultRetryAfter.
	RetryAfter time.Duration
	// Logger receives shared-store state changes; nil discards them.
	Logger *zap.Logger
	// Metrics receives measurements; nil discards them.
	Metrics Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Tracker counts distinct values per window rule and key across messages
// and decides window rules. It is safe for concurrent use.
type Tracker struct {
	key        []byte
	local      *Local
	shared     Store
	retryAfter time.Duration
	timeout    time.Duration
	log        *zap.Logger
	metrics    Metrics
	now        func() time.Time

	mu        sync.Mutex
	downUntil time.Time // shared store skipped until then
	down      bool      // shared store failed and has not answered since
}

// New returns a tracker for cfg.
func New(cfg Config) (*Tracker, error) {
	if cfg.Local == nil {
		return nil, errors.New("new window tracker: no local store")
	}
	t := &Tracker{key: cfg.HashKey, local: cfg.Local, shared: cfg.Shared, retryAfter: cfg.RetryAfter, timeout: cfg.Timeout,
		log: cfg.Logger, metrics: cfg.Metrics, now: cfg.Now}
	if len(t.key) == 0 {
		if cfg.Shared != nil {
			return nil, errors.New("new window tracker: a shared store needs a HashKey shared by the replicas")
		}
		t.key = make([]byte, 32)
		_, _ = rand.Read(t.key) // crypto/rand.Read never fails
	}
	if t.timeout == 0 {
		t.timeout = DefaultTimeout
	}
	if t.retryAfter == 0 {
		t.retryAfter = DefaultRetryAfter
	}
	if t.log == nil {
		t.log = zap.NewNop()
	}
	if t.metrics == nil {
		t.metrics = nopMetrics{}
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t, nil
}

// nopMetrics discards measurements.
type nopMetrics struct{}

func (nopMetrics) WindowStoreError() {}
func (nopMetrics) WindowFallback()   {}

// seriesID returns the keyed hash naming the series of window rule r
// (with its window) and key.
func (t *Tracker) seriesID(r policy.RuleInfo, key string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(r.Name))
	m.Write([]byte{0, byte(r.Window.Key)})
	m.Write(strconv.AppendInt(nil, int64(r.Window.Duration), 10))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// observe updates series s in the local store and, unless it is being
// skipped, the shared store; local reports whether the counts are local.
func (t *Tracker) observe(s Series, o *Observation, now time.Time) (c Counts, local bool) {
	lc, _ := t.local.Observe(context.Background(), s, o, now) // Local never fails
	if t.shared == nil {
		return lc, true
	}
	if !t.sharedUsable() {
		t.metrics.WindowFallback()
		return lc, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	defer cancel()
	sc, err := t.shared.Observe(ctx, s, o, now)
	t.sharedResult(err)
	if err != nil {
		t.metrics.WindowFallback()
		return lc, true
	}
	return sc, false
}

// sharedUsable reports whether the shared store is to be tried now.
func (t *Tracker) sharedUsable() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.now().Before(t.downUntil)
}

// sharedResult records the outcome of a shared store call, logging when
// the store goes down or comes back.
func (t *Tracker) sharedResult(err error) {
	t.mu.Lock()
	wasDown := t.down
	if err != nil {
		t.down, t.downUntil = true, t.now().Add(t.retryAfter)
	} else {
		t.down = false
	}
	t.mu.Unlock()
	switch {
	case err != nil:
		t.metrics.WindowStoreError()
		if !wasDown {
			t.log.Warn("window store unavailable; counting locally", zap.Error(err), zap.Duration("retry_after", t.retryAfter))
		}
	case wasDown:
		t.log.Info("window store available again; counting shared")
	}
}

// Begin starts the window accounting of one message in scope sc. Call
// Message.Decide after every chunk instead of sc.Decide.
func (t *Tracker) Begin(sc *policy.Scope) *Message {
	m := &Message{t: t, sc: sc, checks: sc.Windows()}
	m.counts = make([]policy.WindowCounts, len(m.checks))
	m.local = make([]bool, len(m.checks))
	m.series = make([]Series, len(m.checks))
	for i, c := range m.checks {
		m.series[i] = Series{ID: t.seriesID(sc.Snapshot().Rule(c.Rule), c.Key), Window: c.Window.Duration}
		for _, d := range c.Detectors {
			m.reads[d] = true
		}
	}
	return m
}

// Message is the window accounting of one message. Its methods are called
// from the goroutine reading the message, one at a time.
type Message struct {
	t      *Tracker
	sc     *policy.Scope
	checks []policy.WindowCheck
	series []Series
	counts []policy.WindowCounts // per check, as of the last Decide
	local  []bool                // per check: counts came from the local store
	reads  [inspect.NumDetectors]bool

	started bool
	synced  [inspect.NumDetectors]int                 // tally counts at the last update
	sent    [inspect.NumDetectors]map[uint64]struct{} // hashes already recorded
	big     [inspect.NumDetectors]bool                // the tally keeps only an estimate
}

// Decide records the message's new distinct values in the window of
// every window rule in scope and returns the scope's decision on the
// tally and those window counts (policy.Scope.DecideWindows). The first
// call reads the windows even when the message has no values yet, so a
// key over a window's block threshold stays blocked until the window
// has room again. When a detector has more values in this message than
// the engine counts exactly (Tally.Hashes reports false), they cannot be
// recorded one by one: the window count is then at least the message's
// own estimate.
func (m *Message) Decide(tl *inspect.Tally) policy.Decision {
	if len(m.checks) == 0 {
		return m.sc.Decide(tl)
	}
	var add [inspect.NumDetectors][]uint64
	changed := !m.started
	m.started = true
	for d, reads := range m.reads {
		if !reads || tl.Counts[d] == m.synced[d] {
			continue
		}
		m.synced[d] = tl.Counts[d]
		changed = true
		if m.big[d] {
			continue
		}
		if m.sent[d] == nil {
			m.sent[d] = make(map[uint64]struct{}, tl.Counts[d])
		}
		sent := m.sent[d]
		m.big[d] = !tl.Hashes(inspect.Detector(d), func(h uint64) {
			if _, ok := sent[h]; !ok {
				sent[h] = struct{}{}
				add[d] = append(add[d], h)
			}
		})
	}
	if changed {
		now := m.t.now()
		for i, c := range m.checks {
			var o Observation
			for _, d := range c.Detectors {
				o.Want[d], o.Add[d] = true, add[d]
			}
			m.counts[i], m.local[i] = m.t.observe(m.series[i], &o, now)
			for _, d := range c.Detectors {
				if m.big[d] {
					m.counts[i][d] = max(m.counts[i][d], tl.Counts[d])
				}
			}
		}
	}
	return m.sc.DecideWindows(tl, m.counts)
}

// Status describes a window rule's count for this message's key, as of
// the last Decide: what incidents and block pages show. It holds no
// value, only counts.
type Status struct {
	Rule   string        // rule name
	Key    string        // key text, e.g. "client=10.0.0.5"
	Window time.Duration // window length
	// Counts holds the distinct counts over the window of the detectors
	// the rule reads, this message's values included.
	Counts Counts
	// Detectors lists the detectors the rule reads.
	Detectors []inspect.Detector
	// Local reports that the counts are this replica's alone: there is no
	// shared store, or it failed.
	Local bool
}

// Status returns the status of window rule index rule (a Snapshot.Rule
// index, e.g. Decision.Rule), and false when it is not a window rule of
// this message.
func (m *Message) Status(rule int) (Status, bool) {
	for i, c := range m.checks {
		if c.Rule == rule {
			return Status{Rule: m.sc.Snapshot().Rule(rule).Name, Key: c.Key, Window: c.Window.Duration,
				Counts: m.counts[i], Detectors: c.Detectors, Local: m.local[i]}, true
		}
	}
	return Status{}, false
}

// String renders the status for a block page or log line, e.g.
// "rule drip-ids: 200 cn_resident_id within 1h0m0s for client=10.0.0.5".
func (s Status) String() string {
	b := []byte("rule " + s.Rule + ":")
	for i, d := range s.Detectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(s.Counts[d]), 10)
		b = append(b, ' ')
		b = append(b, d.String()...)
	}
	b = append(b, " within "...)
	b = append(b, s.Window.String()...)
	b = append(b, " for "...)
	b = append(b, s.Key...)
	if s.Local {
		b = append(b, " (this replica only)"...)
	}
	return string(b)
}

// MarshalLogObject renders the status as zap fields: rule, key, window,
// counts (per detector) and local.
func (s Status) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("rule", s.Rule)
	enc.AddString("key", s.Key)
	enc.AddDuration("window", s.Window)
	err := enc.AddObject("counts", zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
		for _, d := range s.Detectors {
			enc.AddInt(d.String(), s.Counts[d])
		}
		return nil
	}))
	enc.AddBool("local", s.Local)
	if err != nil {
		return fmt.Errorf("window status: %w", err)
	}
	return nil
}
