package inspect

import (
	"math"
	"testing"
)

// registerEstimate is the HyperLogLog estimate computed from the registers
// themselves, the reference for the per-rank counts.
func registerEstimate(h *hyperLogLog) int {
	const m = float64(1 << hllBits)
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += 1 / float64(uint64(1)<<r)
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int(e + 0.5)
}

func TestHyperLogLogEstimate(t *testing.T) {
	tests := []struct {
		name string
		give int // distinct values added
	}{
		{"empty", 0},
		{"few", 100},
		{"linear counting range", 5_000},
		{"past the exact limit", 150_000},
		{"a million", 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hyperLogLog
			for i := range tt.give {
				h.add(uint64(i)*0x9E3779B97F4A7C15 + 1)
				h.add(uint64(i)*0x9E3779B97F4A7C15 + 1) // a repeat changes nothing
			}
			got := h.estimate()
			if ref := registerEstimate(&h); got != ref {
				t.Errorf("estimate %d, from the registers %d", got, ref)
			}
			if diff := math.Abs(float64(got - tt.give)); diff > 0.05*float64(tt.give) {
				t.Errorf("estimate %d of %d distinct values: off by more than 5%%", got, tt.give)
			}
		})
	}
}

func TestDistinctSetExactThenEstimate(t *testing.T) {
	const limit = 1000
	var s distinctSet
	for i := range limit {
		s.add(uint64(i)*0x9E3779B97F4A7C15+7, limit)
		s.add(uint64(i)*0x9E3779B97F4A7C15+7, limit)
	}
	if s.hll != nil || s.count() != limit {
		t.Fatalf("at the limit: count %d (estimate %v), want exactly %d", s.count(), s.hll != nil, limit)
	}
	for i := limit; i < 3*limit; i++ {
		s.add(uint64(i)*0x9E3779B97F4A7C15+7, limit)
	}
	if got := s.count(); s.hll == nil || math.Abs(float64(got-3*limit)) > 0.05*3*limit {
		t.Errorf("past the limit: count %d (estimate %v), want about %d", got, s.hll != nil, 3*limit)
	}
}

// TestDistinctSetExactAcrossGrowth adds values with repeats around the
// load-factor and limit boundaries (48 of 64 slots, 96 of 128 ...) and
// checks that the count is exact up to the limit, new values report true
// exactly once, and the set turns into an estimate only past the limit.
func TestDistinctSetExactAcrossGrowth(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		give  int // distinct values added
	}{
		{"limit one", 1, 3},
		{"just below the first growth", 1000, 48},
		{"the first growth", 1000, 49},
		{"the second growth", 1000, 97},
		{"limit at a growth", 48, 48},
		{"limit right after a growth", 49, 49},
		{"past a limit at a growth", 48, 60},
		{"many growths", 100_000, 70_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s distinctSet
			for round := range 2 {
				s.reset()
				for i := range tt.give {
					h := uint64(i)*0x9E3779B97F4A7C15 + 7
					isNew := s.add(h, tt.limit)
					if i < tt.limit && !isNew {
						t.Fatalf("round %d: value %d not new", round, i)
					}
					if i < tt.limit && s.add(h, tt.limit) {
						t.Fatalf("round %d: value %d new twice", round, i)
					}
					if want := min(i+1, tt.limit); i < tt.limit && (s.hll != nil || s.count() != want) {
						t.Fatalf("round %d, %d values: count %d (estimate %v), want exactly %d", round, i+1, s.count(), s.hll != nil, want)
					}
				}
				if past := tt.give > tt.limit; (s.hll != nil) != past {
					t.Errorf("round %d: estimate %v, want %v", round, s.hll != nil, past)
				}
			}
		})
	}
}
