package inspect

import "unicode/utf8"

// Numeric candidates. The scan loop stops at the first digit of a run (or the
// first byte of an escaped or full-width digit); number parses the whole run
// into groups joined by single joiners (joinerWidth), checks its boundaries,
// and matches the group layouts of the numeric detectors. Only a checksum, an
// allocation table or (for weak formats) a label confirms a value.

const (
	maxGroups      = 12 // groups examined in one run; longer runs restart
	maxGroupDigits = 24 // a longer group is no identifier: the run is skipped
)

// numberRun is one run of digit groups.
type numberRun struct {
	n      int                              // groups
	digits [maxGroups * maxGroupDigits]byte // all digits, group after group
	off    [maxGroups + 1]int               // group k is digits[off[k]:off[k+1]]
	start  [maxGroups]int                   // buf index of each group's first unit
	end    int                              // buf index just past the run
	first  bool                             // group 0 may count (its left boundary is clean)
	last   bool                             // the last group may count (its right boundary is clean)
	plus   bool                             // a '+' precedes the run
	letter [2]byte                          // letters glued before group 0 (documents)
	nlet   int                              //
}

// minValueDigits is the fewest digits of any numeric value (a Taiwan permit).
const minValueDigits = 7

// reset clears a run for reuse; digits and starts are overwritten as read.
func (r *numberRun) reset() {
	r.n, r.off[0], r.end = 0, 0, 0
	r.first, r.last, r.plus, r.nlet = false, false, false, 0
}

func (r *numberRun) group(k int) []byte { return r.digits[r.off[k]:r.off[k+1]] }
func (r *numberRun) glen(k int) int     { return r.off[k+1] - r.off[k] }

// number handles the run whose first unit is at or just after i and returns
// where scanning resumes.
func (s *Scanner) number(i, end int) int {
	b := s.buf
	if isDigit(b[i]) {
		j := i + 1
		for j < end && isDigit(b[j]) {
			j++
		}
		if resume, ok := s.plainNumber(i, j, end); ok {
			return resume
		}
	}
	return s.generalNumber(i, end)
}

// generalNumber is number for any run: escaped, full-width or grouped
// digits, check letters and document letters.
func (s *Scanner) generalNumber(i, end int) int {
	b := s.buf
	start, ok := unitStart(b, i, end)
	if !ok {
		return i + 1
	}
	run := &s.run
	run.reset()
	resume := s.parseRun(run, start, end)
	if run.off[run.n] >= minValueDigits {
		s.matchRun(run)
	}
	return resume
}

// plainNumber is the fast path for the common case: a lone run of ASCII
// digits b[i:j] (j is where the plain digits end), not escaped, not grouped
// and not followed by a check letter. It decides the run in place and
// reports false when the general parser must.
func (s *Scanner) plainNumber(i, j, end int) (int, bool) {
	b := s.buf
	if i > 0 {
		switch p := b[i-1]; {
		case p == '%' || p == '+',
			p == 'u' && i > 1 && b[i-2] == '\\',
			p == '#' && i > 1 && b[i-2] == '&',
			p|0x20 == 'x' && i > 1 && b[i-2] == '#':
			return 0, false // an escape or a country code
		}
	}
	if j < end {
		switch c := b[j]; {
		case c == ' ' || c == '-':
			if j+1 < end && mayLeadUnit(b[j+1]) {
				return 0, false // maybe a full-width or escaped digit
			}
			if j+1 < end && isDigit(b[j+1]) {
				return groupedLayoutEnd(b, i, end)
			}
		case afterRun[c] >= afterUnit || afterRun[c] == afterWide && wideJoiner(b, j, end):
			// Check letter, full-width digit, escape or another joiner. Of
			// the non-ASCII bytes only 0xEF, C2 and E3 lead a digit or a
			// joiner; any other (年, 元) ends the run.
			return 0, false
		}
	}
	switch j - i {
	case 8, 11, 13, 15, 16, 17, 18, 19:
	case 7, 10:
		if i == 0 || !isLetter(b[i-1]) {
			return j, true
		}
		// Maybe a passport or permit number: decided below.
	default:
		if i > 0 && isLetter(b[i-1]) && j-i < 12 {
			return 0, false
		}
		return j, true // no identifier has this many digits
	}
	run := &s.run
	run.reset()
	if !s.leftBoundary(run, i) || run.plus || !rightBoundary(b, j, end) {
		if run.nlet > 0 {
			return 0, false
		}
		return j, true
	}
	if run.nlet > 0 {
		if j < end && (b[j] == ' ' || b[j] == '-') {
			return 0, false // a group may follow (the other joiners returned above)
		}
		// Letters and one lone run: all the general parser would try is
		// a passport or permit number.
		s.document(run.letter[:run.nlet], b[i:j], i)
		return j, true
	}
	s.single(b[i:j], i, true)
	return j, true
}

