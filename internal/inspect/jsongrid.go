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
// to_json(orient="split") and ECharts as an array of strings under
// "columns" or "dimensions", ClickHouse, Trino, Snowflake, Azure Data
// Explorer and DataTables as an array of column objects
// ({"name":"姓名","type":"String"}, {"title":"姓名"}, {"ColumnName":"姓名"})
// under "meta", "columns", "rowType" ("headers", "header" and "fields"
// too, in any letter case).
//
// The scan loop stops at every '[' of free text. At the first row of an
// array of rows (a '[' right after another, past blanks, then a string or
// the row's ']') it reads the rows as header candidates, cell by cell as
// it passes them, however wide: the first row with two cells or more, one
// of them a label, is the header row (a row whose cells all hold the same
// labels, ["姓名","Name"], is a glossary's pair). Up to maxTitles rows of
// one cell at most above it are titles (客户名单, a date, an empty row); when
// no header row comes, the first such title that holds a label heads a
// sheet of one column. A header row sent apart is read the same way and
// heads the next array of rows. From there the scan loop follows the rows
// as a CSV body's: a header cell labels the values of its column (names
// and addresses, and passports, travel permits and legacy card numbers
// that are a cell's whole text). The ']' that closes the array of rows, a
// row that is an object, anything but a row after a row, or a raw line
// break inside a string ends the table.
//
// The same holds for JSON inside a JSON string (a sheet pasted into an LLM
// prompt, an agent's tool call): the first row's quote tells the level of
// JSON the table is written at (see quoteLevel).

// jsonGrid follows an array of rows: its header candidates, then the rows
// under its header row.
type jsonGrid struct {
	on     bool
	quoted bool             // inside a JSON string
	level  int              // 0: raw JSON; 1: JSON in a JSON string (\"姓名\"); 2: one level deeper
	depth  int              // '[' and '{' open inside the array of rows: 1 in a row
	col    int              // the row's cell after the last ',' of the row
	cols   [64]contextClass // labels of the header row's cells, by column

	// The labels of the current cell that name a document or a card, and
	// the stream offset where its text starts (see cellContext).
	cell   contextClass
	cellAt int64

	// While head is set the rows are header candidates (titles, then the
	// header row), or the header row sent apart (apart): their cells label
	// no value. row and rowCols take in the current row's cells.
	head, apart bool
	row         rowTally
	scalars     int // numbers and booleans in the row: no title's
	rowCols     [64]contextClass
	titles      int
	fallback    [64]contextClass // the labels of the first title that has one
	hasFallback bool

	// A header row sent apart heads the next array of rows that opens
	// before the stream offset apartEnd (0: none).
	apartCols [64]contextClass
	apartEnd  int64
}

// pendingSpan is how far after a header row sent apart its array of rows
// may open: past the row labels pandas sends between them ("index").
const pendingSpan = 64 << 10

// context reports whether the value of detector d starting at stream offset
// at starts the text of a cell whose column's header names d.
func (g *jsonGrid) context(d Detector, at int64) bool {
	return g.on && g.cell&(1<<d) != 0 && at == g.cellAt
}

// stop ends the table; a header row sent apart is kept for the next one.
func (g *jsonGrid) stop() {
	*g = jsonGrid{apartCols: g.apartCols, apartEnd: g.apartEnd}
}

// gridClass is the class table inside an array of rows: byteClass with
// the strings, cells, rows and raw line breaks followed, and without the
// tables inside text (bars and tabs).
var gridClass = func() [256]uint8 {
	cls := byteClass
	cls['|'], cls['\t'] = clsNone, clsNone
	for _, c := range []byte{'[', ']', '{', '}', ',', '"', '\n'} {
		cls[c] = clsGrid
	}
	return cls
}()

// gridStops is the stop table of gridClass. The separators ':' and '=' are
// handled as in free text, so the VBMI kernel may drop them as there.
var gridStops = newStopTable(&gridClass, ":=")

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
	switch prev := blankBefore(b, i, level); {
	case b[j] == '[' && level == 0:
		if at < g.apartEnd {
			cols := g.apartCols
			*g = jsonGrid{on: true, cols: cols}
		}
	case prev == '[' && (b[j] == ']' || openQuote(b, j, end, level) > 0):
		*g = jsonGrid{on: true, head: true, level: level, apartCols: g.apartCols, apartEnd: g.apartEnd}
		return s.gridRowStart(i+1, end)
	case prev == ':' && level == 0 && (b[j] == '"' || b[j] == '{') && columnsKey(b, i):
		*g = jsonGrid{on: true, head: true, apart: true}
		return s.gridRowStart(i+1, end)
	}
	return i + 1
}

