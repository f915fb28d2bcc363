package decode

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/goleak"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

func TestEnforcingReaderForwardsOriginal(t *testing.T) {
	defer goleak.VerifyNone(t)
	sizes := []struct {
		name string
		n    int
	}{{"0B", 0}, {"1B", 1}, {"100KiB", 100 << 10}, {"8MiB", 8 << 20}}
	text := piText(8 << 20)
	for _, c := range testCodecs {
		for _, size := range sizes {
			if size.n > 1<<20 && len(c.encodings) != 1 && c.name != "gzip,br" {
				continue // the big body once per decoder and one stack keeps -race runs short
			}
			t.Run(c.name+"/"+size.name, func(t *testing.T) {
				plain := text[:size.n]
				orig := encode(t, c, plain)
				s := newScanner(t)
				var r reasons
				er := NewEnforcingReader(iotest.HalfReader(bytes.NewReader(orig)), c.encodings, s, allow, r.hook, Limits{})
				h := sha256.New()
				if _, err := io.Copy(h, er); err != nil {
					t.Fatalf("copy: %v", err)
				}
				if err := er.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				if got, want := [32]byte(h.Sum(nil)), sum(orig); got != want {
					t.Fatal("forwarded bytes differ from the original")
				}
				if got := s.Tally().Bytes; got != int64(size.n) {
					t.Errorf("scanned %d decoded bytes, want %d", got, size.n)
				}
				if len(r.got) > 0 {
					t.Errorf("uninspectable %q on a valid body", r.got)
				}
			})
		}
	}
}

// TestEnforcingReaderEmptyOriginal covers a body with no bytes at all.
func TestEnforcingReaderEmptyOriginal(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range testCodecs {
		s := newScanner(t)
		var r reasons
		er := NewEnforcingReader(bytes.NewReader(nil), c.encodings, s, allow, r.hook, Limits{})
		got, err := io.ReadAll(er)
		if err != nil || len(got) != 0 || len(r.got) != 0 {
			t.Errorf("%s: read %d bytes, err %v, uninspectable %q; want an empty body", c.name, len(got), err, r.got)
		}
		_ = er.Close()
	}
}

func TestEnforcingReaderUninspectable(t *testing.T) {
	defer goleak.VerifyNone(t)
	gz := testCodecs[1]
	good := encode(t, gz, piText(200<<10))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	zeros := encode(t, gz, make([]byte, 8<<20))
	tests := []struct {
		give      string
		body      []byte
		encodings []string
		lim       Limits
		want      string
	}{
		{give: "truncated", body: good[:len(good)-5], encodings: gz.encodings, want: ReasonDecodeError},
		{give: "corrupt", body: corrupt, encodings: gz.encodings, want: ReasonDecodeError},
		{give: "trailing", body: append(bytes.Clone(good), "plain text after the stream"...), encodings: gz.encodings, want: ReasonDecodeError},
		{give: "not-gzip", body: piText(100 << 10), encodings: gz.encodings, want: ReasonDecodeError},
		{give: "ratio", body: zeros, encodings: gz.encodings, want: ReasonRatio},
		{give: "over-limit", body: zeros, encodings: gz.encodings, lim: Limits{MaxDecoded: 2 << 20, MaxRatio: 1 << 20}, want: ReasonOverLimit},
		{give: "unsupported", body: good, encodings: []string{"compress"}, want: ReasonUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.give+"/allowed", func(t *testing.T) {
			r := reasons{}
			er := NewEnforcingReader(bytes.NewReader(tt.body), tt.encodings, newScanner(t), allow, r.hook, tt.lim)
			defer er.Close()
			got, err := io.ReadAll(er)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("forwarded %d bytes, want the %d original ones unchanged", len(got), len(tt.body))
			}
			if !slices.Equal(r.got, []string{tt.want}) {
				t.Errorf("uninspectable reasons %q, want [%s]", r.got, tt.want)
			}
		})
		t.Run(tt.give+"/denied", func(t *testing.T) {
			r := reasons{err: errDenied}
			er := NewEnforcingReader(bytes.NewReader(tt.body), tt.encodings, newScanner(t), allow, r.hook, tt.lim)
			defer er.Close()
			got, err := io.ReadAll(er)
			if !errors.Is(err, errDenied) {
				t.Fatalf("read error %v, want %v", err, errDenied)
			}
			if !bytes.HasPrefix(tt.body, got) {
				t.Error("forwarded bytes are not a prefix of the original")
			}
			if !slices.Equal(r.got, []string{tt.want}) {
				t.Errorf("uninspectable reasons %q, want [%s]", r.got, tt.want)
			}
		})
	}
}