// groupedLayoutEnd looks ahead over plain ASCII groups joined by single
// spaces or hyphens. When no group is long enough to be a value and no two
// neighbours start a grouped layout (6-8, 3-4, 4-4, 6-10+, 2/4-3, 2/4-11),
// the whole run is skipped; otherwise (and at any other joiner) the general
// parser decides it.
func groupedLayoutEnd(b []byte, i, end int) (int, bool) {
	prev, j := 0, i
	for n := 0; n < maxGroups; n++ {
		g := j
		for j < end && isDigit(b[j]) {
			j++
		}
		l := j - g
		switch {
		case l >= minValueDigits,
			prev == 6 && (l == 8 || l >= 10),
			prev == 3 && l == 4,
			prev == 4 && (l == 4 || l == 3 || l == 11),
			prev == 2 && (l == 3 || l == 11):
			return 0, false
		}
		if j+1 >= end || (b[j] != ' ' && b[j] != '-') || !isDigit(b[j+1]) {
			if j < end && (b[j] == 'X' || b[j] == 'x' || mayLeadUnit(b[j]) || wideJoiner(b, j, end)) {
				return 0, false // a check letter, a digit in another spelling or another joiner
			}
			if j+1 < end && (b[j] == ' ' || b[j] == '-') && mayLeadUnit(b[j+1]) {
				return 0, false // a joined group in another spelling
			}
			return j, true
		}
		prev = l
		j++
	}
	return 0, false
}

// mayLeadUnit reports whether c may start a digit unit that is no plain
// digit: an escape or a full-width digit.
func mayLeadUnit(c byte) bool { return c == 0xEF || c == '\\' || c == '%' || c == '&' }

// joinerWidth returns the width of the group joiner at b[j:end], or 0: a
// space or a hyphen; a no-break space (C2 A0, or &nbsp;, &#160;, &#xa0; in
// HTML), as in numbers copied from a web page; the ideographic space (E3 80
// 80) and the full-width hyphen (EF BC 8D) a Chinese input method types in
// full-width mode (or their character references).
func joinerWidth(b []byte, j, end int) int {
	switch b[j] {
	case ' ', '-':
		return 1
	case 0xC2:
		if j+1 < end && b[j+1] == 0xA0 {
			return 2
		}
	case 0xE3:
		if j+2 < end && b[j+1] == 0x80 && b[j+2] == 0x80 {
			return 3
		}
	case 0xEF:
		if fullWidthHyphen(b, j, end) {
			return 3
		}
	case '&':
		if j+5 < end && string(b[j+1:j+6]) == "nbsp;" {
			return 6
		}
		if r, w := entityRune(b, j, end); r == '\u00a0' || r == '\u3000' || r == '\uff0d' {
			return w
		}
	}
	return 0
}

// wideJoinerEndingAt returns the width of the joiner other than ' ' and '-'
// that ends just before p and starts at or after lo, or 0.
func wideJoinerEndingAt(b []byte, p, lo int) int {
	w := 0
	switch b[p-1] {
	case 0xA0:
		w = 2
	case 0x80, 0x8D:
		w = 3
	case ';': // &nbsp; &#160; ... &#x000a0; (entityRune reads up to seven digits)
		for k := p - 6; k >= max(lo, p-11); k-- {
			if b[k] == '&' {
				w = p - k
				break
			}
		}
	}
	if w > 0 && p-w >= lo && joinerWidth(b, p-w, p) == w {
		return w
	}
	return 0
}

