package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// codec is one way of producing an encoded body in tests.
type codec struct {
	name        string   // test name
	encodings   []string // Content-Encoding, in order of application
	huffmanOnly bool     // flate layers use Huffman-only coding, the worst case for lag
	rawDeflate  bool     // deflate layers are raw, not zlib-wrapped
}

// testCodecs are the encodings every round-trip test covers.
var testCodecs = []codec{
	{name: "identity"},
	{name: "gzip", encodings: []string{Gzip}},
	{name: "deflate-zlib", encodings: []string{Deflate}},
	{name: "deflate-raw", encodings: []string{Deflate}, rawDeflate: true},
	{name: "br", encodings: []string{Brotli}},
	{name: "zstd", encodings: []string{Zstd}},
	{name: "gzip,br", encodings: []string{Gzip, Brotli}},
	{name: "zstd,gzip", encodings: []string{Zstd, Gzip}},
}

// encode applies c's codings to data in order.
func encode(tb testing.TB, c codec, data []byte) []byte {
	tb.Helper()
	for _, enc := range c.encodings {
		var buf bytes.Buffer
		w, err := newEncoder(&buf, enc, c)
		if err != nil {
			tb.Fatalf("new %s encoder: %v", enc, err)
		}
		if _, err := w.Write(data); err != nil {
			tb.Fatalf("encode %s: %v", enc, err)
		}
		if err := w.Close(); err != nil {
			tb.Fatalf("close %s encoder: %v", enc, err)
		}
		data = buf.Bytes()
	}
	return data
}

func newEncoder(w io.Writer, enc string, c codec) (io.WriteCloser, error) {
	level := flate.BestSpeed // keeps -race runs short; still dynamic Huffman blocks
	if c.huffmanOnly {
		level = flate.HuffmanOnly
	}
	switch enc {
	case Gzip:
		return gzip.NewWriterLevel(w, level)
	case Deflate:
		if c.rawDeflate {
			return flate.NewWriter(w, level)
		}
		return zlib.NewWriterLevel(w, level)
	case Brotli:
		return brotli.NewWriterLevel(w, 2), nil
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
	}
	return nil, fmt.Errorf("no encoder for %q", enc)
}

// piText returns n bytes of CSV lines shaped like a customer export (the
// values are random digits, not valid identifiers).
func piText(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(n + 128)
	for b.Len() < n {
		fmt.Fprintf(&b, "%d,customer-%d,138%08d,11010119%02d%02d%02d%03d%d,%s\n",
			rng.IntN(1e6), rng.IntN(1e4), rng.IntN(1e8), 70+rng.IntN(30), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(1000), rng.IntN(10),
			strings.Repeat("x", rng.IntN(20)))
	}
	return b.Bytes()[:n]
}

// randomBytes returns n incompressible bytes.
func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// testEngine is built once: an engine's tables are large and immutable.
var testEngine = sync.OnceValues(func() (*inspect.Engine, error) { return inspect.NewEngine(inspect.Config{}) })

func newScanner(tb testing.TB) *inspect.Scanner {
	tb.Helper()
	eng, err := testEngine()
	if err != nil {
		tb.Fatalf("new engine: %v", err)
	}
	s := eng.NewScanner()
	tb.Cleanup(s.Release)
	return s
}

func allow(*inspect.Tally) error { return nil }

// reasons records the onUninspectable calls and answers with err.
type reasons struct {
	got []string
	err error
}

func (r *reasons) hook(reason string) error {
	r.got = append(r.got, reason)
	return r.err
}

var errDenied = errors.New("test: uninspectable denied")

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

// repeatReader yields b n times, never holding more than b in memory.
type repeatReader struct {
	b   []byte
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.b[r.off:])
	if r.off += k; r.off == len(r.b) {
		r.off = 0
		r.n--
	}
	return k, nil
}

// lenientLen is how much content a recipient can decode from a prefix of an
// encoded body: everything before the first error.
func lenientLen(tb testing.TB, prefix []byte, encodings []string) int64 {
	tb.Helper()
	d, err := NewDecoder(bytes.NewReader(prefix), encodings, Limits{MaxDecoded: 1 << 40, MaxRatio: 1 << 30})
	if err != nil {
		tb.Fatalf("new decoder: %v", err)
	}
	defer d.Close()
	n, _ := io.Copy(io.Discard, d)
	return n
}
