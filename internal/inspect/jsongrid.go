package inspect

import (
	"bytes"
	"math/bits"
)

// Tables as JSON arrays of rows. A sheet read or written through an API
// travels as an array of rows, each an array of cells, its first row the
// sheet's header row: the Google Sheets API's "values", Microsoft Graph's
// range values, Feishu's valueRange.values, SheetJS's sheet_to_json with
// header: 1, an ECharts dataset's source:
//
//	{"values":[["姓名","护照号","住址"],["张伟","E12345678","北京市…"],…]}
//
// Query APIs send the header apart, before the rows: pandas'
// to_json(orient="split") as an array of strings under "columns",
// ClickHouse, Trino and DataTables as an array of column objects
// ({"name":"姓名","type":"String"}, {"title":"姓名"}) under "meta" or
// "columns" ("headers", "header" and "fields" too).
//
// The scan loop stops at every '[' of free text. At the first row of an
// array of rows (a '[' right after another, past blanks) it reads the row
// as a header row: short strings, one of them a label at least (as for a
// ',' header row: the strings are plainly cells); a title row above it
// (one cell at most, the sheet's title) is passed over. A header row sent
// apart heads the next array of rows instead. From there the scan loop
// follows the rows as a CSV body's: a header cell labels the values of its
// column (names and addresses, and passports, travel permits and legacy
// card numbers that are a cell's whole text). The ']' that closes the
// array of rows, a row that is an object, or anything but a row after a
// row's ',' ends the table.

// jsonGrid follows an array of rows under its header row.
type jsonGrid struct {
	on     bool
	head   bool             // in the header row: its cells hold labels, not values
	quoted bool             // inside a JSON string
	level  int              // 0: raw JSON; 1: JSON in a JSON string (\"姓名\"); 2: one level deeper
	depth  int              // '[' and '{' open inside the array of rows: 1 in a row
	col    int              // the row's cell after the last ',' of the row
	cols   [64]contextClass // labels of the header row's cells, by column

	// The labels of the current cell that name a document or a card, and
	// the stream offset where its text starts (see cellContext).
	cell   contextClass
	cellAt int64

	// A title row above the header row: the stream offset of the '[' of
	// the row under it (0: none), and how many titles were passed over.
	nextHead int64
	titles   int

	// A header row sent apart ("columns": [...]) heads the next array of
	// rows that opens before the stream offset pendingEnd.
	pending     bool
	pendingCols [64]contextClass
	pendingEnd  int64
}

// pendingSpan is how far after a header row sent apart its array of rows
// may open: past the row labels pandas sends between them ("index").
const pendingSpan = 64 << 10

// context reports whether the value of detector d starting at stream offset
// at starts the text of a cell whose column's header names d.
func (g *jsonGrid) context(d Detector, at int64) bool {
	return g.on && g.cell&(1<<d) != 0 && at == g.cellAt
}

// gridClass is the class table inside an array of rows: byteClass with
// the strings, cells and rows followed, and without the labelled values,
// verbs, tags and tables inside text (a cell's column names its value; a
// ':' handler would step over a string's opening quote).
var gridClass = func() [256]uint8 {
	cls := byteClass
	for _, c := range []byte{0xBA, 0xAF, 't', 'T', '<', 0xB8, 0x98, '|', '\t', ':', '='} {
		cls[c] = clsNone
	}
	for _, c := range []byte{'[', ']', '{', '}', ',', '"'} {
		cls[c] = clsGrid
	}
	return cls
}()

// gridStops is the stop table of gridClass.
var gridStops = newStopTable(&gridClass, "")

// bracket handles a '[' of free text and reports where scanning resumes:
// it may start an array of rows (see jsonGrid), whose bytes the scan loop
// then follows.
func (s *Scanner) bracket(i, end int) int {
	b := s.buf
	g := &s.grid
	if s.text.delim != 0 {
		return i + 1 // a cell of a table inside text
	}
	j := jsonBlank(b, i+1, end, 0)
	level := escapeLevelAt(b, j, end)
	j = jsonBlank(b, j, end, level)
	if j >= end {
		return i + 1
	}
	at := s.base + int64(i)
	switch {
	case b[j] == '[' && level == 0:
		if g.pending && at < g.pendingEnd {
			g.start(g.pendingCols, 0)
		}
	case b[j] == ']' || openQuote(b, j, end, level) > 0:
		switch prev := blankBefore(b, i, level); {
		case prev == '[' || at == g.nextHead:
			return s.headerOrTitle(i, end, level)
		case prev == ':' && level == 0 && columnsKey(b, i):
			if cols, _, ok, _ := s.gridRow(i, end, 0); ok {
				g.pending, g.pendingCols, g.pendingEnd = true, cols, at+pendingSpan
			}
		}
	case b[j] == '{' && level == 0:
		if blankBefore(b, i, 0) == ':' && columnsKey(b, i) {
			if cols, ok := s.columnObjects(j, end); ok {
				g.pending, g.pendingCols, g.pendingEnd = true, cols, at+pendingSpan
			}
		}
	}
	return i + 1
}

