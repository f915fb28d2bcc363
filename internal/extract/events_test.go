package extract

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// sseShapes renders recs as live streams: server-sent events (one record
// per event, in each line-break style, as JSON or CSV lines, and base64 in
// events) and line-delimited JSON (NDJSON, JSON Lines with CRLF).
func sseShapes(tb testing.TB, recs []corpus.Record) []leakShape {
	tb.Helper()
	rows := csvRows(recs)
	var lf, crlf, cr, b64, ndjson, jsonl strings.Builder
	for i, r := range recs {
		fmt.Fprintf(&lf, "id: %d\ndata: {\"name\":%q,\"id_card\":%q,\"mobile\":%q,\"email\":%q}\n\n", i, r.Name, r.ResidentID, r.Mobile, r.Email)
		fmt.Fprintf(&ndjson, "{\"seq\":%d,\"name\":%q,\"id_card\":%q,\"mobile\":%q,\"address\":%q}\n", i, r.Name, r.ResidentID, r.Mobile, r.Address)
		fmt.Fprintf(&jsonl, "{\"姓名\":%q,\"身份证号\":%q,\"card\":%q}\r\n", r.Name, r.ResidentID, r.BankCard)
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
		{name: "ndjson", body: []byte(ndjson.String()), ctype: "application/x-ndjson"},
		{name: "jsonl crlf", body: []byte(jsonl.String()), ctype: "application/jsonl"},
	}
}

// TestEventStreamCounts: a list sent as a live stream is counted whole,
// every detector as in the same text that is no live stream.
func TestEventStreamCounts(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(11, 200)
	for _, sh := range sseShapes(t, recs) {
		got := extractLive(t, e, sh.body, sh.ctype, benchChunk).counts
		if n := got[inspect.ResidentID]; n != len(recs) {
			t.Errorf("%s: %d resident IDs, want %d", sh.name, n, len(recs))
		}
		if plain := extract(t, e, sh.body, "text/plain", Limits{}, benchChunk).counts; got != plain {
			t.Errorf("%s: counts %v, as plain text %v", sh.name, got, plain)
		}
	}
}

