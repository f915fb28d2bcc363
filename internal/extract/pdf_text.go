package extract

import (
	"bytes"
	"errors"
	"io"
	"math"
	"unicode/utf8"
)

// The text of a PDF page is the string operands of the text-showing
// operators of its content stream, among operators, names and numbers
// (coordinates, matrices, colours) that look like digits. pdfText reads a
// content stream as a small lexer and emits the strings only:
//
//   - The strings of a TJ array are joined: `[(1380013)-20(8000)] TJ` is
//     one value. A kerning adjustment of pdfKernSpace thousandths of an em
//     or more to the right is a visible space and is emitted as one.
//   - Other strings are separated by a tab, and by a newline where the
//     text moves down a line (T*, ', ", Td and TD that move it vertically,
//     Tm on another baseline), so a table's rows are lines of cells.
//   - A string whose byte pairs are all plausible UCS-2 code points, and
//     that tells (see isUCS2) or whose font showed one that does, is
//     decoded as UTF-16BE: the `UniGB-UCS2-H` encoding of iText and
//     JasperReports CJK fonts, in hex or literal strings. Otherwise its
//     bytes are emitted as they are.
//
// The lexer keeps its state between reads, so the text does not depend on
// how the stream is cut; it holds at most pdfStrMax bytes of a string.

// Limits of the content stream lexer.
const (
	pdfStrMax    = 4 << 10 // string bytes decided and emitted at once
	pdfTokMax    = 32      // longest operator or number read; longer ones are neither
	pdfKernSpace = -200    // a TJ adjustment at or below it is a space
	pdfReadBuf   = 4 << 10
	pdfFontMax   = 16 // UCS-2 fonts remembered
)

// pdfLex is the lexer's state: where the next byte is.
type pdfLex uint8

const (
	lexTop     pdfLex = iota // between tokens, or in a name, number or operator
	lexLess                  // after '<': a dictionary or a hex string
	lexLiteral               // in a (literal string)
	lexEscape                // after '\' in a literal string
	lexOctal                 // in an octal escape, \ddd
	lexNewline               // after "\<CR>": a line feed is part of the break
	lexHex                   // in a <hex string>
	lexComment               // after '%', to the end of the line
	lexInline                // in the data of an inline image, up to EI
)

// pdfText is the state of one content stream's lexer.
type pdfText struct {
	x     *Extractor
	fonts *pdfHeld // logs the strings for their fonts' CMaps; nil: none
	lex   pdfLex

	depth  int  // open parentheses of the literal string
	code   byte // the octal escape's value, or the hex string's high nibble
	digits int  // digits of code read
	str    []byte
	utf    []byte // str decoded as UCS-2

	tok  [pdfTokMax]byte // the token being read
	ntok int             // its length; pdfTokMax+1 once it is too long
	last float64         // the last number read since an operator
	ops  [6]float64      // the last six numbers read, the last at the end
	size float64         // the font size of the last Tf

	// Where the text is, for the text behind CMaps (pdf_fonts.go): the
	// text matrix of the last Tm (identity after BT), the moves of Td, TD
	// and T* since, the leading, and how many strings the open TJ array
	// has shown.
	tm       [6]float64
	tdx, tdy float64
	leading  float64
	shown    int
	nums     int     // numbers read since an operator
	y        float64 // the baseline of the last Tm
	hasY     bool

	name      []byte   // the last name read: a Tf operand
	font      []byte   // the font of the text, as Tf named it
	ucs2Fonts []string // fonts seen to show UCS-2 strings, at most pdfFontMax

	array   int  // open '[' brackets
	dict    int  // open "<<" of a dictionary, two each (each '>' closes one)
	sep     byte // separator owed before the next text: 0, ' ', '\t', '\n'
	started bool // text was emitted
	ei      int  // inline image data: how much of " EI" was just read

	open             bool  // in a string (or after a '<' that may start one)
	read, done, from int64 // input bytes read, and lexed; the first of the open string whose text is not emitted
}

// pdfContent inspects a content stream as a part of its own: the strings
// it shows. A stream that ends early or does not inflate is a decode
// error; one over the limits was recorded as such.
func (x *Extractor) pdfContent(r io.Reader, held *pdfHeld) error {
	t := &pdfText{x: x, fonts: held, tm: [6]float64{1, 0, 0, 1, 0, 0}}
	x.push(&frame{held: t.held})
	defer x.pop()
	buf := x.getBuf(pdfReadBuf)
	defer x.putBuf(buf)
	x.boundary()
	defer x.boundary()
	for {
		n, err := r.Read(buf)
		t.read += int64(n)
		t.feed(buf[:n])
		if err == nil {
			continue
		}
		t.flushStr()
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, errLimit):
			return nil
		case errors.Is(err, errStopped):
			return err
		}
		x.fail(ReasonDecodeError)
		return nil
	}
}

