package proxy

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// errBusy is returned when no inspection slot came free within
// InspectionWait: the client gets 503 with Retry-After.
var errBusy = errors.New("proxy: too many concurrent inspections")

// slots is a counting semaphore; a nil *slots never blocks.
type slots chan struct{}

func newSlots(n int) slots {
	if n <= 0 {
		return nil
	}
	return make(slots, n)
}

// acquire takes a slot, waiting at most wait (or until ctx ends).
func (s slots) acquire(ctx context.Context, wait time.Duration) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return nil
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s slots) release() {
	if s != nil {
		<-s
	}
}

// AuthLimit rate-limits failed proxy authentication per client address
// with a token bucket: each failed attempt takes a token, Burst tokens at
// most, one coming back every Refill. A client without tokens gets 429
// (its credentials are not even checked, so PBKDF2 work is bounded too).
type AuthLimit struct {
	// Burst is how many failures in a row a client may make; zero means 10.
	Burst int
	// Refill is how long one token takes to come back; zero means 6s
	// (10 failures a minute, sustained).
	Refill time.Duration
	// MaxClients bounds the clients tracked; zero means 10,000. When full,
	// clients whose buckets have refilled are dropped, then the oldest.
	MaxClients int
}

// authLimiter is AuthLimit's state.
type authLimiter struct {
	lim AuthLimit
	now func() time.Time

	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newAuthLimiter(lim AuthLimit, now func() time.Time) *authLimiter {
	if lim.Burst <= 0 {
		lim.Burst = 10
	}
	if lim.Refill <= 0 {
		lim.Refill = 6 * time.Second
	}
	if lim.MaxClients <= 0 {
		lim.MaxClients = 10_000
	}
	return &authLimiter{lim: lim, now: now, buckets: map[netip.Addr]*bucket{}}
}

// tokens is what b holds at now.
func (l *authLimiter) tokens(b *bucket, now time.Time) float64 {
	return min(float64(l.lim.Burst), b.tokens+float64(now.Sub(b.last))/float64(l.lim.Refill))
}

// refill brings b's tokens up to date; the caller holds l.mu.
func (l *authLimiter) refill(b *bucket, now time.Time) {
	b.tokens, b.last = l.tokens(b, now), now
}

// limited reports whether client has no failures left, and if so how long
// until it has one.
func (l *authLimiter) limited(client netip.Addr) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[client]
	if !ok {
		return 0, false
	}
	l.refill(b, l.now())
	if b.tokens >= 1 {
		return 0, false
	}
	return time.Duration((1 - b.tokens) * float64(l.lim.Refill)), true
}

// failed takes a token from client's bucket.
func (l *authLimiter) failed(client netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= l.lim.MaxClients {
			l.evict(now)
		}
		b = &bucket{tokens: float64(l.lim.Burst), last: now}
		l.buckets[client] = b
	}
	l.refill(b, now)
	b.tokens = max(b.tokens-1, 0)
}

// evict drops the buckets that have refilled, or else the least recently
// touched one; the caller holds l.mu.
func (l *authLimiter) evict(now time.Time) {
	var oldest netip.Addr
	var oldestAt time.Time
	for a, b := range l.buckets {
		if l.tokens(b, now) >= float64(l.lim.Burst) {
			delete(l.buckets, a)
			continue
		}
		if oldestAt.IsZero() || b.last.Before(oldestAt) {
			oldest, oldestAt = a, b.last
		}
	}
	if len(l.buckets) >= l.lim.MaxClients {
		delete(l.buckets, oldest)
	}
}
