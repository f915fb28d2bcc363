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
		// The block at every position of a batch, with every kernel.
		for _, k := range availableKernels() {
			for n := 1; n <= batchBlocks; n++ {
				src := make([]byte, 64*n)
				copy(src[64*(n-1):], blk[:])
				var out blockMasks
				table.classify(src, n, &out, k)
				if c, d, p := out.class[n-1], out.digit[n-1], out.pair[n-1]; c != wc || d != wd || p != wp {
					t.Fatalf("%s kernel %s, block %d of %d: got %x %x %x, want %x %x %x for % x", name, k, n, n, c, d, p, wc, wd, wp, blk[:])
				}
			}
		}
	}
}

// availableKernels lists the block classifiers this CPU runs (a CPU with
// AVX-512 VBMI has AVX2).
func availableKernels() []kernel {
	ks := []kernel{kernelPortable}
	if bestKernel >= kernelAVX2 {
		ks = append(ks, kernelAVX2)
	}
	if bestKernel >= kernelVBMI {
		ks = append(ks, kernelVBMI)
	}
	return ks
}

// TestClassify puts every byte value at every position of a block, and
// tries random blocks.
func TestClassify(t *testing.T) {
	t.Logf("kernels: %v", availableKernels())
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

// TestKernelsCountTheSame scans the benchmark corpora with every block
// classifier: the counts must agree.
func TestKernelsCountTheSame(t *testing.T) {
	for name, body := range map[string][]byte{
		"clean":  corpus.CleanWeb(3, 1<<20).Data,
		"pi_csv": corpus.PIDenseCSV(3, 1<<20).Data,
		"binary": corpus.Binary(3, 1<<20).Data,
	} {
		var want [NumDetectors]int
		for i, k := range availableKernels() {
			e := newTestEngine(t)
			e.kernel = k
			got := scanAll(e, body)
			if i == 0 {
				want = got
			} else if got != want {
				t.Errorf("%s: kernel %s counts %v, portable counts %v", name, k, got, want)
			}
		}
	}
}

// TestNibbleTablesOverflow: a flag needs one bit per distinct low-nibble
// set, and a table needing more than sixteen is refused (the stop tables
// fit, or the package would not initialise).
func TestNibbleTablesOverflow(t *testing.T) {
	var diagonal [256]byte // 0x00, 0x11, ... 0xFF: sixteen low-nibble sets
	for h := range 16 {
		diagonal[h<<4|h] = flagClass
	}
	if _, ok := newNibbleTables(&diagonal); !ok {
		t.Error("sixteen bits refused")
	}
	diagonal['0'] = flagDigit
	if _, ok := newNibbleTables(&diagonal); ok {
		t.Error("seventeen bits accepted")
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

// BenchmarkClassify is the block search's classification alone, per kernel,
// over the clean corpus in batches.
func BenchmarkClassify(b *testing.B) {
	body := corpora()["clean"]
	for _, k := range availableKernels() {
		b.Run(k.String(), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var out blockMasks
			for b.Loop() {
				for off := 0; off+64*batchBlocks <= len(body); off += 64 * batchBlocks {
					textStops.classify(body[off:], batchBlocks, &out, k)
				}
			}
		})
	}
}