// startsRow reports whether c, right after a '[', may make it the start of
// an array of rows, one of its rows or an array of column objects: JSON
// whitespace, a bracket, a quote or a brace, or a backslash (an escaped
// quote or line break of JSON inside a string). (bracket does nothing at
// any other '['.)
func startsRow(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '[' || c == ']' || c == '"' || c == '{' || c == '\\'
}

// headerOrTitle reads the row at i, the first of an array of rows or the
// one under a title row: a header row starts the table; a title row makes
// the row under it, if one follows, the next to be read.
func (s *Scanner) headerOrTitle(i, end, level int) int {
	g := &s.grid
	cols, next, header, title := s.gridRow(i, end, level)
	switch {
	case header:
		// The header row is read on as a row (a number in it is still
		// found), but its cells label no value.
		g.start(cols, level)
		g.depth, g.head = 1, true
		return i + 1
	case title && g.titles < maxTitles:
		k := jsonBlank(s.buf, next, end, level)
		if k < end && s.buf[k] == ',' {
			if k = jsonBlank(s.buf, k+1, end, level); k < end && s.buf[k] == '[' {
				g.nextHead = s.base + int64(k)
				g.titles++
				return i + 1
			}
		}
	}
	g.nextHead, g.titles = 0, 0
	return i + 1
}

// start begins following an array of rows at level under a header row
// whose cells have the labels cols; the next '[' opens its first row.
func (g *jsonGrid) start(cols [64]contextClass, level int) {
	*g = jsonGrid{on: true, cols: cols, level: level}
}

// gridRow reads the array of strings at i (a '[') of JSON at level as a
// header row: it returns each cell's labels, where the row ends (past its
// ']'), and whether it is a header row (a cell with a label) or a title
// (one cell at most). It is neither when it is no array of short strings
// within the decision span.
func (s *Scanner) gridRow(i, end, level int) (cols [64]contextClass, next int, header, title bool) {
	b := s.buf
	var r rowTally
	j := jsonBlank(b, i+1, end, level)
	if j < end && b[j] == ']' {
		return cols, j + 1, false, true // an empty row
	}
	for col := 0; ; col++ {
		text := openQuote(b, j, end, level)
		if text < 0 {
			break
		}
		textEnd, after := stringEnd(b, text, end, level)
		if textEnd < 0 || !s.gridHeadCell(&r, &cols, col, b[text:textEnd]) {
			return cols, 0, false, false
		}
		if j = jsonBlank(b, after, end, level); j >= end {
			break
		}
		switch b[j] {
		case ',':
			j = jsonBlank(b, j+1, end, level)
			continue
		case ']':
			return cols, j + 1, r.labelled > 0, r.title()
		}
		break
	}
	return cols, 0, false, false
}

// gridHeadCell takes in the text of header cell col: its labels go to cols
// and r. It reports false when the text is no header cell (too long, or
// markup or a key-value pair).
func (s *Scanner) gridHeadCell(r *rowTally, cols *[64]contextClass, col int, cell []byte) bool {
	cell = bytes.Trim(cell, " ")
	if len(cell) > headerCellMax || bytes.ContainsAny(cell, "\":={}[]<>") {
		return false
	}
	if len(cell) > 0 {
		var labels contextClass
		if col < len(cols) {
			labels = s.e.keywords.in(foldCase(&s.fold, cell))
			cols[col] = labels
		}
		r.add(cell, labels, false)
	}
	return true
}

