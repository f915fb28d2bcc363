package extract

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"slices"
)

// Text behind a ToUnicode CMap. Word, Excel, LibreOffice and a browser's
// "print to PDF" show text in subset fonts whose codes are glyph numbers
// (Identity-H, Type3): the strings of a page are no text, and only the
// font's ToUnicode CMap, a stream of its own, maps them back. The CMap is
// reached from the page through its resources and font objects, and these
// producers write fonts last (a subset is known once every page is), so a
// streaming reader meets the page before the CMaps it needs.
//
// The PDF reader therefore holds, from the first string that is no plain
// text (a PDF of plain strings streams as before): the strings each
// content stream shows, with the font each is shown in and where
// (pdfHeld.log); the dictionaries of the PDF's objects (pdfHeld.objs), to
// find a page's fonts; and the CMaps (pdfHeld.cmaps). At the end of the
// PDF it resolves every held content stream's fonts (page, /Resources,
// /Font, font object, /ToUnicode) and emits, as a part of its own, the
// text of the strings shown in a font that has a CMap. The raw bytes from
// the first held stream on are held too (the frame's lag), so a block
// still comes before they are released. What is held counts against
// Limits.Hold as an archive's central directory does; past it the logs
// are dropped and, when the PDF has glyph-code fonts (Type0 or Type3 with
// a ToUnicode CMap), the message is over_limit.

// Limits of what a PDF holds for its CMaps.
const (
	pdfObjMax  = 4 << 10   // longest object dictionary kept
	pdfCMapMax = 256 << 10 // longest CMap read
	// pdfObjCost is what keeping an object costs beyond its bytes: its
	// map entry and its copy's header (counted against Limits.Hold).
	pdfObjCost = 64
	// pdfPreLogMax bounds the strings of a content stream logged before
	// anything is held (see logString).
	pdfPreLogMax = 64 << 10
)

// pdfHeld is what a PDF holds until its end to read text behind CMaps.
type pdfHeld struct {
	x    *Extractor
	objs map[int][]byte // dictionaries of objects, by object number
	// cmaps holds the parsed CMaps, by the number of their stream object.
	cmaps map[int]*cmap

	log     []byte     // logged strings: see logString
	streams []heldText // content streams whose strings are logged
	dropped int        // content streams whose logs were dropped

	// glyphFonts: a Type0 or Type3 font with a ToUnicode CMap was seen,
	// whose strings are glyph codes.
	glyphFonts bool
	// opaque: a string was logged that is neither plain text nor read as
	// UCS-2 by the lexer: its text is known only through its font's CMap.
	opaque  bool
	logSize int64 // bytes of log counted in size

	fonts map[int]*pdfFont // fonts resolved by replay, by object number

	size int64        // bytes counted against x.held
	over bool         // Limits.Hold was reached: nothing more is logged
	from int64        // raw offset where the first logged stream started; -1: none
	raw  func() int64 // the raw offset read to

	tap objTap
}

// heldText is one content stream's part of the log.
type heldText struct {
	obj      int    // its object number
	dict     []byte // its own dictionary (a form XObject's /Resources)
	start    int64  // the raw offset of its data
	from, to int    // its records in pdfHeld.log
	fonts    []string
}

func newPDFHeld(x *Extractor, raw func() int64) *pdfHeld {
	h := &pdfHeld{x: x, raw: raw, objs: map[int][]byte{}, cmaps: map[int]*cmap{}, from: -1}
	h.tap = objTap{h: h, num: -1}
	return h
}

// grow counts n more bytes held; false when Limits.Hold is reached, after
// which the logs are dropped.
func (h *pdfHeld) grow(n int) bool {
	if h.over {
		return false
	}
	if h.x.held+int64(n) > h.x.lim.Hold || h.lag() > h.x.lim.Hold {
		h.drop()
		return false
	}
	h.x.held += int64(n)
	h.size += int64(n)
	return true
}

// drop gives up the logs and the raw bytes held. The raw bytes are
// released at once, so when the logs held glyph codes (or the fonts read
// so far are glyph fonts) the message is over_limit now, before the proxy
// forwards them, not at the PDF's end.
func (h *pdfHeld) drop() {
	h.over = true
	h.dropped += len(h.streams)
	if h.glyphFonts || h.opaque {
		h.x.fail(ReasonOverLimit)
	}
	h.shrink(h.logSize)
	h.streams, h.log, h.from, h.logSize = nil, nil, -1, 0
}

// shrink counts n bytes fewer held.
func (h *pdfHeld) shrink(n int64) {
	h.x.held -= n
	h.size -= n
}

