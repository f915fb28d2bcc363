package inspect

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/dlpproxy/dlpproxy/internal/inspect/cndict"
)

// Labelled values: names and addresses are counted only where the text says
// what they are, i.e. after a label (姓名：张三, name=张三, "name": "张三") or in
// a CSV column whose header names them. The scan loop stops at separators
// (: ： = " and, for CSV, the cell delimiter and newline) and reads the value
// that follows in any spelling (raw, \u-escaped, percent-encoded).
//
// A CSV body is one whose first line is a header row: cells of labels
// separated by ',', a tab, ';' or '|', whichever the line holds most of.
// The '|' tables of database clients and Markdown pad their cells with
// spaces and may open each row with a '|' (an empty first cell, in the
// header as in the rows, so the columns stay aligned); the rule line under
// their header (---+---, |---|---|) holds no value and needs no skipping.

// maxValueRunes bounds a labelled value; a longer one is prose, not a field.
const maxValueRunes = 64

// headerCellMax is the longest cell of a CSV header row; a longer one
// makes the first line a record, not a header.
const headerCellMax = 64

// csvState follows the columns of a CSV or TSV body with a header row.
type csvState struct {
	table  *csvTable // the tables of the body's delimiter; nil: no CSV body
	quoted bool
	col    int
	cols   [64]contextClass // labels found in each header cell
	titles int              // lines above the header row not yet passed, when titles stand there (see readHeader)
}

// maxTitles is how many title lines may stand above a CSV header row.
const maxTitles = 5

// noColumn is the column of a title line: no header cell labels it.
const noColumn = len(csvState{}.cols)

// column reports whether the current column's header names detector d.
func (c *csvState) column(d Detector) bool { return c.labels()&(1<<d) != 0 }

// labels returns the detectors the current column's header names.
func (c *csvState) labels() contextClass {
	if c.col < len(c.cols) {
		return c.cols[c.col]
	}
	return 0
}

// readHeader examines the first line once it is complete: when it is a
// delimited row with labels in its cells, the body is read as CSV/TSV. A
// rule line first (the +----+----+ a MySQL client draws above its header
// row) or Excel's sep=; is passed over for the line under it. So are up to
// maxTitles title lines without a delimiter (客户信息导出 2026-11-28, a
// blank line), or comma lines that are titles as a spreadsheet saves them
// (see titleRow), above a comma-separated header row: a report's title hid
// the header, and names, addresses and passports counted nothing. Title
// lines are read as rows no header cell labels. (Bars and tabs under a
// title make a table inside text, see texttable.go.) It reports false while a line it needs may
// still be arriving.
func (s *Scanner) readHeader(final bool) bool {
	// Up to where markup is unescaped (markup.go), unless final: the
	// bytes after may still change.
	data := s.buf
	if !final {
		data = data[:max(s.pos, int(s.markupAt-s.base))]
	}
	b := bytes.TrimPrefix(data[s.pos:], []byte("\xef\xbb\xbf"))
	line, next, ok := headerLine(b, final)
	above := 0   // lines above the header row: a rule or sep= line, titles
	commas := -1 // the commas of the title rows that have them (see titleRow)
	if ok && next > 0 && (ruleLine(line) || sepLine(line)) {
		b = b[next:]
		line, next, ok = headerLine(b, final)
		above++
	}
	for titles := 0; ; titles++ {
		if !ok {
			return false
		}
		table, most := &csvTables[0], bytes.Count(line, []byte{csvTables[0].delim})
		for k := 1; k < len(csvTables); k++ {
			if n := bytes.Count(line, []byte{csvTables[k].delim}); n > most {
				table, most = &csvTables[k], n
			}
		}
		if most == 0 && titles < maxTitles && next > 0 {
			b = b[next:] // a title line: the header row may be under it
			line, next, ok = headerLine(b, final)
			continue
		}
		if most == 0 {
			s.header = true
			return true
		}
		// Tables of tabs and bars under a title are tables inside text
		// (see texttable.go); lines of 姓名：张三, 住址：… under one are
		// labelled values. Under a title the header must be plainly one
		// (two labelled cells, or three single words): 请大家核对姓名,
		// 有误请联系我 is prose.
		var cols [64]contextClass
		isHeader := false
		if (titles == 0 || table.delim == ',' && !bytes.Contains(line, []byte("："))) && (commas < 0 || most == commas) {
			loose := titles == 0 && (table.delim == ',' || table.delim == '\t')
			cols, isHeader = s.headerRow(line, []byte{table.delim}, loose)
		}
		// A sheet saved to CSV writes every row with its columns' commas:
		// a title row has as many as the header under it, two at least
		// (您好, or Hi team, opening a message is a greeting).
		if !isHeader && table.delim == ',' && titles < maxTitles && next > 0 && most >= 2 && (commas < 0 || most == commas) && titleRow(line, ',') {
			commas = most
			b = b[next:] // a title saved from a sheet: 登记表,, or 填报单位：…,,填报日期：…
			line, next, ok = headerLine(b, final)
			continue
		}
		s.header = true
		if isHeader {
			s.csv.cols = cols
			s.csv.table = table
			if titles > 0 {
				s.csv.titles, s.csv.col = above+titles, noColumn
			}
		}
		return true
	}
}

