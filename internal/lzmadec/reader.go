package lzmadec

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// minBatch is the least a Read decodes ahead, so tiny reads do not decode
// a packet at a time.
const minBatch = 4 << 10

// firstDict is the dictionary's first allocation.
const firstDict = 64 << 10

// newDict prepares a dictionary of size bytes, at least MinDict. It starts
// at firstDict and doubles as the stream fills it, so a small file that
// declares a large dictionary (xz -9 and 7-Zip's ultra declare 64 MiB)
// takes little memory.
func (d *decoder) newDict(size int) {
	d.max = max(size, MinDict)
	d.dict = make([]byte, min(d.max, firstDict))
}

// grow doubles the dictionary, up to its size. It is called only when
// the dictionary is full and has never wrapped, so its bytes are in order.
func (d *decoder) grow() {
	dict := make([]byte, min(2*len(d.dict), d.max))
	copy(dict, d.dict)
	d.dict = dict
}

// read hands out decoded bytes, calling more to decode more until there
// are some. The first error of more ends the stream: it is kept in *err and
// returned once the bytes before it are handed out.
func (d *decoder) read(p []byte, err *error, more func(p []byte) error) (int, error) {
	for {
		if d.out < d.pos {
			n := copy(p, d.dict[d.out:d.pos])
			d.out += n
			return n, nil
		}
		if *err != nil || len(p) == 0 {
			return 0, *err
		}
		*err = more(p)
	}
}

// limit returns where a Read of len(p) bytes decodes up to, at most left
// more bytes, growing or wrapping the dictionary first when it is full.
func (d *decoder) limit(p []byte, left int64) int {
	switch {
	case d.pos < len(d.dict):
	case len(d.dict) < d.max:
		d.grow()
	default:
		d.wrap()
	}
	n := int64(max(len(p), minBatch))
	if left >= 0 {
		n = min(n, left)
	}
	return d.pos + int(min(n, int64(len(d.dict)-d.pos)))
}

// Reader decodes a classic LZMA stream (7-Zip's LZMA coder), whose
// properties, dictionary size and decoded size the container gives.
type Reader struct {
	d    decoder
	left int64 // bytes still to decode; -1 when an end marker ends the stream
	err  error
}

// NewReader returns a reader of the LZMA stream in with properties byte
// props (lc, lp, pb) and a dictionary of dict bytes. size is the decoded
// size, or -1 if the stream ends with an end marker.
func NewReader(in []byte, props byte, dict int, size int64) (*Reader, error) {
	z := &Reader{left: size}
	if err := z.d.setProps(props); err != nil {
		return nil, err
	}
	z.d.resetState()
	if !z.d.rc.init(in) && size != 0 {
		return nil, ErrCorrupt
	}
	z.d.newDict(dict)
	return z, nil
}

// Read decodes into p.
func (z *Reader) Read(p []byte) (int, error) {
	return z.d.read(p, &z.err, z.more)
}

// more decodes up to len(p) bytes more.
func (z *Reader) more(p []byte) error {
	d := &z.d
	if z.left == 0 {
		return io.EOF
	}
	limit := d.limit(p, z.left)
	start := d.pos
	err := d.decode(limit)
	if z.left > 0 {
		z.left -= int64(d.pos - start)
	}
	if !errors.Is(err, errEnd) {
		return err
	}
	// The end marker: the encoder flushed its range coder right after it.
	d.rc.normalize()
	switch {
	case d.rc.short, z.left > 0:
		return io.ErrUnexpectedEOF
	case d.rc.code != 0:
		return ErrCorrupt
	}
	return io.EOF
}