// release gives back what the PDF held.
func (h *pdfHeld) release() {
	h.x.held -= h.size
	h.size = 0
}

// lag is how many raw bytes the held logs keep unsettled.
func (h *pdfHeld) lag() int64 {
	if h.from < 0 {
		return 0
	}
	return h.raw() - h.from
}

// keepObjectStream keeps the dictionaries and arrays of the objects an
// object stream held: its header pairs object numbers with offsets from
// /First.
func (h *pdfHeld) keepObjectStream(c *objStmCapture) {
	if c.n == 0 || c.over || c.first > len(c.buf) {
		return
	}
	head := cmapTokens(c.buf[:c.first])
	type entry struct{ num, off int }
	var entries []entry
	for k := 0; k+1 < len(head) && len(entries) < c.n; k += 2 {
		num, ok1 := pdfNum(head[k])
		off, ok2 := pdfNum(head[k+1])
		if !ok1 || !ok2 || off < 0 || c.first+int(off) > len(c.buf) {
			return
		}
		entries = append(entries, entry{int(num), c.first + int(off)})
	}
	for i, e := range entries {
		end := len(c.buf)
		if i+1 < len(entries) && entries[i+1].off >= e.off {
			end = entries[i+1].off
		}
		obj := bytes.TrimSpace(c.buf[e.off:end])
		if bytes.HasPrefix(obj, []byte("<<")) || bytes.HasPrefix(obj, []byte("[")) {
			h.keepObject(e.num, obj)
		}
	}
}

// keepObject keeps the dictionary of object num.
func (h *pdfHeld) keepObject(num int, dict []byte) {
	if !h.glyphFonts && bytes.Contains(dict, []byte("/ToUnicode")) && (bytes.Contains(dict, []byte("/Type0")) || bytes.Contains(dict, []byte("/Type3"))) {
		h.glyphFonts = true
		if h.dropped > 0 {
			h.x.fail(ReasonOverLimit) // see replay
		}
	}
	if len(dict) == 0 || len(dict) > pdfObjMax || h.over {
		return
	}
	if _, ok := h.objs[num]; ok || !h.grow(pdfObjCost+len(dict)) {
		return
	}
	h.objs[num] = bytes.Clone(dict)
}

// startStream opens the log of content stream obj (dict is its own
// dictionary), whose data starts at raw offset at.
func (h *pdfHeld) startStream(obj int, dict []byte, at int64) {
	if h.over || !h.grow(64+len(dict)) {
		h.dropped++
		return
	}
	h.streams = append(h.streams, heldText{obj: obj, dict: bytes.Clone(dict), start: at, from: len(h.log), to: len(h.log)})
}

