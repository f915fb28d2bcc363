// Package decode undoes HTTP content codings (gzip, deflate, br, zstd,
// possibly stacked) with bounded output, and wraps a body so that its
// ORIGINAL bytes are forwarded only after the content they carry has been
// decoded, scanned and checked (see NewEnforcingReader).
//
// The package knows nothing about HTTP beyond the Content-Encoding syntax and
// nothing about detectors beyond the inspect.Scanner API.
package decode

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// Supported content codings, as ParseEncodings returns them.
const (
	Gzip    = "gzip"
	Deflate = "deflate"
	Brotli  = "br"
	Zstd    = "zstd"
)

// Default limits, used where a Limits field is zero or negative.
const (
	DefaultMaxDecoded = 64 << 20
	DefaultMaxRatio   = 200
)

// MaxLayers is how many stacked codings a body may declare. Each layer costs
// a decoder's window, so a header listing dozens of codings is refused.
const MaxLayers = 3

// ratioFloor is the decoded size below which MaxRatio is not enforced: a
// small, very repetitive body (a page of zeros, an empty JSON array padded
// with spaces) legitimately compresses far beyond any sane ratio.
const ratioFloor = 1 << 20

// zstdMaxWindow is the largest zstd window accepted. RFC 8878 section 3.1.1.1.2
// asks HTTP decoders to support at least 8 MB and allows them to refuse more.
const zstdMaxWindow = 8 << 20

// inBuf is the read-ahead buffer in front of every decoder layer.
const inBuf = 4 << 10

// Per-coding bound of how far a decoder's input runs ahead of the content it
// has returned, in input bytes, at the moments NewEnforcingReader moves its
// release point (right after a Read returned content). The default Lag is
// their sum over the chain. TestEnforcingReaderLeakBudget checks them from the recipient's
// view: the content decodable from the released prefix was always checked.
//
//   - gzip, deflate: flate (github.com/klauspost/compress/flate, a faster
//     port of compress/flate that reads its input the same way) stops
//     right after a flush, so only the 4 KiB read-ahead is pending; when a
//     stacked layer reads it in 4 KiB
//     pieces, the rest of the last flush (under 32 KiB of output, at most 16
//     bits of input each) is pending too: 4 + 64 KiB.
//   - br: the reader buffers 32 KiB of input and pushes decoded output as
//     soon as it needs more input; plus the 4 KiB read-ahead.
//   - zstd: a block (at most 128 KiB compressed plus a 3-byte header) is read
//     whole before any of its output appears; plus the 4 KiB read-ahead.
//
// Measured minimum safe lags (1 MiB text and random bodies, every codec and
// two stacks, Huffman-only deflate) were 4 KiB for one flate layer, 24 KiB
// for br, under 1 KiB for zstd and 32 KiB for stacks: the bounds have margin.
const (
	lagFlate  = 72 << 10
	lagBrotli = 40 << 10
	lagZstd   = 136 << 10
)

// Sentinel errors of a decoder that hit a limit.
var (
	// ErrTooLarge reports decoded output beyond Limits.MaxDecoded, or a zstd
	// frame whose window or declared size exceeds the decoder's bounds.
	ErrTooLarge = errors.New("decode: decoded size over limit")
	// ErrRatio reports decoded output more than Limits.MaxRatio times the
	// encoded input consumed so far (checked beyond the first MiB decoded).
	ErrRatio = errors.New("decode: compression ratio over limit")
)

// Limits bounds decompression. The zero value is usable: every zero or
// negative field takes its documented default.
type Limits struct {
	// MaxDecoded caps the bytes any decoding layer may produce for one
	// body; zero means DefaultMaxDecoded (64 MiB).
	MaxDecoded int64
	// MaxRatio caps decoded bytes per original (encoded) byte consumed,
	// once a layer has produced more than 1 MiB; zero means
	// DefaultMaxRatio (200).
	MaxRatio int
	// Lag is how many original bytes the decoder must have consumed past
	// an original byte before NewEnforcingReader may release that byte.
	// Zero means the safe bound for the chain: the sum of 72 KiB for each
	// gzip or deflate layer, 40 KiB for br and 136 KiB for zstd (0 for an
	// unencoded body). A smaller value forwards sooner but may let a few
	// KiB of content out before it is scanned.
	Lag int
}

