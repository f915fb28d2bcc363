package inspect

import (
	"bytes"
	"math/bits"
	"slices"
)

// HTML tables: a page that lists customers as <th>姓名</th> header cells and
// <td>张三</td> value cells labels its names and addresses by column, as a CSV
// header row does. So does a table whose header row is made of <td> cells,
// as an Excel range pasted into a mail or an editor is: the first row of
// cells in a table, or the second when the first is no header (a title
// row above the header), is its header row when it passes the rule of a
// ';' or '|' header row (headerRow). The scan loop stops at a 't' right
// after '<' (<table, <tr, <th, <td); outside a followed table only
// <table and a header cell start the bookkeeping. Each <table> starts
// afresh. The end tag </table> is no stop of the scan loop, but a row or
// cell tag of a followed table looks back for it (tableEnded): the cells of
// a layout table after a table nested in one of its cells are not read
// under the nested table's header row.

// tableState follows an HTML table from its <table> tag or its first
// header cell (<th>) to the next <table>.
type tableState struct {
	on   bool             // in a table that has or may have a header row
	body bool             // a value row has begun: later <th> cells head rows, not columns
	col  int              // cells opened so far in the current row
	row  contextClass     // labels of the row's header cell, for the <td> right after it
	cols [64]contextClass // labels of the header row's cells, by column

	// A cell merged down (rowspan) keeps its columns in the rows below:
	// down counts, by column, the rows it still covers up to and with
	// the current one, and covered has a bit set for each column it
	// covers; the cells of those rows start right of them.
	down    [64]uint8
	covered uint64

	// The labels of the current <td> that name a document (passport,
	// travel permit) or a card, and the stream offset where its text
	// starts: a value that starts there has the column's context.
	cell   contextClass
	cellAt int64

	// While a header row of <td> cells is looked for, the current row's
	// cells are read as header cells (their labels go to cols) and count
	// nothing; the row is decided at the next <tr>.
	looking bool
	tried   int      // rows decided not to be the header row
	head    rowTally // the current row's cells, against the header rule
}

// rowTally counts what the header rule asks of a row's cells: cells with
// labels, cells with inner spaces (several words), cells not empty, and
// whether a cell was no header cell at all (too long, a key-value pair).
type rowTally struct {
	labelled, words, cells int
	bad                    bool
}

// header reports whether the row passes the rule of a ';' or '|' header
// row (see headerRow): two labelled cells, or one among three or more
// cells of single words.
func (r *rowTally) header() bool {
	return !r.bad && (r.labelled >= 2 || r.labelled == 1 && r.cells >= 3 && r.words == 0)
}

// title reports whether the row may be a title above the header row: it
// has one cell that is not empty, at most.
func (r *rowTally) title() bool { return r.cells <= 1 }

// add takes in a cell that is not empty: its text, or bad when it is no
// header cell.
func (r *rowTally) add(cell []byte, labels contextClass, bad bool) {
	r.cells++
	r.bad = r.bad || bad
	if bytes.IndexByte(cell, ' ') >= 0 {
		r.words++
	}
	if labels != 0 {
		r.labelled++
	}
}

// headRows is how many rows of a table may be its <td> header row: the
// first, or the second under a title row (Excel pastes often begin with
// the sheet's title, in one cell or merged across the columns).
const headRows = 2

// cellContext are the detectors whose values a <td> labels through
// hasContext, when they start its text; names and addresses are read by
// the <td> itself.
const cellContext = contextClass(1<<Passport | 1<<TravelPermit | 1<<BankCard)

// Tags the table bookkeeping reads.
const (
	tagOther = iota
	tagTable
	tagTR
	tagTH
	tagTD
)

