// Package extract turns the raw bytes of one message into the text the
// inspect engine reads: multipart parts, zip members and Office Open XML
// cells, legacy OLE strings, base64 runs, and GBK / GB18030 / UTF-16 text.
// All of it is written into ONE inspect.Scanner, so counts are distinct
// across parts and members.
//
// An Extractor is an inspect.Inspector: the proxy writes raw body bytes into
// it in place of a Scanner. Its parsers are ordinary pull parsers
// (mime/multipart, archive/zip, encoding/xml, x/text transformers) run as a
// coroutine (iter.Pull): Write hands the chunk over and returns once the
// parsers have consumed it all and wait for more. No goroutine runs
// concurrently with the caller, and Stop or Close ends the coroutine.
package extract

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Uninspectable reasons, spelled as policy.Reason spells them.
const (
	ReasonOverLimit           = "over_limit"           // hold, entry, size, ratio or depth limit hit
	ReasonDecodeError         = "decode_error"         // corrupt or truncated container
	ReasonEncrypted           = "encrypted"            // encrypted zip member
	ReasonUnsupportedEncoding = "unsupported_encoding" // a zip compression method, an xz filter, a 7z coder or a RAR version with no decoder here
)

// Default limits, used where a Limits field is zero or negative.
const (
	DefaultHold       = 32 << 20
	DefaultMaxEntries = 10_000
	DefaultMaxTotal   = 256 << 20
	DefaultMaxRatio   = 100
	DefaultMaxDepth   = 5
	DefaultMinBase64  = 64
)

// maxMinBase64 bounds Limits.MinBase64: a candidate run is kept in the text
// buffer until it is long enough.
const maxMinBase64 = 4 << 10

// maxParts is how many multipart parts are recorded for the incident.
const maxParts = 64

// Limits bound what one message may cost. The zero value is usable: every
// zero or negative field takes its documented default.
type Limits struct {
	// Hold is the most bytes held at once for archives, whose central
	// directory is at the end (zip, xlsx, docx, shared strings); a larger
	// archive is read from its local headers as it streams. Default 32 MiB.
	Hold int64
	// MaxEntries caps the archive members read per archive; default 10,000.
	MaxEntries int
	// MaxTotal caps the bytes all archive members of the message may
	// decompress to; default 256 MiB.
	MaxTotal int64
	// MaxRatio caps a member's decompressed bytes per compressed byte once
	// it passed 1 MiB; default 100.
	MaxRatio int
	// MaxDepth caps nesting: multipart in multipart, archives in archives,
	// base64 in base64 (any mix); default 5.
	MaxDepth int
	// MinBase64 is the shortest run of base64 characters that is decoded
	// and inspected (the run's own text is not scanned); default 64, at
	// most 4096.
	MinBase64 int
}

