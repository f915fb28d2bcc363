package decode

import (
	"errors"
	"fmt"
	"io"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Reasons passed to the onUninspectable hook of NewEnforcingReader; they are
// stable and fit a bounded metric label.
const (
	ReasonDecodeError = "decode_error" // corrupt, truncated, or data after the stream
	ReasonOverLimit   = "over_limit"   // MaxDecoded, zstd window, or hold limit hit
	ReasonRatio       = "ratio"        // MaxRatio hit
	ReasonUnsupported = "unsupported"  // the encodings given are not supported
)

// batch is how much decoded content is scanned between two checks.
const batch = 32 << 10

// holdSlack is how many original bytes beyond Lag may wait for release. A
// decoder consumes input without output only for padding (empty deflate
// blocks, brotli metadata, zstd skippable frames); more than this much of it
// makes the body uninspectable (ReasonOverLimit) instead of growing memory.
const holdSlack = 1 << 20

// maxEmptyReads is how many (0, nil) reads of the decoder in a row are taken
// as a stuck stream.
const maxEmptyReads = 100

// NewEnforcingReader returns a reader of the ORIGINAL bytes of orig, which
// carries the given content codings (as ParseEncodings returns them; nil
// means identity). The bytes come out unchanged; meanwhile the decoded
// content is written to s, and check runs on s.Tally() after every decoded
// batch of at most 32 KiB. s is a Scanner, or an Inspector that feeds one
// (an extract.Extractor takes the decoded upload apart); its Settled is in
// decoded bytes, the offsets of what was written to it.
//
// Guarantee (the leak budget). Let C be how many original bytes the decoder
// has consumed and D how much content it has produced at some point; the
// original bytes before C-Lag are released only once all D bytes have been
// written to s, s.Settled() >= D, and check has returned nil after the
// batch that ended at D. So released bytes trail the decoder's input by at
// least Lag bytes, and since each coding's decoder returns all the content
// of its input within its documented look-ahead (see Limits.Lag), the
// recipient can never decode content that check has not passed. At most
// Lag + 1 MiB original bytes are held; a decoder consuming more without
// producing output is reported as ReasonOverLimit. At the end of orig the
// whole body is decoded, s is closed and check runs once more before the
// last Lag bytes go out.
//
// If check returns an error, Read returns it after any bytes released
// before; bytes not yet released are never returned. If decoding fails or
// hits a limit, onUninspectable is called once with ReasonDecodeError,
// ReasonOverLimit, ReasonRatio or ReasonUnsupported: if it returns nil the
// held bytes and the rest of orig stream through uninspected (still
// byte-identical), otherwise Read returns its error. An error reading orig
// itself is returned as is, after the bytes released before it.
//
// Everything runs inside Read: there is no goroutine. Close releases the
// decoders and closes orig if it is an io.Closer; the caller keeps
// ownership of s. The reader is not safe for concurrent use.
func NewEnforcingReader(orig io.Reader, encodings []string, s inspect.Inspector, check func(*inspect.Tally) error, onUninspectable func(reason string) error, lim Limits) io.ReadCloser {
	lag := int64(lim.withDefaults(encodings).Lag)
	e := &enforcer{
		tap:             tap{r: orig, hold: int(lag) + holdSlack, buf: make([]byte, 0, int(lag)+2*batch)},
		s:               s,
		check:           check,
		onUninspectable: onUninspectable,
		lag:             lag,
	}
	dec, err := newChain(&e.tap, e.tap.consumed, encodings, lim)
	if err == nil {
		e.dec = dec
		e.buf = make([]byte, batch)
	}
	return e
}

type enforcerState uint8

const (
	inspecting  enforcerState = iota
	passthrough               // uninspectable and allowed: orig is copied as is
	finished                  // decoded to the end and checked
)

// mark records that once the content up to decoded offset d is settled,
// original bytes before c-lag may be released.
type mark struct{ c, d int64 }

type enforcer struct {
	tap             tap
	dec             *chain // nil once decoding stopped or if encodings were unsupported
	s               inspect.Inspector
	check           func(*inspect.Tally) error
	onUninspectable func(string) error
	lag             int64

	buf     []byte
	decoded int64 // content bytes written to s
	marks   []mark
	release int64 // original offset before which bytes may be returned
	state   enforcerState
	empties int
	err     error // sticky
}

// Read returns released original bytes, decoding and checking more of the
// body as needed.
func (e *enforcer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if n := e.tap.take(p, e.release); n > 0 {
			return n, nil
		}
		if e.err != nil {
			return 0, e.err
		}
		switch e.state {
		case finished:
			return 0, io.EOF
		case passthrough:
			return e.tap.r.Read(p)
		}
		e.step()
	}
}

