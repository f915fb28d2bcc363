package window

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Defaults of LocalConfig.
const (
	DefaultMaxKeys    = 10_000
	DefaultExactLimit = 2_000
)

// LocalConfig configures a Local store. The zero value uses the defaults.
type LocalConfig struct {
	// MaxKeys bounds the series (window rule and key) tracked; when a new
	// one would exceed it, the least recently used series is evicted and
	// its counts are lost. Zero means DefaultMaxKeys.
	MaxKeys int
	// ExactLimit is how many distinct values per detector and series are
	// counted exactly; beyond it the count is a HyperLogLog estimate (see
	// the package documentation). Zero means DefaultExactLimit.
	ExactLimit int
	// OnEvict is called, outside the store's lock, once per evicted
	// series; nil ignores evictions.
	OnEvict func()
}

// Local is a Store in process memory with bounded size: at most MaxKeys
// series, each at most ExactLimit exact values per detector plus, while
// it is over that limit, 13 sketches of 4 KiB. It is safe for concurrent
// use.
type Local struct {
	maxKeys, limit int
	onEvict        func()

	mu     sync.Mutex
	series map[string]*list.Element // of *localSeries
	lru    list.List                // most recently used at the front
}

var _ Store = (*Local)(nil)

// localSeries is one series: a detector series per detector, made on
// first use.
type localSeries struct {
	id  string
	det [inspect.NumDetectors]*detSeries
}

// NewLocal returns an empty local store.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.MaxKeys < 0 || cfg.ExactLimit < 0 {
		return nil, fmt.Errorf("new local window store: negative limit (MaxKeys %d, ExactLimit %d)", cfg.MaxKeys, cfg.ExactLimit)
	}
	l := &Local{maxKeys: cfg.MaxKeys, limit: cfg.ExactLimit, onEvict: cfg.OnEvict, series: make(map[string]*list.Element)}
	if l.maxKeys == 0 {
		l.maxKeys = DefaultMaxKeys
	}
	if l.limit == 0 {
		l.limit = DefaultExactLimit
	}
	return l, nil
}

// Len returns the number of series tracked (the dlp_window_tracked_keys
// gauge). A series stays tracked until it is evicted, also when its
// window has emptied.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.series)
}

// Observe implements Store. It never fails.
func (l *Local) Observe(_ context.Context, s Series, o *Observation, now time.Time) (Counts, error) {
	var c Counts
	ms, window := now.UnixMilli(), s.Window.Milliseconds()
	evicted := 0
	l.mu.Lock()
	ls := l.lookup(s.ID, o, &evicted)
	if ls != nil {
		for d := range ls.det {
			if ls.det[d] == nil && len(o.Add[d]) > 0 {
				ls.det[d] = &detSeries{exact: make(map[uint64]int64, len(o.Add[d]))}
			}
			if ds := ls.det[d]; ds != nil && (o.Want[d] || len(o.Add[d]) > 0) {
				c[d] = ds.observe(o.Add[d], ms, window, l.limit)
			}
		}
	}
	l.mu.Unlock()
	for range evicted {
		if l.onEvict != nil {
			l.onEvict()
		}
	}
	return c, nil
}

// lookup finds series id, making it (and evicting the least recently used
// series) when o adds values; it returns nil for an unknown series that o
// only reads.
func (l *Local) lookup(id string, o *Observation, evicted *int) *localSeries {
	if e, ok := l.series[id]; ok {
		l.lru.MoveToFront(e)
		return e.Value.(*localSeries)
	}
	if !slices.ContainsFunc(o.Add[:], func(a []uint64) bool { return len(a) > 0 }) {
		return nil
	}
	for len(l.series) >= l.maxKeys {
		old := l.lru.Back()
		delete(l.series, old.Value.(*localSeries).id)
		l.lru.Remove(old)
		*evicted++
	}
	ls := &localSeries{id: id}
	l.series[id] = l.lru.PushFront(ls)
	return ls
}

// detSeries counts the distinct values of one detector in one series over
// a sliding window. Below the exact limit it keeps every value hash with
// the time it was last seen, so the count is exact. When an add takes it
// over the limit, the oldest quarter is dropped, HyperLogLog buckets take
// over the count, and overflowUntil is set one window ahead: every value
// dropped was seen before that moment, so once it has passed the exact set
// is complete again and the buckets are freed.
type detSeries struct {
	exact         map[uint64]int64 // value hash -> last seen, Unix ms
	oldest        int64            // smallest last-seen time in exact
	buckets       *buckets         // non-nil while over the limit
	overflowUntil int64
}

// observe adds hashes at now and returns the distinct count over the
// window ending at now.
func (s *detSeries) observe(hashes []uint64, now, window int64, limit int) int {
	s.expire(now - window)
	if len(s.exact) == 0 {
		s.oldest = now
	}
	for _, h := range hashes {
		s.exact[h] = now
		if s.buckets != nil {
			s.buckets.add(h, now)
		}
	}
	if len(s.exact) > limit {
		s.overflow(now, window, limit)
	}
	if s.buckets != nil {
		if now < s.overflowUntil {
			return s.buckets.estimate(now)
		}
		s.buckets = nil
	}
	return len(s.exact)
}

// expire drops the values last seen at or before cutoff.
func (s *detSeries) expire(cutoff int64) {
	if len(s.exact) == 0 || s.oldest > cutoff {
		return
	}
	oldest := int64(1<<63 - 1)
	for h, ts := range s.exact {
		if ts <= cutoff {
			delete(s.exact, h)
		} else {
			oldest = min(oldest, ts)
		}
	}
	s.oldest = oldest
}

// overflow switches to (or stays in) estimating: the buckets are filled
// from the exact set when they are new, and the exact set keeps only its
// newest three quarters of limit values.
func (s *detSeries) overflow(now, window int64, limit int) {
	if s.buckets == nil {
		s.buckets = newBuckets(window)
		for h, ts := range s.exact {
			s.buckets.add(h, ts)
		}
	}
	keep := limit * 3 / 4
	times := make([]int64, 0, len(s.exact))
	for _, ts := range s.exact {
		times = append(times, ts)
	}
	slices.Sort(times)
	cut := times[len(times)-keep-1]
	s.expire(cut)
	s.overflowUntil = now + window
}