// held is the lexer's lag: the bytes read and not lexed yet, and those
// of the open string whose text is not emitted yet.
func (t *pdfText) held() int64 {
	if t.open {
		return t.read - t.from
	}
	return t.read - t.done
}

// isPDFSpace reports whether c is PDF white space.
func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// pdfPlain marks the bytes that a run in a state goes on with: regular
// characters in a token, and in a literal string all but '\', '(' and
// ')'.
var pdfPlain = func() (t [256]struct{ token, literal bool }) {
	for c := range 256 {
		t[c].literal = c != '\\' && c != '(' && c != ')'
		t[c].token = !isPDFSpace(byte(c)) && !bytes.ContainsRune([]byte("()<>[]{}/%"), rune(c))
	}
	return t
}()

// feed lexes b, the bytes read after those lexed so far. Runs of token
// characters and of a literal string's plain bytes are taken at once;
// every other byte goes through step.
func (t *pdfText) feed(b []byte) {
	base := t.read - int64(len(b))
	for i := 0; i < len(b); {
		t.done = base + int64(i)
		j := i
		switch t.lex {
		case lexTop:
			for j < len(b) && pdfPlain[b[j]].token {
				j++
			}
			t.addToken(b[i:j])
		case lexLiteral:
			for j < len(b) && pdfPlain[b[j]].literal {
				j++
			}
			t.addStr(b[i:j])
		}
		if j > i {
			i = j
			continue
		}
		if t.step(b[i]) {
			i++
		}
	}
	t.done = t.read
}

// addToken adds the bytes of a run to the token being read.
func (t *pdfText) addToken(run []byte) {
	if t.ntok+len(run) > pdfTokMax {
		t.ntok = pdfTokMax + 1
		return
	}
	t.ntok += copy(t.tok[t.ntok:], run)
}

// step lexes one byte and reports whether it was consumed; if not, it is
// lexed again in the new state.
func (t *pdfText) step(c byte) bool {
	switch t.lex {
	case lexTop:
		t.top(c)
	case lexLess:
		if c == '<' { // a dictionary: its keys are names, its values tokens
			t.lex, t.open = lexTop, false
			t.dict += 2
			return true
		}
		t.lex, t.digits = lexHex, 0
		return false
	case lexLiteral:
		t.literal(c)
	case lexEscape:
		t.escape(c)
	case lexOctal:
		if c >= '0' && c <= '7' && t.digits < 3 {
			t.code, t.digits = t.code<<3|(c-'0'), t.digits+1
			return true
		}
		t.addByte(t.code)
		t.lex = lexLiteral
		return false
	case lexNewline:
		t.lex = lexLiteral
		return c == '\n'
	case lexHex:
		t.hexDigit(c)
	case lexComment:
		if c == '\n' || c == '\r' {
			t.lex = lexTop
		}
	case lexInline:
		t.inline(c)
	}
	return true
}

// top lexes a byte between strings that ends a token (feed takes the
// token's characters).
func (t *pdfText) top(c byte) {
	switch c {
	case '>':
		t.endToken()
		t.dict = max(t.dict-1, 0)
	case ' ', '\n', '\r', '\t', '\f', 0, ')', '{', '}':
		t.endToken()
	case '(':
		t.endToken()
		t.lex, t.depth = lexLiteral, 1
		t.open, t.from = true, t.done
	case '<':
		t.endToken()
		t.lex = lexLess
		t.open, t.from = true, t.done
	case '[':
		t.endToken()
		t.array++
		t.shown = 0
	case ']':
		t.endToken()
		t.array = max(t.array-1, 0)
		t.owe('\t')
	case '%':
		t.endToken()
		t.lex = lexComment
	case '/':
		t.endToken()
		t.tok[0], t.ntok = c, 1
	}
}

// literal lexes a byte of a literal string.
func (t *pdfText) literal(c byte) {
	switch c {
	case '\\':
		t.lex = lexEscape
		return
	case '(':
		t.depth++
	case ')':
		t.depth--
		if t.depth == 0 {
			t.endStr()
			return
		}
	}
	t.addByte(c)
}

