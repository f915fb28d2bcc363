package extract

import (
	"bytes"
	"mime"
)

// Live streams are responses that may not end for minutes and are read as
// they come (NewLive): server-sent events (Content-Type text/event-stream: small
// events, each ended by a blank line: "\n\n", "\r\n\r\n" or "\r\r") and
// line-delimited JSON (NDJSON, JSON Lines, JSON text sequences, Kubernetes
// watches: one record per line; a chat answer streamed token by token, a feed of changes). A
// value never spans the end of a record, so the text layer decides the
// text at every record's end, as at a part boundary: each record is
// released as soon as it has been written, not when the next few hundred
// bytes come.

// eventStream is the Content-Type of server-sent events.
const eventStream = "text/event-stream"

// records says how the records of a live stream end and what an end is.
type records struct {
	// end returns the index just after the first record end wholly in b,
	// or -1.
	end func(b []byte) int
	// parts: each record is a part of its own, which may open with its own
	// CSV header (an event); else the records are lines of one text.
	parts bool
}

// recordsOf returns the records of a live stream of media type mt with
// parameters params; end is nil when it is no live stream. Kubernetes
// watches are JSON lines typed application/json;stream=watch.
func recordsOf(mt string, params map[string]string) records {
	switch {
	case mt == eventStream:
		return records{end: eventEnd, parts: true}
	case mt == "application/x-ndjson", mt == "application/ndjson", mt == "application/jsonl",
		mt == "application/x-jsonlines", mt == "application/jsonlines", mt == "application/json-seq",
		mt == "application/json" && params["stream"] == "watch":
		return records{end: lineEnd}
	}
	return records{}
}

// LiveStream reports whether a response with this Content-Type header is a
// live stream: the proxy never holds one whole, and reads it with NewLive.
func LiveStream(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	return err == nil && recordsOf(mt, params).end != nil
}

// lineEnd returns the index just after the first line feed in b, or -1.
func lineEnd(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return -1
}

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
// far, so that a record end split across pieces (and Write calls) is
// found where it ends.
type eventTail struct {
	b [3]byte // the last line-break bytes, b[:n]
	n int
	w [6]byte // the tail and the next bytes, for cut (a field: a slice of a local array passed to a func value would escape)
}

// cut returns how much of b to emit before the next record end (as ends
// finds them, at most four bytes long), and whether a record ends there; n
// is len(b) and end false when none ends in b. The tail then follows b[:n].
func (e *eventTail) cut(b []byte, ends func([]byte) int) (n int, end bool) {
	// An end within the first three bytes may begin in the tail.
	w := &e.w
	k := copy(w[:], e.b[:e.n])
	head := copy(w[k:], b[:min(len(b), 3)])
	for i := 1; i <= head; i++ {
		if ends(w[max(0, k+i-4):k+i]) == min(k+i, 4) {
			e.n = 0
			return i, true
		}
	}
	if i := ends(b); i >= 0 {
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
