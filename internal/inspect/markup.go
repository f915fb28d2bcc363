package inspect

import "bytes"

// Escaped markup. Go's encoding/json and Java's Gson write '<', '>' and '&'
// in a JSON string as \u003c, \u003e and \u0026 by default (Gson '=' and
// '\'' as \u003d and \u0027 too), so an HTML table that such a client
// posts in JSON (a mail sent through a mail API, a ticket, a CMS page)
// reaches the proxy as \u003ctd\u003e张三\u003c/td\u003e; XML carries HTML
// as escaped text (an Exchange Web Services request sending a mail, a SOAP
// or Atom document: &lt;td&gt;张三&lt;/td&gt;). Either way the table
// follower sees no tag, and the value readers no &nbsp; or character
// reference. From the first such escape the scan loop meets on, the
// scanner unescapes every one in its own buffer (never the caller's
// bytes), before a pass reads it: an escape becomes its character and the
// bytes after it move up, so the scanner reads what it reads in the same
// body sent unescaped (its windows, such as how far a key cell is read
// back, hold as many tags). Offsets then differ from the caller's: the
// scanner notes how many bytes it removed where, and Settled maps back.
// A message without such escapes costs no search for them. Each escape is
// unescaped once, left to right: the &lt; of a page's text in a JSON
// string (\u0026lt;) stays text.

// maxMarkupEscape is the length of the longest escape unescaped (\u003c).
const maxMarkupEscape = 6

// markupEscapeAt returns the character and width of the markup escape at
// p: \u003c, \u003e, \u0026, \u003d or \u0027 (either hex case) after an
// even run of backslashes (none, or escaped backslashes), or &lt;, &gt;
// or &amp;. A \u0026 that would make an entity of the others (\u0026lt;)
// is none: unescaped, it would be unescaped once more. The width is 0 for
// no escape, and -1 when the end of the data cuts what may be one.
func markupEscapeAt(b []byte, p int) (c byte, w int) {
	rest := b[p:min(len(b), p+markupCut)]
	if rest[0] == '&' {
		return markupEntityAt(rest)
	}
	const json = `\u00`
	if len(rest) < len(json)+2 {
		if bytes.HasPrefix([]byte(json), rest[:min(len(rest), len(json))]) {
			return 0, -1
		}
		return 0, 0
	}
	if !bytes.HasPrefix(rest, []byte(json)) {
		return 0, 0
	}
	switch hi, lo := rest[4], rest[5]|0x20; {
	case hi == '3' && lo == 'c':
		c = '<'
	case hi == '3' && lo == 'e':
		c = '>'
	case hi == '3' && lo == 'd':
		c = '='
	case hi == '2' && lo == '7':
		c = '\''
	case hi == '2' && lo == '6':
		// rest[5] stands for the '&' of what follows.
		switch _, w := markupEntityAt(rest[5:]); {
		case w != 0:
			return 0, w // \u0026lt; (no escape), or cut before it is known
		}
		c = '&'
	default:
		return 0, 0
	}
	if backslashesBefore(b, p)%2 != 0 {
		return 0, 0
	}
	return c, len(json) + 2
}

// markupEntities are the entities markupEntityAt reads, and their
// characters.
var markupEntities = [...]struct {
	name string
	c    byte
}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}}

// markupEntityAt returns the character and width of &lt;, &gt; or &amp;
// at the start of b (whose first byte is taken for the '&'): 0 for none,
// -1 when b ends before telling.
func markupEntityAt(b []byte) (c byte, w int) {
	for _, e := range markupEntities {
		switch n := min(len(b), len(e.name)); {
		case !bytes.Equal(b[1:n], []byte(e.name[1:n])):
		case n == len(e.name):
			return e.c, n
		default:
			w = -1
		}
	}
	return 0, w
}

// markupSecond holds the bytes that may follow the first of a markup
// escape: the u of \u003c, the l, g and a of &lt;, &gt; and &amp;.
var markupSecond = [256]bool{'u': true, 'l': true, 'g': true, 'a': true}