// plainText reports whether a string's bytes are printable ASCII (or tab
// and line ends): text as it is, which the lexer emitted. Glyph codes
// have NUL and high bytes.
func plainText(s []byte) bool {
	for _, c := range s {
		if (c < 0x20 || c > 0x7E) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// logs reports whether the strings of the content stream being read are
// logged.
func (h *pdfHeld) logs() bool {
	return !h.over && len(h.streams) > 0
}

// endStream ends the log of the content stream read last: when nothing is
// held yet (it showed plain strings only) its strings are dropped.
func (h *pdfHeld) endStream() {
	if h.from >= 0 || h.over || len(h.streams) == 0 {
		return
	}
	st := &h.streams[len(h.streams)-1]
	n := int64(len(h.log) - st.from)
	h.log, st.to = h.log[:st.from], st.from
	h.shrink(n)
	h.logSize -= n
}

// placement is where a string is shown, in text-matrix space: its
// origin, its font size there, and whether it goes on a TJ array after
// another of its strings (whose place the lexer does not follow).
type placement struct {
	x, y, size float64
	cont       bool
}

// logString logs a string shown in font after separator sep, at, in the
// content stream being read (ucs2: the lexer read it as UCS-2): one
// record of sep, a flag (1: cont), the font's length and name, x, y and
// size (float32), the string's length (uvarint) and bytes.
//
// Nothing is held until a string that is no plain text (glyph codes,
// UCS-2): a PDF of plain strings streams as before. The plain strings of
// the stream before it are logged all the same (up to pdfPreLogMax), as
// glyph codes may read as ASCII (a CJK font's two-byte glyph numbers,
// Chromium's one-byte Type3 codes): a table's header row would be lost.
func (h *pdfHeld) logString(sep byte, font, s []byte, at placement, ucs2 bool) {
	if !h.logs() {
		return
	}
	st := &h.streams[len(h.streams)-1]
	if !plainText(s) {
		h.opaque = h.opaque || !ucs2
		if h.from < 0 {
			h.from = st.start
		}
	} else if h.from < 0 && len(h.log)-st.from > pdfPreLogMax {
		return
	}
	if !slices.Contains(st.fonts, string(font)) && len(st.fonts) < 256 {
		st.fonts = append(st.fonts, string(font))
	}
	n := 3 + len(font) + 12 + binaryUvarintLen(len(s)) + len(s)
	if !h.grow(n) {
		return
	}
	h.logSize += int64(n)
	flag := byte(0)
	if at.cont {
		flag = 1
	}
	h.log = append(h.log, sep, flag, byte(len(font)))
	h.log = append(h.log, font...)
	for _, v := range []float64{at.x, at.y, at.size} {
		h.log = binary.LittleEndian.AppendUint32(h.log, math.Float32bits(float32(v)))
	}
	h.log = appendUvarint(h.log, len(s))
	h.log = append(h.log, s...)
	st.to = len(h.log)
}

// logRecord is one string of the log.
type logRecord struct {
	sep  byte
	at   placement
	font []byte
	str  []byte
}

// readRecord reads the record at h.log[k:] and returns where the next
// starts.
func (h *pdfHeld) readRecord(k int) (logRecord, int) {
	b := h.log
	r := logRecord{sep: b[k], at: placement{cont: b[k+1] == 1}}
	fl := int(b[k+2])
	k += 3
	r.font = b[k : k+fl]
	k += fl
	f := func() float64 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[k:]))
		k += 4
		return float64(v)
	}
	r.at.x, r.at.y, r.at.size = f(), f(), f()
	n, j := readUvarint(b, k)
	r.str = b[j : j+n]
	return r, j + n
}

// binaryUvarintLen is the length of n as a uvarint.
func binaryUvarintLen(n int) int {
	k := 1
	for ; n >= 0x80; n >>= 7 {
		k++
	}
	return k
}

// appendUvarint appends n as a uvarint.
func appendUvarint(b []byte, n int) []byte {
	for ; n >= 0x80; n >>= 7 {
		b = append(b, byte(n)|0x80)
	}
	return append(b, byte(n))
}

// readUvarint reads a uvarint at b[k:], returning it and where it ends.
func readUvarint(b []byte, k int) (n, next int) {
	for shift := 0; k < len(b); shift += 7 {
		c := b[k]
		k++
		n |= int(c&0x7F) << shift
		if c < 0x80 {
			break
		}
	}
	return n, k
}

// replay emits, at the end of the PDF, the text of the content streams
// that showed strings in a font with a CMap or a predefined Unicode CMap
// (pdfFont.glyphs), all of them as one part, a line apart, each laid out
// by emitLines; a PDF that dropped its logs and has glyph-code fonts is
// over_limit.
func (h *pdfHeld) replay() {
	defer h.release()
	pages := h.pageIndex()
	if h.dropped > 0 && h.glyphFonts {
		// The dictionaries past the hold were not kept: a dropped stream
		// may have shown glyph codes, whose text is lost.
		h.x.fail(ReasonOverLimit)
	}
	// The pages are one part, a line apart: a table printed over several
	// pages without its header row repeated (Excel's and Word's default)
	// goes on labelling its columns on the next page.
	h.x.boundary()
	defer h.x.boundary()
	var pieces []textPiece
	var buf []byte
	for _, st := range h.streams {
		fonts := h.fontsOf(st, pages)
		if !anyGlyphs(fonts) {
			continue // its text was read as it came
		}
		pieces, buf = h.pieces(st, fonts, pieces[:0], buf[:0])
		h.x.emitByte('\n')
		emitLines(h.x, pieces, buf)
	}
}

// anyGlyphs reports whether a font of fonts needs the replay to be text.
func anyGlyphs(fonts map[string]*pdfFont) bool {
	for _, f := range fonts {
		if f.glyphs() {
			return true
		}
	}
	return false
}

// textPiece is a string of a held page decoded, with where it starts and
// ends (TJ continuations folded into the string before them).
type textPiece struct {
	at       placement
	from, to int // its text in the decode buffer
	end      float64
}