// columnObjects reads the array of objects whose first '{' is at j as a
// header row sent apart, one object per column, as query and table APIs
// describe their columns ({"name":"姓名","type":"String"}, DataTables'
// {"title":"姓名"}, ag-Grid's {"headerName":"姓名"}): each object's title,
// header name, label or name is its cell. It is not ok when the array
// holds anything else, or an object without one, within the decision span,
// or when no cell has a label.
func (s *Scanner) columnObjects(j, end int) (cols [64]contextClass, ok bool) {
	b := s.buf
	var r rowTally
	for col := 0; j < end && b[j] == '{'; col++ {
		var cell []byte
		found := false
		// The object's pairs of strings; a value of another kind ends the
		// search (the object's own objects and arrays are not read).
		for k := jsonBlank(b, j+1, end, 0); k < end && b[k] == '"'; {
			keyEnd, _ := stringEnd(b, k+1, end, 0)
			if keyEnd < 0 {
				return cols, false
			}
			v := jsonBlank(b, keyEnd+1, end, 0)
			if v >= end || b[v] != ':' {
				return cols, false
			}
			if v = jsonBlank(b, v+1, end, 0); v >= end {
				return cols, false
			}
			next := v
			if b[v] == '"' {
				valueEnd, _ := stringEnd(b, v+1, end, 0)
				if valueEnd < 0 {
					return cols, false
				}
				if !found && columnTitleKey(b[k+1:keyEnd]) {
					cell, found = b[v+1:valueEnd], true
				}
				next = valueEnd + 1
			}
			for next < end && b[next] != ',' && b[next] != '}' && b[next] != '{' && b[next] != '[' && b[next] != '"' {
				next++ // a number, true, false or null
			}
			if next >= end || b[next] != ',' && b[next] != '}' {
				return cols, false
			}
			if b[next] == '}' {
				j = next
				break
			}
			k = jsonBlank(b, next+1, end, 0)
		}
		if j >= end || b[j] != '}' || !found || !s.gridHeadCell(&r, &cols, col, cell) {
			return cols, false
		}
		if j = jsonBlank(b, j+1, end, 0); j < end && b[j] == ',' {
			j = jsonBlank(b, j+1, end, 0)
			continue
		}
		return cols, j < end && b[j] == ']' && r.labelled > 0
	}
	return cols, false
}

// columnTitleKey reports whether key names the title of a column in an
// array of column objects.
func columnTitleKey(key []byte) bool {
	switch string(key) {
	case "title", "headerName", "label", "name", "header", "displayName":
		return true
	}
	return false
}

// gridByte handles a quote, ',', bracket or brace at i inside an array of
// rows and returns where scanning resumes.
func (s *Scanner) gridByte(i, end int) int {
	g := &s.grid
	b := s.buf
	c := b[i]
	if c == '"' {
		switch level := quoteLevel(b, i); {
		case level == g.level:
			g.quoted = !g.quoted
		case level < g.level:
			*g = jsonGrid{} // the string that holds the array of rows ended
		}
		return i + 1
	}
	if g.quoted {
		return i + 1
	}
	switch c {
	case '[', '{':
		if g.depth++; g.depth == 1 {
			if c == '{' {
				*g = jsonGrid{} // objects, not rows
				break
			}
			g.col = 0
			return s.gridCell(i+1, end)
		}
	case ']', '}':
		if g.depth == 0 {
			*g = jsonGrid{} // the array of rows is closed
			break
		}
		g.depth--
		g.head = g.head && g.depth > 0
	case ',':
		switch g.depth {
		case 1:
			g.col++
			return s.gridCell(i+1, end)
		case 0:
			if j := jsonBlank(b, i+1, end, g.level); j < end && b[j] != '[' {
				*g = jsonGrid{} // no row follows
			}
		}
	}
	return i + 1
}

// gridCell starts the cell whose text, past blanks and an opening quote,
// is at or after j: it reads a name or an address there when the column's
// header names one, and returns where scanning resumes.
func (s *Scanner) gridCell(j, end int) int {
	g := &s.grid
	j = jsonBlank(s.buf, j, end, g.level)
	if text := openQuote(s.buf, j, end, g.level); text > 0 {
		g.quoted = true
		j = text
	}
	var labels contextClass
	if g.col < len(g.cols) && !g.head {
		labels = g.cols[g.col]
	}
	g.cell, g.cellAt = labels&cellContext, s.base+int64(j)
	if labels&(1<<Name|1<<Address) != 0 {
		return s.labelledValue(j, end, labels)
	}
	return j
}

// columnsKey reports whether the '[' at i is the value of a JSON key that
// names a header row sent apart: "columns", "headers", "header", "fields"
// or "meta" (ClickHouse's JSONCompact).
func columnsKey(b []byte, i int) bool {
	colon := blankEnd(b, i, 0) - 1
	q := blankEnd(b, colon, 0) // past the key's closing quote
	if q < 2 || b[q-1] != '"' {
		return false
	}
	key := b[max(0, q-9) : q-1] // the longest key and its opening quote
	open := bytes.LastIndexByte(key, '"')
	if open < 0 {
		return false
	}
	switch string(key[open+1:]) {
	case "columns", "headers", "header", "fields", "meta":
		return true
	}
	return false
}