// tag handles the tag name that starts with the 't' or 'T' at i, after '<'
// (end bounds the decision span), and returns where scanning resumes: right
// after i, since nothing in a tag is skipped.
func (s *Scanner) tag(i, end int) int {
	b := s.buf
	t := &s.table
	kind, j := tagKind(b, i, end)
	if t.on && kind != tagTable && kind != tagOther && tableEnded(b, i-1) {
		*t = tableState{}
	}
	switch {
	case kind == tagTable:
		*t = tableState{on: true, looking: true}
	case kind == tagTD && !t.on:
		s.keyValueCell(j, end) // a cell of a table not followed
	case kind == tagOther || !t.on && kind != tagTH:
	case kind == tagTR:
		if t.looking && t.col > 0 {
			t.decideHead()
		}
		t.col, t.row, t.cell = 0, 0, 0
		t.nextRow()
	case kind == tagTH:
		t.cell = 0
		t.skipCovered()
		if !t.on || t.looking {
			// A header cell ends the search for a <td> header row; in
			// the table's row so far, it keeps its column.
			col := 0
			if t.on {
				col = t.col
			}
			*t = tableState{on: true, col: col}
		}
		labels := s.headerCell(b, j, end)
		span := t.spans(b, j, end)
		for k := t.col; !t.body && k < min(t.col+span, len(t.cols)); k++ {
			t.cols[k] = labels
		}
		t.row = labels
		t.col += span
	case t.looking: // <td> of a row that may be the header row
		s.headCell(j, end)
		s.keyValueCell(j, end)
	default: // <td>
		t.skipCovered()
		labels := t.row
		if t.col < len(t.cols) {
			labels |= t.cols[t.col]
		}
		t.body, t.row = true, 0
		t.col += t.spans(b, j, end)
		t.cell = labels & cellContext
		if t.cell == 0 && labels&(1<<Name|1<<Address) == 0 {
			s.keyValueCell(j, end)
			break
		}
		text := cellStart(b, j, end)
		t.cellAt = s.base + int64(text)
		if labels&(1<<Name|1<<Address) != 0 {
			s.labelledValue(text, end, labels)
		}
	}
	return i + 1
}

// keyValueCell reads the <td> cell whose tag name ends at j as the value
// of a key-value row: a name or an address that is the cell's text right
// after a cell naming it (<td>姓名：</td><td>张伟</td>, one record card
// per person), by the name and address labels of that cell (previousCell),
// as hasContext reads a key-value row's passport. A cell whose text starts
// with no Han character is passed over at once, and so is one after a cell
// that is no key (keyCell) or names neither.
func (s *Scanner) keyValueCell(j, end int) {
	text := cellStart(s.buf, j, end)
	if text >= end || s.buf[text] < 0x80 || !hanAt(s.buf, text, end) {
		return
	}
	key := s.previousCell(text)
	if key == nil {
		return
	}
	// The key's labels first (two automata over a short cell): most cells
	// of a table follow a value, not a key, and are not read at all.
	var labels contextClass
	folded := foldCase(&s.fold, key)
	for _, d := range [...]Detector{Name, Address} {
		if s.e.keywords.has(d, folded) {
			labels |= 1 << d
		}
	}
	if labels != 0 {
		s.labelledValue(text, end, labels)
	}
}

// keyCell reports whether cell, the text of the cell before a value's
// (previousCell), may be its key: one field, as a label window is. A cell
// of prose that holds a field delimiter (，。；、 , ; | { }) is no key, even
// when a label stands somewhere in it (如有疑问，请联系我们。联系人为市场部):
// in text, the label window of a value stops at the delimiter. The ';' of
// an entity (姓名：&nbsp;) is none.
func keyCell(cell []byte) bool {
	if len(cell) == 0 {
		return false
	}
	for i := 0; i < len(cell); i++ {
		switch c := cell[i]; {
		case c == '&':
			k := i + 1
			for k < len(cell) && k-i <= 8 && (isAlnum(cell[k]) || cell[k] == '#') {
				k++
			}
			if k < len(cell) && cell[k] == ';' {
				i = k
			}
		case c == ',' || c == ';' || c == '|' || c == '{' || c == '}':
			return false
		case c == 0xEF && i+2 < len(cell) && cell[i+1] == 0xBC && (cell[i+2] == 0x8C || cell[i+2] == 0x9B): // ， ；
			return false
		case c == 0xE3 && i+2 < len(cell) && cell[i+1] == 0x80 && (cell[i+2] == 0x81 || cell[i+2] == 0x82): // 、 。
			return false
		}
	}
	return true
}

