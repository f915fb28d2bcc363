package inspect

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// markupTable is an HTML table of recs under a header row of 姓名, 护照号
// and 住址, with a &nbsp; before each name, as mail editors write cells.
func markupTable(recs []corpus.Record) string {
	var b strings.Builder
	b.WriteString("<table>\n<tr><th>姓名</th><th>护照号</th><th>住址</th></tr>\n")
	for _, r := range recs {
		b.WriteString("<tr><td>&nbsp;" + r.Name + "</td><td>" + r.Passport + "</td><td>" + r.Address + "</td></tr>\n")
	}
	b.WriteString("</table>")
	return b.String()
}

// mailRequest is a mail API request (the shape of SendGrid's) with html as
// its HTML content, encoded by Go's encoding/json: escaped for HTML, as
// json.Marshal and a default Encoder write it, or not.
func mailRequest(t *testing.T, html string, escapeHTML bool) string {
	t.Helper()
	body := map[string]any{
		"subject": "客户名单",
		"content": []map[string]string{{"type": "text/html", "value": html}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(body); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestMarkupEscapedInJSON: an HTML table posted in JSON by Go's
// encoding/json (\u003ctd\u003e, \u0026nbsp;) or Java's Gson (the same
// escapes) counts what the same table posted unescaped counts, whole, in
// 1-byte writes (every escape cut at every byte) and in random writes.
func TestMarkupEscapedInJSON(t *testing.T) {
	recs := corpus.Records(1801, 40)
	html := markupTable(recs)
	escaped := mailRequest(t, html, true)
	if !strings.Contains(escaped, `\u003ctd\u003e\u0026nbsp;`) {
		t.Fatalf("encoding/json did not escape the markup: %.200s", escaped)
	}
	want := countsOf(map[Detector]int{Name: distinctNames(recs), Passport: 40, Address: 40})
	runSplitScanTests(t, []scanTest{
		{"the table as HTML", html, want},
		{"in JSON, markup not escaped", mailRequest(t, html, false), want},
		{"in JSON, markup escaped (Go, Gson)", escaped, want},
		{"escaped, upper-case hex", strings.NewReplacer(`\u003c`, `\u003C`, `\u003e`, `\u003E`).Replace(escaped), want},
	}, 1801)
}

// distinctNames counts the distinct names of recs.
func distinctNames(recs []corpus.Record) int {
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Name] = true
	}
	return len(seen)
}

// TestUnescapeMarkup pins the rewrite itself: an escape of '<', '>' or
// '&' after an even run of backslashes becomes five spaces and the
// character; an escaped backslash followed by the text u003c, other
// escapes, and an escape the data cuts stay as they are.
func TestUnescapeMarkup(t *testing.T) {
	e := newTestEngine(t)
	for _, tt := range []struct{ give, want string }{
		{`a\u003cb\u003e\u0026c`, "a     <b     >     &c"},
		{`\u003C\u003E`, "     <     >"},
		{`x\\u003c`, `x\\u003c`},        // an escaped backslash, then text
		{`x\\\u003c`, `x\\` + "     <"}, // an escaped backslash, then an escape
		{`\u0022\u00e9\u003d\u4e2d`, `\u0022\u00e9\u003d\u4e2d`},
		{`ab\u003`, `ab\u003`}, // cut at the end of the data, even when final
	} {
		s := e.NewScanner()
		s.Write([]byte(tt.give))
		s.Close()
		if got := string(s.buf); got != tt.want {
			t.Errorf("%q: rewritten to %q, want %q", tt.give, got, tt.want)
		}
		s.Release()
	}
}

// TestUnescapeMarkupLeavesTheCaller: the rewrite works on the scanner's
// copy of the data; the bytes a caller writes (which the proxy forwards)
// are never changed.
func TestUnescapeMarkupLeavesTheCaller(t *testing.T) {
	e := newTestEngine(t)
	body := []byte(mailRequest(t, markupTable(corpus.Records(1802, 3)), true))
	orig := bytes.Clone(body)
	s := e.NewScanner()
	defer s.Release()
	s.Write(body)
	s.Close()
	if !bytes.Equal(body, orig) {
		t.Fatal("Write changed the caller's bytes")
	}
}

// TestUnescapeMarkupAfterReset: a scanner reused for the next message
// (Reset, or the engine's pool) rewrites that message's escapes from its
// first byte.
func TestUnescapeMarkupAfterReset(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1803, 5)
	body := []byte(mailRequest(t, markupTable(recs), true))
	want := countsOf(map[Detector]int{Name: distinctNames(recs), Passport: 5, Address: 5})
	s := e.NewScanner()
	defer s.Release()
	for round := range 3 {
		s.Write(bytes.Repeat([]byte("x"), 100000*round)) // a first message of another length
		s.Reset()
		s.Write(body)
		s.Close()
		if got := s.Tally().Counts; got != want {
			t.Fatalf("round %d: got %v, want %v", round, got, want)
		}
		s.Reset()
	}
}