// bomb returns a gzip or zstd body of 1 GiB of zeros, about 1 MB long:
// 1024 concatenated members of 1 MiB each, generated as it is read.
func bomb(tb testing.TB, encoding string) io.Reader {
	tb.Helper()
	var member bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case Gzip:
		w, _ = gzip.NewWriterLevel(&member, gzip.BestCompression)
	case Zstd:
		zw, err := zstd.NewWriter(&member, zstd.WithEncoderConcurrency(1))
		if err != nil {
			tb.Fatalf("zstd writer: %v", err)
		}
		w = zw
	}
	zeros := make([]byte, 64<<10)
	for range 16 {
		_, _ = w.Write(zeros)
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("close %s: %v", encoding, err)
	}
	return &repeatReader{b: member.Bytes(), n: 1024}
}

func TestEnforcingReaderBomb(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		give     string
		encoding string
		lim      Limits
		want     string
	}{
		{give: "gzip-ratio", encoding: Gzip, want: ReasonRatio},
		{give: "gzip-max", encoding: Gzip, lim: Limits{MaxDecoded: 16 << 20, MaxRatio: 1 << 20}, want: ReasonOverLimit},
		{give: "zstd-ratio", encoding: Zstd, want: ReasonRatio},
		{give: "zstd-max", encoding: Zstd, lim: Limits{MaxDecoded: 16 << 20, MaxRatio: 1 << 30}, want: ReasonOverLimit},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s, src := newScanner(t), bomb(t, tt.encoding)
			var ms runtime.MemStats
			runtime.GC()
			runtime.GC() // twice: pools keep a victim generation
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, ms.HeapInuse
			checks := 0
			check := func(*inspect.Tally) error {
				if checks++; checks%16 == 0 { // ReadMemStats stops the world: sample
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
				return nil
			}
			r := reasons{err: errDenied}
			er := NewEnforcingReader(src, []string{tt.encoding}, s, check, r.hook, tt.lim)
			defer er.Close()
			_, err := io.Copy(io.Discard, er)
			if !errors.Is(err, errDenied) || !slices.Equal(r.got, []string{tt.want}) {
				t.Fatalf("error %v, reasons %q; want %v after [%s]", err, r.got, errDenied, tt.want)
			}
			if got, limit := s.Tally().Bytes, cmp.Or(tt.lim.MaxDecoded, DefaultMaxDecoded); got > limit {
				t.Errorf("scanned %d decoded bytes, more than the %d limit", got, limit)
			}
			// zstd keeps its window (here 8 MiB) plus two blocks; flate 32 KiB.
			if grown := peak - base; grown > 32<<20 {
				t.Errorf("heap in use grew by %d MiB", grown>>20)
			}
		})
	}
}

// TestEnforcingReaderBombPassthrough checks that an allowed bomb is still
// forwarded byte for byte.
func TestEnforcingReaderBombPassthrough(t *testing.T) {
	defer goleak.VerifyNone(t)
	want := sha256.New()
	_, _ = io.Copy(want, bomb(t, Gzip))
	r := reasons{}
	er := NewEnforcingReader(bomb(t, Gzip), []string{Gzip}, newScanner(t), allow, r.hook, Limits{})
	defer er.Close()
	got := sha256.New()
	if _, err := io.Copy(got, er); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) || !slices.Equal(r.got, []string{ReasonRatio}) {
		t.Fatalf("forwarded body differs or reasons %q, want identical after [ratio]", r.got)
	}
}

// blockAfter returns a check that blocks once more than n decoded bytes
// were scanned, and records the last scanned size it passed.
func blockAfter(n int64, approved *int64) func(*inspect.Tally) error {
	return func(t *inspect.Tally) error {
		if t.Bytes > n {
			return inspect.ErrBlocked
		}
		*approved = t.Bytes
		return nil
	}
}