// titleRow reports whether a line of cells that delim separates, which is
// no header row, is a title as a spreadsheet writes it out (to CSV, or as
// the tab-separated rows of a sheet): a title merged across the columns
// (one cell, the rest empty: 客户登记表,,,), an empty row (,,,), or notes
// of label and value (填报单位：市场部,,填报日期：2026-11-28).
func titleRow(line []byte, delim byte) bool {
	cells, notes := 0, 0
	for cell := range bytes.SplitSeq(line, []byte{delim}) {
		cell = bytes.Trim(cell, "\" ")
		if len(cell) == 0 {
			continue
		}
		cells++
		if bytes.Contains(cell, []byte("：")) || bytes.IndexByte(cell, ':') > 0 {
			notes++
		}
	}
	return cells <= 1 || notes == cells
}

// headerRow reads line as a table's header row whose cells delim
// separates, and returns the labels of each cell. It is not ok when line is
// no header: a cell longer than a header cell or holding markup or a
// key-value pair (a record, not a header), or too few labelled cells. A ','
// or tab (loose) makes a header with one labelled cell; a ';', '|' or
// JSON-escaped tab also punctuates titles, log lines and code, so such a
// line is a header with two labelled cells, or one among three or more
// cells of single words (客户; 姓名 地址 is a title; 姓名 | 住址 and
// 序号;姓名;备注 are headers).
func (s *Scanner) headerRow(line, delim []byte, loose bool) (cols [64]contextClass, ok bool) {
	labelled, words, cells := 0, 0, 0 // cells with labels, with inner spaces, not empty
	// Cells one by one, without bytes.Split's slice: a message that is
	// decided part by part (every event of an event stream) reads a first
	// line per part.
	for i, rest := 0, line; rest != nil; i++ {
		cell, after, found := bytes.Cut(rest, delim)
		if rest = nil; found {
			rest = after
		}
		cell = bytes.Trim(cell, "\" ")
		if len(cell) > headerCellMax || bytes.ContainsAny(cell, "\":={}[]<>") {
			return cols, false
		}
		if len(cell) > 0 {
			cells++
			if bytes.IndexByte(cell, ' ') >= 0 {
				words++
			}
		}
		if i < len(cols) && len(cell) > 0 {
			if cols[i] = s.e.keywords.in(foldCase(&s.fold, cell)); cols[i] != 0 {
				labelled++
			}
		}
	}
	return cols, labelled >= 2 || labelled == 1 && (loose || cells >= 3 && words == 0)
}

// headerLine returns the line at the start of b, cut at headerMax, and
// where the line after it starts, or -1 when no newline ends it within
// headerMax. It reports false while the line may still be arriving.
func headerLine(b []byte, final bool) (line []byte, next int, ok bool) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if !final && len(b) < headerMax {
			return nil, 0, false
		}
		nl = len(b)
	}
	next = -1
	if nl < min(len(b), headerMax) {
		next = nl + 1
	}
	nl = min(nl, headerMax) // the same cut whether or not the newline has arrived
	return bytes.TrimSuffix(b[:nl], []byte{'\r'}), next, true
}

// sepLine reports whether line is the sep=; (or sep=, sep=|, sep=<tab>)
// line Excel reads and writes above a CSV's header row.
func sepLine(line []byte) bool {
	return len(line) == 5 && string(line[:4]) == "sep="
}

// ruleLine reports whether line is a rule of a text table: dashes, with
// the '+', '|', ':' and spaces of a database client's or a Markdown
// table's rule (+----+----+, -----+-----, |:---|---:|).
func ruleLine(line []byte) bool {
	return bytes.Contains(line, []byte("---")) && len(bytes.Trim(line, "-+|: ")) == 0
}

