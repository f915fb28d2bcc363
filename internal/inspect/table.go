package inspect

import "bytes"

// HTML tables: a page that lists customers as <th>姓名</th> header cells and
// <td>张三</td> value cells labels its names and addresses by column, as a CSV
// header row does. The scan loop stops at a 't' right after '<' (<table,
// <tr, <th, <td); outside a table only a header cell starts the
// bookkeeping. The end tag </table> is not read: every cell is in a table,
// and each <table> starts afresh.

// tableState follows an HTML table from its first header cell (<th>) to
// the next <table>.
type tableState struct {
	on   bool             // a <th> has been seen and the table has not ended
	body bool             // a <td> has been seen: later <th> cells head rows, not columns
	col  int              // cells opened so far in the current row
	row  contextClass     // labels of the row's header cell, for the <td> right after it
	cols [64]contextClass // labels of the header row's cells, by column

	// The labels of the current <td> that name a document (passport,
	// travel permit) or a card, and the stream offset where its text
	// starts: a value that starts there has the column's context.
	cell   contextClass
	cellAt int64
}

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
	switch {
	case kind == tagTable:
		*t = tableState{}
	case kind == tagOther || !t.on && kind != tagTH:
	case kind == tagTR:
		t.col, t.row, t.cell = 0, 0, 0
	case kind == tagTH:
		t.cell = 0
		if !t.on {
			*t = tableState{on: true}
		}
		var labels contextClass
		if cell, ok := cellText(b, j, end); ok {
			labels = s.e.keywords.in(foldCase(&s.fold, cell))
		}
		span := colspan(b, j, end)
		for k := t.col; !t.body && k < min(t.col+span, len(t.cols)); k++ {
			t.cols[k] = labels
		}
		t.row = labels
		t.col += span
	default: // <td>
		labels := t.row
		if t.col < len(t.cols) {
			labels |= t.cols[t.col]
		}
		t.body, t.row = true, 0
		t.col += colspan(b, j, end)
		t.cell = labels & cellContext
		if t.cell == 0 && labels&(1<<Name|1<<Address) == 0 {
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

// colspan returns how many columns the cell whose tag's attributes start
// at j spans: its colspan attribute (1 to len(tableState.cols)), else 1.
// A merged cell (<td colspan="2">合计</td>) moves the cells after it to
// their own columns' labels.
func colspan(b []byte, j, end int) int {
	gt := bytes.IndexByte(b[j:end], '>')
	if gt < 0 {
		return 1
	}
	attrs := b[j : j+gt]
	k := 0
	for k < len(attrs) && !hasPrefixFold(attrs[k:], "colspan") {
		k++
	}
	if k == len(attrs) {
		return 1
	}
	v := bytes.TrimLeft(attrs[k+len("colspan"):], " =\"'")
	n := 0
	for _, c := range v {
		if !isDigit(c) || n > len(tableState{}.cols) {
			break
		}
		n = n*10 + int(c-'0')
	}
	return min(max(n, 1), len(tableState{}.cols))
}

// cellStart returns where the text of the cell whose tag's attributes start
// at j begins: after the tag's '>', white space and the opening tags of
// inline elements (<td><span>张三</span>). It returns end when the text does
// not start before end.
func cellStart(b []byte, j, end int) int {
	for j < end {
		gt := bytes.IndexByte(b[j:end], '>')
		if gt < 0 {
			return end
		}
		j += gt + 1
		for j < end && (b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t') {
			j++
		}
		if j+1 >= end || b[j] != '<' || b[j+1] == '/' {
			return j
		}
	}
	return end
}

// cellText returns the text of the header cell whose tag's attributes start
// at j, up to the next tag, without surrounding white space. It is not ok
// when the text is cut by end or longer than a header cell (headerCellMax).
func cellText(b []byte, j, end int) (cell []byte, ok bool) {
	j = cellStart(b, j, end)
	lt := bytes.IndexByte(b[j:end], '<')
	if lt < 0 || lt > headerCellMax {
		return nil, false
	}
	return bytes.TrimSpace(b[j : j+lt]), true
}
