package extract

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
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
	t.run += payloadStart(t.alignWindow())
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
	case w > 0:
		d.add(charValue(b, t.i, w))
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
		for (c == '\r' || c == '\n' || c == '\\' || c == '&') && t.hi-t.i < maxBreak && !t.eof && !t.eventEnded() {
			if !t.more() { // a break and its indentation are read whole
				break
			}
		}
		if k := lineBreak(t.buf[t.i:t.hi]); k > 0 && d.continues(k) {
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

// alignWindow returns the first characters of the run at t.run, up to
// alignChars of them (see payloadStart), reading on while the run goes on:
// the loop finds a run at its first minRun characters, and a window of
// those alone placed no payload behind a prefix of more than about
// minRun/2 characters.
func (t *textLayer) alignWindow() []byte {
	off := 0 // the window's end, from t.run (more moves the buffer)
	for n := 0; n < alignChars; {
		i := t.run + off
		w := -1
		if i < t.hi {
			w = charWidth(t.buf[:t.hi], i, t.eof)
		}
		if w == 0 {
			break
		}
		if w < 0 {
			if !t.more() {
				break
			}
			continue
		}
		off += w
		n++
	}
	return t.buf[t.run : t.run+off]
}

// charValue is the 6-bit value of the base64 character of width w > 0
// (see charWidth) at b[i].
func charValue(b []byte, i, w int) byte {
	switch w {
	case 1:
		return b64Value[b[i]]
	case 2: // "\/"
		return 63
	}
	return boolByte(b[i+2]|0x20 == 'b', 62, 63) // %2B, %2F
}

// alignChars is how many characters of a run decide where its payload
// starts, and minAlignText how many decoded bytes of text (or a magic
// number) make a start other than the run's first character.
const (
	alignChars   = 128
	minAlignText = 24
)

// payloadStart returns the offset in run, a candidate base64 run, of the
// character its payload starts at. Characters of the alphabet glued in
// front of base64 ("-", "ab", a word) shift every quantum, and decoded
// from its first character the payload is noise. So the first characters
// of the run (up to alignChars) are decoded in each of the four
// alignments, and the payload starts at the first quantum from which the
// decoded bytes to the window's end are text (see textLike: at least
// minAlignText of them) or start with the magic number of a container
// the extractor sniffs. The run's first character wins when it qualifies,
// and when no character does: data that is neither (an image, noise) is
// decoded as before, and so is a window that is text in a legacy charset
// from its first character (a GBK list, whose ASCII rows would otherwise
// cut its header off). Base64 of random bytes moved 8 times in 2,000,000
// runs, which costs nothing: noise decodes to noise in any alignment.
func payloadStart(run []byte) int {
	var (
		vals [alignChars]byte
		offs [alignChars]int
		n    int
	)
	for i := 0; i < len(run) && n < alignChars; n++ {
		w := charWidth(run, i, true)
		vals[n], offs[n] = charValue(run, i, w), i
		i += w
	}
	var dec [4][alignChars / 4 * 3]byte
	var ndec, text [4]int // text[s]: no text in alignment s starts before it (a control byte)
	for s := range 4 {
		for q := s; q+4 <= n; q += 4 {
			k := ndec[s]
			dec[s][k] = vals[q]<<2 | vals[q+1]>>4
			dec[s][k+1] = vals[q+1]<<4 | vals[q+2]>>2
			dec[s][k+2] = vals[q+2]<<6 | vals[q+3]
			ndec[s] = k + 3
			for j := k; j < k+3; j++ {
				if control(dec[s][j]) {
					text[s] = j + 1
				}
			}
		}
	}
	// UTF-16 is tried once no start reads as UTF-8 text or a magic
	// number: the bytes at the end of a run of FF bytes may read as its
	// byte-order mark.
	for pass := range 2 {
		for k := 0; k < n; k++ {
			s, q := k%4, k/4
			tail := dec[s][3*q : ndec[s]]
			if len(tail) < minAlignText {
				break
			}
			if pass == 0 && !(3*q >= text[s] && textLike(tail)) && !magic(tail) || pass == 1 && !utf16Text(tail) {
				continue
			}
			if s == 0 && maybeText(dec[0][:ndec[0]]) {
				// In the run's own alignment, a window of text in a legacy
				// charset (a GBK list) is the payload from its start.
				return 0
			}
			return offs[k]
		}
	}
	return 0
}

// magic reports whether b starts with the magic number of a container the
// extractor sniffs.
func magic(b []byte) bool {
	if len(b) == 0 || b[0] != zipMagic[0] && b[0] != gzipMagic[0] && b[0] != pdfMagic[0] && b[0] != oleMagic[0] {
		return false
	}
	for _, m := range [][]byte{zipMagic, gzipMagic, pdfMagic, oleMagic} {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	return false
}

// textLike reports whether b reads as UTF-8 text: printable ASCII, tabs
// and line breaks, and characters from U+00A0, with a character cut off at
// its end. Decoded at a wrong alignment, base64 of text or of random bytes
// holds a control byte or a broken sequence within a few bytes. GB2312
// pairs are not text here: digits decoded two bits off are such pairs.
func textLike(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if control(c) {
				return false
			}
			i++
			continue
		}
		if r, w := utf8.DecodeRune(b[i:]); r >= 0xa0 && (r != utf8.RuneError || w > 1) {
			i += w
			continue
		}
		return !utf8.FullRune(b[i:]) // cut off by the window
	}
	return true
}