// TestEnforcingReaderLeakBudget is the leak-budget property: whatever the
// recipient decodes from the bytes released before a block, it is content
// the check had passed; and the reader does not hold more than it must.
func TestEnforcingReaderLeakBudget(t *testing.T) {
	defer goleak.VerifyNone(t)
	text, random := piText(1<<20), randomBytes(1<<20)
	codecs := append(slices.Clone(testCodecs),
		codec{name: "gzip-huffman-only", encodings: []string{Gzip}, huffmanOnly: true},
		codec{name: "deflate-raw-huffman-only", encodings: []string{Deflate}, rawDeflate: true, huffmanOnly: true})
	for _, c := range codecs {
		for _, data := range []struct {
			name  string
			plain []byte
		}{{"text", text}, {"random", random}} {
			orig := encode(t, c, data.plain)
			for _, n := range []int64{0, 1000, 100 << 10, 300 << 10, 700 << 10} {
				t.Run(c.name+"/"+data.name, func(t *testing.T) {
					var approved int64
					er := NewEnforcingReader(bytes.NewReader(orig), c.encodings, newScanner(t), blockAfter(n, &approved), (&reasons{err: errDenied}).hook, Limits{})
					defer er.Close()
					released, err := io.ReadAll(er)
					if !errors.Is(err, inspect.ErrBlocked) {
						t.Fatalf("N=%d: error %v, want ErrBlocked", n, err)
					}
					if got := lenientLen(t, released, c.encodings); got > approved {
						t.Errorf("N=%d: the %d released bytes decode to %d bytes, more than the %d checked", n, len(released), got, approved)
					}
					// Liveness: the body streams instead of being held whole;
					// pos estimates the original offset that carries content n.
					lag := int64(Limits{}.withDefaults(c.encodings).Lag)
					if pos := int64(len(orig)) * n / int64(len(data.plain)); pos > lag+64<<10 && len(released) == 0 {
						t.Errorf("N=%d: nothing of %d bytes released before the block", n, len(orig))
					}
				})
			}
		}
	}
}

// TestEnforcingReaderLagBound checks the documented bound directly on an
// identity body, where input and content offsets coincide.
func TestEnforcingReaderLagBound(t *testing.T) {
	defer goleak.VerifyNone(t)
	plain := randomBytes(512 << 10) // identity: consumed == decoded
	for _, lag := range []int{1, 10 << 10, 100 << 10} {
		var approved int64
		er := NewEnforcingReader(bytes.NewReader(plain), nil, newScanner(t), blockAfter(300<<10, &approved), (&reasons{}).hook, Limits{Lag: lag})
		released, err := io.ReadAll(er)
		_ = er.Close()
		if !errors.Is(err, inspect.ErrBlocked) {
			t.Fatalf("lag %d: error %v, want ErrBlocked", lag, err)
		}
		// The release point trails the input by Lag, and by one more batch
		// when the scanner has not settled the end of the last one.
		if got, hi := int64(len(released)), approved-int64(lag); got > hi || got < hi-batch {
			t.Errorf("lag %d: released %d bytes, want %d-%d", lag, got, hi-batch, hi)
		}
	}
}

func TestEnforcingReaderSourceError(t *testing.T) {
	defer goleak.VerifyNone(t)
	errNet := errors.New("connection reset")
	orig := encode(t, testCodecs[1], piText(300<<10))
	r := reasons{}
	src := io.MultiReader(bytes.NewReader(orig[:len(orig)/2]), iotest.ErrReader(errNet))
	er := NewEnforcingReader(src, []string{Gzip}, newScanner(t), allow, r.hook, Limits{})
	defer er.Close()
	got, err := io.ReadAll(er)
	if !errors.Is(err, errNet) {
		t.Fatalf("error %v, want %v", err, errNet)
	}
	if len(r.got) != 0 || !bytes.HasPrefix(orig, got) {
		t.Errorf("reasons %q, prefix %v; want no uninspectable call and a prefix", r.got, bytes.HasPrefix(orig, got))
	}
}

// closeRecorder is a body that records Close.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestEnforcingReaderClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range testCodecs {
		body := &closeRecorder{Reader: bytes.NewReader(encode(t, c, piText(1<<20)))}
		er := NewEnforcingReader(body, c.encodings, newScanner(t), allow, (&reasons{}).hook, Limits{})
		if _, err := er.Read(make([]byte, 1000)); err != nil {
			t.Fatalf("%s: first read: %v", c.name, err)
		}
		if err := er.Close(); err != nil || !body.closed {
			t.Fatalf("%s: close: %v, body closed %v", c.name, err, body.closed)
		}
		if _, err := er.Read(make([]byte, 1000)); err == nil {
			t.Errorf("%s: read after close succeeded", c.name)
		}
	}
}

// TestEnforcingReaderLeakBudgetHasTeeth shows that the leak-budget check
// above can fail: with Lag 1 a stacked body does let unchecked content out.
func TestEnforcingReaderLeakBudgetHasTeeth(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := testCodecs[6] // gzip,br
	orig := encode(t, c, piText(1<<20))
	leaked := false
	for n := int64(0); n < 1<<20 && !leaked; n += 7919 {
		var approved int64
		er := NewEnforcingReader(bytes.NewReader(orig), c.encodings, newScanner(t), blockAfter(n, &approved), (&reasons{err: errDenied}).hook, Limits{Lag: 1})
		released, _ := io.ReadAll(er)
		_ = er.Close()
		leaked = lenientLen(t, released, c.encodings) > approved
	}
	if !leaked {
		t.Error("Lag 1 never leaked unchecked content: the leak-budget test cannot detect a leak")
	}
}