// markupCut is how far before the end of the data an escape may still be
// cut, counting the bytes after \u0026 that tell it from \u0026lt;.
const markupCut = maxMarkupEscape + 4

// removal notes bytes the scanner removed: from stream offset at on (of
// the scanner's own stream), removed bytes of the caller's had gone before.
type removal struct {
	at      int64
	removed int64
}

// startMarkup starts unescaping markup when the escape at i, which the
// scan loop meets, is the message's first, and reports whether it did:
// the bytes from i on have changed, and buf may be shorter.
//
//go:noinline
func (s *Scanner) startMarkup(i int, final bool) bool {
	if c, _ := markupEscapeAt(s.buf, i); c == 0 {
		return false
	}
	s.markup, s.markupAt = true, s.base+int64(i)
	s.unescapeMarkup(final)
	return true
}

// unescapeMarkup unescapes the markup escapes in buf from markupAt on,
// moving the bytes after each up. An escape that may still be cut by the
// end of the data waits for the next call, unless final.
func (s *Scanner) unescapeMarkup(final bool) {
	b := s.buf
	// The search goes on where it stopped, but not before the scan
	// position: an escape Settle found cut there was read as it was.
	q := max(int(s.markupAt-s.base), s.pos)
	w, r := q, q               // bytes before r are written before w
	stop := len(b) - markupCut // an escape starting here or later may be cut
	if final {
		stop = len(b)
	}
	if q >= stop {
		return
	}
	slash, amp := nextByte(b, q, stop, '\\'), nextByte(b, q, stop, '&')
	for q < stop {
		p := min(slash, amp)
		if p == stop {
			q = stop
			break
		}
		q = p + 1
		// Most backslashes and ampersands start other escapes (\n, \",
		// &nbsp;): the byte after tells at once.
		if p+1 >= len(b) || markupSecond[b[p+1]] {
			c, width := markupEscapeAt(b, p)
			if width < 0 {
				q = p // cut by the end of the data (final): the next bytes may complete it
				break
			}
			if c != 0 {
				w += copy(b[w:], b[r:p])
				b[w] = c
				w++
				r, q = p+width, p+width
				s.removed += int64(width - 1)
				s.noteRemoval(s.base + int64(w))
			}
		}
		if slash < q {
			slash = nextByte(b, min(q, stop), stop, '\\')
		}
		if amp < q {
			amp = nextByte(b, min(q, stop), stop, '&')
		}
	}
	if r > w {
		n := copy(b[w:], b[r:])
		s.buf = b[:w+n]
		q -= r - w
	}
	s.markupAt = s.base + int64(q)
}

// removalGrain bounds the notes of removals: one for every so many bytes
// of the scanner's stream (the last removal in them), so they take little
// memory however dense the escapes. Settled, which reads the note before
// its offset, may lag behind by the bytes removed in one grain: what it
// reports is settled still.
const removalGrain = 256

// noteRemoval notes that the bytes removed so far had gone from stream
// offset at on.
func (s *Scanner) noteRemoval(at int64) {
	if n := len(s.removals); n > 0 && s.removals[n-1].at/removalGrain == at/removalGrain {
		s.removals[n-1] = removal{at: at, removed: s.removed}
		return
	}
	s.removals = append(s.removals, removal{at: at, removed: s.removed})
}

// removedBefore returns how many of the caller's bytes the scanner removed
// before its stream offset at, dropping the notes before it: at only grows.
func (s *Scanner) removedBefore(at int64) int64 {
	k := 0
	for k < len(s.removals) && s.removals[k].at <= at {
		s.removedDone = s.removals[k].removed
		k++
	}
	if k > 0 {
		s.removals = s.removals[:copy(s.removals, s.removals[k:])]
	}
	return s.removedDone
}

// nextByte returns the index of the first c in b[j:e], or e.
func nextByte(b []byte, j, e int, c byte) int {
	if k := bytes.IndexByte(b[j:e], c); k >= 0 {
		return j + k
	}
	return e
}