// fullWidthHyphen reports whether the full-width hyphen (EF BC 8D) starts
// at b[k] and ends before end; k may be negative.
func fullWidthHyphen(b []byte, k, end int) bool {
	return k >= 0 && k+2 < end && b[k] == 0xEF && b[k+1] == 0xBC && b[k+2] == 0x8D
}

// What may come right after a run of plain digits (afterRun), for the
// fast paths: nothing of the run (0, most bytes), a joiner of ASCII groups,
// a byte that may start a no-break or ideographic space (wideJoiner), a
// byte that may start a digit unit in another spelling, the full-width
// hyphen or &nbsp;, or a check letter. A lookup, not a chain of compares:
// every run of four or more digits is looked at.
const (
	afterJoiner = 1 + iota // ' ' '-'
	afterWide              // 0xC2 0xE3
	afterUnit              // 0xEF '\\' '%' '&'
	afterCheck             // 'X' 'x'
)

// afterRun classifies bytes by what they may do after a run of digits.
var afterRun = func() (t [256]uint8) {
	t[' '], t['-'] = afterJoiner, afterJoiner
	t[0xC2], t[0xE3] = afterWide, afterWide
	t[0xEF], t['\\'], t['%'], t['&'] = afterUnit, afterUnit, afterUnit, afterUnit
	t['X'], t['x'] = afterCheck, afterCheck
	return t
}()

// wideTail marks the last bytes of the joiners other than ' ' and '-' for
// runStart: A0, 80, 8D and the ';' of &nbsp; or &#160;.
var wideTail = func() (t [256]bool) {
	t[0xA0], t[0x80], t[0x8D], t[';'] = true, true, true, true
	return t
}()

// wideJoiner reports whether a no-break space (C2 A0) or an ideographic
// space (E3 80 80) starts at b[j] (and three bytes fit before end): the
// joiners whose first byte leads no digit unit, so the fast paths that pass
// other non-ASCII bytes by (and send a run on at 0xEF or '&', which also
// lead the full-width hyphen and &nbsp;) must look at them. It is inlined
// there: a run before 。 or 、 (E3 80 82, E3 80 81) is common.
func wideJoiner(b []byte, j, end int) bool {
	return j+2 < end && (b[j] == 0xC2 && b[j+1] == 0xA0 || b[j] == 0xE3 && b[j+1] == 0x80 && b[j+2] == 0x80)
}

// runStart walks back from the digit unit at i over the digit units and
// single joiners before it, but not before lo (where scanning resumed: the
// bytes before it are decided). It returns where the run really starts.
func runStart(b []byte, i, lo int) int {
	p := i
	for p > lo {
		if w := unitEndingAt(b, p, lo); w > 0 {
			p -= w
			continue
		}
		if p-1 > lo && (b[p-1] == ' ' || b[p-1] == '-') && unitEndingAt(b, p-1, lo) > 0 {
			p--
			continue
		}
		if wideTail[b[p-1]] { // out of line: rare
			if w := wideJoinerEndingAt(b, p, lo); w > 0 && p-w > lo && unitEndingAt(b, p-w, lo) > 0 {
				p -= w
				continue
			}
		}
		break
	}
	return p
}

// unitEndingAt returns the width of the digit unit that ends just before p
// and starts at or after lo, or 0. A plain digit that belongs to an escape
// of something else (the 0 of %0A, the 4 of \u4e2d) is no digit unit.
func unitEndingAt(b []byte, p, lo int) int {
	// The shapes of the escapes: \u0031 or \uff11 (6), %EF%BC%91 (9), %31
	// or a full-width digit (3), a character reference up to its '&' (at
	// most &#x0000031;, 11). Only a shape that fits is decoded.
	switch c := b[p-1]; {
	case isDigit(c):
		switch {
		case p-6 >= lo && b[p-6] == '\\' && unitWidth(b, p-6, p) == 6:
			return 6
		case p-3 >= lo && (b[p-3] == '%' || b[p-3] == 0xEF) && unitWidth(b, p-3, p) == 3:
			return 3
		case p-9 >= lo && b[p-9] == '%' && unitWidth(b, p-9, p) == 9:
			return 9
		case insideEscape(b, p-1):
			return 0
		}
		return 1
	case c == ';':
		for k := p - 4; k >= max(lo, p-11); k-- {
			if b[k] == '&' {
				if unitWidth(b, k, p) == p-k {
					return p - k
				}
				break
			}
		}
	case c >= 0x80:
		if p-3 >= lo && b[p-3] == 0xEF && unitWidth(b, p-3, p) == 3 {
			return 3
		}
	}
	return 0
}

