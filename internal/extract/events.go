package extract

import "bytes"

// Server-sent events (Content-Type text/event-stream) are a live stream of
// small events, each ended by a blank line: "\n\n", "\r\n\r\n" or "\r\r".
// A value never spans the end of an event, so the text layer decides the
// text at every event's end, as at a part boundary: each event is released
// as soon as it has been written, not when the next few hundred bytes come.

// eventStream is the Content-Type whose text is cut at every event's end.
const eventStream = "text/event-stream"

// eventEnd returns the index just after the first event end that lies
// wholly in b, or -1. It allocates nothing and looks for line feeds and
// carriage-return pairs with bytes.IndexByte and bytes.Index.
func eventEnd(b []byte) int {
	end := -1
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		j += i
		if j+1 < len(b) && b[j+1] == '\n' {
			end = j + 2
			break
		}
		if j > 0 && b[j-1] == '\r' && j+2 < len(b) && b[j+1] == '\r' && b[j+2] == '\n' {
			end = j + 3
			break
		}
		i = j + 1
	}
	limit := len(b)
	if end >= 0 {
		limit = end
	}
	if k := bytes.Index(b[:limit], []byte("\r\r")); k >= 0 {
		return k + 2
	}
	return end
}

// eventTail follows the line breaks at the end of the text emitted so
// far, so that an event end split across pieces (and Write calls) is
// found where it ends.
type eventTail struct {
	b [3]byte // the last line-break bytes, b[:n]
	n int
}

// cut returns how much of b to emit before the next event end, and
// whether an event ends there; n is len(b) and end false when none ends
// in b. The tail then follows b[:n].
func (e *eventTail) cut(b []byte) (n int, end bool) {
	// An end within the first three bytes may begin in the tail.
	var w [6]byte
	k := copy(w[:], e.b[:e.n])
	head := copy(w[k:], b[:min(len(b), 3)])
	for i := 1; i <= head; i++ {
		if eventEnd(w[max(0, k+i-4):k+i]) == min(k+i, 4) {
			e.n = 0
			return i, true
		}
	}
	if i := eventEnd(b); i >= 0 {
		e.n = 0
		return i, true
	}
	e.follow(b)
	return len(b), false
}

// follow keeps the line-break bytes at the end of the tail and b.
func (e *eventTail) follow(b []byte) {
	var w [6]byte
	k := copy(w[:], e.b[:e.n])
	k += copy(w[k:], b[max(0, len(b)-3):])
	n := 0
	for n < 3 && n < k && (w[k-1-n] == '\n' || w[k-1-n] == '\r') {
		n++
	}
	e.n = copy(e.b[:], w[k-n:k])
}
