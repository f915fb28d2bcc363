package extract

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// sseShapes renders recs as server-sent events: one record per event, in
// each line-break style, as JSON or CSV lines, and base64 in events.
func sseShapes(tb testing.TB, recs []corpus.Record) []leakShape {
	tb.Helper()
	rows := csvRows(recs)
	var lf, crlf, cr, b64 strings.Builder
	for i, r := range recs {
		fmt.Fprintf(&lf, "id: %d\ndata: {\"name\":%q,\"id_card\":%q,\"mobile\":%q,\"email\":%q}\n\n", i, r.Name, r.ResidentID, r.Mobile, r.Email)
		fmt.Fprintf(&crlf, "event: row\r\ndata: %s\r\n\r\n", strings.Join(rows[i+1], ","))
		fmt.Fprintf(&cr, "data: %s\rdata: %s\r\r", r.Name, r.ResidentID)
	}
	third := len(rows) / 3
	for _, part := range [][][]string{rows[:third], rows[third : 2*third], rows[2*third:]} {
		fmt.Fprintf(&b64, "data: {\"chunk\":\"%s\"}\n\n", base64.StdEncoding.EncodeToString(csvBytes(append([][]string{rows[0]}, part...))))
	}
	return []leakShape{
		{name: "sse json lf", body: []byte(lf.String()), ctype: eventStream},
		{name: "sse csv crlf", body: []byte(crlf.String()), ctype: eventStream},
		{name: "sse cr", body: []byte(cr.String()), ctype: eventStream},
		{name: "sse base64", body: []byte(b64.String()), ctype: eventStream},
	}
}

// TestEventStreamCounts: a list sent as events is counted whole.
func TestEventStreamCounts(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(11, 200)
	for _, sh := range sseShapes(t, recs) {
		got := extract(t, e, sh.body, sh.ctype, Limits{}, benchChunk).counts
		if n := got[inspect.ResidentID]; n != len(recs) {
			t.Errorf("%s: %d resident IDs, want %d", sh.name, n, len(recs))
		}
	}
}