// unitWidth returns the width of the digit unit at b[j:end], or 0.
func unitWidth(b []byte, j, end int) int {
	_, w := digitUnit(b, j, end)
	return w
}

// insideEscape reports whether the plain character at q is part of an
// escape's code (the 4 of \u4e2d, the 1 of %91).
func insideEscape(b []byte, q int) bool {
	_, w := escapeAround(b, q)
	return w > 0
}

// escapeAround returns the start and width of the escape (%XX, \uXXXX,
// &#...;) whose code holds the plain character at q, or width 0; a %XX that
// ends a percent-encoded full-width digit (%EF%BC%91) is that whole digit. It may look
// before the scan position: the escape's first byte can have been passed
// over already. Only a whole, valid escape holds a character: the digits of
// \u86- or %3 are plain.
func escapeAround(b []byte, q int) (int, int) {
	// Step back over the hex digits of the code before q (at most six, in
	// a seven-digit entity), then see whether an escape starts there.
	m := q - 1
	for m >= 0 && q-m <= 7 && hexByte[b[m]] {
		m--
	}
	if m < 0 {
		return 0, 0
	}
	k := m // the first byte of the escape
	switch c := b[m]; {
	case c == '%': // one byte, whatever the bytes around it (%E4%B8%AD)
		if q-m > 2 || m+2 >= len(b) || !hexByte[b[m+2]] {
			return 0, 0
		}
		if m >= 6 && b[m-6] == '%' && unitWidth(b, m-6, len(b)) == 9 {
			return m - 6, 9 // the last byte of a full-width digit (%EF%BC%91)
		}
		return m, 3
	case c == 'u':
		if k--; k < 0 || b[k] != '\\' || q-k > 5 {
			return 0, 0
		}
	case c == '#':
		k--
	case c|0x20 == 'x':
		if k -= 2; k < 0 || b[k+1] != '#' {
			return 0, 0
		}
	default:
		return 0, 0
	}
	if k < 0 {
		return 0, 0
	}
	if _, w := escapedUnit(b, k, len(b)); w > q-k {
		return k, w
	}
	return 0, 0
}

// hexByte marks the hex digits.
var hexByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isHexLetterOrDigit(byte(c))
	}
	return t
}()

func isHexLetterOrDigit(c byte) bool { _, ok := hexDigit(c); return ok }

// unitStart finds where the digit unit containing b[i] begins: the digit
// itself, or the backslash, percent sign or ampersand of a whole escape
// around it (the 6 of \u6 or &#6 is a plain digit).
func unitStart(b []byte, i, end int) (int, bool) {
	j := i
	if isDigit(b[i]) {
		if k, w := escapeAround(b, i); w > 0 {
			j = k
		}
	}
	c, w := digitUnit(b, j, end)
	return j, w > 0 && c != 'X'
}

