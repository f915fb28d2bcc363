package inspect

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Config selects what an Engine detects. The zero value enables every
// detector with the default limits.
type Config struct {
	// Detectors lists the enabled detectors; nil enables all of them.
	Detectors []Detector
	// MaxDistinct is how many distinct values per detector a message counts
	// exactly; beyond it the count is a HyperLogLog estimate (about 1.6%
	// error). Zero means DefaultMaxDistinct.
	MaxDistinct int
	// Samples is how many masked samples are kept per detector; zero means 3.
	Samples int
	// Allow reports values that never count (test IDs from the policy's
	// value allowlist), given in the normalised form the detector counts:
	// resident IDs as 18 characters with upper-case X, mobiles as 11 digits,
	// cards as digits, e-mail in lower case, documents in upper case. Nil
	// allows nothing. It must be safe for concurrent use and not allocate.
	Allow func(d Detector, v []byte) bool
	// HashKey, when set, keys the value hashes with SipHash-2-4 so they are
	// stable across processes and replicas sharing the key (window counts
	// kept in a shared store); without it hashes use a per-engine random
	// seed. Either way a hash does not disclose its value.
	HashKey []byte
	// Now returns the current time; birth dates after its day are invalid.
	// Nil means time.Now. It is read once, when the engine is built.
	Now func() time.Time
}

// DefaultMaxDistinct is the exact-count limit per detector and message.
const DefaultMaxDistinct = 100_000

// Engine holds everything that is built once for a detector set: the
// keyword automaton, the validators' tables and a pool of scanners. It is
// immutable and safe for concurrent use; build a new one when policy changes.
type Engine struct {
	enabled     [NumDetectors]bool
	maxDistinct int
	samples     int
	today       int // YYYYMMDD: the latest valid birth date
	seed        maphash.Seed
	sip         sipKey
	stable      bool // hash with sip instead of seed
	keywords    *keywordIndex
	allow       func(Detector, []byte) bool
	pool        sync.Pool
	kernel      kernel // the block classifier the CPU runs best
}

// NewEngine builds an engine for cfg.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{maxDistinct: cfg.MaxDistinct, samples: cfg.Samples, allow: cfg.Allow, kernel: bestKernel}
	if e.maxDistinct == 0 {
		e.maxDistinct = DefaultMaxDistinct
	}
	if e.maxDistinct < 0 {
		return nil, fmt.Errorf("new engine: MaxDistinct %d is negative", cfg.MaxDistinct)
	}
	if e.samples == 0 {
		e.samples = 3
	}
	if e.samples < 0 || e.samples > maxSamples {
		return nil, fmt.Errorf("new engine: Samples %d out of range 0..%d", cfg.Samples, maxSamples)
	}
	if cfg.Detectors == nil {
		for i := range e.enabled {
			e.enabled[i] = true
		}
	}
	for _, d := range cfg.Detectors {
		if d >= NumDetectors {
			return nil, fmt.Errorf("new engine: unknown detector %d", d)
		}
		e.enabled[d] = true
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	y, m, d := now().Date()
	e.today = y*10000 + int(m)*100 + d
	e.seed = maphash.MakeSeed()
	if len(cfg.HashKey) > 0 {
		e.sip, e.stable = newSipKey(cfg.HashKey), true
	}
	kw, err := newKeywordIndex()
	if err != nil {
		return nil, fmt.Errorf("new engine: %w", err)
	}
	e.keywords = kw
	e.pool.New = func() any { return newScanner(e) }
	return e, nil
}

// hash returns the hash a value is counted by.
func (e *Engine) hash(v []byte) uint64 {
	if e.stable {
		return e.sip.sum64(v)
	}
	return maphash.Bytes(e.seed, v)
}

// Enabled reports whether the engine runs detector d.
func (e *Engine) Enabled(d Detector) bool { return d < NumDetectors && e.enabled[d] }

// NewScanner returns an empty scanner for one message. Call Release when the
// message is done so its buffers are reused.
func (e *Engine) NewScanner() *Scanner {
	s := e.pool.Get().(*Scanner)
	s.Reset()
	return s
}
