package window

import (
	"math"
	"math/bits"
)

// hllP is the HyperLogLog precision: 2^12 registers of one byte, a
// standard error of 1.04/sqrt(4096), about 1.6%.
const hllP = 12

// hllM is the number of registers.
const hllM = 1 << hllP

// hll is a HyperLogLog sketch over 64-bit value hashes.
type hll struct {
	reg [hllM]uint8
}

// mix spreads the bits of a value hash (splitmix64's finalizer), so the
// sketch does not depend on the quality of the engine's hash.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// add records hash h.
func (s *hll) add(h uint64) {
	h = mix(h)
	i := h >> (64 - hllP)
	rank := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1))) + 1
	if rank > s.reg[i] {
		s.reg[i] = rank
	}
}

// merge sets s to the union of s and o.
func (s *hll) merge(o *hll) {
	for i, r := range o.reg {
		if r > s.reg[i] {
			s.reg[i] = r
		}
	}
}

// estimate returns the estimated number of distinct hashes added, with
// linear counting for small cardinalities.
func (s *hll) estimate() int {
	sum, zeros := 0.0, 0
	for _, r := range s.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	const m = float64(hllM)
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int(e + 0.5)
}

// buckets is a ring of HyperLogLog sketches, one per time bucket of
// width w; a window is covered by numBuckets+1 of them.
type buckets struct {
	width int64 // bucket width in milliseconds
	id    [numBuckets + 1]int64
	hll   [numBuckets + 1]hll
}

// numBuckets is how many buckets a window is split into. The estimate
// merges numBuckets+1 of them, so it covers between one window and one
// window plus a bucket (window/12) of history.
const numBuckets = 12

func newBuckets(window int64) *buckets {
	b := &buckets{width: max(window/numBuckets, 1)}
	for i := range b.id {
		b.id[i] = -1
	}
	return b
}

// add records hash h seen at time ts (Unix milliseconds). A time older
// than the ring's oldest bucket is ignored.
func (b *buckets) add(h uint64, ts int64) {
	n := ts / b.width
	slot := n % int64(len(b.id))
	switch {
	case b.id[slot] < n:
		b.id[slot] = n
		b.hll[slot] = hll{}
	case b.id[slot] > n:
		return
	}
	b.hll[slot].add(h)
}

// estimate returns the estimated distinct count of the buckets covering
// the window that ends at now.
func (b *buckets) estimate(now int64) int {
	cur := now / b.width
	var u hll
	for i, id := range b.id {
		if id >= 0 && id > cur-int64(len(b.id)) && id <= cur {
			u.merge(&b.hll[i])
		}
	}
	return u.estimate()
}
