package inspect

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrBlocked is the sentinel a check function returns to stop a message
// because policy blocks it.
var ErrBlocked = errors.New("inspect: blocked by policy")

// Inspector is what inspects one message: a Scanner, or a decoder or
// extractor that feeds one (multipart parts, archive members, transcoded
// text). Write scans the next chunk of the message as it travels; bytes
// before Settled() have been decided and may be forwarded; Close ends the
// message and decides the rest; Tally reports the findings so far.
type Inspector interface {
	io.Writer
	Settled() int64
	Close() error
	Tally() *Tally
}

var _ Inspector = (*Scanner)(nil)

// readChunk is how much an enforcing reader pulls from its source at a time.
const readChunk = 32 << 10

// enforcingReader scans every chunk before handing it on and releases only
// settled bytes, so a value is never passed downstream before the check that
// would stop it has run.
type enforcingReader struct {
	src   io.Reader
	s     Inspector
	check func(*Tally) error

	buf      []byte // bytes read and scanned but not yet returned
	off      int    // start of unreturned bytes in buf
	released int64  // stream offset of buf[off]
	err      error  // sticky error: source error after the tail is drained, or check's error
	eof      bool
	pooled   *[]byte // the pool's handle on buf until it is returned
}

// NewReader returns a reader that yields the bytes of r after s has scanned
// them. After each chunk it calls check with the tally; if check returns an
// error, Read returns that error and the chunk that caused it is never
// returned. Bytes that could still be part of an unfinished value are held
// back until the value is decided, at most the engine's carry window.
// At the end of r the scanner is closed and check runs a last time.
//
// Its 32 KiB buffer comes from a pool and goes back once Read has returned
// its final error (io.EOF included); a reader dropped before that leaves its
// buffer to the garbage collector.
func NewReader(r io.Reader, s Inspector, check func(*Tally) error) io.Reader {
	buf := readBuffers.Get().(*[]byte)
	return &enforcingReader{src: r, s: s, check: check, buf: (*buf)[:0], pooled: buf}
}

// readBuffers recycles the enforcing readers' chunk buffers between messages.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, readChunk)
	return &b
}}

func (r *enforcingReader) Read(p []byte) (int, error) {
	for {
		if n := r.available(); n > 0 {
			n = copy(p, r.buf[r.off:r.off+n])
			r.off += n
			r.released += int64(n)
			return n, nil
		}
		if r.err != nil {
			r.recycle()
			return 0, r.err
		}
		if r.eof {
			r.recycle()
			return 0, io.EOF
		}
		r.fill()
	}
}

// recycle returns the buffer to the pool once nothing is left to return; a
// buffer that grew past its pooled size is left to the garbage collector.
func (r *enforcingReader) recycle() {
	if r.pooled == nil {
		return
	}
	if cap(r.buf) == readChunk {
		*r.pooled = r.buf[:0]
		readBuffers.Put(r.pooled)
	}
	r.pooled, r.buf, r.off = nil, nil, 0
}

// available is how many buffered bytes are settled and may be returned.
func (r *enforcingReader) available() int {
	settled := r.s.Settled() - r.released
	if pending := int64(len(r.buf) - r.off); settled > pending {
		settled = pending
	}
	return int(settled)
}

// fill reads and scans the next chunk, then runs the check.
func (r *enforcingReader) fill() {
	if r.off > 0 {
		n := copy(r.buf, r.buf[r.off:])
		r.buf = r.buf[:n]
		r.off = 0
	}
	if cap(r.buf)-len(r.buf) < readChunk/2 {
		grown := make([]byte, len(r.buf), 2*cap(r.buf))
		copy(grown, r.buf)
		r.buf = grown
	}
	n, err := r.src.Read(r.buf[len(r.buf):cap(r.buf)])
	if n > 0 {
		chunk := r.buf[len(r.buf) : len(r.buf)+n]
		if _, werr := r.s.Write(chunk); werr != nil {
			r.err = fmt.Errorf("scan body: %w", werr)
			return
		}
	}
	if err == io.EOF {
		if cerr := r.s.Close(); cerr != nil {
			r.err = fmt.Errorf("scan body: %w", cerr)
			return
		}
		r.eof = true
	} else if err != nil {
		r.err = err
	}
	if cerr := r.check(r.s.Tally()); cerr != nil {
		r.err = cerr
		r.buf = r.buf[:r.off] // the chunk that crossed the line is never returned
		return
	}
	r.buf = r.buf[:len(r.buf)+n]
}