// separator handles the separator of width w at i and returns where
// scanning resumes.
func (s *Scanner) separator(i, w, end int) int {
	b := s.buf
	c := b[i]
	j := i + w
	if s.csv.table != nil {
		switch {
		case c == '\n':
			s.csv.col, s.csv.quoted = 0, false
			if s.csv.titles > 0 { // the end of a title line
				if s.csv.titles--; s.csv.titles > 0 {
					s.csv.col = noColumn
				}
			}
		case c == '"':
			s.csv.quoted = !s.csv.quoted
			return j
		case c == s.csv.table.delim && !s.csv.quoted:
			s.csv.col++
		default:
			return j
		}
		if j < end && b[j] == '"' {
			s.csv.quoted = true
			j++
		}
		// Only columns whose header names names or addresses are read
		// (labelledValue would return at once; the call is spared), past
		// the spaces that pad a cell.
		labels := s.csv.labels()
		if labels&(1<<Name|1<<Address) == 0 {
			return j
		}
		for j < end && b[j] == ' ' {
			j++
		}
		return s.labelledValue(j, end, labels)
	}
	// A label's value (姓名：张三, name=张三) or a JSON string value
	// ("name": "张三") follows after at most two spaces and a quote.
	for k := 0; k < 2 && j < end && b[j] == ' '; k++ {
		j++
	}
	if c == ':' {
		if k := skipOpeningQuote(b, j, end); k > j {
			if b[k-1] == '"' {
				s.grid.skippedQuote(b, k-1)
			}
			j = k
		}
	}
	return s.labelledValue(j, end, labelsHere)
}

// skipOpeningQuote returns where a string value at j starts: past its
// opening quote, written " or, in a JSON string that holds JSON (an LLM
// prompt or a tool call carrying a record: {\"姓名\": \"张伟\"}), \" or
// \\\" one level deeper; or ' (a Python repr, {'姓名': '张伟'}, as an
// agent framework passes a tool's result on, or a JavaScript object).
func skipOpeningQuote(b []byte, j, end int) int {
	switch {
	case j < end && (b[j] == '"' || b[j] == '\''):
		return j + 1
	case j+1 < end && b[j] == '\\' && b[j+1] == '"':
		return j + 2
	case j+3 < end && b[j] == '\\' && b[j+1] == '\\' && b[j+2] == '\\' && b[j+3] == '"':
		return j + 4
	}
	return j
}

// verb handles the last byte of 为 or 是 at i. Right after a label (姓名为张三,
// 家庭住址是北京市…, optionally with spaces around the verb) the verb is the
// label's separator; after anything else (他为人正直, 这是北京市的一个区) it is
// prose, and nothing is read.
func (s *Scanner) verb(i, end int) int {
	b := s.buf
	j := i + 1
	if i < 2 || !(b[i-2] == 0xE4 && b[i-1] == 0xB8 && b[i] == 0xBA || b[i-2] == 0xE6 && b[i-1] == 0x98 && b[i] == 0xAF) {
		return j
	}
	labels := s.e.keywords.endsWith(bytes.TrimRight(b[max(0, i-2-labelMax):i-2], " "))
	if labels == 0 {
		return j
	}
	for k := 0; k < 2 && j < end && b[j] == ' '; k++ {
		j++
	}
	return s.labelledValue(j, end, labels)
}

// escapedJoin returns the character of the \u escape at i when it joins a
// label to its value: the full-width colon ：(\uff1a) or the verbs 为
// and 是 (\u4e3a, \u662f), as JSON that keeps to ASCII writes them
// (Python's json.dumps, requests' json=); else 0.
func escapedJoin(b []byte, i, end int) rune {
	if i+5 >= end || b[i+1] != 'u' {
		return 0
	}
	switch r, ok := hexValue(b[i+2 : i+6]); {
	case !ok:
	case r == '：' || r == '为' || r == '是':
		return rune(r)
	}
	return 0
}

// escapedLabelJoin handles the escape at i of r, a full-width colon or a
// verb (see escapedJoin), as separator and verb handle them raw, and
// returns where scanning resumes.
func (s *Scanner) escapedLabelJoin(i int, r rune, end int) int {
	const w = 6
	if r == '：' {
		return s.separator(i, w, end)
	}
	b := s.buf
	labels := s.e.keywords.endsWith(bytes.TrimRight(b[max(0, i-labelMax):i], " "))
	if labels == 0 {
		return i + w
	}
	j := i + w
	for k := 0; k < 2 && j < end && b[j] == ' '; k++ {
		j++
	}
	return s.labelledValue(j, end, labels)
}