// StreamReader decodes a classic LZMA stream read from an io.Reader whose
// decoded size is not known (7-Zip's LZMA coder, read without the archive
// header that gives the size). It ends at an end marker, or at a boundary:
// where the range coder stands as an encoder's flush leaves it (a zero
// code, as XZ Utils checks at the end) and the input ends or a next stream
// starts (a zero byte). Without the size, zero literals that read no input
// cannot be told from the end: a stream that ends in 0x00 bytes may be
// handed out without some of them (one or two in 7-Zip's output, where
// zero runs are matches; no other byte is ever missing).
type StreamReader struct {
	r       io.Reader
	d       decoder
	buf     []byte // input read ahead; d.rc decodes from it
	started bool   // the range coder has its first five bytes
	eof     bool   // r has ended: buf holds the last of the input
	refills bool   // buf was refilled: it no longer holds the input from its start
	err     error
}

// streamBuf is the input a StreamReader reads ahead.
const streamBuf = 16 << 10

// packetMax bounds the input one packet reads: at most 50 decisions (a
// match: 3 kinds, 10 of length, 6 of distance slot, 26 direct and 4 align
// bits), each of which shifts in at most one byte.
const packetMax = 64

// NewStreamReader returns a reader of the LZMA stream r with properties
// byte props (lc, lp, pb) and a dictionary of up to dict bytes.
func NewStreamReader(r io.Reader, props byte, dict int) (*StreamReader, error) {
	z := &StreamReader{r: r, buf: make([]byte, streamBuf)}
	if err := z.d.setProps(props); err != nil {
		return nil, err
	}
	z.d.resetState()
	z.d.newDict(dict)
	z.d.rc.watch = true
	return z, nil
}

// Rest returns the input read from r that the stream did not take: after
// its end, the bytes that follow it.
func (z *StreamReader) Rest() []byte {
	return z.d.rc.in[z.d.rc.pos:]
}

// Head returns all the input read from r so far while it is still held
// whole (r was read once), for a caller that reads it another way after
// the stream failed; nil once it is not.
func (z *StreamReader) Head() []byte {
	if z.refills {
		return nil
	}
	return z.d.rc.in
}

// Read decodes into p.
func (z *StreamReader) Read(p []byte) (int, error) {
	return z.d.read(p, &z.err, z.more)
}

// more decodes up to len(p) bytes more, reading input first when what is
// left may not hold the next packet.
func (z *StreamReader) more(p []byte) error {
	d, rc := &z.d, &z.d.rc
	if !z.eof && (!z.started || rc.pos > rc.stop) {
		if err := z.fill(); err != nil {
			return err
		}
	}
	err := d.decode(d.limit(p, -1))
	switch {
	case errors.Is(err, errBoundary):
		rc.normalize() // the byte owed is the stream's last
		return io.EOF
	case errors.Is(err, errEnd):
		rc.normalize()
		if rc.short || rc.code != 0 {
			return ErrCorrupt
		}
		return io.EOF
	}
	return err // io.ErrUnexpectedEOF: the input ended inside a packet
}

// fill moves the input not decoded yet to the front of buf and reads
// more after it, up to a full buffer or the end of r. Packets are then
// decoded up to where the next may reach past the input read, or to the
// end of the last input.
func (z *StreamReader) fill() error {
	rc := &z.d.rc
	n := copy(z.buf, rc.in[rc.pos:])
	z.refills = z.started
	k, err := io.ReadFull(z.r, z.buf[n:])
	n += k
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		z.eof = true
	case err != nil:
		return err
	}
	if !z.started {
		z.started = true
		if !rc.init(z.buf[:n]) {
			return ErrCorrupt
		}
	} else {
		rc.in, rc.pos = z.buf[:n], 0
	}
	rc.stop = math.MaxInt
	if !z.eof {
		rc.stop = n - packetMax
	}
	return nil
}

// Reader2 decodes an LZMA2 stream (an xz block's data, 7-Zip's LZMA2
// coder): chunks of LZMA data or stored bytes, each of which may reset the
// dictionary, the models or the properties, ended by a zero byte.
type Reader2 struct {
	r         io.Reader
	d         decoder
	chunk     []byte // the LZMA chunk being decoded (64 KiB at most)
	left      int    // bytes of the chunk still to decode
	stored    bool   // the chunk is stored bytes, copied from r
	needDict  bool   // no dictionary reset yet
	needProps bool   // no properties since the last dictionary reset
	head      [5]byte
	err       error
}

