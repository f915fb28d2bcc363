package inspect

import "bytes"

// Markup escaped in JSON strings. Go's encoding/json and Java's Gson write
// '<', '>' and '&' in a string as \u003c, \u003e and \u0026 by default, so
// an HTML table that such a client posts in JSON (a mail sent through a
// mail API, a ticket, a CMS page) reaches the proxy as
// \u003ctd\u003e张三\u003c/td\u003e: no tag for the table follower, no
// &nbsp; or character reference for the value readers. From the first such
// escape the scan loop meets on, the scanner rewrites each one in its own
// buffer (never the caller's bytes) to five spaces and the character
// itself, before a pass reads it: offsets do not move, a tag reads as a
// tag, and the spaces are blanks that every reader of cells and values
// already skips or stops at. A message without such escapes costs no
// search for them.

// markupEscape is the prefix of the escapes unescapeMarkup rewrites.
const markupEscape = `\u00`

// markupEscapeLen is the length of one such escape (\u003c).
const markupEscapeLen = 6

// markupChar returns the character that the last two hex digits of a
// \u00XX escape stand for, when it is one of '<', '>' and '&', or 0.
func markupChar(hi, lo byte) byte {
	switch {
	case hi == '3' && lo|0x20 == 'c':
		return '<'
	case hi == '3' && lo|0x20 == 'e':
		return '>'
	case hi == '2' && lo == '6':
		return '&'
	}
	return 0
}

// markupEscapeAt returns the character of the markup escape at p, or 0:
// '<', '>' or '&' written \u003c, \u003e or \u0026 (either hex case),
// after an even run of backslashes (none, or escaped backslashes).
func markupEscapeAt(b []byte, p int) byte {
	if p+markupEscapeLen > len(b) || !bytes.HasPrefix(b[p:], []byte(markupEscape)) {
		return 0
	}
	c := markupChar(b[p+4], b[p+5])
	if c == 0 || backslashesBefore(b, p)%2 != 0 {
		return 0
	}
	return c
}

// startMarkup starts the rewriting of markup escapes when the escape at i,
// which the scan loop meets, is the message's first, and reports whether
// it did: the bytes from i on may have changed.
//
//go:noinline
func (s *Scanner) startMarkup(i int, final bool) bool {
	if markupEscapeAt(s.buf, i) == 0 {
		return false
	}
	s.markup, s.markupAt = true, s.base+int64(i)
	s.unescapeMarkup(final)
	return true
}

// unescapeMarkup rewrites the markup escapes in buf from markupAt on. An
// escape that may still be cut by the end of the data waits for the next
// call, unless final.
func (s *Scanner) unescapeMarkup(final bool) {
	b := s.buf
	j := max(0, int(s.markupAt-s.base))
	stop := len(b) - (markupEscapeLen - 1) // an escape starting here or later may be cut
	if final {
		stop = len(b)
	}
	for j < stop {
		k := bytes.Index(b[j:], []byte(markupEscape))
		if k < 0 || j+k >= stop {
			break
		}
		p := j + k
		j = p + 1
		if c := markupEscapeAt(b, p); c != 0 {
			copy(b[p:], "     ")
			b[p+markupEscapeLen-1] = c
			j = p + markupEscapeLen
		}
	}
	// Resume where an escape may still be completed by the next bytes.
	s.markupAt = s.base + int64(max(j, len(b)-(markupEscapeLen-1)))
}