func (l Limits) withDefaults() Limits {
	if l.Hold <= 0 {
		l.Hold = DefaultHold
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MinBase64 <= 0 {
		l.MinBase64 = DefaultMinBase64
	}
	l.MinBase64 = min(l.MinBase64, maxMinBase64)
	return l
}

// Part describes one multipart part for the incident. Field and File are
// what the client sent and may themselves carry personal data: log them
// only where the upload's file name is acceptable evidence.
type Part struct {
	Field       string // form field name
	File        string // file name, empty for plain fields
	ContentType string // the part's Content-Type
	// Found is how many distinct values the part added to the message's
	// counts (values already seen in earlier parts are not counted again).
	Found int
}

// errStopped is what the coroutine's reads return once Stop was called.
var errStopped = errors.New("extract: stopped")

// errLimit reports a limit that was hit and recorded as ReasonOverLimit.
var errLimit = errors.New("extract: limit reached")

// Extractor inspects one message; see the package comment. It is not safe
// for concurrent use.
type Extractor struct {
	s     *inspect.Scanner
	lim   Limits
	ctype string
	live  bool // the message is a live stream, see NewLive

	next func() (struct{}, bool)
	stop func()

	chunk    []byte // the chunk Write was given, while it runs
	in       []byte // the rest of chunk, not yet read by the coroutine
	eof      bool
	raw      int64 // raw bytes written
	consumed int64 // raw bytes read by the coroutine
	done     bool  // the coroutine returned
	closed   bool

	out     []byte // text not yet written to the scanner
	written int64  // scanner offset of the text written so far (it may start past 0, see New)
	fresh   bool   // nothing emitted since the last boundary
	frames  []*frame
	marks   []mark
	inPlace identity // the last text written as the raw bytes it is, see emitInPlace
	settled int64

	held      int64           // bytes held by archive layers, bounded by lim.Hold
	free      [][]byte        // layers' buffers for reuse, see getBuf
	inflaters []io.ReadCloser // deflate readers for reuse, see inflate
	readers   []*bufio.Reader // messages' readers for reuse, see getReader
	total     int64           // bytes decompressed from archive members
	reasons   []string
	parts     []Part

	stopWhen  func(*inspect.Tally) bool // see StopWhen
	checkedAt int64                     // written when stopWhen last ran
	halted    bool                      // stopWhen said so: parsers stop reading

	repanic bool // tests: let a parser panic surface instead of recording it
}

var _ inspect.Inspector = (*Extractor)(nil)

// New returns an extractor that writes the text of one message into s.
// contentType is the message's Content-Type header (empty: sniff
// everything from the content). The caller keeps ownership of s; call Stop
// (or Close) when the message is done.
//
// s may already hold text of the same message that is not part of the body
// (the proxy writes a request's URL and headers first, then calls
// s.Boundary so they are decided): the body's values then count together
// with it, and raw offsets still start at the body's first byte.
func New(s *inspect.Scanner, contentType string, lim Limits) *Extractor {
	x := &Extractor{s: s, lim: lim.withDefaults(), ctype: contentType, fresh: true, written: s.Settled()}
	x.next, x.stop = iter.Pull(x.run)
	return x
}

// NewLive is New for a live stream (see LiveStream): a response of
// server-sent events or line-delimited JSON that is read as it comes. Its
// text is decided at every record's end, so each record can be forwarded
// as soon as it is written; and it is UTF-8 unless a charset is declared
// (server-sent events are UTF-8 by definition, JSON exchanged between
// systems is UTF-8, RFC 8259), since a charset guessed from a record of a
// few bytes would hold for the whole stream. A body of another type is
// read as New reads it.
func NewLive(s *inspect.Scanner, contentType string, lim Limits) *Extractor {
	x := New(s, contentType, lim)
	x.live = true
	return x
}

// StopWhen makes the extractor ask stop, every stopEvery bytes of text it
// writes, whether the message's verdict is already reached (the proxy asks
// whether the policy blocks it). Once stop says so, the parsers stop
// reading: an archive held whole (a zip for its central directory, a 7z)
// is decoded in one Write when it ends or outgrows the hold, and a 42 MB
// 7z of a million rows took 5.6 s to decode whole before its block was
// decided after the first few hundred rows. Counts are then partial and
// no reason is recorded after the stop; what the parsers did not read
// never settles, even at Close, so the caller must block the message.
// dlpproxy scan, which reports whole counts, does not set it.
func (x *Extractor) StopWhen(stop func(*inspect.Tally) bool) { x.stopWhen = stop }

// stopEvery is how much text is written between two calls of the stop
// function.
const stopEvery = 256 << 10

// outBuf is how much extracted text is gathered before a scanner write;
// the queue grows to it as text comes, so a small message allocates little.
const outBuf = 32 << 10

// Write inspects the next chunk of the raw message. It never retains p.
func (x *Extractor) Write(p []byte) (int, error) {
	if x.closed {
		return 0, inspect.ErrClosed
	}
	x.raw += int64(len(p))
	if !x.done {
		x.chunk, x.in = p, p
		x.resume()
		x.chunk, x.in = nil, nil
	}
	return len(p), nil
}

// resume runs the coroutine until it waits for input or returns.
func (x *Extractor) resume() {
	if _, ok := x.next(); !ok && !x.done {
		x.done = true
		x.flush()
		x.s.Boundary() // decide the tail: the rest of the message is not read
		if !x.halted { // halted, what was not read settles only at Close
			x.marks = append(x.marks, mark{raw: 1<<62 - 1, text: x.written})
		}
	}
}

// Close ends the message: the parsers see the end of input, and the
// scanner is closed. Reasons and parts are final after it.
func (x *Extractor) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	x.eof = true
	if !x.done {
		x.resume()
	}
	x.stop()
	if err := x.s.Close(); err != nil {
		return fmt.Errorf("close scanner: %w", err)
	}
	if !x.halted { // halted, what the parsers did not read never settles
		x.settled = x.raw
	}
	return nil
}

