package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// textBuf is the text layer's buffer. What it keeps across reads (a
// base64 candidate, a charset window, a line of look-ahead) is far smaller.
// It starts at textMin and doubles while reads fill it, so a small stream
// allocates little.
const (
	textBuf = 32 << 10
	textMin = 4 << 10
)

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

// inRun marks the bytes a base64 run may be made of: its characters and
// the first bytes of the escapes "\/" and "%2B" / "%2F". A run of n
// characters spans at least n such bytes in a row, so only a stretch of
// MinBase64 of them can hold one.
var inRun = func() (t [256]bool) {
	for c := range 256 {
		t[c] = textClass[c] == tcB64 || textClass[c] == tcEscape || textClass[c] == tcPercent
	}
	return t
}()

// textLayer reads a text stream: it writes the text to the scanner,
// switches to GB18030 when the bytes say so, and decodes long base64 runs
// as nested content in place of their text.
//
// It skips ahead over the text (see skip) and looks byte by byte only at a
// stretch of bytes long enough to be a base64 run, and at the first
// non-ASCII byte while the charset is undecided.
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
	hex     hexCase
	list    bool // the candidate is a list of numbers joined by + or /, or a rule line: text
	rule    bool // the candidate is a rule line: a run starts again after it
	exact   bool // examining byte by byte; else skipping ahead
	full    bool // the last read filled the buffer
	clean   int  // while auto: buf[:clean] holds no byte >= 0x80
	eof     bool
	err     error
	auto    bool // still deciding between UTF-8 and cs.legacy
	cs      charset
	pre     func() int64 // bytes held by a transcoder in front, in input units
	guard   *utf16Guard  // watches a UTF-16 stream's bytes, see leaveUTF16

	// recs are the records of a live stream, whose text is decided at
	// every record's end (see events.go); recs.end is nil for other text.
	// tail follows the text emitted.
	recs records
	tail eventTail

	// src is the raw message when the layer reads it as it is (through
	// head, the sniffed bytes): see direct. Nil once a decoder is in front.
	src  *source
	head *bytes.Reader
}

