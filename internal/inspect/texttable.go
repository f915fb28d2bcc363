package inspect

import (
	"bytes"
	"math"
	"math/bits"
	"strings"
)

// Tables inside text. A CSV body opens with its header row (readHeader); a
// table pasted into a chat message, an LLM prompt or an e-mail body opens
// anywhere: a Markdown or psql table (cells split by '|'), raw or inside a
// JSON string, or rows copied out of a spreadsheet into a JSON string
// (cells split by the escape \t). The same tables come double-encoded (a
// JSON string holding JSON, as an LLM agent's tool-call arguments: lines
// split by \\n, cells by \\t or '|') and in a form field's text area
// (application/x-www-form-urlencoded: cells split by %09 or %7C, lines by
// %0A or %0D%0A, spaces written '+' or %20). The scan loop stops at '|',
// at \t and at every '%'; at the first delimiter of a line it reads the
// line as a header row, and from there it follows the rows under it as a
// CSV body's: a header cell labels the values of its column (names and
// addresses, and passports, travel permits and legacy card numbers that
// are a cell's whole text).
//
// Rows are lines: raw ones end at a line feed or carriage return, those in
// a JSON string also at an escaped one (\n, \r; \\n, \\r in a string
// inside a string) and at the quote that ends the string, those in a form
// field at %0A, %0D and the '&' that ends the field. The end of the string
// or field ends the table, as does a line without the delimiter; a rule
// line right under the header (----+----) is passed over.

// lineCode is how the lines of a table inside text are written.
type lineCode uint8

const (
	codeRaw   lineCode = iota // raw text
	codeJSON                  // a JSON string
	codeJSON2                 // a JSON string inside a JSON string
	codeForm                  // a form field's percent-encoded value
)

// textTable follows a delimited table found inside a text body.
type textTable struct {
	// The cell delimiter: '|', 't' for the JSON escape \t (or \\t), 'c'
	// for %7C, '9' for %09; 0: no table. width is its width on the wire.
	delim, width byte
	code         lineCode // how the table's lines end

	// A Markdown table (a rule line without '+' under its header) may open
	// its header with a '|' and its rows without, or the other way round:
	// skew is how many columns a row's cells stand right of the header's
	// (1, 0 or -1).
	lead, markdown bool
	skew           int

	// The rule under the header, or the first delimiter of the row under
	// the rule, is past the header's decision span (a psql or MySQL result
	// of a dozen columns): the row is found at its first delimiter
	// (ruleRow).
	farRow bool

	tabs int // the raw tabs of the header line (a raw tab table)

	col    int   // the cell after the last delimiter; the cell before a row's first delimiter is 0
	rowEnd int64 // stream offset where the current row ends, once known: a delimiter after it opens the next row
	cols   [64]contextClass

	// The cells whose text a value must start to have its column's context
	// (cellContext, as for an HTML cell): the cell after the last delimiter,
	// and the first cell of the next row, which no delimiter opens.
	cell, first     contextClass
	cellAt, firstAt int64

	head [maxSpan + headerCellMax + 2]byte // a form field's header line, decoded; a comma table's, unquoted

	quotedCell bool // a comma table's current cell opened with a quote
}

// labels returns the labels of column col.
func (t *textTable) labels(col int) contextClass {
	if col >= 0 && col < len(t.cols) {
		return t.cols[col]
	}
	return 0
}

// context reports whether the value of detector d starting at stream offset
// at starts the text of a cell whose column's header names d.
func (t *textTable) context(d Detector, at int64) bool {
	return t.cell&(1<<d) != 0 && at == t.cellAt || t.first&(1<<d) != 0 && at == t.firstAt
}

// bar handles the '|', tab or (in a table of comma-separated rows) comma
// at i and returns where scanning resumes.
func (s *Scanner) bar(i, end int) int {
	if s.buf[i] == '\t' && s.text.delim != '\t' && !tabMayOpen(s.buf, i, end) {
		return i + 1
	}
	return s.textDelimiter(i, 1, min(end, i+maxSpan))
}

// tabMayOpen reports whether the raw tab at i, outside a tab table, may be
// the first of a header row: it ends a first cell (a letter, a closing
// quote or parenthesis, a full stop or a whole 3-byte character before
// it) and starts one (a letter, a quote or a Han character after it), as
// the VBMI kernel's guard wants (cellByte on both sides, and more), and
// the cell is a line's first. Indentation, alignment after spaces, numbers
// in columns and the tabs of binary bytes are passed over at once.
func tabMayOpen(b []byte, i, end int) bool {
	if i < 1 || i+3 >= end {
		return false
	}
	c := b[i+1]
	next := isLetter(c) || c == '"' || c >= 0xE4 && c <= 0xE9 && utf8Wide(b[i+1:i+4])
	c = b[i-1]
	prev := isLetter(c) || c == '"' || c == ')' || c == '.' || i >= 3 && utf8Wide(b[i-3:i])
	if !next || !prev {
		return false
	}
	// The first cell, back to its line's start, holds no control byte (nor
	// another tab): binary bytes have one every few bytes.
	for k := i - 1; k >= max(0, i-headerCellMax-2); k-- {
		switch c := b[k]; {
		case c == '\n' || c == '\r':
			return !tabbedLineEndsAt(b, k) && tabCellsFit(b, i, end)
		case c < 0x20 || c == 0x7F:
			return false
		case k == 0:
			return tabCellsFit(b, i, end)
		}
	}
	return false
}

