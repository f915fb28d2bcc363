package lzmadec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ulikunitz/xz/lzma"
)

// readAllIn reads r to its end in reads of size bytes.
func readAllIn(r io.Reader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, errors.New("Read returned 0, nil")
		}
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// classic splits a .lzma file (XZ Utils' --format=lzma) into its header
// fields and data.
func classic(t testing.TB, b []byte) (props byte, dict int, size int64, data []byte) {
	t.Helper()
	if len(b) < 13 {
		t.Fatalf("lzma file of %d bytes", len(b))
	}
	return b[0], int(binary.LittleEndian.Uint32(b[1:])), int64(binary.LittleEndian.Uint64(b[5:])), b[13:]
}

// TestXZUtils decodes streams made by XZ Utils 5.4.1 (liblzma's encoder,
// which made most .xz and .7z files users have): LZMA2 with preset 6,
// preset 9e with lc=4 pb=0, preset 1 with lp=2 pb=4 and a 4 KiB dictionary
// (matches wrap around it), a stream with a stored chunk between LZMA
// chunks, and a classic .lzma with an end marker and no size.
func TestXZUtils(t *testing.T) {
	plain := fixture(t, "plain.csv")
	for _, name := range []string{"preset6.lzma2", "lc4pb0.lzma2", "lp2pb4.lzma2"} {
		for _, size := range []int{1, 7, 4096, 1 << 20} {
			got, err := readAllIn(NewReader2(bytes.NewReader(fixture(t, name)), 8<<20), size)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%s in reads of %d: %d bytes, equal %v, err %v", name, size, len(got), bytes.Equal(got, plain), err)
			}
		}
	}
	got, err := readAllIn(NewReader2(bytes.NewReader(fixture(t, "mixed.lzma2")), 1<<20), 1000)
	sum := sha256.Sum256(got)
	if want := strings.TrimSpace(string(fixture(t, "mixed.sha256"))); err != nil || hex.EncodeToString(sum[:]) != want {
		t.Errorf("mixed.lzma2: %d bytes, sha256 %x, err %v; want %s", len(got), sum, err, want)
	}
	props, dict, size, data := classic(t, fixture(t, "eos.lzma"))
	if size != -1 {
		t.Fatalf("eos.lzma declares size %d", size)
	}
	r, err := NewReader(data, props, dict, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAllIn(r, 3000); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("eos.lzma: %d bytes, err %v", len(got), err)
	}
}

// TestReset decodes two streams with one reader, as 7-Zip's folders are
// read one after another.
func TestReset(t *testing.T) {
	plain := fixture(t, "plain.csv")
	in := bytes.NewReader(append(fixture(t, "lp2pb4.lzma2"), fixture(t, "preset6.lzma2")...))
	z := NewReader2(in, 8<<20)
	for i := range 2 {
		if got, err := readAllIn(z, 5000); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("stream %d: %d bytes, err %v", i, len(got), err)
		}
		z.Reset(in)
	}
	if n, err := z.Read(make([]byte, 10)); n != 0 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the last stream: %d, %v; want io.ErrUnexpectedEOF", n, err)
	}
}