// TestEventEnd finds the first blank line that ends an event.
func TestEventEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", -1},
		{"data: x", -1},
		{"data: x\n", -1},
		{"data: x\n\n", 9},
		{"data: x\r\n\r\n", 11},
		{"data: x\r\n\r", -1},
		{"data: x\r\r", 9},
		{"data: x\r\n", -1},
		{"a\nb\nc\n\nd\n\n", 7},
		{"a\r\nb\r\n\r\nc", 8},
		{"a\rb\r\rc\n\n", 5},
		{"\n\n", 2},
		{"a\n\r\n", -1},
	} {
		if got := eventEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("eventEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// cutEnds returns the event ends eventTail finds in b fed in pieces of
// size piece.
func cutEnds(b []byte, piece int) []int {
	var tail eventTail
	var ends []int
	for off := 0; off < len(b); {
		p := b[off:min(off+piece, len(b))]
		n, end := tail.cut(p)
		off += n
		if end {
			ends = append(ends, off)
		}
	}
	return ends
}

// TestEventTailSplit: the event ends found do not depend on how the text
// is cut into pieces, whatever the line breaks.
func TestEventTailSplit(t *testing.T) {
	for _, in := range []string{
		"data: a\n\ndata: b\n\n\n\ndata: c\n",
		"data: a\r\n\r\ndata: b\r\n\r\n\r\n\r\nx\r\n",
		"data: a\r\rdata: b\r\r\r\rc\r",
		"a\n\r\n\r\r\n\n\r\r\n\r\n\r\n\n\n\r\r\r\n",
		"\r\n\r\n\n\n\r\r",
	} {
		want := cutEnds([]byte(in), len(in))
		for piece := 1; piece < len(in); piece++ {
			if got := cutEnds([]byte(in), piece); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q in pieces of %d: ends %v, want %v", in, piece, got, want)
			}
		}
	}
}

// TestEventsSettle: each event is released by the Write that completes
// it, wherever the writes cut it (a part written is never settled back;
// TestSettledLeakBudget covers what may be released before the end).
func TestEventsSettle(t *testing.T) {
	e := newTestEngine(t)
	id := corpus.Records(3, 1)[0].ResidentID
	for _, tc := range []struct {
		name   string
		events []string
	}{
		{"lf", []string{"data: event 0 of a clean stream\n\n", "data: event 1\n\n", "data: event 2 of a clean stream\n\n"}},
		{"crlf", []string{"event: a\r\ndata: one\r\n\r\n", "data: two\r\ndata: lines\r\n\r\n", "data: 3\r\n\r\n"}},
		{"cr", []string{"data: one\r\r", "data: two\rdata: lines\r\r"}},
		{"chinese", []string{"data: {\"text\":\"你好\"}\n\n", "data: {\"text\":\"，世界\"}\n\n", "data: 再见\n\n"}},
		{"base64 at the end", []string{"data: " + strings.Repeat("QUJD", 30) + "\n\n", "data: " + strings.Repeat("ZGVm", 20) + "==\r\n\r\n", ": comment\n\n"}},
		{"value", []string{"data: id " + id + "\n\n", "data: {\"id\":\"" + id + "\"}\n\n"}},
	} {
		longest := 0
		for _, ev := range tc.events {
			longest = max(longest, len(ev))
		}
		for k := range longest {
			s := e.NewScanner()
			x := New(s, eventStream, Limits{})
			end := int64(0)
			for i, ev := range tc.events {
				cut := min(k, len(ev)-1) // k = 0: the event in one write
				_, _ = x.Write([]byte(ev[:cut]))
				if st := x.Settled(); st < end {
					t.Fatalf("%s: event %d cut at %d: settled %d after its first part, want at least %d", tc.name, i, cut, st, end)
				}
				_, _ = x.Write([]byte(ev[cut:]))
				end += int64(len(ev))
				if st := x.Settled(); st != end {
					t.Fatalf("%s: event %d cut at %d: settled %d once written, want %d", tc.name, i, cut, st, end)
				}
			}
			x.Stop()
			s.Release()
		}
	}
}

// TestEventStreamLeakBudget: releasing at every event's end never lets
// out a value before it is counted, at chunks that cut events anywhere.
func TestEventStreamLeakBudget(t *testing.T) {
	e := newTestEngine(t)
	for _, sh := range sseShapes(t, corpus.Records(13, 120)) {
		t.Run(sh.name, func(t *testing.T) {
			for _, chunk := range []int{7, 100, 333} {
				checkLeakBudget(t, e, sh.body, sh.ctype, Limits{}, chunk, 0)
			}
		})
	}
}

// BenchmarkEventStream writes 4 MiB of small events (a chat answer
// streamed token by token, about 40 bytes an event) in the proxy's 32 KiB
// chunks, reading Settled after each as the proxy does, as an event stream
// (decided at every event's end) and, for comparison, as plain text.
func BenchmarkEventStream(b *testing.B) {
	e := newTestEngine(b)
	words := []string{"the", "answer", "你好", "is", "streamed", "，", "token", "by", "世界", "token"}
	var body strings.Builder
	for i := 0; body.Len() < 4<<20; i++ {
		fmt.Fprintf(&body, "data: {\"id\":%d,\"delta\":\"%s %s\"}\n\n", i, words[i%len(words)], words[(i*7)%len(words)])
	}
	for _, ctype := range []string{eventStream, "text/plain"} {
		b.Run("ctype="+ctype, func(b *testing.B) {
			raw := []byte(body.String())
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				s := e.NewScanner()
				x := New(s, ctype, Limits{})
				for off := 0; off < len(raw); off += benchChunk {
					_, _ = x.Write(raw[off:min(off+benchChunk, len(raw))])
					x.Settled()
				}
				_ = x.Close()
				s.Release()
			}
		})
	}
}