// startsRow reports whether c, right after a '[', may make it the start of
// an array of rows, one of its rows or a header row sent apart: JSON
// whitespace, a bracket, a quote or a brace, or a backslash (an escaped
// quote or line break of JSON inside a string). (bracket does nothing at
// any other '['.)
func startsRow(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '[' || c == ']' || c == '"' || c == '{' || c == '\\'
}

// gridByte handles a quote, ',', bracket, brace or raw line break at i
// inside an array of rows and returns where scanning resumes.
func (s *Scanner) gridByte(i, end int) int {
	g := &s.grid
	b := s.buf
	switch c := b[i]; {
	case c == '"':
		switch level := quoteLevel(b, i); {
		case level == g.level:
			g.quoted = !g.quoted
		case level < g.level:
			g.stop() // the string that holds the array of rows ended
		}
		return i + 1
	case c == '\n':
		if g.quoted {
			g.stop() // a JSON string holds no raw line break: no JSON
		}
		return i + 1
	case g.quoted:
		return i + 1
	case c == '[' || c == '{':
		g.depth++
		switch {
		case g.depth == 1 && c == '[':
			return s.gridRowStart(i+1, end)
		case g.depth == 1:
			g.stop() // objects, not rows
		case g.depth == 2 && g.head:
			if g.apart && c == '{' {
				s.columnObject(i, end)
			} else {
				g.row.bad = true // no header row holds arrays or objects
			}
		}
	case c == ']' || c == '}':
		if g.depth == 0 {
			g.stop() // the array of rows is closed
			break
		}
		if g.depth--; g.depth == 0 {
			return s.gridRowEnd(i+1, end)
		}
	case c == ',':
		switch g.depth {
		case 1:
			g.col++
			if g.head {
				return s.gridHeadCandidate(i+1, end)
			}
			return s.gridCell(i+1, end)
		case 0:
			if j := jsonBlank(b, i+1, end, g.level); j < end && b[j] != '[' {
				g.stop() // no row follows
			}
		}
	}
	return i + 1
}

// gridRowStart starts the row whose '[' ends right before j, and its first
// cell.
func (s *Scanner) gridRowStart(j, end int) int {
	g := &s.grid
	g.depth, g.col = 1, 0
	if g.head {
		g.row, g.rowCols, g.scalars = rowTally{}, [64]contextClass{}, 0
		return s.gridHeadCandidate(j, end)
	}
	return s.gridCell(j, end)
}

// gridRowEnd ends the row whose ']' ends right before j: a header candidate is
// decided, and after any row only a ',' or the array's ']' may come.
func (s *Scanner) gridRowEnd(j, end int) int {
	g := &s.grid
	if g.head {
		s.decideRow(j)
		if !g.on {
			return j
		}
	}
	if k := jsonBlank(s.buf, j, end, g.level); k < end && s.buf[k] != ',' && s.buf[k] != ']' {
		g.stop()
	}
	return j
}

// decideRow decides the header candidate that ends right before j (see
// jsonGrid): the header row starts the table's rows, a title row is passed
// over, a header row sent apart is kept for the next array of rows.
func (s *Scanner) decideRow(j int) {
	g := &s.grid
	r := &g.row
	if g.apart {
		cols, ok := g.rowCols, r.labelled > 0 && !r.bad
		g.stop()
		if ok {
			g.apartCols, g.apartEnd = cols, s.base+int64(j)+pendingSpan
		}
		return
	}
	switch {
	case !r.bad && r.labelled > 0 && r.cells >= 2 && !samePairs(&g.rowCols, r):
		g.head, g.cols = false, g.rowCols
	case !r.bad && r.cells <= 1 && g.scalars == 0 && g.titles < maxTitles:
		g.titles++
		if r.labelled > 0 && !g.hasFallback {
			g.fallback, g.hasFallback = g.rowCols, true
		}
	case g.hasFallback:
		g.head, g.cols = false, g.fallback // a sheet of one column
	default:
		g.stop()
	}
}

