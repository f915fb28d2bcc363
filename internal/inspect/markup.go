package inspect

import "bytes"

// Escaped markup. Go's encoding/json and Java's Gson write '<', '>' and '&'
// in a JSON string as \u003c, \u003e and \u0026 by default (Gson '=' and
// '\'' as \u003d and \u0027 too), so an HTML table that such a client
// posts in JSON (a mail sent through a mail API, a ticket, a CMS page)
// reaches the proxy as \u003ctd\u003e张三\u003c/td\u003e, and as
// \\u003ctd\\u003e when that JSON is itself a string of another (a queue
// message's body); XML carries HTML as escaped text (an Exchange Web
// Services request sending a mail, a SOAP or Atom document:
// &lt;td&gt;张三&lt;/td&gt;, and \u0026lt;td\u0026gt; once Go wrote that
// XML into JSON). Either way the table follower sees no tag, and the value
// readers no &nbsp; or character reference. Before a pass reads them, the
// scanner unescapes these escapes in its own buffer (never the caller's
// bytes): an escape becomes its character and the bytes after it move up,
// so the scanner reads what it reads in the same body sent unescaped (its
// windows, such as how far a key cell is read back, hold as many tags).
// Offsets then differ from the caller's: the scanner notes how many bytes
// it removed where, and Settled maps back. Each escape is unescaped once,
// left to right: &amp;lt; stays the text &lt;.

// markupEscapeAt reads the markup escape whose last backslash, or whose
// '&', is at p: \u003c, \u003e, \u0026, \u003d or \u0027 (either hex
// case) of a JSON string (after an even run of backslashes: none, or
// escaped backslashes) or of a JSON string inside one (\\u003c, after
// escaped escaped backslashes), \u0026lt;, \u0026gt; or \u0026amp; (an
// entity so escaped), or &lt;, &gt; or &amp;. It returns the character and
// where the escape starts and ends; end is -1 when the end of the data
// cuts what may be one, 0 for none.
func markupEscapeAt(b []byte, p int) (c byte, start, end int) {
	rest := b[p:min(len(b), p+markupCut)]
	if rest[0] == '&' {
		switch c, w := markupEntityAt(rest); {
		case w < 0:
			return 0, 0, -1
		case w > 0:
			return c, p, p + w
		}
		return 0, 0, 0
	}
	const json = `\u00`
	if len(rest) < len(json)+2 {
		if bytes.HasPrefix([]byte(json), rest[:min(len(rest), len(json))]) {
			return 0, 0, -1
		}
		return 0, 0, 0
	}
	if !bytes.HasPrefix(rest, []byte(json)) {
		return 0, 0, 0
	}
	w := len(json) + 2
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
		// An entity after it is escaped with it (rest[5] stands for
		// its '&'); a cut one is not known yet.
		c = '&'
		switch e, n := markupEntityAt(rest[5:]); {
		case n < 0:
			return 0, 0, -1
		case n > 0:
			c, w = e, w+n-1
		}
	default:
		return 0, 0, 0
	}
	switch n := backslashesBefore(b, p) + 1; {
	case n%2 == 1: // an escape of the JSON string: \u003c
		return c, p, p + w
	case n%4 == 2: // of a JSON string inside it: \\u003c
		return c, p - 1, p + w
	}
	return 0, 0, 0
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

// markupCut is how far from its last backslash an escape may reach, and
// so how far before the end of the data one may still be cut: \u0026amp;.
const markupCut = len(`\u0026amp;`)

// removal notes bytes the scanner removed: from stream offset at on (of
// the scanner's own stream), removed bytes of the caller's had gone before.
type removal struct {
	at      int64
	removed int64
}

// unescapeMarkup unescapes the markup escapes in buf from markupAt on,
// moving the bytes after each up. An escape that may still be cut by the
// end of the data waits for the next call, unless final. Every pass calls
// it first, so no handler reads an escape it will unescape (the bytes a
// handler reads ahead, maxSpan at most, end before holdback does).
func (s *Scanner) unescapeMarkup(final bool) {
	b := s.buf
	// The search goes on where it stopped, but not before the scan
	// position: an escape Settle found cut there was read as it was.
	q := max(int(s.markupAt-s.base), s.pos)
	q0 := q
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
			c, from, to := markupEscapeAt(b, p)
			if to < 0 {
				q = p // cut by the end of the data (final): the next bytes may complete it
				break
			}
			if c != 0 && from >= q0 { // (not one Settle found cut at pos)
				w += copy(b[w:], b[r:from])
				b[w] = c
				w++
				r, q = to, to
				s.removed += int64(to - from - 1)
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
	// The next call goes on from a backslash right before: with the one
	// here, it may start an escape (\\u003c).
	if q > max(q0, r) && b[q-1] == '\\' {
		q--
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