// escapes maps the letter of an escape to its byte.
var escapes = [256]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'}

// escape lexes the byte after a backslash in a literal string.
func (t *pdfText) escape(c byte) {
	t.lex = lexLiteral
	switch {
	case c >= '0' && c <= '7':
		t.lex, t.code, t.digits = lexOctal, c-'0', 1
	case c == '\r':
		t.lex = lexNewline
	case c == '\n': // a line break that continues the string
	case escapes[c] != 0:
		t.addByte(escapes[c])
	default: // \( \) \\, and a backslash the standard says to ignore
		t.addByte(c)
	}
}

// hexDigit lexes a byte of a hex string; white space and other bytes are
// skipped.
func (t *pdfText) hexDigit(c byte) {
	if c == '>' {
		if t.digits == 1 {
			t.addByte(t.code << 4)
		}
		t.endStr()
		return
	}
	var v byte
	switch {
	case c >= '0' && c <= '9':
		v = c - '0'
	case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		v = c | 0x20 - 'a' + 10
	default:
		return
	}
	if t.digits == 0 {
		t.code, t.digits = v, 1
		return
	}
	t.addByte(t.code<<4 | v)
	t.digits = 0
}

// inline skips an inline image's data up to " EI" and white space.
func (t *pdfText) inline(c byte) {
	switch {
	case isPDFSpace(c) && t.ei == 3:
		t.lex, t.ei = lexTop, 0
	case isPDFSpace(c):
		t.ei = 1
	case c == 'E' && t.ei == 1, c == 'I' && t.ei == 2:
		t.ei++
	default:
		t.ei = 0
	}
}

// endToken ends the token being read: a number is kept as an operand, an
// operator that moves to another line owes a newline, and ID starts an
// inline image.
func (t *pdfText) endToken() {
	tok := t.tok[:min(t.ntok, pdfTokMax)]
	long := t.ntok > pdfTokMax
	t.ntok = 0
	if len(tok) == 0 || long {
		return
	}
	if tok[0] == '/' {
		t.name = append(t.name[:0], tok...)
		return
	}
	if v, ok := pdfNumber(tok); ok {
		t.last, t.nums = v, t.nums+1
		copy(t.ops[:], t.ops[1:])
		t.ops[5] = v
		if t.array > 0 && v <= pdfKernSpace {
			t.owe(' ')
		}
		return
	}
	switch string(tok) {
	case "T*", "'", `"`:
		t.owe('\n')
		t.tdy -= t.leading
	case "Td", "TD":
		if t.nums >= 2 {
			if t.last != 0 {
				t.owe('\n')
			}
			t.tdx += t.ops[4]
			t.tdy += t.ops[5]
			if string(tok) == "TD" {
				t.leading = -t.ops[5]
			}
		}
	case "TL":
		if t.nums >= 1 {
			t.leading = t.last
		}
	case "BT":
		t.tm, t.tdx, t.tdy = [6]float64{1, 0, 0, 1, 0, 0}, 0, 0
		t.dict = 0 // no dictionary spans a text object's start
	case "Tm":
		if t.nums < 6 {
			break
		}
		t.tm, t.tdx, t.tdy = t.ops, 0, 0
		switch {
		case t.hasY && math.Abs(t.last-t.y) <= 0.3*t.size*math.Hypot(t.ops[2], t.ops[3]):
			// Back on (about) the baseline of the last Tm: a newline
			// owed by a T* since (ReportLab ends every drawString with
			// one) is undone, the next cell of the row follows; a cell
			// of another font may sit a little higher or lower.
			if t.sep == '\n' {
				t.sep = '\t'
			}
		default:
			if t.hasY {
				t.owe('\n')
			}
			t.y, t.hasY = t.last, true
		}
	case "Tf":
		if t.nums >= 1 {
			t.size = max(t.last, -t.last)
		}
		t.font = append(t.font[:0], t.name...)
	case "ID":
		t.lex, t.ei = lexInline, 1
	}
	t.nums = 0
}