// samePairs reports whether every cell of the row r took in holds the same
// labels, two at least: a pair of a glossary or a map's entries
// (["姓名","Name"]), not a header row.
func samePairs(cols *[64]contextClass, r *rowTally) bool {
	if r.labelled < 2 || r.labelled != r.cells {
		return false
	}
	var first contextClass
	for _, c := range cols {
		switch {
		case c == 0:
		case first == 0:
			first = c
		case c != first:
			return false
		}
	}
	return true
}

// gridHeadCandidate takes in the header candidate's cell whose text, past blanks
// and an opening quote, is at or after j, and returns where scanning
// resumes. A null is an empty cell, a number or a boolean a cell without a
// label; an array or an object is taken in at its bracket or brace.
func (s *Scanner) gridHeadCandidate(j, end int) int {
	g := &s.grid
	b := s.buf
	j = jsonBlank(b, j, end, g.level)
	text := openQuote(b, j, end, g.level)
	if text < 0 {
		if j < end && (isDigit(b[j]) || b[j] == '-' || b[j] == 't' || b[j] == 'f') {
			g.scalars++
		}
		return j
	}
	textEnd, _ := stringEnd(b, text, end, g.level)
	if textEnd < 0 || bytes.Contains(b[text:textEnd], []byte(`\n`)) {
		// Text of several lines, or longer than the decision span: the row
		// is a message ([["human","…"]], a chat history), no header row,
		// and its text is read as free text (a table pasted in it).
		g.stop()
		return text
	}
	g.quoted = true
	s.gridHeadCell(b[text:textEnd])
	return text
}

// gridHeadCell takes in the text of the current header candidate's cell:
// its labels, when it may be a header cell (a short text without markup
// or a key-value pair), go to rowCols and row.
func (s *Scanner) gridHeadCell(cell []byte) {
	g := &s.grid
	cell = bytes.Trim(cell, " ")
	if len(cell) == 0 {
		return
	}
	var labels contextClass
	if g.col < len(g.rowCols) && decodedLen(cell) <= headerCellMax && !bytes.ContainsAny(cell, "\":={}[]<>") {
		labels = s.e.keywords.in(foldCase(&s.fold, cell))
		g.rowCols[g.col] = labels
	}
	g.row.add(cell, labels, false)
}

// decodedLen returns the length of text with its \uXXXX escapes (and
// \\uXXXX one level down) counted as the three bytes of a Han character.
func decodedLen(text []byte) int {
	n := 0
	for i := 0; i < len(text); n++ {
		switch {
		case text[i] == '\\' && i+1 < len(text) && text[i+1] == 'u':
			i += 6
			n += 2
		case text[i] == '\\' && i+2 < len(text) && text[i+1] == '\\' && text[i+2] == 'u':
			i += 7
			n += 2
		default:
			i++
		}
	}
	return n
}

// columnObject takes in the column object whose '{' is at i, in a header
// row sent apart: its title (title, headerName, label, displayName, header
// or ColumnName, else name) is the cell. The object's own objects and
// arrays are passed over; what the decision span cuts is not read.
func (s *Scanner) columnObject(i, end int) {
	b := s.buf
	var title []byte
	rank := 0
	for k := jsonBlank(b, i+1, end, 0); k < end && b[k] == '"'; {
		keyEnd, after := stringEnd(b, k+1, end, 0)
		if keyEnd < 0 {
			break
		}
		v := jsonBlank(b, after, end, 0)
		if v >= end || b[v] != ':' {
			break
		}
		v = jsonBlank(b, v+1, end, 0)
		next := valueEnd(b, v, end)
		if next < 0 {
			break
		}
		if r := titleRank(b[k+1 : keyEnd]); r > rank && b[v] == '"' {
			title, rank = b[v+1:next-1], r
		}
		if k = jsonBlank(b, next, end, 0); k >= end || b[k] != ',' {
			break
		}
		k = jsonBlank(b, k+1, end, 0)
	}
	if rank > 0 {
		s.gridHeadCell(title)
	} else {
		s.grid.row.cells++ // a column without a title: no label
	}
}