// parseRun reads groups from start and returns where scanning resumes.
func (s *Scanner) parseRun(r *numberRun, start, end int) int {
	b := s.buf
	r.first = s.leftBoundary(r, start)
	j := start
	for {
		k := r.n
		r.start[k] = j
		r.off[k+1] = r.off[k]
		nd := 0
		for j < end {
			if c := b[j]; isDigit(c) && nd < maxGroupDigits { // fast path: ASCII digits
				r.digits[r.off[k+1]] = c
				r.off[k+1]++
				nd++
				j++
				continue
			}
			c, w := digitUnit(b, j, end)
			if w == 0 {
				break
			}
			if c == 'X' {
				// The check character ends an 18-digit number or a 6-8-4 group.
				if nd == 17 || (nd == 3 && k >= 2 && r.glen(k-1) == 8 && r.glen(k-2) == 6) {
					r.digits[r.off[k+1]] = 'X'
					r.off[k+1]++
					j += w
				}
				break
			}
			if nd == maxGroupDigits {
				// Far too long for any identifier; the groups before it
				// ended at a separator and may still count.
				r.last = true
				return s.skipRun(j, end)
			}
			r.digits[r.off[k+1]] = c
			r.off[k+1]++
			nd++
			j += w
		}
		r.n, r.end = r.n+1, j
		if r.n == maxGroups || j >= end || b[j-1] == 'X' || b[j-1] == 'x' {
			break
		}
		jw := 0 // the joiner's width: ' ' and '-' inline, the others (rare) out of line
		if t := afterRun[b[j]]; t == afterJoiner {
			jw = 1
		} else if t != 0 && (t == afterWide && wideJoiner(b, j, end) || b[j] == '&' || fullWidthHyphen(b, j, end)) {
			jw = joinerWidth(b, j, end)
		}
		if jw == 0 || j+jw >= end || unitWidth(b, j+jw, end) == 0 || b[j+jw] == 'X' || b[j+jw] == 'x' {
			break
		}
		j += jw
	}
	r.last = rightBoundary(b, r.end, end)
	if r.n == maxGroups && r.end < end {
		if jw := joinerWidth(b, r.end, end); jw > 0 && r.end+jw < end {
			// Long table of numbers: decide the first groups now and
			// resume at a group boundary so a layout is never cut in the
			// middle.
			r.n = maxGroups - 4
			r.last = true
			return r.start[r.n]
		}
	}
	return r.end
}

// skipRun moves past the rest of an over-long run of digits.
func (s *Scanner) skipRun(j, end int) int {
	for j < end {
		if _, w := digitUnit(s.buf, j, end); w > 0 {
			j += w
			continue
		}
		break
	}
	return j
}

// leftBoundary inspects what precedes a run: it must not continue a number
// or a word, except for a '+' country-code sign and the letters of a passport
// or permit number, which stand alone or after a JSON escape of a line break
// or tab (a row of cells pasted into a JSON string: "...\tEA1234567\n").
func (s *Scanner) leftBoundary(r *numberRun, start int) bool {
	b := s.buf
	if start == 0 {
		return true
	}
	p := b[start-1]
	if p == ';' || isHexLetterOrDigit(p) { // how every escape ends
		// An escaped character before the run (%2C, \u624b, &#49;,
		// \uff11) is judged as the character it stands for.
		if c, w := escapeBefore(b, start); w > 0 {
			return wordEdge(c)
		}
	}
	switch {
	case p >= 0x80: // a full-width digit or check letter continues the run
		// Only a unit that ends at start: the X of 1234X before a no-break
		// space (X C2 A0) is a unit of width 1, and the run after it stands
		// alone as after a space.
		return start < 3 || unitWidth(b, start-3, start) != 3
	case isDigit(p):
		return false
	case p == '.':
		return start < 2 || !isDigit(b[start-2]) // the decimals of a number
	case p == '-': // a code such as a UUID
		return start < 2 || !isAlnum(b[start-2])
	case p == '_': // a code such as order_2024 or id__2024, not 张三_110101...
		return start < 2 || !isAlnum(b[start-2]) && b[start-2] != '_'
	case p == '+':
		r.plus = true
		return true
	case isLetter(p):
		if jsonBreak(b, start-1) {
			return true // a list typed into a text area: "13800138000\n13900139000"
		}
		k := start - 1
		for k >= 0 && start-k <= 3 && b[k] >= 'A' && b[k] <= 'Z' {
			k--
		}
		n := start - 1 - k
		for n > 0 && !lettersAlone(b, start-n) {
			n-- // the hex letter of an escape (%0AEA1234567) is no letter of the number
		}
		if n == 0 || n > 2 {
			return false
		}
		copy(r.letter[:], b[start-n:start])
		r.nlet = n
		return true
	}
	return true
}

