package corpus

import "strings"

// The negative corpora must hold nothing an engine could count. Their
// generators draw each number-bearing token and redraw it while suspicious
// finds something in it; the tests run suspicious over every whole negative
// corpus. The checks are deliberately more lenient than an engine, so that
// passing them leaves an engine nothing to find.

// maxChain bounds how many separator-joined digit groups are tried as one
// value (an ID written 6-8-4 is three groups, +86 138 1234 5678 is four).
const maxChain = 5

// suspicious reports the offset of the first thing in b an engine might take
// for PI: a digit run, or digit groups joined by single spaces or hyphens,
// that reads as an ID, a mobile number (optionally prefixed 86 or 0086) or
// a card; an e-mail-like '@'; or a passport or travel-permit-like letter
// followed by digits.
func suspicious(b []byte) (int, bool) {
	type span struct{ start, end int }
	var chain []span
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '@' && i > 0 && i+1 < len(b) && isAlnum(b[i-1]) && isAlnum(b[i+1]):
			return i, true
		case isDocLetter(c) && i+1 < len(b) && isDigit(b[i+1]) && digitRun(b, i+1) == 8,
			(c == 'E' || c == 'e') && i+2 < len(b) && isLetter(b[i+1]) && digitRun(b, i+2) == 7:
			return i, true
		case isDigit(c):
			end := i + digitRun(b, i)
			if end < len(b) && (b[end] == 'X' || b[end] == 'x') {
				end++
			}
			if len(chain) > 0 && !(i-chain[len(chain)-1].end == 1 && isJoiner(b[i-1])) {
				chain = chain[:0]
			}
			chain = append(chain, span{i, end})
			if len(chain) > maxChain {
				chain = chain[1:]
			}
			// Try every suffix of the chain that ends with this group.
			var joined []byte
			for k := len(chain) - 1; k >= 0; k-- {
				g := chain[k]
				joined = append(append([]byte(nil), b[g.start:g.end]...), joined...)
				if plausibleRun(string(joined)) {
					return g.start, true
				}
			}
			i = end
			continue
		}
		i++
	}
	return 0, false
}

// safeText reports whether suspicious finds nothing in s.
func safeText(s string) bool {
	_, bad := suspicious([]byte(s))
	return !bad
}

// plausibleRun reports whether the digit string s could be read as PI.
func plausibleRun(s string) bool {
	return ValidResidentID(s) || ValidResidentID15(s) || mobileLike(s) || cardLike(s)
}

// mobileLike reports whether s is 1[3-9] and nine more digits, alone or after
// 86 or 0086, whether or not the segment is allocated.
func mobileLike(s string) bool {
	for _, p := range []string{"", "86", "0086"} {
		if len(s) == len(p)+11 && strings.HasPrefix(s, p) && isDigits(s) && s[len(p)] == '1' && s[len(p)+1] >= '3' {
			return true
		}
	}
	return false
}

// cardLike reports whether s is a Luhn-valid 13-19 digit number whose first
// digits belong to a card network (2221-2720, 3, 4, 5, 6, 8 or 9).
func cardLike(s string) bool {
	if len(s) < 13 || len(s) > 19 || !Luhn(s) {
		return false
	}
	switch s[0] {
	case '3', '4', '5', '6', '8', '9':
		return true
	case '2':
		return s[:4] >= "2221" && s[:4] <= "2720"
	}
	return false
}

// digitRun returns the number of ASCII digits at the start of b[i:].
func digitRun(b []byte, i int) int {
	n := 0
	for i+n < len(b) && isDigit(b[i+n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// isJoiner reports whether c may separate the digit groups of one value.
func isJoiner(c byte) bool { return c == ' ' || c == '-' }

// isDocLetter reports whether c starts a passport (E, G) or travel permit
// (H, M) number, in either case.
func isDocLetter(c byte) bool { return strings.IndexByte("EGHMeghm", c) >= 0 }