// labelsHere, as the labels of a value, says they are to be looked up where
// the value stands: in its label window (hasContext).
const labelsHere = ^contextClass(0)

// labelled reports whether labels, or for labelsHere the context at p, name
// detector d.
func (s *Scanner) labelled(d Detector, p int, labels contextClass) bool {
	if labels == labelsHere {
		return s.hasContext(d, p)
	}
	return labels&(1<<d) != 0
}

// labelledValue reads the value at j and counts it as a name or an address
// when it is one and labels (the labels of its CSV column, HTML table cell
// or label, or labelsHere) say so. It returns where scanning resumes.
func (s *Scanner) labelledValue(j, end int, labels contextClass) int {
	if j >= end {
		return j
	}
	// Most values start with an ASCII byte that opens no escape (numbers,
	// words, quotes): no Han rune starts there, and no decoding is needed.
	if plainStop(s.buf[j]) {
		return j
	}
	// In a CSV body the header tells which columns may hold names and
	// addresses; the cells of the others are not read.
	if labels&(1<<Name|1<<Address) == 0 {
		return j
	}
	if !hanAt(s.buf, j, end) {
		return j
	}
	// Cheapest test first: the value's shape, then the dictionaries, and
	// only then the label (an automaton pass over the label window).
	v, short, name, address := s.readValue(j, end)
	switch {
	case short:
		if name && s.labelled(Name, j, labels) {
			s.found(Name, v, maskName)
		}
	case address:
		// Scanning goes on inside the value, so a number glued to an
		// address (建国路1号110101199003078670) is still found.
		if s.labelled(Address, j, labels) {
			s.found(Address, v, maskAddress)
		}
	default:
		// A name may come with a note in parentheses: 张三（经理）, 姜鑫博(男).
		if v := s.hanBeforeParen(j, end); len(v) > 0 && cndict.IsName(v) && s.labelled(Name, j, labels) {
			s.found(Name, v, maskName)
		}
	}
	return j
}

// hanAt reports whether the character at b[j:end], in any spelling, is a
// Han rune. Raw Han text, most values, is decoded inline.
func hanAt(b []byte, j, end int) bool {
	if c := b[j]; c >= 0xE4 && c <= 0xE9 && j+2 < end && b[j+1]&0xC0 == 0x80 && b[j+2]&0xC0 == 0x80 {
		return isHan(rune(c&0x0F)<<12 | rune(b[j+1]&0x3F)<<6 | rune(b[j+2]&0x3F))
	}
	r, _ := runeUnit(b, j, end)
	return isHan(r)
}

// hanBeforeParen returns the raw Han characters at j when two to five of
// them are followed by an opening parenthesis (ASCII or full-width), or nil.
func (s *Scanner) hanBeforeParen(j, end int) []byte {
	b := s.buf
	k := j
	for n := 0; n <= 5 && k+2 < end; n++ {
		switch c := b[k]; {
		case c >= 0xE4 && c <= 0xE9 && b[k+1]&0xC0 == 0x80 && b[k+2]&0xC0 == 0x80:
			k += 3
			continue
		case n < 2:
		case c == '(' || c == 0xEF && b[k+1] == 0xBC && b[k+2] == 0x88: // （
			return b[j:k]
		}
		break
	}
	return nil
}

// readValue reads the field value at j up to a delimiter and judges it: it
// returns the value decoded (escapes resolved, full-width digits made
// ASCII), whether it has the shape of a name (one to five Han runes),
// whether it is a name (cndict.IsName) and whether it is an address
// (cndict.IsAddress). Plain UTF-8 text is returned in place and judged as
// it is read; only escaped text is copied into s.val and judged after. A
// value that reaches end (the decision span) before the end of the buffer
// is too long to be a field: it has no shape and is neither.
func (s *Scanner) readValue(j, end int) (v []byte, short, name, address bool) {
	f := cndict.ScanField(s.buf[j:end], maxValueRunes)
	if k := j + f.Len; k+2 < end && f.Runes < maxValueRunes && plainStop(s.buf[k]) {
		return s.buf[j:k], f.Runes > 0 && f.Runes == f.Han && f.Runes <= 5, f.Name, f.Address
	}
	v, runes, han, ok := s.decodeValue(j, end)
	short = ok && runes == han && runes <= 5
	return v, short, short && cndict.IsName(v), ok && runes >= 6 && cndict.IsAddress(v)
}