// previousCell returns the text of the table cell that ends right before
// the <td> cell whose text starts at p (only tags and blanks between them),
// when it may be a key (keyCell), or nil: in a key-value row
// (<td>护照号码</td><td>E12345678</td>, one record card per person) the
// value's label is that text. It reads at most labelMax bytes back, like a
// label window.
func (s *Scanner) previousCell(p int) []byte {
	b := s.buf
	lo := max(0, p-labelMax)
	k := p
	for k > lo {
		switch c := b[k-1]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			k--
		case c == '>':
			lt := bytes.LastIndexByte(b[lo:k], '<')
			if lt < 0 {
				return nil
			}
			lt += lo
			tag := b[lt+1 : k-1]
			switch {
			case len(tag) >= 3 && tag[0] == '/' && tag[1]|0x20 == 't' && (tag[2]|0x20 == 'd' || tag[2]|0x20 == 'h'):
				if key := cellBefore(b[lo:lt]); keyCell(key) {
					return key
				}
				return nil
			case len(tag) >= 2 && tag[0]|0x20 == 't' && tag[1]|0x20 == 'h':
				return nil // the value is a header cell's text: no value
			case rowTag(tag):
				return nil // a key is in its value's row
			}
			k = lt
		default:
			return nil
		}
	}
	return nil
}

// rowTag reports whether tag (a tag's text between '<' and '>') opens or
// closes a table row.
func rowTag(tag []byte) bool { return bytes.EqualFold(tagName(tag), []byte("tr")) }

// tagName returns the name of a tag (its text between '<' and '>'),
// without a closing '/', in the tag's own letter case.
func tagName(tag []byte) []byte {
	tag = bytes.TrimPrefix(tag, []byte("/"))
	if k := bytes.IndexAny(tag, " \t\r\n/"); k >= 0 {
		tag = tag[:k]
	}
	return tag
}

// tableTagNames are the tags that open or close a cell, a row or a table.
var tableTagNames = [][]byte{[]byte("td"), []byte("th"), []byte("tr"), []byte("table"), []byte("tbody"), []byte("thead"), []byte("tfoot")}

// cellBefore returns the text at the end of b, the bytes before a cell's
// end tag, back to the tag before it, without blanks and a trailing colon
// (护照号码：); nil when it is empty or no tag opens it within b. Inline
// markup around the text (<b>姓名</b>：, <span>住址</span>, Outlook's
// <o:p></o:p>) is passed over, up to keyTagsMax tags, and a comment
// whole; a cell, row or table tag ends the cell.
func cellBefore(b []byte) []byte {
	for range keyTagsMax {
		gt := bytes.LastIndexByte(b, '>')
		if gt < 0 {
			return nil
		}
		text := trimBlanks(b[gt+1:])
		text = bytes.TrimSuffix(bytes.TrimSuffix(text, []byte("：")), []byte(":"))
		if len(text) > 0 {
			return text
		}
		lt := bytes.LastIndexByte(b[:gt], '<')
		if bytes.HasSuffix(b[:gt], []byte("--")) {
			// A comment is passed over whole: the tags and text in it
			// (a label commented out) are no part of the cell.
			lt = bytes.LastIndex(b[:gt], []byte("<!--"))
		}
		if lt < 0 || tableTag(b[lt+1:gt]) {
			return nil
		}
		b = b[:lt]
	}
	return nil
}

// keyTagsMax bounds the inline tags cellBefore passes over in a key cell.
const keyTagsMax = 6

// tableTag reports whether tag (a tag's text between '<' and '>') opens
// or closes a cell, a row or a table, or its head or body.
func tableTag(tag []byte) bool {
	if len(tag) < 2 || (tag[0]|0x20 != 't' && tag[0] != '/') {
		return false
	}
	name := tagName(tag)
	return slices.ContainsFunc(tableTagNames, func(n []byte) bool { return bytes.EqualFold(name, n) })
}