// Stop ends the coroutine without finishing the message (a block, a client
// gone). It is safe to call more than once and after Close; it does not
// release the scanner.
func (x *Extractor) Stop() { x.stop() }

// Settled returns the raw offset before which every finding is final. It
// trails the input by what the parsers hold: a whole archive while its
// central directory is awaited, a decoder's read-ahead, the scanner's
// holdback mapped back conservatively.
func (x *Extractor) Settled() int64 {
	st := x.s.Settled()
	i := 0
	for i < len(x.marks) && x.marks[i].text <= st {
		x.settled = max(x.settled, min(x.marks[i].raw, x.raw))
		i++
	}
	// The few marks left move to the front, so the array is reused: an
	// event stream marks every event.
	x.marks = x.marks[:copy(x.marks, x.marks[i:])]
	if st > x.inPlace.text && st < x.inPlace.text+x.inPlace.n {
		x.settled = max(x.settled, min(x.inPlace.raw+st-x.inPlace.text, x.raw))
	}
	return x.settled
}

// Tally returns the scanner's live tally.
func (x *Extractor) Tally() *inspect.Tally { return x.s.Tally() }

// Uninspectable reports the first reason part of the message could not be
// inspected, if any. The counts still hold for what was inspected.
func (x *Extractor) Uninspectable() (reason string, ok bool) {
	if len(x.reasons) == 0 {
		return "", false
	}
	return x.reasons[0], true
}

// Reasons returns every distinct uninspectable reason, first seen first.
func (x *Extractor) Reasons() []string { return append([]string(nil), x.reasons...) }

// Parts returns the multipart parts seen so far (at most 64), outermost
// message first.
func (x *Extractor) Parts() []Part { return append([]Part(nil), x.parts...) }

// fail records an uninspectable reason.
func (x *Extractor) fail(reason string) {
	if x.halted {
		return // a parser cut short by StopWhen, not a part it could not read
	}
	for _, r := range x.reasons {
		if r == reason {
			return
		}
	}
	x.reasons = append(x.reasons, reason)
}

// run is the coroutine: it parses the whole message from the source.
func (x *Extractor) run(yield func(struct{}) bool) {
	defer func() {
		if r := recover(); r != nil {
			if x.repanic {
				panic(r)
			}
			x.fail(ReasonDecodeError)
		}
	}()
	src := &source{x: x, yield: yield}
	// Failures are recorded as reasons. Whatever a parser left unread is
	// read as content of its own, never settled unread.
	if err := x.content(src, x.ctype, 0); err == nil {
		_ = x.outside(src, 0)
	}
	x.flush()
}

// source is the coroutine's view of the raw message.
type source struct {
	x     *Extractor
	yield func(struct{}) bool
}

func (r *source) Read(p []byte) (int, error) {
	in, err := r.peek()
	if err != nil {
		return 0, err
	}
	n := copy(p, in)
	r.discard(n)
	return n, nil
}

// peek returns the unread rest of the chunk being written, waiting for the
// next chunk if it is all read. The bytes are the caller's: they are valid
// until the coroutine waits again and must not be retained.
func (r *source) peek() ([]byte, error) {
	x := r.x
	if x.halted {
		return nil, errStopped
	}
	for len(x.in) == 0 {
		if x.eof {
			return nil, io.EOF
		}
		x.flush()
		x.mark()
		if !r.yield(struct{}{}) {
			return nil, errStopped
		}
	}
	return x.in, nil
}

