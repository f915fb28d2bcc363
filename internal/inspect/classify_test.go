package inspect

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// classifyBytewise is the definition classify implements: one byte at a time.
func classifyBytewise(t *stopTable, blk *[64]byte) (class, digit, pair uint64) {
	for k, c := range blk {
		f := t.flags[c]
		class |= uint64(f>>7&1) << k
		digit |= uint64(f>>6&1) << k
		pair |= uint64(f>>5&1) << k
	}
	return class, digit, pair
}

// checkClassify compares both classifiers with the bytewise definition.
func checkClassify(t *testing.T, blk *[64]byte) {
	t.Helper()
	for name, table := range map[string]*stopTable{"text": textStops, "csv": csvStops} {
		wc, wd, wp := classifyBytewise(table, blk)
		if c, d, p := table.classifyPortable(blk); c != wc || d != wd || p != wp {
			t.Fatalf("%s portable: got %x %x %x, want %x %x %x for % x", name, c, d, p, wc, wd, wp, blk[:])
		}
		if !haveVectorClassifier {
			continue
		}
		// The block at every position of a batch.
		for n := 1; n <= batchBlocks; n++ {
			src := make([]byte, 64*n)
			copy(src[64*(n-1):], blk[:])
			var out blockMasks
			table.classify(src, n, &out, true)
			if c, d, p := out.class[n-1], out.digit[n-1], out.pair[n-1]; c != wc || d != wd || p != wp {
				t.Fatalf("%s vector, block %d of %d: got %x %x %x, want %x %x %x for % x", name, n, n, c, d, p, wc, wd, wp, blk[:])
			}
		}
	}
}

// TestClassify puts every byte value at every position of a block, and
// tries random blocks.
func TestClassify(t *testing.T) {
	if !haveVectorClassifier {
		t.Log("this CPU has no AVX-512 VBMI: only the portable classifier is checked")
	}
	var blk [64]byte
	for v := range 256 {
		for k := range blk {
			blk[k] = byte(v + k*7)
		}
		checkClassify(t, &blk)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		for k := range blk {
			blk[k] = byte(r.Uint32())
		}
		checkClassify(t, &blk)
	}
}

// TestPortableClassifierCountsTheSame scans the benchmark corpora with the
// vector and the portable block search: the counts must agree.
func TestPortableClassifierCountsTheSame(t *testing.T) {
	vector, portable := newTestEngine(t), newTestEngine(t)
	portable.simd = false
	for name, body := range map[string][]byte{
		"clean":  corpus.CleanWeb(3, 1<<20).Data,
		"pi_csv": corpus.PIDenseCSV(3, 1<<20).Data,
		"binary": corpus.Binary(3, 1<<20).Data,
	} {
		if got, want := scanAll(portable, body), scanAll(vector, body); got != want {
			t.Errorf("%s: portable counts %v, vector counts %v", name, got, want)
		}
	}
}

// TestBlockMasksLayout pins the offsets classify_amd64.s writes at.
func TestBlockMasksLayout(t *testing.T) {
	var m blockMasks
	if d, p := unsafe.Offsetof(m.digit), unsafe.Offsetof(m.pair); d != 8*batchBlocks || p != 16*batchBlocks {
		t.Fatalf("blockMasks: digit at %d, pair at %d; classify_amd64.s writes at 64 and 128", d, p)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte("<th>姓名为张三</th> 110101199003078670 a@b.c %31 \\u0031 &#49; １２"))
	f.Add([]byte("name,phone\n\"x\",13812345678\t0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var blk [64]byte
		copy(blk[:], data)
		checkClassify(t, &blk)
	})
}