// JSON inside a JSON string escapes its quotes (\"), its line breaks and
// tabs (\n, \r, \t) and its backslashes; one level deeper each
// backslash is escaped again (\\\"). A quote of JSON at level L stands
// after 2^L-1 backslashes, in any count that leaves the same remainder
// modulo 2^(L+1) (an escaped backslash before it adds two, or four).

// quoteLevel returns the level of the JSON whose strings the quote at i
// opens or closes: the number of trailing one bits of the count of the
// backslashes before it (of the 64 bytes before it at most). A quote of a
// higher level is text inside a string of this one.
func quoteLevel(b []byte, i int) int {
	n := 0
	for k := i - 1; k >= max(0, i-64) && b[k] == '\\'; k-- {
		n++
	}
	return bits.TrailingZeros(^uint(n))
}

// escapeLevelAt returns the level of the JSON whose quote or escaped line
// break starts at j, right after a '[': 1 for \" or \n, 2 for \\\" or
// \\\n, otherwise 0.
func escapeLevelAt(b []byte, j, end int) int {
	n := 0
	for j+n < end && n < 4 && b[j+n] == '\\' {
		n++
	}
	if (n == 1 || n == 3) && j+n < end && (b[j+n] == '"' || escapedBlank(b[j+n])) {
		return bits.TrailingZeros(^uint(n))
	}
	return 0
}

// escapedBlank reports whether c, after a backslash, escapes JSON
// whitespace: a line feed, a carriage return or a tab.
func escapedBlank(c byte) bool { return c == 'n' || c == 'r' || c == 't' }

// openQuote returns where the text of a string of JSON at level starts
// when its opening quote starts at j (2^level-1 backslashes and '"'), or
// -1.
func openQuote(b []byte, j, end, level int) int {
	esc := 1<<level - 1
	if j+esc >= end || b[j+esc] != '"' {
		return -1
	}
	for k := j; k < j+esc; k++ {
		if b[k] != '\\' {
			return -1
		}
	}
	return j + esc + 1
}

// stringEnd finds the end of the string of JSON at level whose text starts
// at j: it returns where the text ends (at the closing quote's first
// backslash) and where the string ends (past the quote), or -1 when it
// does not end before end or the string around it ends first.
func stringEnd(b []byte, j, end, level int) (textEnd, after int) {
	for j < end {
		k := bytes.IndexByte(b[j:end], '"')
		if k < 0 {
			break
		}
		switch l := quoteLevel(b, j+k); {
		case l == level:
			return j + k - (1<<level - 1), j + k + 1
		case l < level:
			return -1, -1
		}
		j += k + 1
	}
	return -1, -1
}

// jsonBlank returns the first index at or after j (up to end) that holds
// no whitespace of JSON at level: raw blanks, and at level 1 or 2 the
// escapes of a line break or tab (see quoteLevel).
func jsonBlank(b []byte, j, end, level int) int {
	esc := 1<<level - 1
	for j < end {
		switch c := b[j]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			j++
		case c == '\\' && level > 0 && j+esc < end && escapedBlank(b[j+esc]) && backslashes(b, j, j+esc):
			j += esc + 1
		default:
			return j
		}
	}
	return j
}

// blankEnd returns the index just past the last byte before k that is no
// whitespace of JSON at level, looking back at most 64 bytes.
func blankEnd(b []byte, k, level int) int {
	esc := 1<<level - 1
	lo := max(0, k-64)
	for k > lo {
		switch c := b[k-1]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			k--
		case level > 0 && escapedBlank(c) && k-1-esc >= lo && backslashes(b, k-1-esc, k-1) && quoteLevel(b, k-1) == level:
			k -= esc + 1
		default:
			return k
		}
	}
	return k
}

// backslashes reports whether b[i:j] is all backslashes.
func backslashes(b []byte, i, j int) bool {
	for ; i < j; i++ {
		if b[i] != '\\' {
			return false
		}
	}
	return true
}

// blankBefore returns the byte before i past whitespace of JSON at level
// (at most 64 bytes of it), or 0.
func blankBefore(b []byte, i, level int) byte {
	if k := blankEnd(b, i, level); k > 0 {
		return b[k-1]
	}
	return 0
}
