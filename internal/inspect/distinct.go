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
	hll   *hyperLogLog
}

const minSlots = 64

// add inserts h and reports whether it was new (for an estimate: whether the
// estimate may have moved).
func (s *distinctSet) add(h uint64, limit int) bool {
	if h == 0 {
		h = 1 // 0 marks empty slots
	}
	if s.hll != nil {
		return s.hll.add(h)
	}
	if s.n >= limit {
		s.spill()
		return s.hll.add(h)
	}
	if len(s.slots) == 0 {
		s.slots = make([]uint64, minSlots)
	} else if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
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
	s.n = 0
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
}

// insert adds h to the power-of-two table and reports whether it was absent.
func insert(slots []uint64, h uint64) bool {
	mask := uint64(len(slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch slots[i] {
		case 0:
			slots[i] = h
			return true
		case h:
			return false
		}
	}
}

// hllBits is the HyperLogLog precision: 2^12 registers, about 1.6% error.
const hllBits = 12

// hyperLogLog estimates the number of distinct hashes in 4 KiB.
type hyperLogLog struct {
	reg [1 << hllBits]uint8
}

func (h *hyperLogLog) add(x uint64) bool {
	x = mix64(x)
	idx := x >> (64 - hllBits)
	rank := uint8(bits.LeadingZeros64(x<<hllBits|1<<(hllBits-1)) + 1)
	if rank > h.reg[idx] {
		h.reg[idx] = rank
		return true
	}
	return false
}

func (h *hyperLogLog) estimate() int {
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

// mix64 is the splitmix64 finaliser: it spreads hash bits evenly.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