// tabCellsFit reports whether the line of the tab at i ends within maxSpan
// of it and none of the cells after the tab fails headerRow's test of a
// header cell for a reason seen in one pass: more than headerCellMax bytes
// other than quotes and spaces, or markup or key-value bytes. textHeader
// reads no such line as a header; a row of data with a long cell (a
// description, a log message) is passed over before its cells are looked
// up as labels, as each row of a headerless export whose last cells are
// longer than tabbedLineEndsAt reads is a candidate header.
func tabCellsFit(b []byte, i, end int) bool {
	n := 0 // bytes of the cell that bytes.Trim(cell, "\" ") keeps, at least
	for _, c := range b[i+1 : min(end, i+maxSpan)] {
		switch headerCellBytes[c] {
		case hcText:
			if n++; n > headerCellMax {
				return false
			}
		case hcTab:
			n = 0
		case hcEOL:
			return true
		case hcBad:
			return false
		}
	}
	return false
}

// headerCellBytes sorts bytes for tabCellsFit: text (most), bytes trimmed
// off a cell's ends, the tab, line ends, and bytes no header cell holds.
var headerCellBytes = func() (t [256]uint8) {
	for c := range t {
		switch c {
		case ' ', '"':
			t[c] = hcTrim
		case '\t':
			t[c] = hcTab
		case '\n', '\r':
			t[c] = hcEOL
		case ':', '=', '{', '}', '[', ']', '<', '>':
			t[c] = hcBad
		}
	}
	return t
}()

const (
	hcText = iota
	hcTrim
	hcTab
	hcEOL
	hcBad
)

// tabbedLineEndsAt reports whether the line ending at the line end b[k]
// holds a tab within its last tabLineBack bytes: the line at k+1 is then
// a row among rows (of a table whose header was read, or of an export
// without one), not a header. A header row follows prose, a blank line or
// nothing, so rows of tab-separated data are not each read as a header.
// Tabs that only end the line are no row of cells: a title copied out of a
// spreadsheet with the empty cells beside it (名单\t\t) or an empty row of
// the sheet (\t\t) is a line of prose or a blank line; so is a line of
// notes (see titleRow). CR LF and CR CR LF
// (text mode on Windows) end a line as LF does.
func tabbedLineEndsAt(b []byte, k int) bool {
	lo := max(0, k-tabLineBack)
	j := k - 1
	if b[k] == '\n' {
		for n := 0; n < 2 && j >= lo && b[j] == '\r'; n++ {
			j--
		}
	}
	for j >= lo && (b[j] == '\t' || b[j] == ' ') {
		j--
	}
	line := b[lo : j+1]
	t := bytes.LastIndexByte(line, '\t')
	if t < 0 || bytes.IndexByte(line[t:], '\n') >= 0 || bytes.IndexByte(line[t:], '\r') >= 0 {
		return false
	}
	// A sheet's notes above its header (填报单位：市场部\t\t填报日期：…) are
	// no row of the table either.
	row := line[bytes.LastIndexAny(line, "\r\n")+1:]
	return !titleRow(row, '\t')
}

// tabLineBack bounds how far tabbedLineEndsAt reads back: with a first
// cell of headerCellMax bytes, no more than lookback bytes before the tab.
const tabLineBack = lookback - headerCellMax - 8

// utf8Wide reports whether c holds a whole 3-byte UTF-8 sequence (a Han
// character, CJK punctuation, a full-width form).
func utf8Wide(c []byte) bool {
	return c[0]&0xF0 == 0xE0 && c[1]&0xC0 == 0x80 && c[2]&0xC0 == 0x80
}

// backslash handles a backslash at i that opens no \u escape: \t splits
// the cells of rows pasted into a JSON string, \n may end the header row
// of comma-separated rows there; any other is passed over.
func (s *Scanner) backslash(i, end int) int {
	if i+1 < end && !s.grid.on {
		switch s.buf[i+1] {
		case 't':
			return s.escapedTab(i)
		case 'n':
			if s.text.delim == 0 && s.csv.table == nil {
				return s.escapedLineBreak(i)
			}
		}
	}
	return i + 1
}

// escapedLineBreak handles the JSON escape \n at i (or \\n, when a
// backslash comes before it: a line break of a string inside a string),
// outside a table: comma-separated rows pasted into a JSON string (a CSV
// in an LLM prompt or an agent's tool result) open a table at their header
// row, the line after the break or, when the break ends the string's first
// line, that line. A comma is too common a byte to stop at outside a
// table; the line breaks of a JSON string are not. It returns where
// scanning resumes.
//
//go:noinline
func (s *Scanner) escapedLineBreak(i int) int {
	b := s.buf
	w, code := 2, codeJSON
	if i > 0 && b[i-1] == '\\' {
		i, w, code = i-1, 3, codeJSON2
	}
	end := min(len(b), i+maxSpan)
	// A CRLF line end: the line ends at the \r.
	e := i
	if r := e - w; r >= 0 && b[r+w-1] == 'r' && backslashes(b, r, r+w-1) {
		e = r
	}
	n := i + w
	// The last break handled, when it is the one before this line.
	k := int(s.lineAt - s.base)
	follows := s.lineAt > 0 && k >= 1 && k <= e
	s.lineAt = s.base + int64(n)
	// Most lines of a prompt are neither the line before a header nor
	// a header on the string's first line: the line after opens with no
	// header cells, and this line follows the last break handled with no
	// quote between that may end the string (however long the line: one
	// longer than lookback is no header either).
	after := headerCellAt(b, n, end)
	if !after && follows {
		// The string's first line starts after its opening quote, the
		// last quote that may end a string.
		if q := lastStringEnd(b, k, e, code); q < 0 || !headerCellAt(b, q+1, e) {
			return n
		}
	}
	// The line before the break: where the last break handled left it,
	// when nothing escaped or quoted stands between (most lines of a
	// prompt), else read back.
	var start, commas int
	var first, ok bool
	if follows && k >= e-lookback && bytes.IndexByte(b[k:e], '\\') < 0 && bytes.IndexByte(b[k:e], '"') < 0 {
		start, commas, ok = k, bytes.Count(b[k:e], []byte{','}), true
	} else {
		start, first, commas, ok = lineBefore(b, e, code)
	}
	if ok && first && headerCellAt(b, start, e) && s.commaHeader(start, e, end, code) {
		return n
	}
	// The line after the break. One with as many commas as the line
	// before it is a row of the same lines, not their header (a log or a
	// series of values).
	if !after {
		return n
	}
	if next, eol := rowStop(b, n, end, 0, code); eol && (!ok || bytes.Count(b[n:next], []byte{','}) != commas) && s.commaHeader(n, next, end, code) {
		return next
	}
	return n
}

