package accesslog

import (
	"mime"
	"strings"
	"unicode/utf8"
)

// minPathDigits is the number of digits that makes a path segment look like
// it may carry a value (an ID number, a phone or card number, a date of
// birth): such a segment is logged as "*".
const minPathDigits = 6

// MaskPath returns a URL path fit for a record: every segment that may hold
// a personal value is replaced by "*", the rest is kept, so the segment
// count and the ASCII words survive ("/api/users/<ID>/orders" ->
// "/api/users/*/orders"). A segment is masked when it holds minPathDigits
// or more digits in total (wherever they are, so separators such as
// spaces, hyphens or letters between digit groups do not hide a phone
// number), an '@', a '%' (a percent-encoded or escaped byte), or any
// non-ASCII or control character (a name in Chinese, for instance).
func MaskPath(path string) string {
	if !strings.ContainsFunc(path, isSuspectRune) && countDigits(path) < minPathDigits {
		return path // fast path: nothing to mask anywhere
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.ContainsFunc(s, isSuspectRune) || countDigits(s) >= minPathDigits {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

// MaskField returns a multipart form field name fit for a record: every
// digit, '@', '%' and non-ASCII or control character becomes one '*'
// ("id_110105..." -> "id_******..."), so a value smuggled into a field
// name never reaches the log while ordinary names ("file", "note") stay
// readable.
func MaskField(name string) string {
	if !strings.ContainsFunc(name, isMaskedFieldRune) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if isMaskedFieldRune(r) {
			b.WriteByte('*')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MediaType returns only the media type of a Content-Type value, lower
// case and without parameters (a parameter is client text and may carry a
// value); "" when it does not parse.
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && mt == "" {
		return ""
	}
	if strings.ContainsFunc(mt, isSuspectRune) || countDigits(mt) >= minPathDigits {
		return ""
	}
	return mt
}

func isSuspectRune(r rune) bool {
	return r == '@' || r == '%' || r >= utf8.RuneSelf || r < 0x20 || r == 0x7f
}

func isMaskedFieldRune(r rune) bool {
	return r >= '0' && r <= '9' || isSuspectRune(r)
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}