// titleRank ranks key as the key of a column object's title: 2 for a
// title, 1 for a name (which may be a machine name when a title comes too),
// 0 for neither.
func titleRank(key []byte) int {
	for _, k := range [...]string{"title", "headerName", "label", "displayName", "header", "columnName"} {
		if bytes.EqualFold(key, []byte(k)) {
			return 2
		}
	}
	if bytes.EqualFold(key, []byte("name")) {
		return 1
	}
	return 0
}

// valueEnd returns the index just past the JSON value at j (raw JSON), or
// -1 when it does not end before end.
func valueEnd(b []byte, j, end int) int {
	if j >= end {
		return -1
	}
	switch b[j] {
	case '"':
		_, after := stringEnd(b, j+1, end, 0)
		return after
	case '{', '[':
		depth := 0
		for k := j; k < end; k++ {
			switch b[k] {
			case '"':
				_, after := stringEnd(b, k+1, end, 0)
				if after < 0 {
					return -1
				}
				k = after - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return k + 1
				}
			}
		}
		return -1
	}
	for k := j; k < end; k++ {
		switch b[k] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return k
		}
	}
	return -1
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
	if g.col < len(g.cols) {
		labels = g.cols[g.col]
	}
	g.cell, g.cellAt = labels&cellContext, s.base+int64(j)
	if labels&(1<<Name|1<<Address) != 0 {
		return s.labelledValue(j, end, labels)
	}
	return j
}

// skippedQuote is told of the quote at q that the separator handler
// stepped over (the opening quote of a value, "k":"v", in an object in a
// cell), so the strings stay counted.
func (g *jsonGrid) skippedQuote(b []byte, q int) {
	if g.on && quoteLevel(b, q) == g.level {
		g.quoted = !g.quoted
	}
}

// columnsKey reports whether the '[' at i is the value of a JSON key that
// names a header row sent apart, in any letter case: "columns", "headers",
// "header", "fields", "meta" (ClickHouse JSONCompact), "rowType"
// (Snowflake) or "dimensions" (ECharts).
func columnsKey(b []byte, i int) bool {
	colon := blankEnd(b, i, 0) - 1
	q := blankEnd(b, colon, 0) // past the key's closing quote
	if q < 2 || b[q-1] != '"' {
		return false
	}
	key := b[max(0, q-12) : q-1] // the longest key and its opening quote
	open := bytes.LastIndexByte(key, '"')
	if open < 0 {
		return false
	}
	key = key[open+1:]
	for _, k := range [...]string{"columns", "headers", "header", "fields", "meta", "rowType", "dimensions"} {
		if bytes.EqualFold(key, []byte(k)) {
			return true
		}
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
	return bits.TrailingZeros(^uint(backslashesBefore(b, i)))
}

// escapeLevelAt returns the level of the JSON whose quote or escaped line
// break starts at j, right after a '[': 1 for \" or \n, 2 for \\\" or
// \\n, otherwise 0.
func escapeLevelAt(b []byte, j, end int) int {
	n := 0
	for j+n < end && n < 4 && b[j+n] == '\\' {
		n++
	}
	switch {
	case j+n >= end:
	case b[j+n] == '"' && (n == 1 || n == 3):
		return bits.TrailingZeros(^uint(n))
	case escapedBlank(b[j+n]) && (n == 1 || n == 2):
		return n
	}
	return 0
}

// breakLevel returns the level of the JSON whose whitespace an escaped
// line break or tab with n backslashes before its letter writes: a raw
// line break of JSON at level L is 2^(L-1) backslashes and a letter, in
// any count that leaves the same remainder modulo 2^L (escaped
// backslashes before it add two, or four); 0 for none (\\n is a
// backslash and an n).
func breakLevel(n int) int {
	switch {
	case n%2 == 1:
		return 1
	case n%4 == 2:
		return 2
	}
	return 0
}

// backslashesBefore returns how many backslashes stand right before i (of
// the 64 bytes before it at most).
func backslashesBefore(b []byte, i int) int {
	n, _ := backslashRun(b, i, max(0, i-64))
	return n
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
// escapes of a line break or tab (see breakLevel).
func jsonBlank(b []byte, j, end, level int) int {
	esc := 1 << level >> 1 // backslashes before the letter
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
	esc := 1 << level >> 1 // backslashes before the letter
	lo := max(0, k-64)
	for k > lo {
		switch c := b[k-1]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			k--
		case level > 0 && escapedBlank(c) && k-1-esc >= lo && breakLevel(backslashesBefore(b, k-1)) == level:
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