// utf16Text reports whether b reads as UTF-16 text after a byte-order
// mark (the mark is how the extractor tells UTF-16 from bytes): code
// units of printable ASCII, tabs and line breaks, or of the scripts and
// punctuation a list in Chinese is written in (unit16Text), with a unit
// cut off at its end. Bytes decoded at a wrong alignment pair up as units
// of any value, and a run of FF bytes may end in a mark. A list saved as
// "Unicode text" opens with one.
func utf16Text(b []byte) bool {
	if len(b) < 2 || !(b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff) {
		return false
	}
	for i := 2; i+1 < len(b); i += 2 {
		u := uint16(b[i])<<8 | uint16(b[i+1])
		if b[0] == 0xff {
			u = uint16(b[i+1])<<8 | uint16(b[i])
		}
		if !unit16Text(u) {
			return false
		}
	}
	return true
}

// unit16Text reports whether the UTF-16 code unit u is printable ASCII, a
// tab or line break, Latin, Greek or Cyrillic (U+00A0-U+052F), general
// punctuation, CJK symbols, kana and ideographs (U+3000-U+9FFF) or a
// full-width form: about half of all units.
func unit16Text(u uint16) bool {
	switch {
	case u < 0x80:
		return !control(byte(u))
	case u >= 0xa0 && u < 0x530, u >= 0x2000 && u < 0x2070, u >= 0x3000 && u < 0xa000, u >= 0xff00 && u < 0xfff0:
		return true
	}
	return false
}

// maybeText reports whether b may be text in some charset: well-formed
// GB18030 (which UTF-8 often is too) with no control byte but tabs and
// line breaks.
func maybeText(b []byte) bool {
	for _, c := range b {
		if control(c) {
			return false
		}
	}
	return isGB18030(b)
}

// control reports whether c is an ASCII control byte other than a tab or a
// line break.
func control(c byte) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f }

func boolByte(c bool, yes, no byte) byte {
	if c {
		return yes
	}
	return no
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// lineBreak returns the length of the line break at the start of b: a
// newline, CRLF, their JSON escapes, or their XML character references
// (a serializer writes a CR as &#13;), with the blanks that indent the
// next line (base64 in a pretty-printed XML or JSON document: a SOAP
// upload wrapped at 76 by a MIME encoder); 0 if there is none.
func lineBreak(b []byte) int {
	k := 0
	for _, cr := range []string{"&#13;", "&#xD;", "&#xd;"} {
		if hasPrefix(b, cr) {
			k = len(cr)
			break
		}
	}
	n := 0
	for _, nl := range []string{"\r\n", "\n", `\r\n`, `\n`, "&#10;", "&#xA;", "&#xa;"} {
		if hasPrefix(b[k:], nl) {
			n = len(nl)
			break
		}
	}
	if n == 0 {
		return 0
	}
	k += n
	for i := 0; i < maxIndent && k < len(b) && (b[k] == ' ' || b[k] == '\t'); i++ {
		k++
	}
	return k
}

// maxIndent bounds the blanks of a wrapped line's indentation; maxBreak
// bounds a line break with them.
const (
	maxIndent = 64
	maxBreak  = len("&#13;&#10;") + maxIndent + 1
)

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
	if t.recs.end != nil && t.recs.end(t.buf[t.i:min(t.hi, t.i+k)]) >= 0 {
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
