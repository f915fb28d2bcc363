package lzmadec

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ulikunitz/xz/lzma"
)

// fuzzCap bounds what a fuzz input may decode to: LZMA2 chunk headers can
// promise 2 MiB from a few bytes (the extractor's ratio limit stops that),
// and a fuzz run should not spend its time writing megabytes.
const fuzzCap = 1 << 20

// drain reads r to its end or fuzzCap bytes in reads of 3000 bytes and
// returns what it read.
func drain(t *testing.T, r io.Reader) []byte {
	var out []byte
	buf := make([]byte, 3000)
	for len(out) < fuzzCap {
		n, err := r.Read(buf)
		if n < 0 || n > len(buf) {
			t.Fatalf("Read returned %d", n)
		}
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
		if n == 0 {
			t.Fatal("Read returned 0, nil")
		}
	}
	return out
}

// FuzzLZMA2 decodes arbitrary bytes as LZMA2: no panic, no read past what
// Read was given, no endless 0, nil.
func FuzzLZMA2(f *testing.F) {
	f.Add(fixture(f, "lp2pb4.lzma2")[:2000])
	f.Add(fixture(f, "mixed.lzma2")[:3000])
	f.Add([]byte{1, 0, 2, 'a', 'b', 'c', 2, 0, 0, 'd', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, NewReader2(bytes.NewReader(data), 1<<16))
	})
}

// FuzzLZMA decodes arbitrary bytes as classic LZMA with any properties
// byte, with and without a declared size.
func FuzzLZMA(f *testing.F) {
	props, _, _, data := classic(f, fixture(f, "eos.lzma"))
	f.Add(props, int64(-1), data[:2000])
	f.Add(byte(0), int64(100), []byte{0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, props byte, size int64, data []byte) {
		r, err := NewReader(data, props, 1<<16, max(size%fuzzCap, -1))
		if err != nil {
			return
		}
		out := drain(t, r)
		if size >= 0 && int64(len(out)) > size%fuzzCap {
			t.Fatalf("decoded %d bytes of a stream of %d", len(out), size%fuzzCap)
		}
	})
}

// FuzzRoundTrip encodes arbitrary data with ulikunitz/xz's LZMA2 encoder
// and any lc, lp, pb it accepts, and checks that it decodes to the same
// bytes.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("姓名,身份证号\n张三,110101199003078515\n张三,110101199003078515\n"), byte(3), byte(0), byte(2))
	f.Add(bytes.Repeat([]byte{0, 1, 2}, 1000), byte(0), byte(4), byte(4))
	f.Fuzz(func(t *testing.T, data []byte, lc, lp, pb byte) {
		p := lzma.Properties{LC: int(lc % 5), LP: int(lp % 5), PB: int(pb % 5)}
		if p.LC+p.LP > 4 {
			p.LP = 4 - p.LC
		}
		var packed bytes.Buffer
		w, err := lzma.Writer2Config{Properties: &p, DictCap: 1 << 16}.NewWriter2(&packed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			return // the encoder's limits, not the decoder's
		}
		if err := w.Close(); err != nil {
			return
		}
		got, err := io.ReadAll(NewReader2(&packed, 1<<16))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%v: %d of %d bytes back, err %v", p, len(got), len(data), err)
		}
	})
}

// FuzzStreamReader decodes arbitrary bytes as a classic LZMA stream of
// unknown size read from an io.Reader: no panic, no endless 0, nil, and
// the same bytes whether the input comes whole or a byte at a time.
func FuzzStreamReader(f *testing.F) {
	props, _, _, data := classic(f, fixture(f, "eos.lzma"))
	f.Add(props, data[:3000])
	f.Add(props, compress1(f, fixture(f, "plain.csv")[:20_000], lzma.Properties{LC: 3, PB: 2}, 1<<16, false))
	f.Add(byte(0), []byte{0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, props byte, data []byte) {
		whole, err := NewStreamReader(bytes.NewReader(data), props, 1<<16)
		if err != nil {
			return
		}
		bytewise, _ := NewStreamReader(iotest.OneByteReader(bytes.NewReader(data)), props, 1<<16)
		if a, b := drain(t, whole), drain(t, bytewise); !bytes.Equal(a, b) {
			t.Fatalf("%d bytes whole, %d fed a byte at a time", len(a), len(b))
		}
	})
}
