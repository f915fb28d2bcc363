package inspect

import "bytes"

// E-mail addresses.
//
// Accepted: local part of letters, digits and . _ % + - (1-64 bytes, not
// starting or ending with a dot), '@' (or %40 in form bodies), and a domain of
// at least two dot-separated labels of letters, digits and hyphens whose last
// label is 2-24 letters. Counted case-insensitively.
// Rejected: npm scopes and CSS at-rules (nothing before '@'), addresses
// without a dotted domain, and anything glued to more address characters.

// emailChars marks the bytes of local parts (1) and of domains (2).
var emailChars = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if isAlnum(byte(c)) {
			t[c] = 3
		}
	}
	for _, c := range "._%+-" {
		t[c] |= 1
	}
	t['.'] |= 2
	t['-'] |= 2
	return t
}()

func isLocalChar(c byte) bool  { return emailChars[c]&1 != 0 }
func isDomainChar(c byte) bool { return emailChars[c]&2 != 0 }

// matchEmail examines the '@' (width 1) or "%40" (width 3) at b[at:at+w],
// reading no further than limit. It returns the local part start and the
// domain end, or ok=false.
func matchEmail(b []byte, at, w, limit int) (start, end int, ok bool) {
	start = at
	for lo := max(0, at-64); start > lo && isLocalChar(b[start-1]); {
		start--
	}
	if start == at || b[start] == '.' || b[at-1] == '.' || (start > 0 && isLocalChar(b[start-1])) {
		return 0, 0, false
	}
	d := at + w
	end = d
	for hi := min(limit, d+253); end < hi && isDomainChar(b[end]); end++ {
		if b[end] == '.' && (end == d || b[end-1] == '.' || b[end-1] == '-') {
			return 0, 0, false
		}
	}
	for end > d && (b[end-1] == '.' || b[end-1] == '-') { // sentence punctuation
		end--
	}
	dom := b[d:end]
	dot := bytes.LastIndexByte(dom, '.')
	if dot <= 0 {
		return 0, 0, false
	}
	tld := dom[dot+1:]
	if len(tld) < 2 || len(tld) > 24 {
		return 0, 0, false
	}
	for _, c := range tld {
		if !isLetter(c) {
			return 0, 0, false
		}
	}
	return start, end, true
}

// maskEmail renders z***@example.com.
func maskEmail(v []byte, out []byte) int {
	at := 0
	for at < len(v) && v[at] != '@' {
		at++
	}
	n := copy(out, v[:1])
	n += copy(out[n:], "***")
	return n + copy(out[n:], v[at:])
}