// lastStringEnd returns the index of the last quote in b[k:e], right
// after an escaped line break, that may end a JSON string written as code
// says (a quote of the string's level or an outer one, not the \" of a
// string inside it), or -1.
func lastStringEnd(b []byte, k, e int, code lineCode) int {
	level := int(code - codeJSON)
	last := -1
	for j := bytes.IndexByte(b[k:e], '"'); j >= 0; j = bytes.IndexByte(b[k:e], '"') {
		// The run before the quote ends at k at most: b[k-1] is the
		// break's n.
		k += j
		if n, _ := backslashRun(b, k, 0); bits.TrailingZeros(^uint(n)) <= level {
			last = k
		}
		k++
	}
	return last
}

// headerCellAt reports whether the line of a JSON string at n may open
// with two header cells: a comma ends the first within headerCellMax
// bytes, before a line break or the string's end (an unescaped quote),
// and each holds one space at most (a clause of prose, the most common
// line with a comma, holds more). It spares the search for the line's end
// and the label lookup for every line of a prompt.
func headerCellAt(b []byte, n, end int) bool {
	c := bytes.IndexByte(b[n:min(end, n+headerCellMax)], ',')
	if c <= 0 || !shortCell(b[n:n+c]) {
		return false
	}
	// The second cell too, up to the next comma or the line's end.
	rest := b[n+c+1 : min(end, n+c+1+headerCellMax)]
	k := bytes.IndexByte(rest, ',')
	if k < 0 {
		k = len(rest)
	}
	if q := bytes.IndexByte(rest[:k], '\\'); q >= 0 && q+1 < k && (rest[q+1] == 'n' || rest[q+1] == 'r') {
		k = q // the line ends first
	}
	return shortCell(rest[:k])
}

// shortCell reports whether cell, a cell of a line of a JSON string, may
// be a header cell: one space at most, no line break, and no quote but an
// escaped one (a raw quote ends the string).
func shortCell(cell []byte) bool {
	if bytes.Count(cell, []byte{' '}) > 1 {
		return false
	}
	for k := bytes.IndexByte(cell, '"'); k >= 0; k = bytes.IndexByte(cell[k+1:], '"') + k + 1 {
		if k == 0 || cell[k-1] != '\\' {
			return false
		}
		if bytes.IndexByte(cell[k+1:], '"') < 0 {
			break
		}
	}
	for k := bytes.IndexByte(cell, '\\'); k >= 0 && k+1 < len(cell); k = bytes.IndexByte(cell[k+2:], '\\') + k + 2 {
		if cell[k+1] == 'n' || cell[k+1] == 'r' {
			return false
		}
		if bytes.IndexByte(cell[k+2:], '\\') < 0 {
			break
		}
	}
	return true
}

// lineBefore reads back from the line end at e of a JSON string written as
// code says to where its line starts, within lookback bytes: the string's
// opening quote (first) or the line break before it. It returns the line's
// start and its commas; not ok when neither is found, or another string
// ends on the way.
func lineBefore(b []byte, e int, code lineCode) (start int, first bool, commas int, ok bool) {
	lo := max(0, e-lookback)
	level := int(code - codeJSON)
	// Most lines hold no quote or backslash but the line break before
	// them: the nearest of the two is where the line starts.
	k := bytes.LastIndexByte(b[lo:e], '\\') + lo
	if q := bytes.LastIndexByte(b[max(k, lo):e], '"'); q >= 0 {
		k = max(k, lo) + q
	}
	if k <= lo {
		return 0, false, 0, false
	}
	commas = bytes.Count(b[k+1:e], []byte{','})
	if b[k] == '"' {
		n, cut := backslashRun(b, k, lo)
		switch l := bits.TrailingZeros(^uint(n)); {
		case cut || l < level:
			return 0, false, 0, false
		case l == level:
			return k + 1, true, commas, true
		}
		// A quote inside the line (an escaped one, one level down).
		return lineBeforeSlow(b, e, code)
	}
	// A backslash: the line break's, or another escape in the line.
	if k+1 < e && (b[k+1] == 'n' || b[k+1] == 'r') {
		if n, cut := backslashRun(b, k+1, lo); !cut && breakLevel(n) == level+1 {
			return k + 2, false, bytes.Count(b[k+2:e], []byte{','}), true
		}
	}
	return lineBeforeSlow(b, e, code)
}