// plainStop reports whether c certainly ends a plain value: ASCII
// punctuation other than the escape starters.
func plainStop(c byte) bool {
	return c < utf8.RuneSelf && c != '\\' && c != '%' && c != '&'
}

// decodeValue is readValue for values with escapes or other scripts.
func (s *Scanner) decodeValue(j, end int) (v []byte, runes, han int, ok bool) {
	b := s.buf
	n := 0
	for j < end {
		r, w := runeUnit(b, j, end)
		if valueDelimiter(r) {
			break
		}
		if runes == maxValueRunes {
			return nil, 0, 0, false
		}
		if r >= '０' && r <= '９' {
			r = '0' + (r - '０')
		}
		if isHan(r) {
			han++
		}
		n += utf8.EncodeRune(s.val[n:], r)
		runes++
		j += w
	}
	if j == end && end < len(b) {
		return nil, 0, 0, false // cut by the decision span, not by a delimiter
	}
	return s.val[:n], runes, han, runes > 0
}

// valueDelimiter reports whether r ends a labelled value.
func valueDelimiter(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return !(isAlnum(byte(r)) || r == '-' || r == '#')
	case r == utf8.RuneError:
		return true
	case r >= 0x3000 && r <= 0x303F: // CJK punctuation
		return true
	case r >= 0xFF01 && r <= 0xFF65: // full-width forms, except digits, letters and parentheses
		return !(r >= '０' && r <= '９') && !(r >= 'Ａ' && r <= 'Ｚ') && !(r >= 'ａ' && r <= 'ｚ') && r != '（' && r != '）' && r != '－' && r != '＃'
	}
	return false
}

// isHan reports whether r is a CJK unified ideograph (basic block).
func isHan(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }

// email counts the address around the '@' of width w at i (see matchEmail).
func (s *Scanner) email(i, w, end int) int {
	start, stop, ok := matchEmail(s.buf, i, w, end)
	if !ok || (i-start)+1+(stop-i-w) > len(s.val) {
		return i + w
	}
	n := copy(s.val[:], s.buf[start:i])
	s.val[n] = '@'
	n++
	n += copy(s.val[n:], s.buf[i+w:stop])
	v := s.val[:n]
	lowerInPlace(v)
	s.found(Email, v, maskEmail)
	return stop
}

// lowerInPlace maps the ASCII upper-case letters of v to lower case, eight
// bytes at a time.
func lowerInPlace(v []byte) {
	k := 0
	for ; k+8 <= len(v); k += 8 {
		binary.LittleEndian.PutUint64(v[k:], lowerASCII8(binary.LittleEndian.Uint64(v[k:])))
	}
	for ; k < len(v); k++ {
		v[k] = lowerASCII(v[k])
	}
}

// lowerASCII8 is lowerASCII on each of the eight bytes of w. Per byte, on
// its low seven bits a (at most 0x7F, so no sum carries into the next
// byte): a+0x3F has its top bit set from 'A' on and a+0x25 from past 'Z';
// a byte that is neither past 'Z' nor non-ASCII gets 0x20 added.
func lowerASCII8(w uint64) uint64 {
	const lanes = 0x0101010101010101
	a := w &^ (0x80 * lanes)
	fromA := a + (0x80-'A')*lanes
	pastZ := a + (0x80-'Z'-1)*lanes
	upper := fromA &^ pastZ &^ w & (0x80 * lanes)
	return w | upper>>2
}

// maskName keeps the surname: 张*, 欧阳**.
func maskName(v, out []byte) int {
	sl := cndict.SurnameLen(v)
	n := copy(out, v[:sl])
	for range utf8.RuneCount(v[sl:]) {
		out[n] = '*'
		n++
	}
	return n
}

// maskAddress keeps the first six characters (province and city): 广东省深圳市****.
func maskAddress(v, out []byte) int {
	n, runes := 0, 0
	for runes < 6 && n < len(v) && n < len(out)-8 {
		_, w := utf8.DecodeRune(v[n:])
		n += w
		runes++
	}
	copy(out, v[:n])
	return n + copy(out[n:], "****")
}