// NewReader2 returns a reader of the LZMA2 stream r with a dictionary of
// dict bytes.
func NewReader2(r io.Reader, dict int) *Reader2 {
	z := &Reader2{r: r, needDict: true, needProps: true}
	z.d.newDict(dict)
	return z
}

// Reset starts decoding a new LZMA2 stream from r (7-Zip writes one per
// folder, back to back), keeping the dictionary's memory.
func (z *Reader2) Reset(r io.Reader) {
	z.d.out = z.d.pos // what the last stream left is dropped
	z.r, z.left, z.err = r, 0, nil
	z.needDict, z.needProps = true, true
}

// Read decodes into p.
func (z *Reader2) Read(p []byte) (int, error) {
	return z.d.read(p, &z.err, z.more)
}

// more decodes up to len(p) bytes more of the chunk, or reads the next
// chunk's header.
func (z *Reader2) more(p []byte) error {
	d := &z.d
	if z.left == 0 {
		return z.next()
	}
	limit := d.limit(p, int64(z.left))
	start := d.pos
	if z.stored {
		n, err := io.ReadFull(z.r, d.dict[start:limit])
		d.pos += n
		d.full = min(d.full+n, len(d.dict))
		z.left -= n
		return unexpected(err)
	}
	err := d.decode(limit)
	z.left -= d.pos - start
	if err != nil || (z.left == 0 && (d.rem > 0 || !d.rc.finished())) {
		return ErrCorrupt // an end marker has no place in LZMA2
	}
	return nil
}

// next reads the next chunk's header (and an LZMA chunk's data); at the end
// of the stream it is io.EOF.
func (z *Reader2) next() error {
	d := &z.d
	if _, err := io.ReadFull(z.r, z.head[:1]); err != nil {
		return unexpected(err)
	}
	ctl := z.head[0]
	switch {
	case ctl == 0:
		return io.EOF
	case ctl > 2 && ctl < 0x80:
		return ErrCorrupt
	case ctl == 1 || ctl >= 0xe0:
		d.resetDict()
		z.needDict, z.needProps = false, true
	case z.needDict:
		return ErrCorrupt
	}
	if ctl < 0x80 {
		if _, err := io.ReadFull(z.r, z.head[:2]); err != nil {
			return unexpected(err)
		}
		z.left, z.stored = int(binary.BigEndian.Uint16(z.head[:]))+1, true
		return nil
	}
	h := z.head[:4]
	if ctl >= 0xc0 {
		h = z.head[:5]
	}
	if _, err := io.ReadFull(z.r, h); err != nil {
		return unexpected(err)
	}
	if ctl >= 0xc0 {
		props := h[4]
		if props >= 9*5*5 || props%9+props/9%5 > 4 { // LZMA2 keeps lc+lp <= 4
			return ErrCorrupt
		}
		if err := d.setProps(props); err != nil {
			return err
		}
		z.needProps = false
	} else if z.needProps {
		return ErrCorrupt
	}
	if ctl >= 0xa0 {
		d.resetState()
	}
	if z.chunk == nil {
		z.chunk = make([]byte, 1<<16)
	}
	chunk := z.chunk[:int(binary.BigEndian.Uint16(h[2:]))+1]
	if _, err := io.ReadFull(z.r, chunk); err != nil {
		return unexpected(err)
	}
	if !d.rc.init(chunk) {
		return ErrCorrupt
	}
	z.left = int(ctl&0x1f)<<16 + int(binary.BigEndian.Uint16(h))
	z.left++
	z.stored = false
	return nil
}

// unexpected turns the end of input inside a stream into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
