package inspect

import "bytes"

// E-mail addresses.
//
// Accepted: local part of letters, digits and . _ % + - (1-64 bytes, not
// starting or ending with a dot), '@' (or the full-width '＠' U+FF20 typed in
// full-width input mode; either also as %40, %EF%BC%A0, \u0040 or \uff20 in
// form bodies and JSON strings, and as a numeric character reference
// (&#64;, &#0064;, &#x40;, &#65312;, &#xff20;) or &commat; in HTML), and a
// domain of
// at least two dot-separated labels of letters, digits and hyphens whose last
// label is 2-24 letters. Counted case-insensitively.
// Rejected: npm scopes and CSS at-rules (nothing before '@'), addresses
// without a dotted domain, image and other file names whose "TLD" is a file
// extension (icon@2x.png), and anything glued to more address characters.

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

// matchEmail examines the '@' at b[at:at+w], in any of its spellings ('@',
// '＠', an escape of either), reading no further than limit. It returns the
// local part start and the domain end, or ok=false.
func matchEmail(b []byte, at, w, limit int) (start, end int, ok bool) {
	start = at
	for lo := max(0, at-64); start > lo && isLocalChar(b[start-1]); {
		start--
	}
	glued := start > 0 && isLocalChar(b[start-1])
	if k := localStart(b, start, at); k > start {
		start, glued = k, false
	}
	if start == at || b[start] == '.' || b[at-1] == '.' || glued {
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
	if fileTLD(tld) {
		return 0, 0, false
	}
	return start, end, true
}

// fileTLD reports whether tld, the letters of a domain's last label, is a
// file extension that is no top-level domain: icon@2x.png and logo@3x.webp
// are the names of a page's high-resolution images, not addresses (ten on
// one page made a log incident of "ten e-mail addresses").
func fileTLD(tld []byte) bool {
	var low [4]byte
	if len(tld) > len(low) {
		return false
	}
	for i, c := range tld {
		low[i] = c | 0x20
	}
	switch string(low[:len(tld)]) {
	case "png", "jpg", "jpeg", "gif", "webp", "svg", "ico", "bmp", "avif", "tif", "tiff",
		"css", "js", "json", "map", "html", "htm", "php", "jsp", "asp", "aspx", "wasm",
		"ttf", "otf", "eot", "woff", "webm":
		return true
	}
	return false
}

// The escapes of '@' and '＠' U+FF20 an address may be written with, hex
// letters in lower case: percent-encoded in form bodies and \u-escaped in
// JSON strings. In HTML (the zhang&#64;example.com a page writes to keep
// address harvesters off) any numeric character reference of either
// (&#64;, &#0064;, &#x40;, &#x040;, &#65312;, &#xff20;) or &commat;.
var (
	percentAts = []string{"%40", "%ef%bc%a0"}
	jsonAts    = []string{`\u0040`, `\uff20`}
)

// commat is the named character reference of '@'.
const commat = "&commat;"

// escapedAtWidth returns the width of the escape of '@' or '＠' at b[i:end]
// (percentAts, jsonAts, character references; hex letters and names in
// either case), or 0. The first test is mayBeEscapedAt.
func escapedAtWidth(b []byte, i, end int) int {
	var forms []string
	switch b[i] {
	case '%':
		forms = percentAts
	case '\\':
		forms = jsonAts
	case '&':
		if r, w := entityRune(b, i, end); r == '@' || r == '＠' {
			return w
		}
		if i+len(commat) <= end && hasPrefixFold(b[i:], commat) {
			return len(commat)
		}
		return 0
	default:
		return 0
	}
	for _, form := range forms {
		if i+len(form) <= end && hasPrefixFold(b[i:], form) {
			return len(form)
		}
	}
	return 0
}

// mayBeEscapedAt is the first test of escapedAtWidth, cheap enough to
// inline where every escape of anything (%E4, &amp;, \u4e2d) is asked: the
// third byte of a percent or JSON escape at b[i:end] is '0' or 'f'; a
// character reference of '@' opens with &#6, &#0, &#x or &co.
func mayBeEscapedAt(b []byte, i, end int) bool {
	if i+2 >= end {
		return false
	}
	if c := b[i+2] | 0x20; b[i] == '&' {
		return b[i+1] == '#' && (c == '6' || c == '0' || c == 'x') || b[i+1]|0x20 == 'c' && c == 'o'
	}
	return b[i+2] == '0' || b[i+2]|0x20 == 'f'
}

// hasPrefixFold reports whether b starts with lower, a lower-case ASCII
// string, in any mix of cases.
func hasPrefixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for k := range len(lower) {
		if lowerASCII(b[k]) != lower[k] {
			return false
		}
	}
	return true
}

// localStart returns where a local part found in b[start:at] really
// starts, past the last separator spelled as an escape: in a form body a
// list of addresses is joined by %0A, %2C or %3B, and in a JSON string by
// \n, all of whose characters are local-part characters themselves. A
// '+' (a space, in a form body) right after such a separator is skipped
// too. It returns start when there is none.
func localStart(b []byte, start, at int) int {
	k := start
	for i := start; i+3 <= at; i++ {
		if b[i] != '%' {
			continue
		}
		if v, ok := hexValue(b[i+1 : i+3]); ok && !isLocalChar(byte(v)) {
			k = i + 3
		}
	}
	if k == start && start < at && jsonBreak(b, start) {
		k = start + 1
	}
	if k > start {
		for k < at && b[k] == '+' {
			k++
		}
	}
	return k
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
