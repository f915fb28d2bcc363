package extract

import (
	"bytes"
	"errors"
	"io"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// textBuf is the text layer's buffer. What it keeps across reads (a
// base64 candidate, a charset window, a line of look-ahead) is far smaller.
const textBuf = 32 << 10

// transcoderLag bounds what an x/text transform.Reader holds: its source
// and destination buffers.
const transcoderLag = 8 << 10

// Byte classes of the text loop.
const (
	tcNone    = iota
	tcB64     // A-Z a-z 0-9 + / - _
	tcEscape  // '\': JSON "\/" inside base64
	tcPercent // '%': %2B %2F inside form-encoded base64
	tcHigh    // 0x80-0xFF: charset detection
)

var textClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 0x80:
			t[c] = tcHigh
		case b64Value[c] < 64:
			t[c] = tcB64
		}
	}
	t['\\'] = tcEscape
	t['%'] = tcPercent
	return t
}()

// b64Value maps a base64 character (standard or URL-safe) to its value;
// 0xFF marks every other byte.
var b64Value = func() (t [256]uint8) {
	for i := range t {
		t[i] = 0xFF
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(std) {
		t[std[i]] = uint8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// textLayer reads a text stream: it writes the text to the scanner,
// switches to GB18030 when the bytes say so, and decodes long base64 runs
// as nested content in place of their text.
type textLayer struct {
	x     *Extractor
	r     io.Reader
	f     *frame
	depth int

	buf     []byte
	i, hi   int // next byte to examine; end of data
	emitted int // text before it has been emitted
	run     int // start of the base64 candidate, or -1
	chars   int // base64 characters in the candidate
	eof     bool
	err     error
	auto    bool         // still deciding between UTF-8 and GB18030
	pre     func() int64 // bytes held by a transcoder in front, in input units
}

// text inspects a text stream in charset cs.
func (x *Extractor) text(r io.Reader, cs charset, depth int) error {
	t := &textLayer{x: x, r: r, depth: depth, buf: make([]byte, textBuf), run: -1, auto: cs.enc == nil && cs.auto}
	t.f = x.push(&frame{held: t.held})
	defer x.pop()
	if cs.enc != nil {
		t.transcode(nil, cs.enc.NewDecoder())
	}
	return t.loop()
}

// held is the text frame's lag in input units.
func (t *textLayer) held() int64 {
	h := int64(t.hi-t.emitted) * t.f.scale
	if t.pre != nil {
		h += t.pre()
	}
	return h
}

// transcode reads the rest of the stream, starting with the bytes of
// rest, through tr into UTF-8.
func (t *textLayer) transcode(rest []byte, tr transform.Transformer) {
	br := bytes.NewReader(rest)
	if len(rest) > 0 {
		t.eof, t.err = false, nil // the source may have ended: rest has not
	}
	t.r = transform.NewReader(io.MultiReader(br, t.r), tr)
	// Two input bytes at most per UTF-8 byte: UTF-16 ASCII, GB18030 pairs
	// (two bytes for three) and quadruples (four for three or four).
	t.f.scale = 2
	t.pre = func() int64 { return int64(br.Len()) + transcoderLag }
}

// loop runs the layer to the end of its stream.
func (t *textLayer) loop() error {
	minRun := t.x.lim.MinBase64
	for {
		if t.i >= t.hi {
			if !t.more() {
				return t.finish()
			}
			continue
		}
		b := t.buf[:t.hi]
		i := t.i
		if t.run < 0 {
			for i < len(b) && (textClass[b[i]] == tcNone || (textClass[b[i]] == tcHigh && !t.auto)) {
				i++
			}
			t.i = i
			if i >= len(b) {
				continue
			}
		}
		switch textClass[b[i]] {
		case tcHigh:
			t.run = -1
			if t.auto {
				if !t.decide() && !t.more() {
					return t.finish()
				}
				continue
			}
			t.i++
			continue
		case tcNone:
			t.run = -1
			t.i++
			continue
		}
		w := charWidth(b, i, t.eof)
		if w < 0 {
			if !t.more() {
				return t.finish()
			}
			continue
		}
		if w == 0 {
			t.run = -1
			t.i++
			continue
		}
		if t.run < 0 {
			t.run, t.chars = i, 0
		}
		t.chars++
		t.i += w
		if t.chars >= minRun {
			if err := t.decodeRun(); err != nil {
				return err
			}
		}
	}
}

// charWidth returns the width of the base64 character at b[i] (1, or 2 for
// "\/", 3 for %2B and %2F), 0 if there is none, or -1 if b ends too soon to
// tell and more may follow.
func charWidth(b []byte, i int, eof bool) int {
	switch textClass[b[i]] {
	case tcB64:
		return 1
	case tcEscape:
		if i+1 >= len(b) {
			return boolInt(!eof, -1, 0)
		}
		return boolInt(b[i+1] == '/', 2, 0)
	case tcPercent:
		if i+2 >= len(b) {
			return boolInt(!eof, -1, 0)
		}
		if b[i+1] == '2' && (b[i+2]|0x20 == 'b' || b[i+2]|0x20 == 'f') {
			return 3
		}
	}
	return 0
}

func boolInt(c bool, yes, no int) int {
	if c {
		return yes
	}
	return no
}

// emitText writes the text before the base64 candidate (or before i).
func (t *textLayer) emitText() {
	end := t.i
	if t.run >= 0 {
		end = t.run
	}
	if end > t.emitted {
		t.x.emit(t.buf[t.emitted:end])
		t.emitted = end
	}
}

// more emits what is decided, moves the kept bytes to the front and reads
// once more. It reports false at the end of the stream.
func (t *textLayer) more() bool {
	if t.eof {
		return false
	}
	t.emitText()
	keep := min(t.emitted, t.i)
	if t.run >= 0 {
		keep = min(keep, t.run)
		t.run -= keep
	}
	n := copy(t.buf, t.buf[keep:t.hi])
	t.hi = n
	t.i -= keep
	t.emitted -= keep
	if t.hi == len(t.buf) { // cannot happen: kept bytes are bounded far below the buffer
		t.err, t.eof = errors.New("extract: text buffer full"), true
		return false
	}
	m, err := t.r.Read(t.buf[t.hi:])
	t.hi += m
	if err != nil {
		t.eof = true
		if !errors.Is(err, io.EOF) {
			t.err = err
		}
	}
	return m > 0 || !t.eof
}

// finish emits the rest of the stream as text.
func (t *textLayer) finish() error {
	t.run = -1
	t.i = t.hi
	t.emitText()
	return t.err
}

// decide looks at the window from the first non-ASCII byte at i and
// settles the charset: UTF-8 if it is UTF-8, else GB18030 if it is well
// formed GB18030, else UTF-8 (binary). It reports false when the window
// is not complete yet.
func (t *textLayer) decide() bool {
	w := t.buf[t.i:min(t.hi, t.i+gbWindow)]
	if len(w) < gbWindow && !t.eof {
		return false
	}
	t.auto = false
	if isUTF8(w, len(w) == gbWindow) || !isGB18030(w) {
		return true
	}
	t.emitText()
	rest := append([]byte(nil), t.buf[t.i:t.hi]...)
	t.hi = t.i
	t.transcode(rest, simplifiedchinese.GB18030.NewDecoder())
	return true
}
