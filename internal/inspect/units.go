package inspect

import "unicode/utf8"

// Text on the wire hides characters in several spellings: JSON \uXXXX
// escapes, percent-encoding, HTML numeric entities and full-width forms. The
// unit readers below decode one character at b[j] in any of these spellings
// without copying, so labels and values are found without decoding the body.

// digitUnit reads a digit or an ID check letter at b[j:end]. It returns the
// ASCII digit or 'X' and its width on the wire, or width 0.
func digitUnit(b []byte, j, end int) (byte, int) {
	c := b[j]
	if isDigit(c) {
		return c, 1
	}
	switch c {
	case 'X', 'x':
		return 'X', 1
	case 0xEF: // full-width ０-９, Ｘ, ｘ
		if j+2 < end {
			switch {
			case b[j+1] == 0xBC && b[j+2] >= 0x90 && b[j+2] <= 0x99:
				return '0' + b[j+2] - 0x90, 3
			case b[j+1] == 0xBC && b[j+2] == 0xB8, b[j+1] == 0xBD && b[j+2] == 0x98:
				return 'X', 3
			}
		}
	case '\\', '%', '&':
		// An escaped digit or check letter, ASCII or full-width (\u0031,
		// \uff11, %EF%BC%91, &#65297;).
		r, w := escapedUnit(b, j, end)
		switch {
		case w == 0:
		case r >= '0' && r <= '9':
			return byte(r), w
		case r >= '０' && r <= '９':
			return byte(r-'０') + '0', w
		case r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ':
			return 'X', w
		}
	}
	return 0, 0
}

// isWideDigit reports whether r is a full-width digit or check letter
// (０-９, Ｘ, ｘ).
func isWideDigit(r rune) bool { return r >= '０' && r <= '９' || r == 'Ｘ' || r == 'ｘ' }

// escapedUnit decodes the escape at b[j]: \uXXXX, %XX (a whole UTF-8
// sequence of them), &#NNN; or &#xHH;. Width 0 means no escape starts there.
func escapedUnit(b []byte, j, end int) (rune, int) {
	switch b[j] {
	case '\\':
		if j+5 < end && b[j+1] == 'u' {
			v, ok := hexValue(b[j+2 : j+6])
			if ok {
				return rune(v), 6
			}
		}
	case '%':
		return percentRune(b, j, end)
	case '&':
		return entityRune(b, j, end)
	}
	return 0, 0
}

// percentRune decodes %XX, or a run of %XX forming one UTF-8 character.
func percentRune(b []byte, j, end int) (rune, int) {
	var seq [utf8.UTFMax]byte
	n := 0
	for k := j; n < len(seq) && k+2 < end && b[k] == '%'; k += 3 {
		v, ok := hexValue(b[k+1 : k+3])
		if !ok {
			break
		}
		seq[n] = byte(v)
		n++
		if n == 1 && v < 0x80 {
			return rune(v), 3
		}
		if utf8.FullRune(seq[:n]) {
			r, size := utf8.DecodeRune(seq[:n])
			if r == utf8.RuneError && size <= 1 {
				return 0, 0
			}
			return r, 3 * n
		}
	}
	return 0, 0
}

// entityRune decodes an HTML numeric character reference.
func entityRune(b []byte, j, end int) (rune, int) {
	k := j + 2
	if k >= end || b[j+1] != '#' {
		return 0, 0
	}
	hex := b[k] == 'x' || b[k] == 'X'
	if hex {
		k++
	}
	v, digits := 0, 0
	for ; k < end && digits < 7; k++ {
		c := b[k]
		d, ok := hexDigit(c)
		if !ok || (!hex && d > 9) {
			break
		}
		if hex {
			v = v*16 + d
		} else {
			v = v*10 + d
		}
		digits++
	}
	if digits == 0 || k >= end || b[k] != ';' || v > utf8.MaxRune {
		return 0, 0
	}
	return rune(v), k + 1 - j
}

// runeUnit reads one character at b[j:end] in any spelling.
func runeUnit(b []byte, j, end int) (rune, int) {
	c := b[j]
	if c < utf8.RuneSelf {
		if c == '\\' || c == '%' || c == '&' {
			if r, w := escapedUnit(b, j, end); w > 0 {
				return r, w
			}
			// \\uXXXX: a \u escape in JSON inside a JSON string (names
			// and addresses only: digits are read one level down).
			if c == '\\' && j+1 < end && b[j+1] == '\\' {
				if r, w := escapedUnit(b, j+1, end); w == 6 {
					return r, 7
				}
			}
		}
		return rune(c), 1
	}
	return utf8.DecodeRune(b[j:end])
}

func hexValue(h []byte) (int, bool) {
	v := 0
	for _, c := range h {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		v = v*16 + d
	}
	return v, true
}

func hexDigit(c byte) (int, bool) {
	switch {
	case isDigit(c):
		return int(c - '0'), true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10, true
	}
	return 0, false
}