// lineBeforeSlow is lineBefore for a line that holds quotes or escapes.
func lineBeforeSlow(b []byte, e int, code lineCode) (start int, first bool, commas int, ok bool) {
	lo := max(0, e-lookback)
	level := int(code - codeJSON)
	for k := e - 1; k > lo; k-- {
		switch b[k] {
		case ',':
			commas++
		case '"':
			n, cut := backslashRun(b, k, lo)
			switch l := bits.TrailingZeros(^uint(n)); {
			case cut:
				return 0, false, 0, false
			case l == level:
				return k + 1, true, commas, true
			case l < level:
				return 0, false, 0, false
			}
		case 'n', 'r':
			if b[k-1] == '\\' {
				// Any escaped line break ends the walk: one of this
				// string's, or of a string inside it.
				n, cut := backslashRun(b, k, lo)
				if cut || breakLevel(n) != level+1 {
					return 0, false, 0, false
				}
				return k + 1, false, commas, true
			}
		}
	}
	return 0, false, 0, false
}

// backslashRun returns how many backslashes stand right before k, counted
// down to lo at most, and whether lo cut the run (its length is then
// unknown: the bytes before lo may be gone).
func backslashRun(b []byte, k, lo int) (n int, cut bool) {
	for j := k - 1; j >= lo && b[j] == '\\'; j-- {
		n++
		if j == lo {
			return n, true
		}
	}
	return n, false
}

// commaHeader opens a table of comma-separated rows at the line b[start:e]
// of a JSON string (written as code says) when it is a header row (as a
// CSV body's first line is: a cell with a label) and the line under it
// has one comma at least and no more than the header (a row may leave out
// its empty last cells), up to its end or the end of the decision span.
// It reports whether it did.
func (s *Scanner) commaHeader(start, e, end int, code lineCode) bool {
	b := s.buf
	comma := []byte{','}
	t := &s.text
	line := b[start:e]
	// A header's cells hold a word or two each: a line with more spaces
	// than cells is prose, and no label is looked up in it.
	if bytes.Count(line, []byte{' '}) > bytes.Count(line, comma)+1 {
		return false
	}
	commas := cellCommas(line, code)
	if commas == 0 || longNumber(line) {
		return false
	}
	n := e + lineEndWidth(b, e, end)
	r, _ := rowStop(b, n, end, 0, code)
	if r < 0 {
		r = end // cut by the decision span
	}
	if c := cellCommas(b[n:r], code); c == 0 || c > commas {
		return false
	}
	cols, ok := s.headerRow(unquoteCells(t.head[:0], line, code), comma, true)
	if !ok {
		return false
	}
	*t = textTable{delim: ',', width: 1, code: code, cols: cols}
	t.rowEnd = s.base + int64(e)
	s.nextRow(e, end)
	return true
}

// cellQuote returns the width of the quote of a CSV cell at b[j:end] in a
// JSON string written as code says (\" in a string, \\\" in a string
// inside a string), or 0.
func cellQuote(b []byte, j, end int, code lineCode) int {
	w := 2
	if code == codeJSON2 {
		w = 4
	}
	if j+w > end || b[j+w-1] != '"' || !backslashes(b, j, j+w-1) {
		return 0
	}
	return w
}

// openCell returns where the text of the comma table's cell at j starts,
// past its opening quote, and notes whether it has one.
func (t *textTable) openCell(b []byte, j, end int) int {
	w := cellQuote(b, j, end, t.code)
	t.quotedCell = w > 0
	return j + w
}

// quoteBefore reports whether the comma at i closes a quoted cell: the
// cell's closing quote stands right before it.
func quoteBefore(b []byte, i int, code lineCode) bool {
	w := 2
	if code == codeJSON2 {
		w = 4
	}
	return i >= w && cellQuote(b, i-w, i, code) == w
}

// cellCommas counts the commas of a line of a JSON string written as code
// says that split cells: those inside a quoted cell do not.
func cellCommas(line []byte, code lineCode) int {
	if bytes.IndexByte(line, '\\') < 0 {
		return bytes.Count(line, []byte{','}) // no quoted cell
	}
	n, quoted := 0, false
	for j := 0; j < len(line); j++ {
		switch line[j] {
		case ',':
			if !quoted {
				n++
			}
		case '\\':
			if w := cellQuote(line, j, len(line), code); w > 0 {
				quoted = !quoted
				j += w - 1
			}
		}
	}
	return n
}

// unquoteCells appends line to dst without the quotes of its cells (see
// cellQuote) and returns it.
func unquoteCells(dst, line []byte, code lineCode) []byte {
	for j := 0; j < len(line); j++ {
		if w := cellQuote(line, j, len(line), code); w > 0 {
			j += w - 1
			continue
		}
		dst = append(dst, line[j])
	}
	return dst
}

// escapedTab handles the JSON escape \t at i, or \\t when a backslash
// comes before it (a tab in a JSON string inside a JSON string), deciding
// from at most maxSpan bytes as every handler does. It is kept out of line
// so that backslash, on the scan loop's path for every backslash, is
// inlined.
//
//go:noinline
func (s *Scanner) escapedTab(i int) int {
	if i > 0 && s.buf[i-1] == '\\' {
		return s.textDelimiter(i-1, 3, min(len(s.buf), i-1+maxSpan))
	}
	return s.textDelimiter(i, 2, min(len(s.buf), i+maxSpan))
}