func (l Limits) withDefaults(encodings []string) Limits {
	if l.MaxDecoded <= 0 {
		l.MaxDecoded = DefaultMaxDecoded
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.Lag <= 0 {
		l.Lag = 0
		for _, e := range encodings {
			l.Lag += codingLag(e)
		}
	}
	return l
}

func codingLag(encoding string) int {
	switch encoding {
	case Brotli:
		return lagBrotli
	case Zstd:
		return lagZstd
	default:
		return lagFlate
	}
}

// UnsupportedError reports a content coding this package cannot decode, or
// more than MaxLayers of them.
type UnsupportedError struct {
	// Encoding is the offending coding, lower-cased, cut to 32 bytes and
	// with digits masked (header values are untrusted and may carry PI).
	Encoding string
	// Layers is the number of codings declared when there were too many,
	// zero otherwise.
	Layers int
}

func (e *UnsupportedError) Error() string {
	if e.Layers > 0 {
		return fmt.Sprintf("decode: %d stacked content codings, at most %d supported", e.Layers, MaxLayers)
	}
	return fmt.Sprintf("decode: unsupported content coding %q", e.Encoding)
}

func unsupported(name string) *UnsupportedError {
	if len(name) > 32 {
		name = name[:32]
	}
	masked := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '*'
		}
		return r
	}, name)
	return &UnsupportedError{Encoding: masked}
}

// ParseEncodings parses a Content-Encoding header value into the codings in
// order of application (decoding runs them in reverse). Names are
// lower-cased, "identity" and empty list elements are dropped, and "x-gzip"
// is read as gzip. An unknown coding, or more than MaxLayers, is an
// *UnsupportedError.
func ParseEncodings(header string) ([]string, error) {
	var out []string
	for tok := range strings.SplitSeq(header, ",") {
		name := strings.ToLower(strings.Trim(tok, " \t"))
		switch name {
		case "", "identity":
			continue
		case "x-gzip":
			name = Gzip
		}
		if !supported(name) {
			return nil, unsupported(name)
		}
		out = append(out, name)
	}
	if len(out) > MaxLayers {
		return nil, &UnsupportedError{Layers: len(out)}
	}
	return out, nil
}

func supported(name string) bool {
	switch name {
	case Gzip, Deflate, Brotli, Zstd:
		return true
	}
	return false
}

func checkEncodings(encodings []string) error {
	if len(encodings) > MaxLayers {
		return &UnsupportedError{Layers: len(encodings)}
	}
	for _, e := range encodings {
		if !supported(e) {
			return unsupported(e)
		}
	}
	return nil
}

// NewDecoder returns a reader of the content of r, which carries the given
// codings (as ParseEncodings returns them; nil means identity). It decodes
// lazily: nothing is read from r before the first Read, so header errors
// surface there. Every layer's output is bounded by lim; a limit surfaces as
// an error wrapping ErrTooLarge or ErrRatio. Data after the end of a
// compressed stream is an error, never silently ignored. Close releases the
// decoders (it does not close r). The only error NewDecoder returns is an
// *UnsupportedError.
func NewDecoder(r io.Reader, encodings []string, lim Limits) (io.ReadCloser, error) {
	c := &countingReader{r: r}
	return newChain(c, c.count, encodings, lim)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) count() int64 { return c.n }

// chain is a stack of decoding layers; out reads the innermost content.
type chain struct {
	out    io.Reader
	layers []*layer
}

// newChain builds the layers over src; consumed reports how many original
// bytes have been read, the denominator of the ratio limit.
func newChain(src io.Reader, consumed func() int64, encodings []string, lim Limits) (*chain, error) {
	if err := checkEncodings(encodings); err != nil {
		return nil, fmt.Errorf("new decoder: %w", err)
	}
	lim = lim.withDefaults(encodings)
	c := &chain{out: src}
	if len(encodings) == 0 {
		c.out = &limiter{r: src, lim: lim, consumed: consumed}
	}
	for i := len(encodings) - 1; i >= 0; i-- {
		l := &layer{name: encodings[i], in: bufio.NewReaderSize(c.out, inBuf), maxDecoded: lim.MaxDecoded}
		c.layers = append(c.layers, l)
		c.out = &limiter{r: l, lim: lim, consumed: consumed}
	}
	return c, nil
}

