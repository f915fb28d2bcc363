package inspect

// Tally is what a Scanner has found so far in one message: distinct values
// per detector, a few masked samples, and the bytes scanned. The zero value
// is empty and ready to use.
type Tally struct {
	// Counts holds the number of distinct values seen per detector. Counts
	// are exact up to the engine's MaxDistinct and estimated beyond it.
	Counts [NumDetectors]int
	// Bytes is the number of body bytes scanned.
	Bytes int64

	sets    [NumDetectors]distinctSet
	samples [NumDetectors]sampleSet

	// Values whose samples are already kept are queued and inserted in
	// batches: independent probes of the (large) sets overlap their cache
	// misses instead of stalling the scan loop one by one.
	queued  int
	sink    uint64 // keeps the prefetching loads of flush alive
	queue   [queueLen]uint64
	queueOf [queueLen]Detector
}

// queueLen is how many value hashes wait before a batch insert.
const queueLen = 128

// Total returns the sum of the distinct counts of all detectors.
func (t *Tally) Total() int {
	n := 0
	for _, c := range t.Counts {
		n += c
	}
	return n
}

// Samples returns the masked samples kept for detector d, oldest first.
// The strings are freshly allocated; the hot path never calls this.
func (t *Tally) Samples(d Detector) []string {
	if d >= NumDetectors {
		return nil
	}
	return t.samples[d].strings()
}

// Hashes calls fn with the hash of every distinct value of detector d in
// the message (keyed: see Config.HashKey) and reports true; it reports
// false, calling nothing, once the count went past MaxDistinct and only an
// estimate is kept.
func (t *Tally) Hashes(d Detector, fn func(h uint64)) bool {
	if d >= NumDetectors || t.sets[d].hll != nil {
		return false
	}
	for _, h := range t.sets[d].slots {
		if h != 0 {
			fn(h)
		}
	}
	return true
}

// reset empties t, keeping the memory of its distinct sets for reuse.
func (t *Tally) reset() {
	t.Counts = [NumDetectors]int{}
	t.Bytes = 0
	t.queued = 0
	for i := range t.sets {
		t.sets[i].reset()
		t.samples[i].n = 0
	}
}

// add records value v (hashed to h) for detector d; mask renders the masked
// sample of v and is called only for the first few distinct values. Counts
// are current after flush.
func (t *Tally) add(d Detector, h uint64, limit, keep int, v []byte, mask func(v, out []byte) int) {
	if t.samples[d].n >= keep {
		t.queue[t.queued], t.queueOf[t.queued] = h, d
		t.queued++
		if t.queued == queueLen {
			t.flush(limit)
		}
		return
	}
	if t.sets[d].add(h, limit) {
		t.Counts[d] = t.sets[d].count()
		t.samples[d].add(v, mask)
	}
}

// flush inserts the queued hashes and brings Counts up to date.
func (t *Tally) flush(limit int) {
	// First touch every home slot: the loads are independent, so their cache
	// misses overlap; the inserts below then find the lines in cache.
	var sink uint64
	for i, h := range t.queue[:t.queued] {
		sink += t.sets[t.queueOf[i]].peek(h)
	}
	t.sink = sink
	var touched [NumDetectors]bool
	for i, h := range t.queue[:t.queued] {
		d := t.queueOf[i]
		if t.sets[d].add(h, limit) {
			touched[d] = true
		}
	}
	t.queued = 0
	for d, ok := range touched {
		if ok {
			t.Counts[d] = t.sets[d].count()
		}
	}
}

// maxSampleLen bounds one masked sample in bytes.
const maxSampleLen = 64

// maxSamples is the most samples a tally can keep per detector.
const maxSamples = 8

// sampleSet holds masked samples in fixed storage, so recording one does not
// allocate.
type sampleSet struct {
	n    int
	lens [maxSamples]uint8
	buf  [maxSamples][maxSampleLen]byte
}

func (s *sampleSet) add(v []byte, mask func(v, out []byte) int) {
	if s.n >= maxSamples {
		return
	}
	s.lens[s.n] = uint8(mask(v, s.buf[s.n][:]))
	s.n++
}

func (s *sampleSet) strings() []string {
	out := make([]string, s.n)
	for i := range out {
		out[i] = string(s.buf[i][:s.lens[i]])
	}
	return out
}