// textDelimiter handles the cell delimiter of width w at i ('|', the JSON
// escape \t or \\t, or %7C or %09) and returns where scanning resumes.
func (s *Scanner) textDelimiter(i, w, end int) int {
	t := &s.text
	delim := lowerASCII(s.buf[i+w-1]) // '|', the t of \t, the c of %7C, the 9 of %09
	switch {
	case s.csv.table != nil: // a CSV body's own columns apply
		return i + w
	case t.delim == 0:
		return s.textHeader(i, w, end, delim)
	case delim != t.delim || w != int(t.width):
		return i + w
	case delim == ',' && t.quotedCell && !quoteBefore(s.buf, i, t.code):
		// A comma inside a quoted cell ("…路88号,2单元"): the cell goes on.
		s.cellEnd(i+w, end)
		return i + w
	}
	if s.base+int64(i) > t.rowEnd {
		if t.farRow {
			// The first delimiter after a header whose rule or first row
			// the decision span cut: on the rule, on the row under it, or
			// on a line of text after it.
			start, ok, inRule := ruleRow(s.buf, i)
			switch {
			case inRule:
				return i + w
			case !ok:
				t.delim, t.farRow = 0, false
				return s.textHeader(i, w, end, delim)
			}
			t.farRow = false
			s.rowStart(skipSpaces(s.buf, start, i, t.code, true), end)
		}
		t.col, t.rowEnd = 1+t.skew, math.MaxInt64
	} else {
		t.col++
	}
	j := skipSpaces(s.buf, i+w, end, t.code, false)
	if t.delim == ',' {
		j = t.openCell(s.buf, j, end)
	}
	labels := t.labels(t.col)
	t.cell, t.cellAt = labels&cellContext, s.base+int64(j)
	s.cellEnd(j, end)
	if labels&(1<<Name|1<<Address) != 0 {
		s.labelledValue(j, end, labels)
	}
	return j
}

// textHeader reads the line of the delimiter of width w at i as a table's
// header row when the delimiter is the line's first: it opens the line (a
// Markdown row), or, for a bar ('|', %7C) with a space on each side or for
// a tab, it comes after the line's first cell. An e-mail reply's quote
// marks ("> ") before the line are passed over. It returns where scanning
// resumes: after the header row, or after the delimiter when the line is
// no header.
func (s *Scanner) textHeader(i, w, end int, delim byte) int {
	b := s.buf
	start, code, ok := headerStart(b, i, w)
	if !ok {
		return i + w
	}
	e, eol := rowStop(b, i+w, end, 0, code)
	if !eol {
		return i + w // no line end within the decision span
	}
	start = skipSpaces(b, start, i, code, true)
	t := &s.text
	line, sep := b[start:e], b[i:i+w]
	if longNumber(line) {
		return i + w // a row of values (an ID, a phone or card number), whatever its words
	}
	if delim == '\t' && !tabRowFollows(b, e, end, code) {
		// A line of raw tabs heads rows: with none under it (rows of an
		// export set apart by blank lines, a lone line) it is no header,
		// and its cells are not looked up as labels.
		return i + w
	}
	if code == codeForm {
		// Cells are read as text: padded with %20 a wide column's header
		// cell is longer than a header cell.
		line, sep = formText(t.head[:0], line), []byte("|")
		if delim == '9' {
			sep = []byte("\t")
		}
	}
	cols, ok := s.headerRow(line, sep, false)
	if !ok {
		return i + w
	}
	// A '|' line with one labelled cell among single words is a header
	// only over a rule line: log lines (level | name | msg) have none. A
	// line of raw tabs has no rule: it needs two labelled cells.
	weak := (delim == '|' || delim == 'c' || delim == '\t') && labelledCells(&cols) < 2
	*t = textTable{delim: delim, width: byte(w), code: code, cols: cols, lead: start == i && (delim == '|' || delim == 'c')}
	if delim == '\t' && code == codeRaw {
		t.tabs = bytes.Count(line, sep)
	}
	// A rule line under the header (psql's -----+-----) is no row; past a
	// rule that the decision span cuts, or that ends too near it for the
	// row under it to show its first delimiter, ruleRow finds that row
	// (in a raw or JSON '|' table).
	if n := e + lineEndWidth(b, e, end); n < end {
		r, eol := rowStop(b, n, end, 0, code)
		if !eol {
			r = end
		}
		if rule := b[skipSpaces(b, n, r, code, true):r]; ruleText(rule) && (eol || delim == '|') {
			t.markdown = !ruleCross(rule, code)
			if k, _ := rowStop(b, r+lineEndWidth(b, r, end), end, delim, code); k < 0 && delim == '|' {
				t.farRow, t.rowEnd = true, s.base+int64(e)
				return r
			}
			e, weak = r, false
		}
	}
	if weak {
		*t = textTable{}
		return i + w
	}
	t.rowEnd = s.base + int64(e)
	s.nextRow(e, end)
	return e
}

// tabRowFollows reports whether the line after the line end at e holds a
// raw tab within the decision span.
func tabRowFollows(b []byte, e, end int, code lineCode) bool {
	n := e + lineEndWidth(b, e, end)
	k, eol := rowStop(b, n, end, '\t', code)
	return k >= 0 && !eol
}

// labelledCells returns how many of a header row's cells hold labels.
func labelledCells(cols *[64]contextClass) int {
	n := 0
	for _, c := range cols {
		if c != 0 {
			n++
		}
	}
	return n
}

// ruleRow looks at the '|' at i, the first after a header whose rule or
// first row the decision span cut (farRow): it is on the rule (inRule: the bytes before it are
// the rule's), or it is the first delimiter of the row right under the
// rule, which starts at start (ok), or neither.
func ruleRow(b []byte, i int) (start int, ok, inRule bool) {
	k, dash := i-1, false
	for ; k >= max(0, i-64) && strings.IndexByte(ruleBytes, b[k]) >= 0; k-- {
		dash = dash || b[k] == '-'
	}
	if dash && (k < max(0, i-64) || lineStartAt(b, k+1)) {
		return 0, false, true
	}
	start, _, ok = headerStart(b, i, 1)
	if !ok || start == 0 {
		return 0, false, false
	}
	// The rule's last bytes end the line before.
	k = lineEndBefore(b, start) - 1
	return start, k >= 2 && k < start-1 && ruleText(b[k-2:k+1]), false
}