// lettersAlone reports whether the letters of a document number that start
// at p stand alone: no letter, digit or '_' before them, unless it ends a
// JSON break or an escape of a character that is no part of a word (a
// spreadsheet row in a form field: %09EA1234567, %20E12345678).
func lettersAlone(b []byte, p int) bool {
	if p == 0 {
		return true
	}
	if c := b[p-1]; !isAlnum(c) && c != '_' || jsonBreak(b, p-1) {
		return true
	}
	r, w := escapeBefore(b, p)
	return w > 0 && wordEdge(r)
}

// jsonBreak reports whether the letter at i ends a JSON or JavaScript
// escape of a line break or a tab (\n, \r, \t), which separates values
// like the character it stands for, or the same escape inside a JSON
// string that holds JSON (\\n, \\t: an agent's tool-call arguments).
func jsonBreak(b []byte, i int) bool {
	switch b[i] {
	case 'n', 'r', 't':
		return i > 0 && b[i-1] == '\\'
	}
	return false
}

// escapeBefore decodes the escape that ends just before p: %XX (or a run of
// them forming one UTF-8 character), \uXXXX, or a numeric character
// reference. Width 0 means none ends there.
func escapeBefore(b []byte, p int) (rune, int) {
	if p >= 6 && b[p-6] == '\\' {
		if r, w := escapedUnit(b, p-6, p); w == 6 {
			return r, 6
		}
	}
	if b[p-1] == ';' {
		for k := p - 4; k >= max(0, p-12); k-- {
			if b[k] == '&' {
				if r, w := entityRune(b, k, p); k+w == p {
					return r, w
				}
				break
			}
		}
	}
	for n := 1; n <= utf8.UTFMax && p >= 3*n; n++ {
		k := p - 3*n
		if b[k] != '%' {
			break
		}
		if r, w := percentRune(b, k, p); w == 3*n {
			return r, w
		}
	}
	return 0, 0
}

// wordEdge reports whether the character r (decoded from an escape) may
// stand next to a value: no ASCII letter, digit or '_', and no full-width
// digit or check letter.
func wordEdge(r rune) bool {
	if r >= utf8.RuneSelf {
		return !isWideDigit(r)
	}
	return !(isAlnum(byte(r)) || r == '_')
}

// rightBoundary reports whether the run ending at j stands alone.
func rightBoundary(b []byte, j, end int) bool {
	if j >= end {
		return true
	}
	c := b[j]
	if c == '\\' || c == '%' || c == '&' {
		if r, w := escapedUnit(b, j, end); w > 0 {
			return wordEdge(r) && r != '@'
		}
	}
	switch {
	case c == 0xEF: // a full-width check letter after a run ends no value
		return unitWidth(b, j, end) == 0
	case isAlnum(c) || c == '@':
		return false
	case c == '-': // a code such as a UUID
		return j+1 >= end || !isAlnum(b[j+1])
	case c == '_': // a code such as 2024__v2, not 110101..._张三
		return j+1 >= end || !isAlnum(b[j+1]) && b[j+1] != '_'
	case c == '.':
		return j+1 >= end || !isDigit(b[j+1]) // a number with decimals
	}
	return true
}

// matchRun counts the identifiers in a run, trying grouped layouts first.
func (s *Scanner) matchRun(r *numberRun) {
	for k := 0; k < r.n; {
		if used := s.matchAt(r, k); used > 0 {
			k += used
			continue
		}
		k++
	}
}

// usable reports whether groups k..k+n-1 may form a value.
func (r *numberRun) usable(k, n int) bool {
	return (k > 0 || (r.first && r.nlet == 0)) && (k+n < r.n || r.last)
}

// layout reports whether the groups from k have exactly the given lengths.
func (r *numberRun) layout(k int, lens ...int) bool {
	if k+len(lens) > r.n || !r.usable(k, len(lens)) {
		return false
	}
	for i, l := range lens {
		if r.glen(k+i) != l {
			return false
		}
	}
	return true
}

// joined returns the digits of groups k..k+n-1 as one string.
func (r *numberRun) joined(k, n int) []byte { return r.digits[r.off[k]:r.off[k+n]] }

