package window

import (
	"context"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Counts holds distinct counts over a window, per detector.
type Counts = [inspect.NumDetectors]int

// Series names one sliding-window count: a window rule and a key.
type Series struct {
	// ID is a keyed hash of the rule (name, key parts, duration) and the
	// key text, in hex: a store never sees the key or the rule name.
	ID string
	// Window is the length of the sliding window.
	Window time.Duration
}

// Observation is one update of a series.
type Observation struct {
	// Add holds the value hashes to record per detector; they count as
	// seen at the observation's time.
	Add [inspect.NumDetectors][]uint64
	// Want marks the detectors whose counts to return; the counts of the
	// others are zero.
	Want [inspect.NumDetectors]bool
}

// Store keeps sliding-window distinct counts of value hashes. Local
// (process memory) and Redis (shared by replicas) implement it.
type Store interface {
	// Observe records o's hashes in series s at now and returns the
	// distinct counts over the window ending at now, hashes just added
	// included, for the detectors o wants. A value counts while it was
	// last seen less than s.Window before now. Observe must honour ctx's
	// deadline.
	Observe(ctx context.Context, s Series, o *Observation, now time.Time) (Counts, error)
}