// lineEndBefore returns where the line end (one of lineEndWidth's) that
// ends right before k starts; k when none does.
func lineEndBefore(b []byte, k int) int {
	lf := k
	if c, w := breakBefore(b, k); c == '\n' {
		lf = k - w
	}
	cr, crs := lf, 1
	if lf < k {
		crs = 2 // CR CR LF
	}
	for range crs {
		if c, w := breakBefore(b, cr); c == '\r' {
			cr -= w
		}
	}
	return cr
}

// breakBefore returns the line break (a line feed or a carriage return,
// raw, JSON-escaped once or twice or percent-encoded) that ends right
// before k, and its width; width 0 when none does.
func breakBefore(b []byte, k int) (c byte, w int) {
	if k < 1 {
		return 0, 0
	}
	switch c = b[k-1]; {
	case c == '\n' || c == '\r':
		return c, 1
	case (c == 'n' || c == 'r') && k >= 2 && b[k-2] == '\\':
		if k >= 3 && b[k-3] == '\\' {
			return lineBreak(c), 3
		}
		return lineBreak(c), 2
	case k >= 3 && b[k-3] == '%':
		if v, ok := percentAt(b, k-3, k); ok && (v == '\n' || v == '\r') {
			return v, 3
		}
	}
	return 0, 0
}

// breakAt returns the line break (as breakBefore's) that starts at j, and
// its width; width 0 when none does.
func breakAt(b []byte, j, end int) (c byte, w int) {
	switch c = b[j]; {
	case c == '\n' || c == '\r':
		return c, 1
	case c == '%':
		if v, ok := percentAt(b, j, end); ok && (v == '\n' || v == '\r') {
			return v, 3
		}
	case c == '\\':
		k := j + 1
		if k < end && b[k] == '\\' {
			k++
		}
		if k < end && (b[k] == 'n' || b[k] == 'r') && k-j <= 2 {
			return lineBreak(b[k]), k + 1 - j
		}
	}
	return 0, 0
}

// lineBreak returns the line break the escape letter n or r stands for.
func lineBreak(c byte) byte {
	if c == 'n' {
		return '\n'
	}
	return '\r'
}

// longNumber reports whether line holds a run of seven or more ASCII
// digits: a value, which no header cell holds.
func longNumber(line []byte) bool {
	run := 0
	for _, c := range line {
		if !isDigit(c) {
			run = 0
		} else if run++; run >= 7 {
			return true
		}
	}
	return false
}