// pdfNumber parses an integer or real number, as PDF writes them.
func pdfNumber(tok []byte) (float64, bool) {
	neg := tok[0] == '-'
	if tok[0] == '-' || tok[0] == '+' {
		tok = tok[1:]
	}
	v, scale, digits, dot := 0.0, 1.0, 0, false
	for _, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + float64(c-'0')
			digits++
			if dot {
				scale *= 10
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v / scale, true
}

// sepRank orders the separators: a newline outranks a tab, a tab a space.
var sepRank = [256]uint8{' ': 1, '\t': 2, '\n': 3}

// owe records a separator due before the next text, unless one that
// outranks it is due.
func (t *pdfText) owe(sep byte) {
	if sepRank[sep] > sepRank[t.sep] {
		t.sep = sep
	}
}

// addStr adds bytes to the string, emitting what it holds whenever it
// is full.
func (t *pdfText) addStr(run []byte) {
	for len(run) > 0 {
		if len(t.str) == pdfStrMax {
			t.flushStr()
			t.from = t.done
		}
		k := min(pdfStrMax-len(t.str), len(run))
		t.str = append(t.str, run[:k]...)
		run = run[k:]
	}
}

// addByte adds one byte to the string.
func (t *pdfText) addByte(c byte) { t.addStr([]byte{c}) }

// endStr ends a string; one outside an array owes a separator.
func (t *pdfText) endStr() {
	t.flushStr()
	t.lex, t.open = lexTop, false
	if t.array == 0 {
		t.owe('\t')
	}
}

// flushStr emits the bytes of the string read so far, after the
// separator owed.
func (t *pdfText) flushStr() {
	if len(t.str) == 0 {
		return
	}
	text := t.str
	ucs2 := t.isUCS2()
	if ucs2 {
		t.utf = t.utf[:0]
		for i := 0; i < len(t.str); i += 2 {
			t.utf = utf8.AppendRune(t.utf, rune(t.str[i])<<8|rune(t.str[i+1]))
		}
		text = t.utf
	}
	// A string in a dictionary (a marked-content property list's
	// /ActualText) is no string shown: it is not logged.
	if t.fonts != nil && t.dict == 0 && t.fonts.logs() {
		a, b, c, d, e, f := t.tm[0], t.tm[1], t.tm[2], t.tm[3], t.tm[4], t.tm[5]
		at := placement{
			x:    e + a*t.tdx + c*t.tdy,
			y:    f + b*t.tdx + d*t.tdy,
			size: t.size * math.Hypot(a, b),
			cont: t.array > 0 && t.shown > 0,
		}
		t.fonts.logString(t.sep, t.font, t.str, at, ucs2)
		if t.array > 0 {
			t.shown++
		}
	}
	if t.sep != 0 && t.started {
		t.x.emitByte(t.sep)
	}
	t.sep, t.started = 0, true
	t.x.emit(text)
	t.str = t.str[:0]
}

// isUCS2 reports whether the string reads as UTF-16BE text: every byte
// pair a plausible code point (see plausibleUCS2), and one of them ASCII
// (a NUL byte first) or CJK with a byte outside printable ASCII, or the
// font showed such a string before. A simple font's string has no NUL
// byte, and a pair of ASCII digits (U+3030 to U+3939) is not plausible,
// so a string that holds a run of digits is never decoded; nor is a
// piece of ASCII text ("om" would be U+6F6D) unless its font showed
// UCS-2, or all its pairs are CJK-like and one holds a Latin-1 letter.
// A short CJK string ("李丽", U+674E U+4E3D, is "gNN=") is
// decoded once its font showed a string that tells.
func (t *pdfText) isUCS2() bool {
	b := t.str
	if len(b)%2 != 0 {
		return false
	}
	anchored := false
	for i := 0; i < len(b); i += 2 {
		r := rune(b[i])<<8 | rune(b[i+1])
		if !plausibleUCS2(r) {
			return false
		}
		ascii := b[i] <= '~' && b[i+1] >= ' ' && b[i+1] <= '~'
		anchored = anchored || b[i] == 0 || r >= 0x4E00 && r <= 0x9FFF && !ascii
	}
	known := false
	for _, f := range t.ucs2Fonts {
		known = known || f == string(t.font)
	}
	if anchored && !known && len(t.ucs2Fonts) < pdfFontMax {
		t.ucs2Fonts = append(t.ucs2Fonts, string(t.font))
	}
	return anchored || known
}

// plausibleUCS2 reports whether r is a code point of Chinese text:
// ASCII and Latin-1, general punctuation, CJK punctuation, the CJK
// unified ideographs, and full-width forms.
func plausibleUCS2(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return true
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xFF:
		return true
	case r >= 0x2000 && r <= 0x206F, r >= 0x3000 && r <= 0x301F:
		return true
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0xFF00 && r <= 0xFFEF:
		return true
	}
	return false
}