// compress2 compresses b to LZMA2 with ulikunitz/xz's encoder.
func compress2(t testing.TB, b []byte, p lzma.Properties, dict int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := lzma.Writer2Config{Properties: &p, DictCap: dict}.NewWriter2(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatalf("LZMA2 writer, %d bytes, %v, dict %d: %v", len(b), p, dict, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// compress1 compresses b to a classic LZMA stream, with its size in the
// header or an end marker, and returns the stream without its header.
func compress1(t testing.TB, b []byte, p lzma.Properties, dict int, eos bool) []byte {
	t.Helper()
	var out bytes.Buffer
	c := lzma.WriterConfig{Properties: &p, DictCap: dict, EOSMarker: eos}
	if !eos {
		c.SizeInHeader, c.Size = true, int64(len(b))
	}
	w, err := c.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()[13:]
}

// samples are inputs of different shapes: text, repeats (long overlapping
// matches), random bytes (literals, stored chunks) and mixtures.
func samples(t testing.TB) map[string][]byte {
	plain := fixture(t, "plain.csv")
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 70_000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := plain[:100_000]
	return map[string][]byte{
		"empty":   {},
		"one":     {'x'},
		"text":    text,
		"zeros":   make([]byte, 100_000),
		"abc":     bytes.Repeat([]byte("abc"), 20_000),
		"random":  random,
		"mixture": append(append(append([]byte{}, text[:20_000]...), random...), text...),
	}
}

// TestRoundTrip decodes what ulikunitz/xz's encoder made of each sample,
// with every kind of properties, dictionaries smaller than the data (so
// the dictionary wraps) and reads of several sizes.
func TestRoundTrip(t *testing.T) {
	props := []lzma.Properties{{LC: 3, LP: 0, PB: 2}, {LC: 0, LP: 0, PB: 0}, {LC: 4, LP: 0, PB: 4}, {LC: 1, LP: 3, PB: 1}, {LC: 0, LP: 4, PB: 3}}
	for name, plain := range samples(t) {
		for _, p := range props {
			for _, dict := range []int{MinDict, 100_000} {
				// ulikunitz/xz's LZMA2 writer fails ("insufficient
				// space") on 100 KB of random data with a dictionary
				// under 64 KiB; XZ Utils' lp2pb4.lzma2 (TestXZUtils)
				// has a 4 KiB one.
				dict2 := max(dict, 64<<10)
				packed2 := compress2(t, plain, p, dict2)
				packed1 := compress1(t, plain, p, dict, false)
				packedEOS := compress1(t, plain, p, dict, true)
				sizes := []int{4093}
				if p == props[0] { // one-byte reads are slow: one set of properties
					sizes = []int{1, 4093, 1 << 20}
				}
				for _, size := range sizes {
					got, err := readAllIn(NewReader2(bytes.NewReader(packed2), dict2), size)
					if err != nil || !bytes.Equal(got, plain) {
						t.Errorf("LZMA2 %s %v dict %d reads %d: %d of %d bytes, err %v", name, p, dict2, size, len(got), len(plain), err)
					}
					for _, want := range []int64{int64(len(plain)), -1} {
						packed := packed1
						if want < 0 {
							packed = packedEOS
						}
						r, err := NewReader(packed, p.Code(), dict, want)
						if err != nil {
							t.Fatal(err)
						}
						got, err := readAllIn(r, size)
						if err != nil || !bytes.Equal(got, plain) {
							t.Errorf("LZMA %s %v dict %d size %d reads %d: %d of %d bytes, err %v", name, p, dict, want, size, len(got), len(plain), err)
						}
					}
				}
			}
		}
	}
}

// TestWideLiteralContext decodes a classic stream with lc=8 lp=4, the
// largest literal model (3 M probabilities) LZMA allows and LZMA2 forbids.
func TestWideLiteralContext(t *testing.T) {
	plain := fixture(t, "plain.csv")
	p := lzma.Properties{LC: 8, LP: 4, PB: 4}
	r, err := NewReader(compress1(t, plain, p, 1<<16, false), p.Code(), 1<<16, int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAllIn(r, 1<<16); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("lc=8 lp=4: %d bytes, err %v", len(got), err)
	}
	z := NewReader2(bytes.NewReader([]byte{0xe0, 0, 0, 0, 4, p.Code(), 0, 0, 0, 0, 0}), MinDict)
	if _, err := readAllIn(z, 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("LZMA2 chunk with lc+lp > 4: err %v, want ErrCorrupt", err)
	}
}

// TestTruncated cuts valid streams short: every cut is an error, never a
// clean end, and what was decoded is a prefix of the data.
func TestTruncated(t *testing.T) {
	plain := fixture(t, "plain.csv")
	packed := fixture(t, "preset6.lzma2")
	for cut := 0; cut < len(packed); cut += 1 + cut/7 {
		got, err := readAllIn(NewReader2(bytes.NewReader(packed[:cut]), 8<<20), 4096)
		if err == nil || !bytes.HasPrefix(plain, got) {
			t.Fatalf("LZMA2 cut at %d of %d: %d bytes, prefix %v, err %v", cut, len(packed), len(got), bytes.HasPrefix(plain, got), err)
		}
	}
	props, dict, _, data := classic(t, fixture(t, "eos.lzma"))
	for cut := 5; cut < len(data); cut += 1 + cut/7 {
		r, err := NewReader(data[:cut], props, dict, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllIn(r, 4096)
		if err == nil || !bytes.HasPrefix(plain, got) {
			t.Fatalf("LZMA cut at %d of %d: %d bytes, prefix %v, err %v", cut, len(data), len(got), bytes.HasPrefix(plain, got), err)
		}
	}
}

// TestMalformed covers chunk headers LZMA2 rejects and data that points
// outside what was decoded.
func TestMalformed(t *testing.T) {
	valid := fixture(t, "preset6.lzma2")
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"control byte 3", []byte{3, 0, 0}},
		{"stored chunk before a dictionary reset", []byte{2, 0, 0, 'x', 0}},
		{"LZMA chunk before a dictionary reset", append([]byte{0xc0}, valid[1:]...)},
		{"LZMA chunk without properties", []byte{1, 0, 0, 'x', 0xa0, 0, 0, 0, 4, 0, 0, 0, 0, 0}},
		{"properties past 9*5*5", []byte{0xe0, 0, 0, 0, 4, 225, 0, 0, 0, 0, 0}},
		{"range coder not starting with 0", []byte{0xe0, 0, 0, 0, 4, 0x5d, 1, 0, 0, 0, 0}},
		{"chunk data left over", append(append([]byte{}, valid[:4]...), append([]byte{valid[4] + 1}, valid[5:]...)...)},
	} {
		if _, err := readAllIn(NewReader2(bytes.NewReader(tt.in), MinDict), 100); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	// A match at distance 0 before any byte was decoded.
	if _, err := NewReader([]byte{1, 0, 0, 0, 0}, 0x5d, MinDict, 10); !errors.Is(err, ErrCorrupt) {
		t.Errorf("first byte 1: err %v, want ErrCorrupt", err)
	}
	if r, err := NewReader([]byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0x5d, MinDict, 10); err != nil {
		t.Fatal(err)
	} else if _, err := readAllIn(r, 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a match before any history: err %v, want ErrCorrupt", err)
	}
}

// TestNoAllocs checks that decoding allocates nothing once the reader
// and its dictionary exist.
func TestNoAllocs(t *testing.T) {
	packed := fixture(t, "lp2pb4.lzma2")                // a 4 KiB dictionary
	z := NewReader2(bytes.NewReader(packed), firstDict) // no growth
	buf := make([]byte, 4<<10)
	z.Read(buf) // the first chunk allocates the chunk buffer
	if n := testing.AllocsPerRun(40, func() {
		if _, err := z.Read(buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per Read", n)
	}
}

// TestDictGrows checks that the dictionary grows with the data: the
// 248 KB fixture, declared with 64 MiB (xz -9), takes 256 KiB.
func TestDictGrows(t *testing.T) {
	plain := fixture(t, "plain.csv")
	z := NewReader2(bytes.NewReader(fixture(t, "preset6.lzma2")), 64<<20)
	got, err := readAllIn(z, 1000)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("%d bytes, err %v", len(got), err)
	}
	if n := len(z.d.dict); n != 256<<10 {
		t.Errorf("dictionary of %d bytes for %d bytes of data", n, len(plain))
	}
}

// BenchmarkDecode measures decoding XZ Utils' preset 6 stream of the CSV
// fixture, in MB/s of decoded bytes, with ulikunitz/xz/lzma (the decoder
// this package replaced) as the baseline.
func BenchmarkDecode(b *testing.B) {
	plain := fixture(b, "plain.csv")
	packed := fixture(b, "preset6.lzma2")
	buf := make([]byte, 32<<10)
	b.Run("lzmadec", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			z := NewReader2(bytes.NewReader(packed), len(plain))
			for _, err := z.Read(buf); err == nil; _, err = z.Read(buf) {
			}
		}
	})
	b.Run("ulikunitz", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			z, err := lzma.Reader2Config{DictCap: len(plain)}.NewReader2(bytes.NewReader(packed))
			if err != nil {
				b.Fatal(err)
			}
			for _, err := z.Read(buf); err == nil; _, err = z.Read(buf) {
			}
		}
	})
}