// matchAt tries every layout at group k and returns the groups it used.
func (s *Scanner) matchAt(r *numberRun, k int) int {
	if r.n == 1 && r.nlet == 0 { // the common case: one ungrouped run
		if r.first && r.last {
			s.single(r.group(0), r.start[0], true)
			return 1
		}
		return 0
	}
	if k == 0 && r.nlet > 0 {
		if r.first && (r.n > 1 || r.last) && s.document(r.letter[:r.nlet], r.group(0), r.start[0]) {
			return 1
		}
		return 0
	}
	switch {
	case r.layout(k, 6, 8, 4) && s.residentID(r.joined(k, 3)):
		return 3
	case (r.layout(k, 2, 3, 4, 4) || r.layout(k, 4, 3, 4, 4)) && countryCode(r.group(k)) && s.mobile(r.joined(k+1, 3)):
		return 4
	case (r.layout(k, 2, 11) || r.layout(k, 4, 11)) && countryCode(r.group(k)) && s.mobile(r.group(k+1)):
		return 2
	case r.layout(k, 3, 4, 4) && s.mobile(r.joined(k, 3)):
		return 3
	}
	for _, n := range [...]int{5, 4, 2} {
		if s.groupedCard(r, k, n) {
			return n
		}
	}
	if r.usable(k, 1) && s.single(r.group(k), r.start[k], false) {
		return 1
	}
	return 0
}

// groupedCard matches cards written 4-4-4-4, 4-4-4-4-x or 6-13.
func (s *Scanner) groupedCard(r *numberRun, k, n int) bool {
	if k+n > r.n || !r.usable(k, n) {
		return false
	}
	switch n {
	case 2:
		if r.glen(k) != 6 || r.glen(k+1) < 10 || r.glen(k+1) > 13 {
			return false
		}
	default:
		for i := range 4 {
			if r.glen(k+i) != 4 {
				return false
			}
		}
		if n == 5 && (r.glen(k+4) < 1 || r.glen(k+4) > 3) {
			return false
		}
	}
	return s.card(r.joined(k, n), r.start[k])
}

func countryCode(g []byte) bool { return string(g) == "86" || string(g) == "0086" }

// single matches one group of digits; alone says no other group is joined
// to it (an 8-digit permit number is never part of 021-55667788).
func (s *Scanner) single(d []byte, at int, alone bool) bool {
	switch len(d) {
	case 18:
		if s.residentID(d) {
			return true
		}
		return s.card(d, at)
	case 15:
		if s.residentID15(d) {
			return true
		}
		return string(d[:4]) == "0086" && s.mobile(d[4:])
	case 11:
		return s.mobile(d)
	case 13:
		return string(d[:2]) == "86" && s.mobile(d[2:])
	case 16, 17, 19:
		return s.card(d, at)
	case 8:
		return alone && s.document(nil, d, at)
	}
	return false
}

func (s *Scanner) residentID(d []byte) bool {
	if !s.e.validResidentID18(d) {
		return false
	}
	s.found(ResidentID, d, maskResidentID)
	return true
}

func (s *Scanner) residentID15(d []byte) bool {
	if !s.e.upgradeResidentID15(d, &s.num) {
		return false
	}
	s.found(ResidentID, s.num[:], maskResidentID)
	return true
}

func (s *Scanner) mobile(d []byte) bool {
	if !validMobile(d) {
		return false
	}
	s.found(Mobile, d, maskMobile)
	return true
}

func (s *Scanner) card(d []byte, at int) bool {
	switch classifyCard(d) {
	case strongCard:
	case weakCard:
		if !s.hasContext(BankCard, at) {
			return false
		}
	default:
		return false
	}
	s.found(BankCard, d, maskBankCard)
	return true
}

// document matches passport and travel-permit numbers, which count only
// under their labels.
func (s *Scanner) document(letters, d []byte, at int) bool {
	det, ok := classifyDocument(letters, len(d))
	if !ok || len(letters) == 0 && calendarDate(d) {
		return false
	}
	label := at - len(letters)
	if !s.hasContext(det, label) {
		return false
	}
	n := copy(s.val[:], letters)
	n += copy(s.val[n:], d)
	s.found(det, s.val[:n], maskDocument)
	return true
}
