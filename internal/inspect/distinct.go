package inspect

import (
	"math"
	"math/bits"
)

// distinctSet counts distinct 64-bit value hashes. It is exact up to a limit
// (an open-addressing set that grows from a small size, so a message without
// personal information costs no memory) and switches to a HyperLogLog estimate
// beyond it, so its memory is bounded whatever the body size.
type distinctSet struct {
	slots []uint64 // open addressing; 0 marks an empty slot
	n     int      // values in slots
	room  int      // add inserts at once while n < room; 0 until the slow path sets it
	hll   *hyperLogLog
}

const minSlots = 64

// add inserts h and reports whether it was new (for an estimate: whether the
// estimate may have moved).
func (s *distinctSet) add(h uint64, limit int) bool {
	if h == 0 {
		h = 1 // 0 marks empty slots
	}
	if s.n < s.room { // exact, below the limit and the load factor
		if !insert(s.slots, h) {
			return false
		}
		s.n++
		return true
	}
	return s.addSlow(h, limit)
}

// addSlow is add when the set is empty, due to grow, at its limit or an
// estimate; it sets room for the inserts that need none of that.
func (s *distinctSet) addSlow(h uint64, limit int) bool {
	if s.hll != nil {
		return s.hll.add(h)
	}
	if s.n >= limit {
		// Full: a value already counted keeps the count exact; only a new
		// one moves the set to an estimate.
		if _, found := probe(s.slots, h); found {
			return false
		}
		s.spill()
		return s.hll.add(h)
	}
	if len(s.slots) == 0 {
		s.slots = make([]uint64, minSlots)
	} else if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	// At most three quarters of the slots are used, and the limit holds.
	s.room = min(limit, len(s.slots)*3/4)
	if !insert(s.slots, h) {
		return false
	}
	s.n++
	return true
}

// peek loads the home slot of h, so that a later add finds it in cache.
func (s *distinctSet) peek(h uint64) uint64 {
	if len(s.slots) == 0 {
		return 0
	}
	return s.slots[h&uint64(len(s.slots)-1)]
}

func (s *distinctSet) count() int {
	if s.hll != nil {
		if e := s.hll.estimate(); e > s.n {
			return e
		}
	}
	return s.n
}

func (s *distinctSet) reset() {
	if s.n > 0 {
		clear(s.slots)
	}
	s.n, s.room = 0, 0
	s.hll = nil
}

func (s *distinctSet) grow() {
	old := s.slots
	s.slots = make([]uint64, len(old)*2)
	for _, h := range old {
		if h != 0 {
			insert(s.slots, h)
		}
	}
}

// spill moves the exact set into a HyperLogLog and frees the slots.
func (s *distinctSet) spill() {
	s.hll = &hyperLogLog{}
	for _, h := range s.slots {
		if h != 0 {
			s.hll.add(h)
		}
	}
	s.slots = nil
	s.room = 0
}

// insert adds h to the power-of-two table and reports whether it was absent.
func insert(slots []uint64, h uint64) bool {
	i, found := probe(slots, h)
	if !found {
		slots[i] = h
	}
	return !found
}

// probe returns the slot of h in the power-of-two table, or the empty slot
// where it would go. The table is never full.
func probe(slots []uint64, h uint64) (int, bool) {
	mask := uint64(len(slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch slots[i] {
		case 0:
			return int(i), false
		case h:
			return int(i), true
		}
	}
}

// hllBits is the HyperLogLog precision: 2^12 registers, about 1.6% error.
const hllBits = 12

// hllMaxRank is the highest rank a register can take: one more than the
// hash bits left after the register index.
const hllMaxRank = 64 - hllBits + 1

// hyperLogLog estimates the number of distinct hashes in about 4 KiB. It
// keeps how many registers hold each rank, so an estimate sums 53 counts
// rather than 4096 registers: a message past the exact limit asks for one
// after every batch of inserts.
type hyperLogLog struct {
	reg    [1 << hllBits]uint8
	atRank [hllMaxRank + 1]uint16 // registers per rank; rank 0 is not kept
}

func (h *hyperLogLog) add(x uint64) bool {
	x = mix64(x)
	idx := x >> (64 - hllBits)
	rank := uint8(bits.LeadingZeros64(x<<hllBits|1<<(hllBits-1)) + 1)
	old := h.reg[idx]
	if rank <= old {
		return false
	}
	h.reg[idx] = rank
	if old > 0 {
		h.atRank[old]--
	}
	h.atRank[rank]++
	return true
}

func (h *hyperLogLog) estimate() int {
	const m = 1 << hllBits
	zeros := m
	sum := 0.0
	for r := 1; r < len(h.atRank); r++ {
		zeros -= int(h.atRank[r])
		sum += math.Ldexp(float64(h.atRank[r]), -r)
	}
	sum += float64(zeros)
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int(e + 0.5)
}

// mix64 is the splitmix64 finaliser: it spreads hash bits evenly.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