// text inspects a text stream in charset cs; recs are its records when it
// is a live stream.
func (x *Extractor) text(r io.Reader, cs charset, depth int, recs records) error {
	if cs.unsupported {
		x.fail(ReasonUnsupportedEncoding)
	}
	buf := x.getBuf(textMin)
	t := &textLayer{x: x, r: r, depth: depth, buf: buf[:min(cap(buf), textBuf)], run: -1, cs: cs, auto: cs.utf16 == nil && cs.legacy != nil, recs: recs}
	defer func() { x.putBuf(t.buf) }() // the buffer may have grown
	t.f = x.push(&frame{held: t.held})
	defer x.pop()
	if h, ok := r.(*headed); ok {
		t.src, _ = h.r.(*source)
		t.head = h.head
	}
	if cs.utf16 != nil {
		t.guard = &utf16Guard{r: r}
		t.r = t.guard
		t.transcode(nil, cs.utf16.NewDecoder())
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
	t.src = nil
	// Two input bytes at most per UTF-8 byte: UTF-16 ASCII, GB18030 pairs
	// (two bytes for three) and quadruples (four for three or four).
	t.f.scale = 2
	t.pre = func() int64 { return int64(br.Len()) + transcoderLag }
}

// loop runs the layer to the end of its stream.
func (t *textLayer) loop() error {
	minRun := t.x.lim.MinBase64
	for {
		if t.i >= t.hi || (!t.exact && !t.skip(minRun)) {
			if !t.refill(minRun) {
				return t.finish()
			}
			continue
		}
		b := t.buf[:t.hi]
		i := t.i
		switch textClass[b[i]] {
		case tcHigh:
			t.run = -1
			if t.auto {
				if !t.decide() && !t.more() {
					return t.finish()
				}
				continue
			}
			t.exact = false
			continue
		case tcNone:
			t.run, t.exact = -1, false
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
		if t.run < 0 || (t.rule && (w != 1 || !ruleByte(b[i]))) {
			// A rule line is text up to its last '-' or '+': base64 glued
			// to it is a run of its own, decoded in its own alignment.
			t.run, t.chars, t.rule = i, 0, false
		}
		t.chars++
		t.i += w
		if t.chars < minRun {
			continue
		}
		if t.chars == minRun {
			t.hex = hexOf(b[t.run:t.i])
			t.rule = t.hex == hexNone && ruleLine(b[t.run:t.i])
			t.list = t.rule || t.hex == hexNone && numberList(b[t.run:t.i])
		} else if t.hex != hexNone && (w != 1 || !t.hex.has(b[i])) {
			t.hex = hexNone
		}
		switch {
		case t.list:
			if t.chars >= maxMinBase64 {
				t.run = -1 // text, kept no longer
			}
		case t.hex == hexNone:
			if err := t.decodeRun(); err != nil {
				return err
			}
		case t.chars >= maxMinBase64:
			t.run = -1 // a hex dump: text, kept no longer
		}
	}
}

// skip moves t.i to the next byte the loop must examine: the start of a
// stretch of at least minRun bytes that may be a base64 run, or, while the
// charset is undecided, the first non-ASCII byte. It reports false when
// there is none in the data read; t.i is then where the search resumes
// once more is read (everything before it is text).
func (t *textLayer) skip(minRun int) bool {
	b := t.buf[:t.hi]
	limit := len(b)
	if t.auto {
		from := max(t.clean, t.i)
		if h := firstHigh(b[from:]); h >= 0 {
			limit = from + h
		}
		t.clean = limit
	}
	t.i, t.exact = stretch(b, t.i, limit, minRun, t.eof)
	return t.exact
}

// stretch returns the first index from i the text loop must examine byte
// by byte: the start of a stretch of at least minRun bytes that may be a
// base64 run (a one-case hex digest is text and passed over), or limit if
// it is below len(b). found is false when b holds neither; at is then
// where the search resumes once more is read (len(b) at eof): everything
// before it is text.
//
// It tests the last byte of each window of minRun bytes and walks back
// from it to the last byte that cannot be in a run; the next window starts
// after that byte. Each byte is tested at most once, and on text most
// windows end at a space, a delimiter or a non-ASCII byte after a few
// tests.
func stretch(b []byte, i, limit, minRun int, eof bool) (at int, found bool) {
	known := i // b[i:known] may all be in a run
	for i+minRun <= limit {
		j := i + minRun - 1
		k := j
		for k >= known && inRun[b[k]] {
			k--
		}
		if k >= known {
			i, known = k+1, j+1
			continue
		}
		end, hex := hexStretch(b, i, minRun)
		if !hex || (end == len(b) && !eof) {
			return i, true
		}
		i, known = end, end // a digest: text, as the byte loop would find
	}
	switch {
	case limit < len(b): // the first non-ASCII byte
		return limit, true
	case eof:
		return limit, false // too short for a run: text
	}
	// A run can only start after the last byte that cannot be in one: the
	// bytes up to it are text now, and a reader of the raw message copies
	// only the bytes after it (see textLayer.direct).
	at = len(b)
	for at > max(i, known) && inRun[b[at-1]] {
		at--
	}
	if at == known && known > i {
		at = i // b[i:known] are in a run too
	}
	return at, false
}

// hexStretch returns the end of the hex dump that starts at i, and
// whether there is one, by the byte loop's rule: a run is a dump when its
// first minRun characters are hex digits of one case (hexOf), and it stays
// one while the characters after them are digits of that case, up to
// maxMinBase64 characters, where the loop starts a new run. The dump ends
// at the first byte that cannot be in a run (or at that cut); any other
// run character means the loop decodes the run from i. The caller has
// checked that b[i:i+minRun] may all be in a run.
//
// The case is taken from the first minRun bytes only, as the loop takes
// it: one taken from the whole stretch depended on how much of it had
// been read (a run of 64 digits and then a letter was text when the
// letter was in the buffer and base64 when it came in the next write).
func hexStretch(b []byte, i, minRun int) (end int, hex bool) {
	// Eight bytes at a time (a digest is 32 to 128 of them), stopping at
	// a byte no digest holds.
	j, v := i, uint8(0)
	for ; j+8 <= i+minRun; j += 8 {
		if v |= hexBits8(b[j : j+8 : j+8]); notHex(v) {
			return i, false
		}
	}
	for ; j < i+minRun; j++ {
		v |= hexBits[b[j]]
	}
	if hexCaseOf(v) == hexNone {
		return i, false
	}
	// Then on while the bytes add nothing to the case; the byte loop
	// finds where.
	stop := min(len(b), i+maxMinBase64)
	for ; j+8 <= stop && hexBits8(b[j:j+8:j+8])&^v == 0; j += 8 {
	}
	for ; j < stop && inRun[b[j]]; j++ {
		if hexBits[b[j]]&^v != 0 {
			return i, false
		}
	}
	return j, true
}

// hexBits8 is the union of the hex bits of the eight bytes of w.
func hexBits8(w []byte) uint8 {
	return hexBits[w[0]] | hexBits[w[1]] | hexBits[w[2]] | hexBits[w[3]] |
		hexBits[w[4]] | hexBits[w[5]] | hexBits[w[6]] | hexBits[w[7]]
}

// notHex reports whether the union v of a run's hex bits rules out a hex
// dump: a byte that is no hex digit, or letters of both cases.
func notHex(v uint8) bool { return v&hbOther != 0 || v&(hbLower|hbUpper) == hbLower|hbUpper }

// firstHigh returns the index of the first byte >= 0x80 in b, or -1.
func firstHigh(b []byte) int {
	const high = 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if w := binary.LittleEndian.Uint64(b[i:]) & high; w != 0 {
			return i + bits.TrailingZeros64(w)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// minListDigits is the fewest digits of a value in a number list: a
// mobile number has 11.
const minListDigits = 11

// numberList reports whether a candidate base64 run holds a number of
// minListDigits or more digits (and a check letter) between two
// separators: mobiles, IDs or cards joined by '/' ("13800138000/
// 13900139000") or by the '+' a form body writes for a space, all of
// whose characters are base64 characters. Such a run is text: base64 of
// any data holds such a stretch about once in 10^12 characters.
func numberList(run []byte) bool {
	for i := 0; i < len(run); {
		if !isDigit(run[i]) {
			i++
			continue
		}
		j := i
		for j < len(run) && isDigit(run[j]) {
			j++
		}
		if j < len(run) && run[j]|0x20 == 'x' {
			j++
		}
		if j-i >= minListDigits && listSep(run, i) && j < len(run) && listEnd(run[j]) {
			return true
		}
		i = j
	}
	return false
}

// ruleLine reports whether a candidate base64 run is made of '-' and '+'
// only: the rule of a psql or MySQL table (-----+-----), a text divider.
// Such a run is text: decoded, it would cut the table from its header
// row. Base64 spells those only for the bytes FB EF BE over and over; a
// run of '/' or '_' (base64 of FF bytes, common in binary data) is still
// decoded. The rule ends at the first other character, where a run starts
// again.
func ruleLine(run []byte) bool {
	for _, c := range run {
		if !ruleByte(c) {
			return false
		}
	}
	return true
}

// ruleByte reports whether c may be in a rule line.
func ruleByte(c byte) bool { return c == '-' || c == '+' }

// listSep reports whether run[:i] ends with a separator of a number list
// (or is empty): '+', '/', or %2B, %2F escaped.
func listSep(run []byte, i int) bool {
	switch {
	case i == 0:
		return true
	case run[i-1] == '+' || run[i-1] == '/':
		return true
	}
	return i >= 3 && run[i-3] == '%' && run[i-2] == '2' && (run[i-1]|0x20 == 'b' || run[i-1]|0x20 == 'f')
}

// listEnd reports whether c may end a number of a number list: a
// separator, the backslash of "\\/", the % of an escape, or the padding
// of a base64 run that ends there.
func listEnd(c byte) bool { return c == '+' || c == '/' || c == '\\' || c == '%' || c == '=' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hexCase classifies a run of base64 characters that is also hex: a hash
// or digest (SHA-256 is 64 hex digits), not base64.
type hexCase uint8

const (
	hexNone  hexCase = iota
	hexLower         // 0-9 a-f
	hexUpper         // 0-9 A-F
)

// Hex bits of a byte: what hexOf needs to know of it.
const (
	hbDigit = 1 << iota
	hbLower
	hbUpper
	hbOther
)

var hexBits = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= '0' && c <= '9':
			t[c] = hbDigit
		case c >= 'a' && c <= 'f':
			t[c] = hbLower
		case c >= 'A' && c <= 'F':
			t[c] = hbUpper
		default:
			t[c] = hbOther
		}
	}
	return t
}()

// hexOf reports whether run is hex digits of one case, holding both
// digits and letters (so "AAAA...", base64 of zeros, is not hex).
func hexOf(run []byte) hexCase {
	var v uint8
	for _, c := range run {
		v |= hexBits[c]
	}
	return hexCaseOf(v)
}

// hexCaseOf classifies the union v of a run's hex bits.
func hexCaseOf(v uint8) hexCase {
	switch v {
	case hbDigit | hbLower:
		return hexLower
	case hbDigit | hbUpper:
		return hexUpper
	}
	return hexNone
}

// has reports whether c is a hex digit of case h.
func (h hexCase) has(c byte) bool {
	return c >= '0' && c <= '9' || h == hexLower && c >= 'a' && c <= 'f' || h == hexUpper && c >= 'A' && c <= 'F'
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
	for end > t.emitted {
		n, cut := t.cut(t.buf[t.emitted:end])
		t.x.emit(t.buf[t.emitted : t.emitted+n])
		t.emitted += n
		if cut {
			t.endRecord() // after emitted moved on: the mark counts the record's bytes
		}
	}
}

// endRecord decides the text of a live stream's record that was just
// emitted: an event is a part of its own, a line is settled.
func (t *textLayer) endRecord() {
	if t.recs.parts {
		t.x.boundary()
	} else {
		t.x.settle()
	}
}

// eventEnded reports whether, in a live stream, the bytes from the cursor
// hold a record's end: a look-ahead that would read past it stops there
// rather than wait for the next record.
func (t *textLayer) eventEnded() bool {
	return t.recs.end != nil && t.recs.end(t.buf[t.i:t.hi]) >= 0
}

// cut returns how much of b, the text to emit next, comes before the next
// boundary, and whether there is one: in a live stream, the end of a
// record; else none.
func (t *textLayer) cut(b []byte) (n int, boundary bool) {
	if t.recs.end == nil {
		return len(b), false
	}
	return t.tail.cut(b, t.recs.end)
}

// directRead is how much of a chunk is copied behind bytes kept from the
// chunk before, to decide them; then the layer goes back to reading the
// chunk in place.
const directRead = 256

// refill reads on once the loop has examined the data it has. It reports
// false at the end of the stream.
func (t *textLayer) refill(minRun int) bool {
	if t.src != nil && !t.exact && t.head.Len() == 0 {
		return t.direct(minRun)
	}
	return t.more()
}

// direct reads on from the raw message in place. Plain UTF-8 text is most
// of the traffic, and copying every byte of it through buf cost about a
// twentieth of the scanner's time: here the text the skip passes over goes
// from the written chunk to the scanner. Only bytes the loop examines one
// by one (a possible run, the first non-ASCII byte) and a chunk's last
// bytes that may start a run are copied into buf. The layer is skipping
// (t.run < 0) and the bytes in buf from t.i on are the last ones read from
// the source, so those of the current chunk can be handed back to it.
func (t *textLayer) direct(minRun int) bool {
	t.emitText()
	if t.hi > t.i && t.src.pending() && t.src.unread(t.hi-t.i) {
		t.hi = t.i
	}
	if t.hi > t.i { // bytes of the chunk before: decide them with a few more
		return t.moreUpTo(directRead)
	}
	t.i, t.hi, t.emitted, t.clean = 0, 0, 0, 0
	p, err := t.src.peek()
	if err != nil {
		return t.readErr(err)
	}
	limit := len(p)
	if t.auto {
		if h := firstHigh(p); h >= 0 {
			limit = h
		}
	}
	at, _ := stretch(p, 0, limit, minRun, false)
	if at > 0 {
		// The queued text goes first: a mark taken while it is written
		// must not count the bytes of p, whose text is not written yet.
		// Then the bytes are read, so the mark of their own write counts
		// them. p stays valid: the coroutine does not wait in emit.
		t.x.flush()
		for b := p[:at]; len(b) > 0; {
			n, cut := t.cut(b)
			raw := t.x.consumed
			t.src.discard(n)
			t.x.emitInPlace(b[:n], raw)
			if cut {
				t.endRecord()
			}
			b = b[n:]
		}
	}
	if at == len(p) {
		return true
	}
	return t.more()
}

// readErr records the error that ended the stream. It reports false.
func (t *textLayer) readErr(err error) bool {
	t.eof = true
	if !errors.Is(err, io.EOF) {
		t.err = err
	}
	return false
}

// more emits what is decided, moves the kept bytes to the front and reads
// once more. It reports false at the end of the stream.
func (t *textLayer) more() bool { return t.moreUpTo(textBuf) }

// moreUpTo is more reading at most limit bytes.
func (t *textLayer) moreUpTo(limit int) bool {
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
	t.clean = max(t.clean-keep, 0)
	if t.full && len(t.buf) < textBuf { // the stream goes on: read more at once
		buf := t.x.getBuf(2 * len(t.buf))
		copy(buf, t.buf[:t.hi])
		t.x.putBuf(t.buf)
		t.buf = buf[:min(cap(buf), textBuf)]
	}
	if t.hi == len(t.buf) { // cannot happen: kept bytes are bounded far below the buffer
		t.err, t.eof = errors.New("extract: text buffer full"), true
		return false
	}
	m, err := t.r.Read(t.buf[t.hi:min(len(t.buf), t.hi+limit)])
	t.hi += m
	t.full = t.hi == len(t.buf)
	if errors.Is(err, errNotUTF16) {
		t.leaveUTF16()
		return true
	}
	if err != nil {
		t.readErr(err)
	}
	return m > 0 || !t.eof
}

// errNotUTF16 is what a utf16Guard returns at a run of ASCII digits.
var errNotUTF16 = errors.New("extract: 8-bit text in a UTF-16 stream")

// guardKeep is how many bytes before a digit run are read again as bytes:
// the start of the value and the label before it.
const guardKeep = 64

// utf16Guard hands a UTF-16 stream to its decoder and stops at a run of
// minDigitRun ASCII digits: UTF-16 text spells one only with rare CJK or
// Hangul jamo, while a list in 8-bit text is full of them. The head the
// charset was chosen by may be UTF-16 and the rest a UTF-8 list.
type utf16Guard struct {
	r      io.Reader
	run    int    // digits in a row so far
	kept   []byte // the last bytes handed on, at most guardKeep
	replay []byte // after errNotUTF16: kept and the read that held the run
}

func (g *utf16Guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	var hit bool
	if hit, g.run = digitRun(p[:n], g.run); hit {
		g.replay = append(append(g.replay, g.kept...), p[:n]...)
		return 0, errNotUTF16
	}
	g.kept = append(g.kept, p[max(n-guardKeep, 0):n]...)
	if over := len(g.kept) - guardKeep; over > 0 {
		g.kept = g.kept[:copy(g.kept, g.kept[over:])]
	}
	return n, err
}

// digitRun reports whether b, after run digits in a row before it, holds
// minDigitRun ASCII digits in a row, and returns the digits in a row at its
// end. Past the digits it starts with, it tests every minDigitRun-th byte:
// any run that long holds one of them.
func digitRun(b []byte, run int) (hit bool, tail int) {
	digit := func(i int) bool { return b[i]-'0' < 10 }
	lead := 0
	for lead < len(b) && digit(lead) {
		lead++
	}
	if run+lead >= minDigitRun {
		return true, 0
	}
	if lead == len(b) {
		return false, run + lead
	}
	for i := lead + minDigitRun - 1; i < len(b); i += minDigitRun {
		if !digit(i) {
			continue
		}
		lo, hi := i, i+1
		for lo > lead && digit(lo-1) {
			lo--
		}
		for hi < len(b) && digit(hi) {
			hi++
		}
		if hi-lo >= minDigitRun {
			return true, 0
		}
	}
	for tail < len(b) && digit(len(b)-1-tail) {
		tail++
	}
	return false, tail
}

// leaveUTF16 reads the rest of the stream as bytes, from a little before
// the digit run the guard stopped at: the text decoded so far stays, and
// the charset is decided again as for a stream without a label.
func (t *textLayer) leaveUTF16() {
	replay := bytes.NewReader(t.guard.replay)
	t.r, t.guard = io.MultiReader(replay, t.guard.r), nil
	t.eof, t.err = false, nil
	t.pre = func() int64 { return int64(replay.Len()) } // the scale stays 2 for the text decoded so far
	t.auto, t.cs, t.clean = true, charset{legacy: simplifiedchinese.GB18030}, t.hi
}

// finish emits the rest of the stream as text.
func (t *textLayer) finish() error {
	t.run = -1
	t.i = t.hi
	t.emitText()
	return t.err
}

// decide looks at the window from the first non-ASCII byte at i and
// settles the charset: UTF-8 if it is UTF-8, else the legacy charset if
// it was declared or the window is well-formed GB18030, else UTF-8
// (binary). A UTF-16 byte order mark there is passed over (sniffCharset
// found the stream is not UTF-16). It reports false when the window is
// not complete yet.
func (t *textLayer) decide() bool {
	w := t.buf[t.i:min(t.hi, t.i+gbWindow)]
	ended := false
	if t.recs.end != nil { // the window ends with the record: it is not held for the next
		if e := t.recs.end(w); e >= 0 {
			w, ended = w[:e], true
		}
	}
	if len(w) < gbWindow && !t.eof && !ended {
		return false
	}
	if hasPrefix(w, "\xff\xfe") || hasPrefix(w, "\xfe\xff") {
		t.i += 2 // a byte order mark the bytes did not bear out: decide on what follows
		return true
	}
	t.auto = false
	if isUTF8(w, len(w) == gbWindow) || (!t.cs.declared && !isGB18030(w)) {
		return true
	}
	t.emitText()
	rest := append([]byte(nil), t.buf[t.i:t.hi]...)
	t.hi = t.i
	t.transcode(rest, t.cs.legacy.NewDecoder())
	return true
}