// step decodes, scans and checks one batch, then moves the release point.
func (e *enforcer) step() {
	if e.dec == nil {
		e.uninspectable(ReasonUnsupported)
		return
	}
	n, err := e.dec.Read(e.buf)
	if n > 0 {
		e.empties = 0
		if _, werr := e.s.Write(e.buf[:n]); werr != nil {
			e.fail(fmt.Errorf("scan body: %w", werr))
			return
		}
		e.decoded += int64(n)
		if cerr := e.check(e.s.Tally()); cerr != nil {
			e.fail(cerr)
			return
		}
	}
	switch {
	case err == nil && n == 0:
		if e.empties++; e.empties >= maxEmptyReads {
			e.uninspectable(ReasonDecodeError)
		}
	case err == nil:
		e.advance()
	case err == io.EOF:
		e.finish()
	case e.tap.err != nil:
		e.fail(e.tap.err) // the transport failed, not the decoding
	case errors.Is(err, ErrTooLarge), errors.Is(err, errHold):
		e.uninspectable(ReasonOverLimit)
	case errors.Is(err, ErrRatio):
		e.uninspectable(ReasonRatio)
	default:
		e.uninspectable(ReasonDecodeError)
	}
}

// advance records the decoder's position and releases every original byte
// whose content is settled and lies Lag bytes behind the input consumed.
func (e *enforcer) advance() {
	c, d := e.tap.consumed(), e.decoded
	if k := len(e.marks); k == 0 || e.marks[k-1].c < c {
		e.marks = append(e.marks, mark{c: c, d: d})
	}
	settled := e.s.Settled()
	i := 0
	for ; i < len(e.marks) && e.marks[i].d <= settled; i++ {
		e.release = max(e.release, e.marks[i].c-e.lag)
	}
	e.marks = append(e.marks[:0], e.marks[i:]...)
}

// finish ends a fully decoded body: close the scanner, check once more,
// then release everything.
func (e *enforcer) finish() {
	if err := e.s.Close(); err != nil {
		e.fail(fmt.Errorf("scan body: %w", err))
		return
	}
	if err := e.check(e.s.Tally()); err != nil {
		e.fail(err)
		return
	}
	e.stopDecoding()
	e.state = finished
	e.release = e.tap.consumed()
}

func (e *enforcer) uninspectable(reason string) {
	e.stopDecoding()
	if err := e.onUninspectable(reason); err != nil {
		e.fail(err)
		return
	}
	e.state = passthrough
	e.release = e.tap.consumed()
}

func (e *enforcer) fail(err error) {
	e.stopDecoding()
	e.err = err
}

func (e *enforcer) stopDecoding() {
	if e.dec != nil {
		_ = e.dec.Close() // the layers' Close only frees memory
		e.dec = nil
	}
	e.buf, e.marks = nil, nil
}

// Close releases the decoders and closes orig if it is an io.Closer.
func (e *enforcer) Close() error {
	if e.err == errClosed {
		return nil
	}
	e.stopDecoding()
	e.err = errClosed
	e.tap.buf, e.tap.off = nil, 0
	if c, ok := e.tap.r.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("close body: %w", err)
		}
	}
	return nil
}

// errHold reports a decoder that consumed more than the hold limit without
// letting it be released.
var errHold = errors.New("decode: too much input held")

// tap feeds the original bytes to the decoder and keeps each one until it is
// released to the reader of the original.
type tap struct {
	r    io.Reader
	hold int
	buf  []byte // held bytes are buf[off:]
	off  int
	base int64 // stream offset of buf[off]
	err  error // orig's first error other than io.EOF
}

func (t *tap) Read(p []byte) (int, error) {
	room := t.hold - (len(t.buf) - t.off)
	if room <= 0 {
		return 0, errHold
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := t.r.Read(p)
	if n > 0 {
		if t.off > 0 && len(t.buf)+n > cap(t.buf) {
			k := copy(t.buf, t.buf[t.off:])
			t.buf, t.off = t.buf[:k], 0
		}
		t.buf = append(t.buf, p[:n]...)
	}
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// consumed is the stream offset of the end of the bytes read from orig.
func (t *tap) consumed() int64 { return t.base + int64(len(t.buf)-t.off) }

// take copies held bytes before stream offset limit into p and drops them.
func (t *tap) take(p []byte, limit int64) int {
	avail := min(limit-t.base, int64(len(t.buf)-t.off))
	if avail <= 0 {
		return 0
	}
	n := copy(p, t.buf[t.off:t.off+int(avail)])
	t.off += n
	t.base += int64(n)
	if t.off == len(t.buf) {
		t.buf, t.off = t.buf[:0], 0
	}
	return n
}