// formText appends the text of a form field's value v to dst: '+' is a
// space and %XX the byte it encodes.
func formText(dst, v []byte) []byte {
	for k := 0; k < len(v); k++ {
		c := v[k]
		if x, ok := percentAt(v, k, len(v)); ok {
			c, k = x, k+2
		} else if c == '+' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// percentAt decodes the %XX at b[k:end].
func percentAt(b []byte, k, end int) (byte, bool) {
	if k+2 >= end || b[k] != '%' {
		return 0, false
	}
	v, ok := hexValue(b[k+1 : k+3])
	return byte(v), ok
}

// ruleBytes are the bytes of a rule line (see ruleLine).
const ruleBytes = "-+|: "

// ruleText reports whether line holds only the bytes of a rule line
// (percent-encoded or not) and a dash: a Markdown rule may have a single
// dash a column (|:-|-:|), where ruleLine wants three in a row.
func ruleText(line []byte) bool {
	dash := false
	for k := 0; k < len(line); k++ {
		c := line[k]
		if v, ok := percentAt(line, k, len(line)); ok {
			c, k = v, k+2
		}
		if strings.IndexByte(ruleBytes, c) < 0 {
			return false
		}
		dash = dash || c == '-'
	}
	return dash
}

// ruleCross reports whether a rule line holds a '+' (a psql or MySQL
// rule, not a Markdown one); in a form field the '+' is written %2B.
func ruleCross(rule []byte, code lineCode) bool {
	if code == codeForm {
		return bytes.Contains(rule, []byte("%2B")) || bytes.Contains(rule, []byte("%2b"))
	}
	return bytes.IndexByte(rule, '+') >= 0
}

// lineStartAt reports whether a line starts at k: a raw or JSON-escaped
// line end or the quote opening a JSON string comes before it.
func lineStartAt(b []byte, k int) bool {
	return k == 0 || b[k-1] == '"' || lineEndBefore(b, k) < k
}

// skipSpaces returns the index of the first byte at or after j, before
// end, that is no space (in a form field '+' or %20 too) and, with quotes,
// no e-mail reply's quote mark '>'.
func skipSpaces(b []byte, j, end int, code lineCode, quotes bool) int {
	for j < end {
		c, w := b[j], 1
		if code == codeForm {
			if v, ok := percentAt(b, j, end); ok {
				c, w = v, 3
			} else if c == '+' {
				c = ' '
			}
		}
		if c != ' ' && (c != '>' || !quotes) {
			break
		}
		j += w
	}
	return j
}

// lineOpener reports whether a line of a table may start at k: at the
// start of the body, after a line break (breakBefore) or after the quote
// opening a JSON string (\" in a string inside a string) or the '=' of a
// form field. It returns the code of such a line.
func lineOpener(b []byte, k int) (lineCode, bool) {
	if k == 0 {
		return codeRaw, true
	}
	if c, w := breakBefore(b, k); c != 0 {
		switch {
		case w == 1:
			return codeRaw, true
		case b[k-w] == '%':
			return codeForm, true
		}
		return codeJSON + lineCode(w-2), true
	}
	switch b[k-1] {
	case '"':
		if k >= 2 && b[k-2] == '\\' {
			return codeJSON2, true
		}
		return codeJSON, true
	case '=':
		return codeForm, true
	}
	return 0, false
}

// headerStart returns where the line holding the delimiter of width w at i
// starts, when the delimiter is the line's first and may follow a header
// cell (see textHeader), and how the line is written: a tab is raw text,
// \t in a JSON string, \\t in a string inside a string; %7C and %09 are in
// a form field; a '|' is in the line its start tells.
func headerStart(b []byte, i, w int) (start int, code lineCode, ok bool) {
	delim := lowerASCII(b[i+w-1])
	want := codeRaw // '|': the line's own code, but a form field's
	switch {
	case b[i] == '%':
		want = codeForm
	case delim == 't':
		want = codeJSON + lineCode(w-2)
	}
	// fits reports whether a line whose start tells code may hold the
	// delimiter. A raw tab is in raw text only (a JSON string escapes it):
	// a quote before a header cell ("姓名"\t"住址") opens no string.
	fits := func(code lineCode) bool {
		if delim == '\t' {
			return code == codeRaw
		}
		return (code == codeForm) == (want == codeForm) || code == codeRaw
	}
	if code, ok := lineOpener(b, i); ok && fits(code) {
		return i, lineCodeOf(code, want), true
	}
	if delim == '|' || delim == 'c' {
		if skipSpaces(b, i+w, min(len(b), i+w+3), want, false) == i+w || !spaceBefore(b, i, want) {
			return 0, 0, false
		}
	}
	// The first cell, back to the line's start.
	for k := i - 1; k >= max(0, i-headerCellMax-2); k-- {
		if code, ok := lineOpener(b, k); ok && fits(code) {
			return k, lineCodeOf(code, want), true
		}
		if k >= w && string(b[k-w:k]) == string(b[i:i+w]) {
			return 0, 0, false // not the line's first delimiter
		}
	}
	return 0, 0, false
}

// lineCodeOf returns the code of a table's lines: the delimiter's, want,
// unless it is a '|', which takes the code its line's start tells.
func lineCodeOf(code, want lineCode) lineCode {
	if want == codeRaw {
		return code
	}
	return want
}

// spaceBefore reports whether a space (in a form field '+' or %20) ends
// right before i.
func spaceBefore(b []byte, i int, code lineCode) bool {
	switch {
	case i >= 1 && b[i-1] == ' ':
		return true
	case code != codeForm:
		return false
	}
	return i >= 1 && b[i-1] == '+' || i >= 3 && string(b[i-3:i]) == "%20"
}

// cellEnd finds where the cell at j ends: at the table's next delimiter
// (the row goes on) or at the end of the line, which ends the row; a cell
// that runs past the decision span leaves the table.
func (s *Scanner) cellEnd(j, end int) {
	t := &s.text
	k, eol := rowStop(s.buf, j, end, t.delim, t.code)
	switch {
	case k < 0:
		t.delim = 0
	case eol:
		t.rowEnd = s.base + int64(k)
		s.nextRow(k, end)
	}
}

// nextRow looks at the line after the line end at e: when it holds the
// table's delimiter it is the next row (rowStart); otherwise the table
// ends. The end of the JSON string or form field ends it too.
func (s *Scanner) nextRow(e, end int) {
	t := &s.text
	b := s.buf
	if _, w := breakAt(b, e, end); w == 0 && e < end {
		t.delim = 0 // the quote closing the string, the '&' after the field
		return
	}
	n := e + lineEndWidth(b, e, end)
	if k, eol := rowStop(b, n, end, t.delim, t.code); k < 0 || eol {
		if n = s.pastFurniture(n, end); n < 0 {
			t.delim = 0
			return
		}
	}
	s.rowStart(skipSpaces(b, n, end, t.code, true), end)
}

// furnitureMax bounds a line of page furniture (a sheet's name, Page 12)
// between a table's rows.
const furnitureMax = 80

// pastFurniture returns where the next row of a raw tab table starts past
// the line at n, which has no tab, and up to one more such line, when
// they are a page break's furniture: a page number (Page 2, 第 2 页, - 2 -)
// and at most one other short line (the sheet's name), as a PDF's pages
// are read (LibreOffice Calc prints both between a table's rows and
// repeats no header: a 1,000-row passport list counted the 52 of its
// first page). A blank line and a title are no page break: the block
// after them is another table. The row must have the header's tabs and be
// no header itself (as textHeader reads one); -1 when there is none within
// the decision span.
func (s *Scanner) pastFurniture(n, end int) int {
	t := &s.text
	b := s.buf
	if t.delim != '\t' || t.code != codeRaw {
		return -1
	}
	paged := false
	for range 2 {
		k, eol := rowStop(b, n, end, '\t', codeRaw)
		if k < 0 || !eol || k-n > furnitureMax {
			return -1
		}
		paged = paged || pageNumber(b[n:k])
		n = k + lineEndWidth(b, k, end)
		r, _ := rowStop(b, n, end, 0, codeRaw)
		if r < 0 {
			return -1
		}
		line := b[n:r]
		if tabs := bytes.Count(line, []byte{'\t'}); tabs > 0 {
			cols, ok := s.headerRow(line, []byte{'\t'}, false)
			if !paged || tabs != t.tabs || ok && !longNumber(line) && labelledCells(&cols) >= 2 {
				return -1
			}
			return n
		}
	}
	return -1
}

// pageNumber reports whether line is a page number as a printer writes it:
// Page 2, page 2 of 12, 2 / 12, - 2 -, 第 2 页, 第2页 共12页 (in a reply,
// after its quote marks).
func pageNumber(line []byte) bool {
	digits := 0
	for len(line) > 0 {
		switch c := line[0]; {
		case c >= '0' && c <= '9':
			digits++
			line = line[1:]
		case c == ' ' || c == '-' || c == '/' || c == '|' || c == '.' || c == '>': // '>': a reply's quote
			line = line[1:]
		case hasFold(line, "page"):
			line = line[4:]
		case hasFold(line, "of"):
			line = line[2:]
		case bytes.HasPrefix(line, []byte("第")), bytes.HasPrefix(line, []byte("页")), bytes.HasPrefix(line, []byte("共")):
			line = line[3:]
		default:
			return false
		}
	}
	return digits > 0 && digits <= 8
}

// hasFold reports whether b starts with the lower-case ASCII word w in any
// letter case.
func hasFold(b []byte, w string) bool {
	return len(b) >= len(w) && bytes.EqualFold(b[:len(w)], []byte(w))
}

// rowStart notes the first cell of a row, whose text starts at n, and
// reads it in a name or address column. In a Markdown table a row that
// opens with a '|' when the header does not (or the other way round) is
// skewed by a column.
func (s *Scanner) rowStart(n, end int) {
	t := &s.text
	var lead bool
	switch t.delim {
	case '|':
		lead = n < end && s.buf[n] == '|'
	case 'c':
		v, ok := percentAt(s.buf, n, end)
		lead = ok && v == '|'
	}
	switch t.skew = 0; {
	case !t.markdown || lead == t.lead:
	case lead:
		t.skew = -1
	default:
		t.skew = 1
	}
	if lead {
		t.first = 0 // an empty cell
		return
	}
	if t.delim == ',' {
		n = t.openCell(s.buf, n, end)
	}
	labels := t.labels(t.skew)
	t.first, t.firstAt = labels&cellContext, s.base+int64(n)
	if labels&(1<<Name|1<<Address) != 0 {
		s.labelledValue(n, end, labels)
	}
}

// rowStop returns the first delimiter delim (0: none) or line end in
// b[j:end], and whether it is a line end; -1 when there is neither. In a
// JSON string, escaped line ends and the closing quote end a line too, and
// the escape \t is the delimiter 't' (see escapeIn for a string inside a
// string). In a form field %0A, %0D and the '&' after the field end a
// line, and %7C and %09 are the delimiters 'c' and '9'.
func rowStop(b []byte, j, end int, delim byte, code lineCode) (k int, eol bool) {
	for k = j; k < end; k++ {
		switch b[k] {
		case '\n', '\r':
			return k, true
		case '|', '\t', ',':
			if delim == b[k] {
				return k, false
			}
		case '"':
			if code == codeJSON || code == codeJSON2 {
				return k, true
			}
		case '&':
			if code == codeForm {
				return k, true
			}
		case '%':
			v, ok := percentAt(b, k, end)
			if code != codeForm || !ok {
				continue
			}
			switch {
			case v == '\n' || v == '\r':
				return k, true
			case v == '|' && delim == 'c', v == '\t' && delim == '9':
				return k, false
			}
			k += 2
		case '\\':
			if code != codeJSON && code != codeJSON2 {
				continue
			}
			switch c, w := escapeIn(b, k, end, code); {
			case c == '\n' || c == '\r' || c == '"':
				return k, true
			case c == '\t' && delim == 't':
				return k, false
			default:
				k += w - 1
			}
		}
	}
	return -1, false
}

// escapeIn reads the escape at the backslash b[k] of a line written in
// code (a JSON string, or one inside a string) and returns what it means
// to a table: a line feed, a carriage return, a tab, '"' for the end of
// the string (\" inside a string), or 0; and its width. Inside a string
// the escapes of the inner string are escaped once more (\\n, \\t, \\\\),
// and a single escape line feed (\n) is a line end of the inner JSON.
func escapeIn(b []byte, k, end int, code lineCode) (c byte, w int) {
	if k+1 >= end {
		return 0, 1
	}
	c, w = b[k+1], 2
	if code == codeJSON2 {
		switch {
		case c == '"':
			return '"', 2
		case c == '\\' && k+2 < end:
			c, w = b[k+2], 3
			if c == '\\' {
				return 0, min(4, end-k) // \\\\ or \\\": a backslash or quote of the inner string
			}
		case c == 't':
			return 0, 2 // a tab of the inner JSON's own text
		}
	}
	switch c {
	case 'n':
		return '\n', w
	case 'r':
		return '\r', w
	case 't':
		return '\t', w
	}
	return 0, w
}

// lineEndWidth returns the width of the line end at e (rowStop's): CRLF,
// CR CR LF (text mode on Windows) and their escaped and percent-encoded
// forms are one line end.
func lineEndWidth(b []byte, e, end int) int {
	if e >= end {
		return 0
	}
	c, w := breakAt(b, e, end)
	switch {
	case w == 0: // the quote ending a string (\" inside a string), the '&' ending a field
		if b[e] == '\\' {
			return 2
		}
		return 1
	case c != '\r' || e+w >= end:
		return w
	}
	switch c2, w2 := breakAt(b, e+w, end); {
	case c2 == '\n':
		return w + w2
	case c2 == '\r' && e+w+w2 < end:
		if c3, w3 := breakAt(b, e+w+w2, end); c3 == '\n' {
			return w + w2 + w3
		}
	}
	return w
}
