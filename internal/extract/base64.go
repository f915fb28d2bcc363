package extract

import (
	"errors"
	"io"
)

// Line-wrapped base64 (MIME, PEM) continues across a line break only when
// the line is a whole number of quanta and at least minWrap characters
// long, at most maxWrap; see continues.
const (
	minWrap = 60
	maxWrap = 1024
)

// b64Lag bounds a base64 reader's own hold in text bytes: a partial
// quantum of at most three characters of up to three bytes ("%2F"), and
// three decoded bytes of four such bytes each.
const b64Lag = 3*3 + 3*4

// decodeRun decodes the base64 run that starts at t.run (already
// minRun characters long) as nested content, in place of its text.
func (t *textLayer) decodeRun() error {
	x := t.x
	t.emitText()
	t.i, t.run = t.run, -1
	d := &b64Reader{t: t}
	// A decoded byte stands for 4/3 characters of up to three bytes each.
	x.push(&frame{fixed: b64Lag, scale: 4})
	defer x.pop()
	x.boundary()
	err := x.content(d, "", t.depth+1)
	if err == nil {
		_, err = io.Copy(io.Discard, d)
	}
	x.boundary()
	if errors.Is(err, errStopped) {
		return err
	}
	if err != nil {
		x.fail(ReasonDecodeError)
	}
	return nil
}

// b64Reader decodes the run at the text layer's cursor until it ends.
type b64Reader struct {
	t     *textLayer
	q     [4]byte // partial quantum
	nq    int
	out   [3]byte // decoded bytes not yet returned
	oi    int
	no    int
	line  int // characters in the current line
	width int // length of the first line, once the run wrapped
	end   bool
}

func (d *b64Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if d.oi < d.no {
			c := copy(p[n:], d.out[d.oi:d.no])
			d.oi += c
			n += c
			continue
		}
		if d.end {
			break
		}
		if d.nq == 0 && len(p)-n >= 3 {
			if k := d.fast(p[n:]); k > 0 {
				n += k
				continue
			}
		}
		if n > 0 && d.t.hi-d.t.i < maxWrap+16 && !d.t.eof {
			// Return what is decoded rather than wait for input while
			// holding it: bytes in p are nobody's lag until returned.
			break
		}
		if err := d.step(); err != nil {
			return n, err
		}
	}
	if n == 0 && d.end {
		return 0, io.EOF
	}
	return n, nil
}

// fast decodes whole quanta of plain characters straight from the buffer.
func (d *b64Reader) fast(p []byte) int {
	t := d.t
	b := t.buf[:t.hi]
	i, n := t.i, 0
	for i+4 <= len(b) && n+3 <= len(p) {
		a, b1, c, e := b64Value[b[i]], b64Value[b[i+1]], b64Value[b[i+2]], b64Value[b[i+3]]
		if a|b1|c|e >= 64 {
			break
		}
		p[n] = a<<2 | b1>>4
		p[n+1] = b1<<4 | c>>2
		p[n+2] = c<<6 | e
		i += 4
		n += 3
	}
	d.line += (i - t.i)
	t.i, t.emitted = i, i
	return n
}

// step consumes one character, escape, padding or line break.
func (d *b64Reader) step() error {
	t := d.t
	for t.hi-t.i < 4 && !t.eof && !t.eventEnded() {
		if !t.more() {
			break
		}
	}
	if t.err != nil {
		return t.err
	}
	if t.i >= t.hi {
		d.finish()
		return nil
	}
	b := t.buf[:t.hi]
	c := b[t.i]
	switch w := charWidth(b, t.i, true); {
	case w == 1:
		d.add(b64Value[c])
	case w == 2:
		d.add(63)
	case w == 3:
		d.add(boolByte(b[t.i+2]|0x20 == 'b', 62, 63))
	case c == '=' || hasPrefix(b[t.i:], "%3D") || hasPrefix(b[t.i:], "%3d"):
		for t.i < t.hi {
			switch {
			case b[t.i] == '=':
				t.i++
			case hasPrefix(b[t.i:], "%3D") || hasPrefix(b[t.i:], "%3d"):
				t.i += 3
			default:
				d.finish()
				return nil
			}
		}
		d.finish()
		return nil
	default:
		if k := lineBreak(b[t.i:]); k > 0 && d.continues(k) {
			t.i += k
			t.emitted = t.i
			if d.width == 0 {
				d.width = d.line
			}
			d.line = 0
			return nil
		}
		d.finish()
		return nil
	}
	t.i += max(1, charWidth(b, t.i, true))
	t.emitted = t.i
	d.line++
	return nil
}

func boolByte(c bool, yes, no byte) byte {
	if c {
		return yes
	}
	return no
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// lineBreak returns the length of the line break at the start of b: a
// newline, CRLF, or their JSON escapes; 0 if there is none.
func lineBreak(b []byte) int {
	for _, nl := range []string{"\r\n", "\n", `\r\n`, `\n`} {
		if hasPrefix(b, nl) {
			return len(nl)
		}
	}
	return 0
}

// continues reports whether the run goes on after the line break of
// length k at the cursor: the line so far is a whole number of quanta of a
// plausible wrap width, the break ends no record of a live stream, and the
// next line is as long, or shorter and ends the data (padding, a closing
// quote, a line break or the end).
func (d *b64Reader) continues(k int) bool {
	t := d.t
	if d.line%4 != 0 || d.line < minWrap || d.line > maxWrap || (d.width != 0 && d.line != d.width) {
		return false
	}
	// In a live stream a run never goes on past a record's end (a line of
	// NDJSON): whether the next record had arrived would decide it.
	if t.recs.end != nil && t.recs.end(t.buf[t.i:min(t.hi, t.i+k)]) == k {
		return false
	}
	for t.hi-t.i < k+d.line+4 && !t.eof && !t.eventEnded() {
		if !t.more() {
			break
		}
	}
	b := t.buf[t.i+k : t.hi]
	n := 0
	for n < len(b) && b64Value[b[n]] < 64 {
		n++
	}
	if n == d.line {
		return true
	}
	if n == 0 || n > d.line {
		return false
	}
	if n == len(b) {
		return n%4 == 0 // the end of the stream
	}
	switch b[n] {
	case '=':
		return true
	case '"', '\'', '\r', '\n', '\\', '<':
		return n%4 == 0
	}
	return false
}

// add appends one 6-bit value to the quantum.
func (d *b64Reader) add(v byte) {
	d.q[d.nq] = v
	d.nq++
	if d.nq == 4 {
		d.out = [3]byte{d.q[0]<<2 | d.q[1]>>4, d.q[1]<<4 | d.q[2]>>2, d.q[2]<<6 | d.q[3]}
		d.oi, d.no, d.nq = 0, 3, 0
	}
}

// finish ends the run, decoding a partial last quantum.
func (d *b64Reader) finish() {
	d.end = true
	d.t.emitted = d.t.i
	switch d.nq {
	case 2:
		d.out = [3]byte{d.q[0]<<2 | d.q[1]>>4}
		d.oi, d.no = 0, 1
	case 3:
		d.out = [3]byte{d.q[0]<<2 | d.q[1]>>4, d.q[1]<<4 | d.q[2]>>2}
		d.oi, d.no = 0, 2
	}
	d.nq = 0
}
