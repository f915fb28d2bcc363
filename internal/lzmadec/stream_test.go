package lzmadec

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ulikunitz/xz/lzma"
)

// TestStreamReader decodes classic LZMA streams whose size it is not
// given, read from an io.Reader in pieces of every size: the end is found
// where the encoder's flush left the range coder (or at an end marker),
// with not a byte more, and less only by some trailing zero bytes.
func TestStreamReader(t *testing.T) {
	props := []lzma.Properties{{LC: 3, LP: 0, PB: 2}, {LC: 0, LP: 0, PB: 0}, {LC: 4, LP: 0, PB: 4}, {LC: 8, LP: 4, PB: 4}}
	feeds := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for name, plain := range samples(t) {
		for _, p := range props {
			for _, eos := range []bool{false, true} {
				packed := compress1(t, plain, p, 1<<16, eos)
				for feed, wrap := range feeds {
					if feed == "one byte" && len(plain) > 100_000 {
						continue
					}
					r, err := NewStreamReader(wrap(bytes.NewReader(packed)), p.Code(), 1<<16)
					if err != nil {
						t.Fatal(err)
					}
					got, err := readAllIn(r, 4093)
					if err != nil || !zeroTail(plain, got) {
						t.Errorf("%s %v eos %v fed %s: %d of %d bytes, err %v", name, p, eos, feed, len(got), len(plain), err)
					}
					if len(r.Rest()) != 0 {
						t.Errorf("%s %v eos %v fed %s: %d bytes left undecoded", name, p, eos, feed, len(r.Rest()))
					}
				}
			}
		}
	}
}

// zeroTail reports whether got is want, or want without some of its
// trailing zero bytes (a few dozen at most): what a StreamReader may
// hand out of a stream that ends in zero literals.
func zeroTail(want, got []byte) bool {
	rest, ok := bytes.CutPrefix(want, got)
	return ok && len(rest) <= packetMax && bytes.Count(rest, []byte{0}) == len(rest)
}

// TestStreamReaderXZUtils decodes XZ Utils' .lzma (an end marker, no size)
// without its header.
func TestStreamReaderXZUtils(t *testing.T) {
	props, dict, _, data := classic(t, fixture(t, "eos.lzma"))
	r, err := NewStreamReader(bytes.NewReader(data), props, dict)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllIn(r, 1<<16)
	if err != nil || !bytes.Equal(got, fixture(t, "plain.csv")) {
		t.Errorf("eos.lzma: %d bytes, err %v", len(got), err)
	}
}

// TestStreamReaderTruncated cuts a stream short: every cut decodes a prefix
// of the data and ends in an error (io.ErrUnexpectedEOF or ErrCorrupt),
// never a clean end. A stream followed by a next one (a zero byte) ends
// where it ends, the rest left in Rest; followed by anything else, it fails.
func TestStreamReaderTruncated(t *testing.T) {
	plain := fixture(t, "plain.csv")[:60_000]
	p := lzma.Properties{LC: 3, LP: 0, PB: 2}
	packed := compress1(t, plain, p, 1<<16, false)
	for cut := 0; cut < len(packed); cut += 1 + cut/11 {
		r, err := NewStreamReader(bytes.NewReader(packed[:cut]), p.Code(), 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllIn(r, 4096)
		if err == nil || !bytes.HasPrefix(plain, got) {
			t.Fatalf("cut at %d of %d: %d bytes, prefix %v, err %v", cut, len(packed), len(got), bytes.HasPrefix(plain, got), err)
		}
	}
	next := []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}
	r, _ := NewStreamReader(bytes.NewReader(append(packed[:len(packed):len(packed)], next...)), p.Code(), 1<<16)
	if got, err := readAllIn(r, 4096); err != nil || !bytes.Equal(got, plain) || !bytes.Equal(r.Rest(), next) {
		t.Errorf("a next stream after it: %d bytes, err %v, rest % x", len(got), err, r.Rest())
	}
	r, _ = NewStreamReader(bytes.NewReader(append(packed[:len(packed):len(packed)], 0x55, 0x66, 0, 0, 0, 0)), p.Code(), 1<<16)
	if got, err := readAllIn(r, 4096); err == nil && bytes.Equal(got, plain) {
		t.Error("other bytes after the stream: a clean end")
	}
}

// TestStreamReaderErrors: a reader's error is returned after the bytes
// decoded before it; a first byte other than 0 is ErrCorrupt.
func TestStreamReaderErrors(t *testing.T) {
	plain := fixture(t, "plain.csv")
	p := lzma.Properties{LC: 3, LP: 0, PB: 2}
	packed := compress1(t, plain, p, 1<<16, false)
	boom := errors.New("boom")
	r, _ := NewStreamReader(io.MultiReader(bytes.NewReader(packed[:len(packed)/2]), iotest.ErrReader(boom)), p.Code(), 1<<16)
	got, err := readAllIn(r, 4096)
	if !errors.Is(err, boom) || !bytes.HasPrefix(plain, got) || len(got) == 0 {
		t.Errorf("reader error: %d bytes, err %v", len(got), err)
	}
	r, _ = NewStreamReader(bytes.NewReader([]byte{1, 0, 0, 0, 0, 0}), p.Code(), 1<<16)
	if _, err := readAllIn(r, 10); !errors.Is(err, ErrCorrupt) {
		t.Errorf("first byte 1: err %v, want ErrCorrupt", err)
	}
	if _, err := NewStreamReader(bytes.NewReader(nil), 9*5*5, 1<<16); err == nil {
		t.Error("properties byte 225 accepted")
	}
}