func (c *chain) Read(p []byte) (int, error) { return c.out.Read(p) }

// Close releases every layer's decoder.
func (c *chain) Close() error {
	var errs []error
	for _, l := range c.layers {
		errs = append(errs, l.close())
	}
	return errors.Join(errs...)
}

// limiter enforces MaxDecoded and MaxRatio on one layer's output.
type limiter struct {
	r        io.Reader
	lim      Limits
	consumed func() int64
	n        int64
}

func (l *limiter) Read(p []byte) (int, error) {
	if room := l.lim.MaxDecoded - l.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte more than allowed is enough to tell
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if over := l.n - l.lim.MaxDecoded; over > 0 {
		l.n -= over
		return n - int(over), ErrTooLarge
	}
	if l.n > ratioFloor && l.n > int64(l.lim.MaxRatio)*l.consumed() {
		return n, ErrRatio
	}
	return n, err
}

// layer decodes one coding. The decoder is opened on first Read, so that
// building a chain never blocks on input.
type layer struct {
	name       string
	in         *bufio.Reader
	maxDecoded int64
	dec        io.Reader
	closer     func() error
	err        error // sticky
}

func (l *layer) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.dec == nil {
		if err := l.open(); err != nil {
			l.err = err
			return 0, err
		}
	}
	n, err := l.dec.Read(p)
	switch {
	case err == io.EOF:
		err = l.atEnd()
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		err = fmt.Errorf("%w: zstd: %w", ErrTooLarge, err)
	case err != nil:
		err = fmt.Errorf("decode %s: %w", l.name, err)
	}
	if err != nil {
		l.err = err
	}
	return n, err
}

// atEnd checks that nothing follows the end of the compressed stream:
// trailing bytes would reach the recipient without being inspected.
func (l *layer) atEnd() error {
	switch _, err := l.in.Peek(1); err {
	case nil:
		return fmt.Errorf("decode %s: data after end of stream", l.name)
	case io.EOF:
		return io.EOF
	default:
		return fmt.Errorf("decode %s: %w", l.name, err)
	}
}

// open starts the decoder. An empty input is empty content whatever the
// coding: bodies of HEAD-like or 204-like replies often keep the header.
func (l *layer) open() error {
	if _, err := l.in.Peek(1); err == io.EOF {
		l.dec = eofReader{}
		return nil
	}
	var err error
	switch l.name {
	case Gzip:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(l.in); err == nil {
			l.dec, l.closer = zr, zr.Close
		}
	case Deflate:
		l.dec, l.closer, err = openDeflate(l.in)
	case Brotli:
		l.dec = brotli.NewReader(l.in)
	case Zstd:
		var zr *zstd.Decoder
		zr, err = zstd.NewReader(l.in,
			zstd.WithDecoderConcurrency(1), // synchronous: no goroutines
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(uint64(l.maxDecoded)))
		if err == nil {
			l.dec, l.closer = zr, func() error { zr.Close(); return nil }
		}
	}
	if err != nil {
		return fmt.Errorf("decode %s: %w", l.name, err)
	}
	return nil
}

// openDeflate opens "deflate", which in the wild is zlib-wrapped (RFC 9110)
// or raw (RFC 1951); a zlib header is told apart by its first two bytes.
func openDeflate(in *bufio.Reader) (io.Reader, func() error, error) {
	if h, _ := in.Peek(2); isZlibHeader(h) {
		zr, err := zlib.NewReader(in)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	fr := flate.NewReader(in)
	return fr, fr.Close, nil
}

// isZlibHeader reports whether h starts with a zlib header: compression
// method 8 with a window of at most 32 KiB, and a valid check value.
// A raw deflate stream can match (about 1 in 250 random pairs), in which case
// the body is reported undecodable rather than decoded wrongly.
func isZlibHeader(h []byte) bool {
	if len(h) < 2 {
		return false
	}
	return h[0]&0x0f == 8 && h[0]>>4 <= 7 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0
}

func (l *layer) close() error {
	if l.closer == nil {
		return nil
	}
	c := l.closer
	l.closer = nil
	if l.err == nil {
		l.err = errClosed
	}
	return c()
}

var errClosed = errors.New("decode: reader closed")

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