// discard reads n bytes of what peek returned.
func (r *source) discard(n int) {
	r.x.in = r.x.in[n:]
	r.x.consumed += int64(n)
}

// pending reports whether the chunk being written has bytes not yet read.
func (r *source) pending() bool { return len(r.x.in) > 0 }

// unread hands the last n bytes read back to the source, if they are all
// of the chunk being written (which still holds them). The reader must
// hold them unprocessed: they are read again.
func (r *source) unread(n int) bool {
	x := r.x
	read := len(x.chunk) - len(x.in)
	if n > read {
		return false
	}
	x.in = x.chunk[read-n:]
	x.consumed -= int64(n)
	return true
}

// getBuf returns a buffer of length n, reusing one a finished layer put
// back: a nested layer (a base64 run in every JSON field) costs no fresh
// allocation. At most two buffers per nesting level are ever live.
func (x *Extractor) getBuf(n int) []byte {
	for i := len(x.free) - 1; i >= 0; i-- {
		if b := x.free[i]; cap(b) >= n {
			x.free = append(x.free[:i], x.free[i+1:]...)
			return b[:n]
		}
	}
	return make([]byte, n)
}

// putBuf hands a layer's buffer back for reuse once nothing refers to it.
func (x *Extractor) putBuf(b []byte) { x.free = append(x.free, b) }

// emit queues text for the scanner. A large piece goes to the scanner
// directly, after what is queued, rather than being copied through the
// queue: plain text arrives in pieces of a chunk's size.
func (x *Extractor) emit(b []byte) {
	x.fresh = false
	if len(b) >= outBuf/2 {
		x.flush()
		x.write(b)
		return
	}
	if len(x.out)+len(b) > outBuf {
		x.flush()
	}
	x.out = append(x.out, b...)
}

// emitByte queues one byte of text.
func (x *Extractor) emitByte(c byte) {
	x.fresh = false
	if len(x.out) >= outBuf {
		x.flush()
	}
	x.out = append(x.out, c)
}

// emitInPlace is emit for bytes of the raw message that are their own
// text (plain UTF-8 read in place, no decoder in front): raw offset raw
// holds b[0]. The piece is written as it is, after the queued text, and the
// extractor remembers the one-to-one mapping, so the piece settles as the
// scanner settles it, up to the scanner's holdback, rather than only once
// the next write has settled its end. Without that a caller's buffer holds
// one written piece more than it needs to and hands out its settled bytes
// in two reads per chunk (a full one and a few bytes), which doubles the
// writes downstream; and a stream that pauses after a piece holds the
// whole piece back, not just the holdback, until more comes.
func (x *Extractor) emitInPlace(b []byte, raw int64) {
	x.fresh = false
	x.flush()
	x.inPlace = identity{raw: raw, text: x.written, n: int64(len(b))}
	x.write(b)
}

func (x *Extractor) flush() {
	if len(x.out) > 0 {
		x.write(x.out)
		x.out = x.out[:0]
	}
}

func (x *Extractor) write(b []byte) {
	_, _ = x.s.Write(b) // a Scanner fails only after Close, which run precedes
	x.written += int64(len(b))
	x.mark() // every frame's hold is current here too, so one big Write still settles as it goes
	if x.stopWhen != nil && x.written-x.checkedAt >= stopEvery {
		x.checkedAt = x.written
		x.halted = x.halted || x.stopWhen(x.s.Tally())
	}
}

// settle decides the text written so far (the scanner's Settle): the end
// of a record of a line-delimited stream, where no value goes on.
func (x *Extractor) settle() {
	x.flush()
	x.s.Settle()
	x.mark()
}

// boundary separates independent parts: a newline, then the scanner's
// Boundary so the next part may open with its own header row.
func (x *Extractor) boundary() {
	if x.fresh {
		return
	}
	x.emitByte('\n')
	x.flush()
	x.s.Boundary()
	x.fresh = true
}