// trimBlanks returns b without ASCII white space at either end. Unlike
// bytes.TrimSpace it decodes no rune at a Han edge (the text of most key
// cells): a Unicode space left at an edge (U+3000) changes no key's labels,
// which are looked up anywhere in it.
func trimBlanks(b []byte) []byte {
	blank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for len(b) > 0 && blank(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && blank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// tableEndReach is how far before a row or cell tag tableEnded looks for
// a </table>: less than lookback, so that every split of a body shows it
// the same bytes.
const tableEndReach = 128

// tableEnded reports whether a </table> end tag stands before the tag whose
// '<' is at lt, with nothing but white space, &nbsp; and tags other than
// a start tag named t... (<table>, <tr>, <td>, <th>) between them (</td>,
// <p>, <o:p>):
// the table nested in a cell of another has ended, and the tag at lt is
// the outer table's. Text between them hides the end tag.
func tableEnded(b []byte, lt int) bool {
	lo := max(0, lt-tableEndReach)
	for k := lt; k > lo; {
		switch c := b[k-1]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			k--
		case c == ';' && bytes.HasSuffix(b[lo:k], []byte(nbsp)):
			k -= len(nbsp)
		case c == '>':
			open := bytes.LastIndexByte(b[lo:k-1], '<')
			if open < 0 {
				return false
			}
			open += lo
			switch name := b[open+1 : k]; {
			case len(name) > 4 && name[0] == '/' && name[1]|0x20 == 't' && name[2]|0x20 == 'a' && name[3]|0x20 == 'b':
				return true // </table>: HTML has no other end tag </tab...
			case name[0]|0x20 == 't':
				return false // <table>, <tr>, <td>, <th> (or <tbody>, <title>: the end is not looked for past them)
			}
			k = open
		default:
			return false
		}
	}
	return false
}

// headerCell returns the labels in the text of the header cell whose tag's
// attributes start at j; none when the text is cut by end or too long.
func (s *Scanner) headerCell(b []byte, j, end int) contextClass {
	cell, ok := cellText(b, j, end)
	if !ok || len(cell) == 0 {
		return 0
	}
	return s.e.keywords.in(foldCase(&s.fold, cell))
}

// headCell reads the <td> whose tag's attributes start at j, in a row that
// may be the table's header row: its labels head its columns, and the row
// tally takes the cell in. Once the row is neither a header nor a title
// row, the rest of its cells are not read.
func (s *Scanner) headCell(j, end int) {
	b, t := s.buf, &s.table
	t.skipCovered()
	span := t.spans(b, j, end)
	if (!t.head.bad || t.head.title()) && t.col < len(t.cols) {
		cell, ok := cellText(b, j, end)
		switch {
		case !ok || bytes.ContainsAny(cell, "\":={}[]"):
			t.head.add(nil, 0, true)
		case len(cell) > 0 && t.head.bad:
			t.head.add(cell, 0, false)
		case len(cell) > 0:
			labels := s.e.keywords.in(foldCase(&s.fold, cell))
			t.head.add(cell, labels, false)
			for k := t.col; k < min(t.col+span, len(t.cols)); k++ {
				t.cols[k] = labels
			}
		}
	}
	t.col += span
}

// decideHead ends the row of <td> cells that may have been the table's
// header row: when it passes the header rule its labels head the columns
// of the rows below; else, when it may be a title row, the next row may be
// the header row; else the table is no longer followed.
func (t *tableState) decideHead() {
	switch {
	case t.head.header():
		t.looking, t.body = false, true
	case t.tried+1 < headRows && t.head.title():
		*t = tableState{on: true, looking: true, tried: t.tried + 1}
	default:
		*t = tableState{}
	}
}

// tagKind reads the tag name at j, in any letter case, and returns its kind
// and where the name ends. A name cut by end is tagOther.
func tagKind(b []byte, j, end int) (kind, next int) {
	k := j
	for k < end && k-j < 6 && isLetter(b[k]) {
		k++
	}
	if k == end || isAlnum(b[k]) {
		return tagOther, k
	}
	name := b[j:k]
	switch {
	case len(name) == 2 && name[0]|0x20 == 't':
		switch name[1] | 0x20 {
		case 'r':
			return tagTR, k
		case 'h':
			return tagTH, k
		case 'd':
			return tagTD, k
		}
	case bytes.EqualFold(name, []byte("table")):
		return tagTable, k
	}
	return tagOther, k
}

// spans returns how many columns the cell at t.col, whose tag's attributes
// start at j, spans: its colspan attribute (1 to len(tableState.cols)),
// else 1. A merged cell (<td colspan="2">合计</td>) moves the cells after
// it to their own columns' labels. When its rowspan attribute merges it
// down over rows below, its columns are covered in them.
func (t *tableState) spans(b []byte, j, end int) int {
	gt := bytes.IndexByte(b[j:end], '>')
	if gt < 0 {
		return 1
	}
	attrs := b[j : j+gt]
	cols, rows := 1, 1
	for k := 3; k+len("span") <= len(attrs); k++ {
		if attrs[k]|0x20 != 's' || !hasPrefixFold(attrs[k:], "span") {
			continue
		}
		switch n := spanValue(attrs[k+len("span"):]); {
		case hasPrefixFold(attrs[k-3:], "col"):
			cols = n
		case hasPrefixFold(attrs[k-3:], "row"):
			rows = n
		}
	}
	if rows > 1 {
		for k := t.col; k < min(t.col+cols, len(t.down)); k++ {
			t.down[k] = uint8(rows)
			t.covered |= 1 << k
		}
	}
	return cols
}

// spanValue reads the value of a colspan or rowspan attribute at the start
// of v (after its name): 1 to len(tableState.cols), else 1.
func spanValue(v []byte) int {
	v = bytes.TrimLeft(v, " =\"'\\") // and the backslash of \" in a JSON string
	n := 0
	for _, c := range v {
		if !isDigit(c) || n > len(tableState{}.cols) {
			break
		}
		n = n*10 + int(c-'0')
	}
	return min(max(n, 1), len(tableState{}.cols))
}

// skipCovered moves the current column past the columns that a cell of a
// row above covers.
func (t *tableState) skipCovered() {
	for t.col < len(t.down) && t.covered>>t.col&1 != 0 {
		t.col++
	}
}

// nextRow starts a row: the cells merged down cover one row less.
func (t *tableState) nextRow() {
	for c := t.covered; c != 0; c &= c - 1 {
		k := bits.TrailingZeros64(c)
		if t.down[k]--; t.down[k] == 0 {
			t.covered &^= 1 << k
		}
	}
}

// cellStart returns where the text of the cell whose tag's attributes start
// at j begins: after the tag's '>', blanks (white space and &nbsp;) and the
// opening tags of inline elements (<td><span>张三</span>). It returns end
// when the text does not start before end.
func cellStart(b []byte, j, end int) int {
	for j < end {
		gt := bytes.IndexByte(b[j:end], '>')
		if gt < 0 {
			return end
		}
		j = skipBlanks(b, j+gt+1, end)
		if j+1 >= end || b[j] != '<' || b[j+1] == '/' {
			return j
		}
	}
	return end
}

// nbsp is the entity of a no-break space, which editors write in empty
// cells and around a cell's text.
const nbsp = "&nbsp;"

// skipBlanks returns where the white space and &nbsp; entities at j end.
func skipBlanks(b []byte, j, end int) int {
	for j < end {
		switch {
		case b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t':
			j++
		case b[j] == '&' && bytes.HasPrefix(b[j:end], []byte(nbsp)):
			j += len(nbsp)
		default:
			return j
		}
	}
	return j
}

// cellText returns the text of the header cell whose tag's attributes start
// at j, up to the next tag, without surrounding blanks. It is not ok when
// the text is cut by end or longer than a header cell (headerCellMax).
func cellText(b []byte, j, end int) (cell []byte, ok bool) {
	j = cellStart(b, j, end)
	lt := bytes.IndexByte(b[j:end], '<')
	if lt < 0 || lt > headerCellMax {
		return nil, false
	}
	cell = bytes.TrimSpace(b[j : j+lt])
	for bytes.HasSuffix(cell, []byte(nbsp)) {
		cell = bytes.TrimSpace(cell[:len(cell)-len(nbsp)])
	}
	return cell, true
}
