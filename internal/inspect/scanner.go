package inspect

import (
	"errors"
	"math/bits"
)

// Scanner geometry. A decision about a candidate that starts at offset p reads
// at most holdback bytes from p on, and labels at most lookback bytes before
// it; so a scan pass stops holdback bytes short of the data it has, and keeps
// lookback bytes of scanned data for the next pass. Findings therefore do not
// depend on where the stream is cut into chunks.
const (
	lookback   = 160      // bytes of scanned text kept for labels and boundaries
	holdback   = 512      // bytes held back at the end of a pass, undecided
	maxSpan    = 480      // bytes a decision reads from where its candidate starts (< holdback)
	scanWindow = 32 << 10 // bytes added per pass
	headerMax  = 4 << 10  // longest first line considered as a CSV header
	labelMax   = 96       // longest label window (six \u-escaped characters and separators)
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("inspect: write after close")

// Scanner inspects one message as a stream of chunks. It is not safe for
// concurrent use. Its memory is bounded by the engine (a fixed buffer plus
// distinct sets capped by MaxDistinct), whatever the body size.
type Scanner struct {
	e     *Engine
	tally Tally

	buf    []byte // [kept context | scanned | unscanned]
	base   int64  // stream offset of buf[0]
	pos    int    // next index of buf to scan; everything before it is decided
	header bool   // the first line has been examined
	closed bool

	csv   csvState
	table tableState
	text  textTable
	grid  jsonGrid

	lineAt      int64                   // stream offset of the line after the last escaped line break handled (escapedLineBreak); 0: none
	markup      bool                    // markup escapes are unescaped: the scan loop met one (see markup.go)
	markupAt    int64                   // stream offset from which markup escapes are still to be unescaped (see markup.go)
	removed     int64                   // caller's bytes removed by unescaping so far
	removedDone int64                   // of them, those before the scan position (removedBefore)
	removals    []removal               // where the others were removed, in order
	val         [4 * maxValueRunes]byte // decoded candidate value
	num         [18]byte                // normalised number scratch
	fold        [foldMax]byte           // case-folded label window or header cell
	run         numberRun               // the run of digit groups being matched
}

func newScanner(e *Engine) *Scanner {
	return &Scanner{e: e, buf: make([]byte, 0, lookback+holdback+scanWindow)}
}

// Write scans the next chunk of the message. It never retains p. After it
// returns, every value that starts before Settled() has been counted (see
// Settled for the letters of a passport number).
func (s *Scanner) Write(p []byte) (int, error) {
	if s.closed {
		return 0, ErrClosed
	}
	n := len(p)
	for len(p) > 0 {
		free := s.buf[len(s.buf):cap(s.buf)]
		k := copy(free, p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		s.tally.Bytes += int64(k)
		s.scan(false)
		s.compact()
	}
	return n, nil
}

// Close ends the message: the held tail is decided and counted.
func (s *Scanner) Close() error {
	if s.closed {
		return nil
	}
	s.scan(true)
	s.closed = true
	return nil
}

// Boundary marks the end of one part of a message and the start of the
// next (multipart parts, archive members, sheets): everything written so far
// is decided, and the next part may open with its own CSV header row.
// Counts stay those of the whole message.
func (s *Scanner) Boundary() {
	if s.closed {
		return
	}
	s.scan(true)
	s.compact()
	s.header = false
	s.csv = csvState{}
	s.table = tableState{}
	s.text = textTable{}
	s.grid = jsonGrid{}
	s.lineAt = 0
}

// Settled returns the stream offset before which every finding is final:
// bytes before it may be forwarded. The bytes after it (at most the holdback
// window, plus the first line, or a rule line and the line under it, or up
// to maxTitles title lines and the line under them, while a CSV header may
// still be arriving) could still complete a value. (It may stand inside the
// letters of a passport or permit number, E of E12345678: the bytes before
// it then hold no whole value.) The offset counts the
// bytes written, whatever unescaping removed from the scanner's own copy
// (see markup.go).
func (s *Scanner) Settled() int64 {
	at := s.base + int64(s.pos)
	return at + s.removedBefore(at)
}

// Tally returns the live tally; it is valid until Reset or Release.
func (s *Scanner) Tally() *Tally { return &s.tally }

// Reset empties the scanner for the next message.
func (s *Scanner) Reset() {
	s.tally.reset()
	s.buf = s.buf[:0]
	s.base, s.pos = 0, 0
	s.markupAt = 0
	s.removed, s.removedDone, s.removals = 0, 0, s.removals[:0]
	s.header, s.closed = false, false
	s.csv = csvState{}
	s.table = tableState{}
	s.text = textTable{}
	s.grid = jsonGrid{}
	s.lineAt = 0
}

// Release returns the scanner to its engine's pool; it must not be used after.
func (s *Scanner) Release() { s.e.pool.Put(s) }

// compact drops scanned bytes beyond the lookback context.
func (s *Scanner) compact() {
	s.removedBefore(s.base + int64(s.pos)) // the notes of removals before pos go too
	drop := s.pos - lookback
	if drop <= 0 {
		return
	}
	n := copy(s.buf, s.buf[drop:])
	s.buf = s.buf[:n]
	s.base += int64(drop)
	s.pos -= drop
}

// Byte classes of the scan loop; class 0 bytes are skipped eight at a time.
const (
	clsNone   = iota
	clsDigit  // 0-9: number candidates (plain, \u-escaped, %-encoded, &#entity;)
	clsAt     // '@': e-mail
	clsEscape // '%', '&' and '\\': escaped digits (%31, &#49;, \uff11), '@' and '＠' (%40, \uff20)
	clsSep    // field separators: labelled values and CSV cells
	clsWide   // 0xEF: full-width digits, colon and '＠'
	clsVerb   // 0xBA, 0xAF after 0xB8, 0x98: the last bytes of 为 and 是 (姓名为张三)
	clsTag    // 't', 'T' after '<': the rows and cells of an HTML table
	clsPair   // '<', 0xB8, 0x98: first bytes of pairs; a stop at one (为为) is a no-op
	clsBar    // '|' and tab: the cells of a table inside text (a Markdown or psql table, rows pasted from a spreadsheet)
	clsGrid   // '[': an array of rows (a sheet as JSON); inside one also its strings, cells and rows (see jsonGrid)
)

// byteClass is the class table for free text.
var byteClass = func() (text [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		text[c] = clsDigit
	}
	text['@'] = clsAt
	text['%'] = clsEscape
	text['&'] = clsEscape
	text['\\'] = clsEscape
	text[':'] = clsSep
	text['='] = clsSep
	text[0xEF] = clsWide
	text[0xBA], text[0xAF] = clsVerb, clsVerb
	text['t'], text['T'] = clsTag, clsTag
	text['<'], text[0xB8], text[0x98] = clsPair, clsPair, clsPair
	text['|'], text['\t'] = clsBar, clsBar
	text['['] = clsGrid
	return text
}()

// csvClass returns the class table of a CSV body whose cells delim
// separates: byteClass with the delimiter, newlines and quotes followed,
// and without the verbs, tags and tables inside text (a cell's column
// names its value).
func csvClass(delim byte) (csv [256]uint8) {
	csv = byteClass
	for _, c := range []byte{0xBA, 0xAF, 't', 'T', '<', 0xB8, 0x98, '|', '\t', '['} {
		csv[c] = clsNone
	}
	for _, c := range []byte{'"', delim, '\n'} {
		csv[c] = clsSep
	}
	return csv
}

// scan examines buf from pos. Unless final, it stops holdback bytes before
// the end of the data so every candidate it starts can be decided.
func (s *Scanner) scan(final bool) {
	s.unescapeMarkup(final)
	b := s.buf
	end := len(b)
	if !s.header {
		if !s.readHeader(final) {
			return
		}
	}
	limit := end
	if !final {
		limit = end - holdback
	}
	cls, stops := s.classes()
	finder := stopFinder{b: b, table: stops, cls: cls, limit: limit, kernel: s.e.kernel}
	// lo is where the search for the next stop began: the bytes from lo to
	// a stop were passed over, and those before lo handled. Handlers change
	// state (a CSV delimiter moves to the next column), so the walk back at
	// the limit below stops at lo even when a handler ends right at the
	// limit.
	i, lo := s.pos, s.pos
	// The tables a handler opens or closes (inside text, an array of
	// rows) change the class and stop tables the loop goes on with (see
	// reclass).
	delim, grid := s.text.delim, s.grid.on
	for ; i < limit; lo = i {
		i = finder.next(i)
		if i >= limit {
			break
		}
		// A handler decides what starts at p from the bytes before p+maxSpan
		// only: every pass keeps that much unscanned, so a decision never
		// depends on where the stream was cut.
		switch cls[b[i]] {
		case clsDigit:
			// The block search stops at the fourth digit of a run: step
			// back over plain digits, then, if an escape or a joined group
			// may come before, walk back to where the run really starts.
			stop := i
			for i > lo && isDigit(b[i-1]) {
				i--
			}
			if i > lo && unitTail[b[i-1]] {
				at := i // where the digit unit at i starts
				if escapeTail(b[i-1]) {
					at = escapeStart(b, i, end)
				}
				if start := runStart(b, at, lo); start < i {
					i = max(s.number(start, min(end, start+maxSpan)), i+1)
					continue
				}
			}
			// Inline fast path: a short lone run of plain digits (prices,
			// counts, dates) is no value in any spelling.
			span := min(end, i+maxSpan)
			j := min(finder.runEnd(stop), span)
			for j < span && isDigit(b[j]) {
				j++
			}
			if j-i < minValueDigits && j < span && !mayContinueRun(b, j, span) && !escapePrefix(b, i) {
				i = j
				continue
			}
			// Digits in the code of an escape of something else (\uff21,
			// %E4, &#20013;) are no digit units: a run starts after the
			// escape, wherever the block search stopped in it. (A short
			// lone run is skipped whole above, which comes to the same:
			// what follows the escape in it is a short lone run too.) The
			// escape of a full-width digit (\uff11, %EF%BC%91, &#xFF11;)
			// is a digit unit: the run starts at or before it.
			if i > 0 && escapeCodeTail[b[i-1]] {
				if k, w := escapeAround(b, i); w > 0 {
					if unitWidth(b, k, k+w) == 0 {
						// The escape's last byte may be a separator (the
						// ';' of &#20013; in a ';' table): it is left to
						// be handled, as the block search meets it when it
						// stopped nowhere in the escape.
						i = k + w
						if cls[b[i-1]] == clsSep {
							i--
						}
						continue
					}
					start := runStart(b, k, lo)
					i = max(s.number(start, min(end, start+maxSpan)), i+1)
					continue
				}
			}
			// The run's end is known: go to the plain-number fast path
			// directly rather than through number, which reads it again.
			if resume, ok := s.plainNumber(i, j, span); ok {
				i = resume
				continue
			}
			i = s.generalNumber(i, span)
		case clsAt:
			i = s.email(i, 1, min(end, i+maxSpan))
		case clsEscape:
			// %31, &#49;, \uff11: an escaped digit starts a run here; %40
			// and \u0040 are an '@', %EF%BC%A0 and \uff20 a '＠'. A
			// backslash is mostly no \u escape (binary bytes, \n, \\): it
			// is passed over before any decoding (but for a \t).
			if b[i] == '\\' && (i+1 >= end || b[i+1] != 'u') {
				i = s.backslash(i, end)
				s.reclass(&finder, &cls, &delim, &grid)
				continue
			}
			// %09 and %7C split the cells of a table in a form field.
			if b[i] == '%' && !s.grid.on && i+2 < end && (b[i+1] == '0' && b[i+2] == '9' || b[i+1] == '7' && b[i+2]|0x20 == 'c') {
				i = s.textDelimiter(i, 3, min(end, i+maxSpan))
				s.reclass(&finder, &cls, &delim, &grid)
				continue
			}
			span := min(end, i+maxSpan)
			if b[i] == '\\' {
				if r := escapedJoin(b, i, span); r != 0 {
					i = s.escapedLabelJoin(i, r, span)
					continue
				}
			}
			switch _, w := digitUnit(b, i, span); {
			case w > 0, b[i] == '&' && i+1 < span && (b[i+1] == 'n' || b[i+1] == '#') && joinerWidth(b, i, span) > 0:
				// Groups joined before it or &nbsp; (12-%33, 12&nbsp;34)
				// start the run, as for a plain digit: the block search may
				// have stopped at them or passed them over, the same.
				start := runStart(b, i, lo)
				i = max(s.number(start, min(end, start+maxSpan)), i+1)
			case mayBeEscapedAt(b, i, span):
				if w := escapedAtWidth(b, i, span); w > 0 {
					i = s.email(i, w, span)
				} else {
					i++
				}
			default:
				i++
			}
		case clsSep:
			if s.csv.table == nil && i+1 < end && !mayStartValue(b[i+1]) {
				i++ // "key":123, a=b: no labelled name or address follows
				continue
			}
			i = s.separator(i, 1, min(end, i+maxSpan))
		case clsWide:
			span := min(end, i+maxSpan)
			if i+2 >= span || b[i+1] != 0xBC { // none of U+FF00-FF3F
				i++
				continue
			}
			switch c := b[i+2]; {
			case c >= 0x90 && c <= 0x99 || c == 0x8D:
				start := runStart(b, i, lo) // groups before a digit or a hyphen, as above
				i = max(s.number(start, min(end, start+maxSpan)), i+1)
			case c == 0x9A: // full-width colon
				i = s.separator(i, 3, span)
			case c == 0xA0: // full-width ＠
				i = s.email(i, 3, span)
			default:
				i++
			}
		case clsVerb:
			i = s.verb(i, min(end, i+maxSpan))
		case clsTag:
			// Outside a followed table only <table, a header cell (<th>)
			// and a data cell (<td>: a key-value row) matter.
			if i > 0 && b[i-1] == '<' && (s.table.on || i+1 < end && (b[i+1]|0x20 == 'h' || b[i+1]|0x20 == 'a' || b[i+1]|0x20 == 'd')) {
				i = s.tag(i, min(end, i+maxSpan))
			} else {
				i++
			}
		case clsPair:
			i++
		case clsBar:
			i = s.bar(i, end)
			s.reclass(&finder, &cls, &delim, &grid)
		case clsGrid:
			if s.grid.on {
				i = s.gridByte(i, min(end, i+maxSpan))
			} else {
				i = s.bracket(i, min(end, i+maxSpan))
			}
			s.reclass(&finder, &cls, &delim, &grid)
		}
	}
	if i == limit && !final {
		// A run of digits (maybe escaped) skipped just before the limit may
		// go on after it: leave it, undecided, for the next pass. A decision
		// reads no more than maxSpan bytes, so the walk goes no further
		// back: over a longer run of spaces or hyphens the pass still moves
		// on, and a long run is not rescanned by every pass.
		for i > max(lo, limit-maxSpan) && mayBeInRun(b, i-1) {
			i--
		}
		// The letters of a passport or permit number before its digits
		// (EV, DE, G): Settled stays before the value's start.
		for k := 0; k < 2 && i > max(lo, limit-maxSpan) && b[i-1] >= 'A' && b[i-1] <= 'Z'; k++ {
			i--
		}
	}
	s.pos = max(i, s.pos)
	if final {
		s.pos = end
	}
	s.tally.flush(s.e.maxDistinct)
}

// reclass points the scan loop at the class and stop tables of the
// current state when the handler it ran opened or closed a table: delim
// and grid are the states its tables are for. Only the handlers of bars
// and tabs, escapes and brackets open or close tables.
func (s *Scanner) reclass(f *stopFinder, cls **[256]uint8, delim *byte, grid *bool) {
	if s.text.delim == *delim && s.grid.on == *grid {
		return
	}
	*delim, *grid = s.text.delim, s.grid.on
	c, stops := s.classes()
	*cls, f.cls = c, c
	f.retable(stops)
}

// classes returns the class table and stop table of the scan loop in the
// current state: a CSV body's, an array of rows', or free text's, where
// inside a '|' table every bar is a stop, inside a table of tab-separated
// rows every tab, inside a table of comma-separated rows every comma, and
// outside only a bar or tab that may open a header row.
func (s *Scanner) classes() (*[256]uint8, *stopTable) {
	switch {
	case s.csv.table != nil:
		return &s.csv.table.cls, s.csv.table.stops
	case s.grid.on:
		return &gridClass, gridStops
	}
	switch s.text.delim {
	case '|':
		return &byteClass, tableStops
	case '\t':
		return &byteClass, tabTableStops
	case ',':
		return &commaClass, commaTableStops
	}
	return &byteClass, textStops
}

// mayContinueRun reports whether b[j], right after a run of digits, may
// join it to more digits: a group joiner, an escape or the lead byte of a
// full-width digit (any other non-ASCII byte, as in 2024年, ends the run).
func mayContinueRun(b []byte, j, end int) bool {
	t := afterRun[b[j]]
	return t == afterJoiner || t == afterUnit || t == afterWide && wideJoiner(b, j, end)
}

// escapePrefix reports whether the digit at i is inside an escape
// (\u0031, %31, &#49;, &#x31;).
func escapePrefix(b []byte, i int) bool {
	if i == 0 {
		return false
	}
	switch p := b[i-1]; {
	case p == '%':
		return true
	case i > 1 && (p == 'u' && b[i-2] == '\\' || p == '#' && b[i-2] == '&' || p|0x20 == 'x' && b[i-2] == '#'):
		return true
	}
	return false
}

// mayBeInRun reports whether b[k] may belong to a run of digits in any
// spelling: digits, joiners (&nbsp; too), the characters of escapes, or a
// full-width digit.
func mayBeInRun(b []byte, k int) bool {
	switch c := b[k]; {
	case isHexLetterOrDigit(c), c == ' ', c == '-', c == '&', c == '#', c == ';', c == '%', c == '\\', c == 'u', c|0x20 == 'x',
		c == 'n', c == 's', c == 'p':
		return true
	case c >= 0x80:
		return c == 0xEF || c == 0xBC || c >= 0x90 && c <= 0x99 || c == 0xB8 || c == 0xBD ||
			c == 0xC2 || c == 0xA0 || c == 0xE3 || c == 0x80 || c == 0x8D // joiners
	}
	return false
}

// unitTail marks the bytes that may come right before the first plain digit
// of a run when the run goes on before it or the digit is inside an escape:
// the u, x, # and % of escapes, the ; ending one (or &nbsp;), the last byte
// of a joiner (space, hyphen; A0, 80 and 8D of the no-break and ideographic
// spaces and the full-width hyphen) and of a full-width digit. Not hex
// letters: no digit unit holds one (the escapes of digits and of X spell
// their code in decimal digits: \u0031, %31, &#49;, &#x31;), so a run after
// one, as in hex hashes, starts there.
var unitTail = func() (t [256]bool) {
	for c := range 256 {
		t[c] = escapeTail(byte(c)) || c == ';' || c == ' ' || c == '-' || c == 0xA0 || c == 0x80 || c == 0x8D || (c >= 0x90 && c <= 0x99)
	}
	return t
}()

// escapeCodeTail marks the bytes that may come right before the first
// plain digit of an escape's code: the u, x, # and % of escapes, and hex
// letters (\uff11, %E4, &#x4e2d;).
var escapeCodeTail = func() (t [256]bool) {
	for c := range 256 {
		t[c] = escapeTail(byte(c)) || isHexLetterOrDigit(byte(c)) && !isDigit(byte(c))
	}
	return t
}()

// escapeTail reports whether c may come right before a digit inside an
// escape: the u of \u0031, the % of %31, the # of &#49;, the x of &#x31;.
func escapeTail(c byte) bool {
	return c == 'u' || c == '%' || c == '#' || c == 'x' || c == 'X'
}

// escapeStart returns where the digit unit holding the ASCII digit at i
// starts: the backslash, percent sign or ampersand of an escape around it
// (\u0031, %31, %EF%BC%91, &#49;, &#x31;), or i itself.
func escapeStart(b []byte, i, end int) int {
	for back := min(7, i); back > 0; back-- { // the % of %EF%BC%91 is 7 back
		k := i - back
		if c := b[k]; c != '\\' && c != '%' && c != '&' {
			continue
		}
		if d, w := digitUnit(b, k, end); w > back && d != 'X' {
			return k
		}
	}
	return i
}

// mayStartValue reports whether the byte after a label separator may start
// a labelled name or address: possibly after spaces or a quote, escaped, or
// the lead byte of a raw Han character (U+4E00-U+9FFF: hanAt); no other
// byte from 0x80 does (labelledValue reads nothing there).
func mayStartValue(c byte) bool {
	return c == ' ' || c == '"' || c == '\\' || c == '%' || c >= 0xE4 && c <= 0xE9
}

// stopFinder finds the positions the scan loop must examine: class bytes,
// and a digit of every run of four or more plain digits. Runs of one to
// three plain digits (prices, counts, times) are passed over without a stop:
// every value has a group of four digits, or starts with an escape (% & \\) or
// a full-width digit, which are class bytes; runStart recovers the shorter
// groups joined before a long one. It works on 64-byte blocks with bit
// masks, keeping a block's masks while the loop stops inside it; near the
// limit it goes byte by byte and stops at every digit.
type stopFinder struct {
	b          []byte
	table      *stopTable
	kernel     kernel // how blocks are classified
	cls        *[256]uint8
	limit      int
	start      int    // first byte of the current block
	stops      uint64 // class bytes and ends of four-digit runs in the block
	digit      uint64 // digits in the block
	blockValid bool

	// The blocks classified by the last call, from batchStart to batchEnd;
	// a block at any offset in that range is read from their masks.
	batch                blockMasks
	batchStart, batchEnd int
}

// next returns the first stop at or after i.
func (f *stopFinder) next(i int) int {
	b := f.b
	if f.blockValid && i >= f.start && i < f.start+64 {
		if rest := f.stops >> (i - f.start); rest != 0 {
			return i + bits.TrailingZeros64(rest)
		}
		i = f.start + 64 // nothing more in this block
		f.load(i, f.digit)
	} else {
		f.load(i, 0)
	}
	for f.blockValid {
		if f.stops != 0 {
			return f.start + bits.TrailingZeros64(f.stops)
		}
		i = f.start + 64
		f.load(i, f.digit)
	}
	for i < f.limit && f.cls[b[i]] == clsNone {
		i++
	}
	return i
}

// retable makes the search use table from here on: the masks classified
// by the previous table are dropped.
func (f *stopFinder) retable(table *stopTable) {
	f.table = table
	f.blockValid = false
	f.batchStart, f.batchEnd = 0, 0
}

// runEnd returns where the run of digits holding the stop i ends, as far
// as the current block's digit mask tells (the block's end at most); i
// itself when the block search is past its blocks. It spares the scan loop
// a byte loop over the digits the block search has already classified.
func (f *stopFinder) runEnd(i int) int {
	if f.blockValid && i >= f.start && i < f.start+64 {
		return i + bits.TrailingZeros64(^(f.digit >> (i - f.start)))
	}
	return i
}

// load computes the masks of the block at i, carrying the digit mask of the
// block before it so runs across the boundary are seen.
func (f *stopFinder) load(i int, carry uint64) {
	f.blockValid = i+64 <= f.limit
	if !f.blockValid {
		return
	}
	f.start = i
	class, digit, pair := f.masks(i)
	// Bit k of run4: the digit at k ends four digits in a row.
	run4 := digit & (digit<<1 | carry>>63) & (digit<<2 | carry>>62) & (digit<<3 | carry>>61)
	// Bit k of pairs: a pair byte at k after another (which may end the
	// block before: read from the bytes, not carried, since that block may
	// not have been loaded).
	before := pair << 1
	if i > 0 && f.table.flags[f.b[i-1]]&flagPair != 0 {
		before |= 1
	}
	f.stops, f.digit = class|run4|pair&before, digit
}

// masks returns the class, digit and pair masks of the 64 bytes at i,
// classifying the next batch of blocks from i when they are not at hand.
func (f *stopFinder) masks(i int) (class, digit, pair uint64) {
	if i < f.batchStart || i+64 > f.batchEnd {
		n := min(batchBlocks, (f.limit-i)/64)
		f.table.classify(f.b[i:f.limit], n, &f.batch, f.kernel)
		f.batchStart, f.batchEnd = i, i+64*n
	}
	d := i - f.batchStart
	j, off := d>>6, uint(d&63)
	m := &f.batch
	if off == 0 {
		return m.class[j], m.digit[j], m.pair[j]
	}
	return m.class[j]>>off | m.class[j+1]<<(64-off),
		m.digit[j]>>off | m.digit[j+1]<<(64-off),
		m.pair[j]>>off | m.pair[j+1]<<(64-off)
}

// found counts a normalised value for detector d.
func (s *Scanner) found(d Detector, v []byte, mask func(v, out []byte) int) {
	if !s.e.enabled[d] || (s.e.allow != nil && s.e.allow(d, v)) {
		return
	}
	s.tally.add(d, s.e.hash(v), s.e.maxDistinct, s.e.samples, v, mask)
}

// labelWindow returns the text before p back to the previous field
// delimiter: the label, JSON key or form field name a value at p belongs to.
func (s *Scanner) labelWindow(p int) []byte {
	w := s.buf[max(0, p-labelMax):p]
	// Skip the separators right before the value, then stop at the previous
	// field delimiter (ASCII, or full-width ， ； 。 、).
	k := len(w)
	for k > 0 && (w[k-1] == '"' || w[k-1] == ':' || w[k-1] == '=' || w[k-1] == ' ') {
		k--
	}
	for i := k - 1; i >= 0; i-- {
		switch c := w[i]; c {
		case ',', ';', '&', '{', '}', '<', '>', '\n', '\t', '|':
			return w[i+1:]
		case '%': // the same delimiters percent-encoded, in a form field
			if i+2 < len(w) && escapedDelimiter(w[i+1], w[i+2]) {
				return w[i+3:]
			}
		case 0x8C, 0x9B: // ， ；
			if i >= 2 && w[i-1] == 0xBC && w[i-2] == 0xEF {
				return w[i+1:]
			}
		case 0x81, 0x82: // 、 。
			if i >= 2 && w[i-1] == 0x80 && w[i-2] == 0xE3 {
				return w[i+1:]
			}
		}
	}
	return w
}

// escapedDelimiter reports whether the hex digits hi, lo of a percent
// escape spell a field delimiter of labelWindow: a line break, tab, ',',
// ';', '&' or '|'.
func escapedDelimiter(hi, lo byte) bool {
	switch lo |= 0x20; hi {
	case '0':
		return lo == 'a' || lo == 'd' || lo == '9'
	case '2':
		return lo == 'c' || lo == '6'
	case '3':
		return lo == 'b'
	case '7':
		return lo == 'c'
	}
	return false
}

// hasContext reports whether a value of detector d starting at p sits under
// one of d's labels: in its CSV column's header, as the text of an HTML
// table cell its column or row header names, in its own label window, or
// as the text of a cell right after a cell naming it (a key-value row).
func (s *Scanner) hasContext(d Detector, p int) bool {
	if s.csv.table != nil {
		return s.csv.column(d)
	}
	if t := &s.table; t.cell&(1<<d) != 0 && s.base+int64(p) == t.cellAt {
		return true // the text of an HTML table cell under its label
	}
	if s.text.context(d, s.base+int64(p)) {
		return true // the text of a cell of a table inside text
	}
	if s.grid.context(d, s.base+int64(p)) {
		return true // the text of a cell of an array of rows
	}
	w := s.labelWindow(p)
	if len(w) == 0 {
		w = s.previousCell(p) // the key of a key-value row of cells
	}
	return s.e.keywords.has(d, foldCase(&s.fold, w))
}

func isDigit(c byte) bool  { return c-'0' < 10 }
func isLetter(c byte) bool { return (c|0x20)-'a' < 26 }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// lowerASCII maps an ASCII upper-case letter to lower case and leaves every
// other byte as it is.
func lowerASCII(c byte) byte {
	if c-'A' < 26 {
		return c + 'a' - 'A'
	}
	return c
}
