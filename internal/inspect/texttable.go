package inspect

import (
	"bytes"
	"math"
	"strings"
)

// Tables inside text. A CSV body opens with its header row (readHeader); a
// table pasted into a chat message, an LLM prompt or an e-mail body opens
// anywhere: a Markdown or psql table (cells split by '|'), raw or inside a
// JSON string, or rows copied out of a spreadsheet into a JSON string
// (cells split by the escape \t). The scan loop stops at '|' and at \t;
// at the first delimiter of a line it reads the line as a header row, and
// from there it follows the rows under it as a CSV body's: a header cell
// labels the values of its column (names and addresses, and passports,
// travel permits and legacy card numbers that are a cell's whole text).
//
// Rows are lines: raw ones end at a line feed or carriage return, those in
// a JSON string also at an escaped one (\n, \r) and at the quote that ends
// the string. A line without the delimiter ends the table; a rule line
// right under the header (----+----) is passed over.

// textTable follows a delimited table found inside a text body.
type textTable struct {
	delim byte // '|', or 't' for the JSON escape \t; 0: no table
	json  bool // the table is in a JSON string: escaped line ends and the closing quote end rows

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

	col    int   // the cell after the last delimiter; the cell before a row's first delimiter is 0
	rowEnd int64 // stream offset where the current row ends, once known: a delimiter after it opens the next row
	cols   [64]contextClass

	// The cells whose text a value must start to have its column's context
	// (cellContext, as for an HTML cell): the cell after the last delimiter,
	// and the first cell of the next row, which no delimiter opens.
	cell, first     contextClass
	cellAt, firstAt int64
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

// stops returns the stop table of free text: inside a '|' table every bar
// is a stop, outside only a bar that may open a header row.
func (t *textTable) stops() *stopTable {
	if t.delim == '|' {
		return tableStops
	}
	return textStops
}

// bar handles the '|' at i and returns where scanning resumes. When it
// starts or ends a '|' table, the block search f goes on with the stop
// table of the new state.
func (s *Scanner) bar(i, end int, f *stopFinder) int {
	in := s.text.delim == '|'
	i = s.textDelimiter(i, 1, min(end, i+maxSpan))
	if (s.text.delim == '|') != in {
		f.retable(s.text.stops())
	}
	return i
}

// backslash handles a backslash at i that opens no \u escape: \t splits
// the cells of rows pasted into a JSON string; any other is passed over.
func (s *Scanner) backslash(i, end int) int {
	if i+1 < end && s.buf[i+1] == 't' {
		return s.escapedTab(i)
	}
	return i + 1
}

// escapedTab handles the JSON escape \t at i, deciding from at most
// maxSpan bytes as every handler does. It is kept out of line so that
// backslash, on the scan loop's path for every backslash, is inlined.
//
//go:noinline
func (s *Scanner) escapedTab(i int) int {
	return s.textDelimiter(i, 2, min(len(s.buf), i+maxSpan))
}

// textDelimiter handles the cell delimiter of width w at i ('|', or the
// JSON escape \t) and returns where scanning resumes.
func (s *Scanner) textDelimiter(i, w, end int) int {
	t := &s.text
	delim := s.buf[i+w-1] // '|' or the t of \t
	switch {
	case s.csv.table != nil: // a CSV body's own columns apply
		return i + w
	case t.delim == 0:
		return s.textHeader(i, w, end, delim)
	case delim != t.delim:
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
			s.rowStart(skipQuote(s.buf, start, i), end)
		}
		t.col, t.rowEnd = 1+t.skew, math.MaxInt64
	} else {
		t.col++
	}
	j := skipSpaces(s.buf, i+w, end)
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
// Markdown row), or, for '|' with a space on each side or for \t, it comes
// after the line's first cell. An e-mail reply's quote marks ("> ") before
// the line are passed over. It returns where scanning resumes: after the
// header row, or after the delimiter when the line is no header.
func (s *Scanner) textHeader(i, w, end int, delim byte) int {
	b := s.buf
	start, json, ok := headerStart(b, i, delim)
	if !ok {
		return i + w
	}
	sep := []byte{'|'}
	if delim == 't' {
		sep, json = []byte(`\t`), true
	}
	e, eol := rowStop(b, i+w, end, 0, json)
	if !eol {
		return i + w // no line end within the decision span
	}
	start = skipQuote(b, start, i)
	cols, ok := s.headerRow(b[start:e], sep, false)
	if !ok {
		return i + w
	}
	t := &s.text
	*t = textTable{delim: delim, json: json, cols: cols, lead: start == i && delim == '|'}
	// A rule line under the header (psql's -----+-----) is no row; past a
	// rule that the decision span cuts, or that ends too near it for the
	// row under it to show its first delimiter, ruleRow finds that row.
	if n := e + lineEndWidth(b, e, end); n < end {
		r, eol := rowStop(b, n, end, 0, json)
		if !eol {
			r = end
		}
		if rule := b[skipQuote(b, n, r):r]; ruleText(rule) && (eol || delim == '|') {
			t.markdown = bytes.IndexByte(rule, '+') < 0
			if k, _ := rowStop(b, r+lineEndWidth(b, r, end), end, delim, json); k < 0 && delim == '|' {
				t.farRow, t.rowEnd = true, s.base+int64(e)
				return r
			}
			e = r
		}
	}
	t.rowEnd = s.base + int64(e)
	s.nextRow(e, end)
	return e
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
	start, _, ok = headerStart(b, i, '|')
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
	switch {
	case hasAt(b, k-1, k, "\n"):
		lf = k - 1
	case hasAt(b, k-2, k, `\n`):
		lf = k - 2
	}
	cr, crs := lf, 1
	if lf < k {
		crs = 2 // CR CR LF
	}
	for range crs {
		switch {
		case hasAt(b, cr-1, cr, "\r"):
			cr--
		case hasAt(b, cr-2, cr, `\r`):
			cr -= 2
		}
	}
	return cr
}

// ruleBytes are the bytes of a rule line (see ruleLine).
const ruleBytes = "-+|: "

// ruleText reports whether line holds only the bytes of a rule line and a
// dash: a Markdown rule may have a single dash a column (|:-|-:|), where
// ruleLine wants three in a row.
func ruleText(line []byte) bool {
	return bytes.IndexByte(line, '-') >= 0 && len(bytes.Trim(line, ruleBytes)) == 0
}

// lineStartAt reports whether a line starts at k: a raw or JSON-escaped
// line end or the quote opening a JSON string comes before it.
func lineStartAt(b []byte, k int) bool {
	return k == 0 || b[k-1] == '"' || lineEndBefore(b, k) < k
}

// skipQuote returns the index of the first byte at or after j, before
// end, that is neither a space nor an e-mail reply's quote mark '>'.
func skipQuote(b []byte, j, end int) int {
	for j < end && (b[j] == ' ' || b[j] == '>') {
		j++
	}
	return j
}

// headerStart returns where the line holding the delimiter at i starts,
// when the delimiter is the line's first and may follow a header cell (see
// textHeader), and whether the line is in a JSON string.
func headerStart(b []byte, i int, delim byte) (start int, json, ok bool) {
	if i == 0 {
		return 0, false, true
	}
	switch c := b[i-1]; {
	case c == '\n' || c == '\r':
		return i, false, true
	case c == '"' || c == 'n' && i > 1 && b[i-2] == '\\':
		return i, true, true
	case delim == '|' && (c != ' ' || i+1 >= len(b) || b[i+1] != ' '):
		return 0, false, false
	}
	// The first cell, back to the line's start.
	for k := i - 1; k >= max(0, i-headerCellMax-2); k-- {
		switch c := b[k]; {
		case c == '\n' || c == '\r':
			return k + 1, false, true
		case c == '"' && (k == 0 || b[k-1] != '\\'), c == 'n' && k > 0 && b[k-1] == '\\':
			return k + 1, true, true
		case c == '|' && delim == '|', c == 't' && delim == 't' && k > 0 && b[k-1] == '\\':
			return 0, false, false // not the line's first delimiter
		case k == 0:
			return 0, false, true
		}
	}
	return 0, false, false
}

// cellEnd finds where the cell at j ends: at the table's next delimiter
// (the row goes on) or at the end of the line, which ends the row; a cell
// that runs past the decision span leaves the table.
func (s *Scanner) cellEnd(j, end int) {
	t := &s.text
	k, eol := rowStop(s.buf, j, end, t.delim, t.json)
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
// ends.
func (s *Scanner) nextRow(e, end int) {
	t := &s.text
	b := s.buf
	n := e + lineEndWidth(b, e, end)
	if k, eol := rowStop(b, n, end, t.delim, t.json); k < 0 || eol {
		t.delim = 0
		return
	}
	s.rowStart(skipQuote(b, n, end), end)
}

// rowStart notes the first cell of a row, whose text starts at n, and
// reads it in a name or address column. In a Markdown table a row that
// opens with a '|' when the header does not (or the other way round) is
// skewed by a column.
func (s *Scanner) rowStart(n, end int) {
	t := &s.text
	lead := t.delim == '|' && n < end && s.buf[n] == '|'
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
	labels := t.labels(t.skew)
	t.first, t.firstAt = labels&cellContext, s.base+int64(n)
	if labels&(1<<Name|1<<Address) != 0 {
		s.labelledValue(n, end, labels)
	}
}

// rowStop returns the first delimiter delim (0: none) or line end in
// b[j:end], and whether it is a line end; -1 when there is neither. In a
// JSON string (json), escaped line ends and the closing quote end a line
// too, and the escape \t is the delimiter 't'.
func rowStop(b []byte, j, end int, delim byte, json bool) (k int, eol bool) {
	for k = j; k < end; k++ {
		switch b[k] {
		case '\n', '\r':
			return k, true
		case '|':
			if delim == '|' {
				return k, false
			}
		case '"':
			if json {
				return k, true
			}
		case '\\':
			if !json || k+1 >= end {
				continue
			}
			switch b[k+1] {
			case 'n', 'r':
				return k, true
			case 't':
				if delim == 't' {
					return k, false
				}
			}
			k++ // the escaped byte
		}
	}
	return -1, false
}

// lineEndWidth returns the width of the line end at e (rowStop's): CRLF,
// CR CR LF (text mode on Windows) and their escaped forms are one line
// end.
func lineEndWidth(b []byte, e, end int) int {
	switch {
	case e >= end:
		return 0
	case b[e] == '\r':
		return 1 + crlfTail(b, e+1, end, "\r", "\n")
	case b[e] == '\\' && e+1 < end && b[e+1] == 'r':
		return 2 + crlfTail(b, e+2, end, `\r`, `\n`)
	case b[e] == '\\':
		return 2
	}
	return 1
}

// crlfTail returns the width of what ends a line end opened by a carriage
// return, at j: a line feed lf, a carriage return cr and a line feed, or
// nothing.
func crlfTail(b []byte, j, end int, cr, lf string) int {
	switch {
	case hasAt(b, j, end, lf):
		return len(lf)
	case hasAt(b, j, end, cr) && hasAt(b, j+len(cr), end, lf):
		return len(cr) + len(lf)
	}
	return 0
}

// hasAt reports whether b[j:end] starts with s.
func hasAt(b []byte, j, end int, s string) bool {
	return j >= 0 && j+len(s) <= end && string(b[j:j+len(s)]) == s
}

// skipSpaces returns the index of the first byte at or after j that is
// not a space, or end.
func skipSpaces(b []byte, j, end int) int {
	for j < end && b[j] == ' ' {
		j++
	}
	return j
}