// pieces decodes the logged strings of st in the fonts it resolved,
// appending their text to buf.
func (h *pdfHeld) pieces(st heldText, fonts map[string]*pdfFont, out []textPiece, buf []byte) ([]textPiece, []byte) {
	var sep byte
	for k := st.from; k < st.to; {
		r, next := h.readRecord(k)
		k = next
		if sepRank[r.sep] > sepRank[sep] {
			sep = r.sep
		}
		f := fonts[string(r.font)]
		if f == nil {
			continue
		}
		from := len(buf)
		if r.at.cont && len(out) > 0 && sep == ' ' {
			buf = append(buf, ' ')
		}
		buf = f.decode(buf, r.str)
		if len(buf) == from {
			continue
		}
		width := f.width(r.str, buf[from:]) * r.at.size
		if n := len(out); r.at.cont && n > 0 && out[n-1].to == from {
			out[n-1].to, out[n-1].end = len(buf), out[n-1].end+width
		} else {
			out = append(out, textPiece{at: r.at, from: from, to: len(buf), end: r.at.x + width})
		}
		sep = 0
	}
	return out, buf
}

// emitLines emits the pieces of a page line by line (layoutLines): the
// pieces on one baseline (within 0.3 em) are a line, in the order of where
// they start (a report may draw a row's cells in any order); a piece that
// starts where the one before ends (within 0.1 em, by the font's widths:
// a browser shows one run of glyphs per font and position) goes on its
// run, and runs are cells, a tab apart.
func emitLines(x *Extractor, ps []textPiece, buf []byte) {
	lines := layoutLines(ps, buf)
	started := false
	for _, line := range lines {
		if started {
			x.emitByte('\n')
		}
		started = true
		for k, r := range line.runs {
			if k > 0 {
				x.emitByte('\t')
			}
			x.emit(r)
		}
	}
}

// textLine is a line of a page: the runs of text on it, left to right,
// each of pieces that read on one from another (a cell's text).
type textLine struct {
	runs [][]byte
}

// layoutLines groups the pieces of a page into lines. A page drawn row by
// row (most pieces drawn on the baseline of the one before) keeps the
// order its lines are first drawn in; a page drawn column by column is
// read from the top, down being the way it most often moves from one line
// to the next as it draws (the first move breaks a tie), so that a footer,
// page number or watermark drawn before the body does not turn it upside
// down.
func layoutLines(ps []textPiece, buf []byte) []textLine {
	moves, first, same := 0, 0, 0
	for k := 1; k < len(ps); k++ {
		d := ps[k].at.y - ps[k-1].at.y
		if math.Abs(d) <= 0.3*max(ps[k].at.size, ps[k-1].at.size) {
			same++
			continue
		}
		step := 1
		if d < 0 {
			step = -1
		}
		if first == 0 {
			first = step
		}
		moves += step
	}
	down := 1.0
	if moves < 0 || moves == 0 && first < 0 {
		down = -1
	}
	if 2*same < len(ps)-1 {
		ps = slices.Clone(ps)
		slices.SortStableFunc(ps, func(a, b textPiece) int { return cmp.Compare(a.at.y*down, b.at.y*down) })
	}
	// Lines in the order they are first drawn; a string drawn later on the
	// baseline of an earlier line of two or more strings (a row) joins it:
	// LibreOffice Calc draws a sheet's last column after the others. A
	// sidebar drawn before a table keeps its own lines, each of one string.
	var groups [][]textPiece
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && math.Abs(ps[j].at.y-ps[i].at.y) <= 0.3*max(ps[i].at.size, ps[j].at.size) {
			j++
		}
		g := slices.Clone(ps[i:j])
		joined := false
		for k := len(groups) - 1; k >= max(0, len(groups)-lineJoinReach); k-- {
			row := groups[k]
			if len(row) >= 2 && math.Abs(row[0].at.y-g[0].at.y) <= 0.3*max(row[0].at.size, g[0].at.size) {
				groups[k] = append(row, g...)
				joined = true
				break
			}
		}
		if !joined {
			groups = append(groups, g)
		}
		i = j
	}
	var lines []textLine
	for _, line := range groups {
		slices.SortStableFunc(line, func(a, b textPiece) int { return cmp.Compare(a.at.x, b.at.x) })
		var l textLine
		for k, p := range line {
			text := buf[p.from:p.to]
			if n := len(l.runs); k > 0 && p.at.x-line[k-1].end <= 0.1*max(p.at.size, line[k-1].at.size) {
				l.runs[n-1] = append(slices.Clip(l.runs[n-1]), text...)
				continue
			}
			l.runs = append(l.runs, text)
		}
		lines = append(lines, l)
	}
	return lines
}

// lineJoinReach bounds how many earlier lines a string drawn later looks
// back at for its row.
const lineJoinReach = 256