// TestLineEnd finds the first line feed that ends a line-delimited record.
func TestLineEnd(t *testing.T) {
	for in, want := range map[string]int{"": -1, "{}": -1, "{}\n": 3, "{}\r\n{}\n": 4, "\n": 1, "a\rb": -1} {
		if got := lineEnd([]byte(in)); got != want {
			t.Errorf("lineEnd(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestLiveStreamTypes: the Content-Types read as live streams.
func TestLiveStreamTypes(t *testing.T) {
	for mt, want := range map[string]bool{
		"text/event-stream": true, "application/x-ndjson": true, "application/ndjson": true,
		"application/jsonl": true, "application/json-seq": true, "application/x-jsonlines": true,
		"Application/X-NDJSON; charset=utf-8": true, "application/json;stream=watch": true,
		"application/json": false, "application/json; charset=utf-8": false, "text/plain": false, "text/csv": false, "": false,
	} {
		if got := LiveStream(mt); got != want {
			t.Errorf("LiveStream(%q) = %v, want %v", mt, got, want)
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

// cutEnds returns the record ends eventTail finds with ends in b fed in
// pieces of size piece.
func cutEnds(b []byte, piece int, ends func([]byte) int) []int {
	var tail eventTail
	var found []int
	for off := 0; off < len(b); {
		p := b[off:min(off+piece, len(b))]
		n, end := tail.cut(p, ends)
		off += n
		if end {
			found = append(found, off)
		}
	}
	return found
}

// TestEventTailSplit: the record ends found (blank lines of events, line
// feeds of line-delimited JSON) do not depend on how the text is cut into
// pieces, whatever the line breaks.
func TestEventTailSplit(t *testing.T) {
	for _, in := range []string{
		"data: a\n\ndata: b\n\n\n\ndata: c\n",
		"data: a\r\n\r\ndata: b\r\n\r\n\r\n\r\nx\r\n",
		"data: a\r\rdata: b\r\r\r\rc\r",
		"a\n\r\n\r\r\n\n\r\r\n\r\n\r\n\n\n\r\r\r\n",
		"\r\n\r\n\n\n\r\r",
	} {
		for name, ends := range map[string]func([]byte) int{"events": eventEnd, "lines": lineEnd} {
			want := cutEnds([]byte(in), len(in), ends)
			for piece := 1; piece < len(in); piece++ {
				if got := cutEnds([]byte(in), piece, ends); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: %q in pieces of %d: ends %v, want %v", name, in, piece, got, want)
				}
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
		ctype  string // eventStream if empty
	}{
		{"lf", []string{"data: event 0 of a clean stream\n\n", "data: event 1\n\n", "data: event 2 of a clean stream\n\n"}, ""},
		{"crlf", []string{"event: a\r\ndata: one\r\n\r\n", "data: two\r\ndata: lines\r\n\r\n", "data: 3\r\n\r\n"}, ""},
		{"cr", []string{"data: one\r\r", "data: two\rdata: lines\r\r"}, ""},
		{"chinese", []string{"data: {\"text\":\"你好\"}\n\n", "data: {\"text\":\"，世界\"}\n\n", "data: 再见\n\n"}, ""},
		{"base64 at the end", []string{"data: " + strings.Repeat("QUJD", 30) + "\n\n", "data: " + strings.Repeat("ZGVm", 20) + "==\r\n\r\n", ": comment\n\n"}, ""},
		{"value", []string{"data: id " + id + "\n\n", "data: {\"id\":\"" + id + "\"}\n\n"}, ""},
		{"ndjson", []string{"{\"message\":{\"content\":\"你好\"},\"done\":false}\n", "{\"message\":{\"content\":\"，世界\"},\"done\":false}\n", "{\"done\":true}\n"}, "application/x-ndjson"},
		{"ndjson value", []string{"{\"id\":\"" + id + "\"}\r\n", "{\"n\":12345678}\r\n", "{\"tail\":\"" + strings.Repeat("QUJD", 30) + "\"}\n"}, "application/jsonl"},
	} {
		ctype := cmp.Or(tc.ctype, eventStream)
		longest := 0
		for _, ev := range tc.events {
			longest = max(longest, len(ev))
		}
		for k := range longest {
			s := e.NewScanner()
			x := NewLive(s, ctype, Limits{})
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
				checkLeakBudgetWith(t, e, sh.body, chunk, 0, func(s *inspect.Scanner) *Extractor { return NewLive(s, sh.ctype, Limits{}) })
			}
		})
	}
}

// BenchmarkEventStream writes 4 MiB of small records (a chat answer
// streamed token by token, about 40 bytes a record) in the proxy's 32 KiB
// chunks, reading Settled after each as the proxy does: as server-sent
// events and as NDJSON (decided at every record's end) and, for
// comparison, the same bytes as plain text.
func BenchmarkEventStream(b *testing.B) {
	e := newTestEngine(b)
	words := []string{"the", "answer", "你好", "is", "streamed", "，", "token", "by", "世界", "token"}
	var sse, ndjson strings.Builder
	for i := 0; sse.Len() < 4<<20; i++ {
		fmt.Fprintf(&sse, "data: {\"id\":%d,\"delta\":\"%s %s\"}\n\n", i, words[i%len(words)], words[(i*7)%len(words)])
		fmt.Fprintf(&ndjson, "{\"id\":%d,\"delta\":\"%s %s\"}\n", i, words[i%len(words)], words[(i*7)%len(words)])
	}
	for _, tc := range []struct{ name, ctype, body string }{
		{"sse", eventStream, sse.String()},
		{"sse-as-text", "text/plain", sse.String()},
		{"ndjson", "application/x-ndjson", ndjson.String()},
		{"ndjson-as-text", "text/plain", ndjson.String()},
	} {
		b.Run("body="+tc.name, func(b *testing.B) {
			raw := []byte(tc.body)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				s := e.NewScanner()
				x := NewLive(s, tc.ctype, Limits{})
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

// TestLiveStreamCharset: a live stream is UTF-8 unless declared, so a
// first record of a few bytes cannot turn the rest into another charset
// (junk that reads as GB18030 would hide every later UTF-8 name); the same
// type outside a live stream (an upload) keeps the charset detection, so a
// GBK list sent as NDJSON is still read.
func TestLiveStreamCharset(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(21, 50)
	var lines strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&lines, "{\"name\":%q,\"address\":%q}\n", r.Name, r.Address)
	}
	live := extractLive(t, e, append([]byte("\xae\xa4\n"), lines.String()...), "application/x-ndjson", benchChunk).counts
	if live[inspect.Name] != len(recs) || live[inspect.Address] != len(recs) {
		t.Errorf("live stream after a junk record: %d names, %d addresses; want %d each", live[inspect.Name], live[inspect.Address], len(recs))
	}
	upload := extract(t, e, encodeText(t, gbk, []byte(lines.String())), "application/x-ndjson", Limits{}, benchChunk).counts
	if upload[inspect.Name] != len(recs) || upload[inspect.Address] != len(recs) {
		t.Errorf("GBK NDJSON upload: %d names, %d addresses; want %d each", upload[inspect.Name], upload[inspect.Address], len(recs))
	}
}
