package inspect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// markupTable is corpus.HTMLTable: recs under 姓名, 护照号 and 住址.
func markupTable(recs []corpus.Record) string { return corpus.HTMLTable(recs) }

// mailRequest is corpus.MailRequest as a string: a mail API request with
// html as its content, markup escaped by encoding/json or not.
func mailRequest(t *testing.T, html string, escapeHTML bool) string {
	t.Helper()
	return string(corpus.MailRequest(html, escapeHTML))
}

// jsonEncode encodes v as Go's encoding/json does: escaping '<', '>' and
// '&' as \u003c, \u003e and \u0026 (json.Marshal, and an Encoder by
// default), or not.
func jsonEncode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
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

// TestUnescapeMarkup pins the unescaping itself: \u003c, \u003e, \u0026,
// \u003d and \u0027 after an even run of backslashes, \\u003c (a JSON
// string inside a JSON string), \u0026lt; (an entity so escaped), and
// &lt;, &gt; and &amp;, become their characters, once; three escaped
// backslashes before u003c, other escapes, and an escape the data cuts
// stay as they are.
func TestUnescapeMarkup(t *testing.T) {
	e := newTestEngine(t)
	for _, tt := range []struct{ give, want string }{
		{`a\u003cb\u003e\u0026c`, "a<b>&c"},
		{`\u003C\u003E colspan\u003d\u00272\u0027`, "<> colspan='2'"},
		{`x \\u003c \\\u003c`, `x < \\<`},                     // inside a string inside a string; an escaped backslash, then an escape
		{`x \\\\u003c`, `x \\\\u003c`},                        // escaped backslashes, then text
		{`\u0022\u00e9\u4e2d \u003c`, `\u0022\u00e9\u4e2d <`}, // other escapes
		{`\u003c ab\u003`, `< ab\u003`},                       // cut at the end of the data, even when final
		{`a \u0026lt;b\u0026gt; \u0026amp;lt; \u0026#24352;`, "a <b> &lt; &#24352;"},
		{"a&lt;b&gt;&amp;c", "a<b>&c"},
		{"&lt; &amp;lt; &amp;nbsp; \\u003c", "< &lt; &nbsp; <"},
		{"&lt; &lt &#60; &LT;", "< &lt &#60; &LT;"},
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

// ewsCreateItem is an Exchange Web Services request that sends a mail with
// html as its body: the HTML is the text of an XML element, escaped as Go's
// encoding/xml escapes text (&lt;, &gt;, &amp;, and &#34; and &#xA; for
// quotes and line breaks).
func ewsCreateItem(t *testing.T, html string) string {
	t.Helper()
	var body bytes.Buffer
	if err := xml.EscapeText(&body, []byte(html)); err != nil {
		t.Fatal(err)
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
<soap:Body><m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message>
<t:Subject>客户名单</t:Subject>
<t:Body BodyType="HTML">` + body.String() + `</t:Body>
<t:ToRecipients><t:Mailbox><t:EmailAddress>partner@example.com</t:EmailAddress></t:Mailbox></t:ToRecipients>
</t:Message></m:Items></m:CreateItem></soap:Body></soap:Envelope>`
}

// TestMarkupEscapedInXML: an HTML table sent as the escaped text of an XML
// element (a mail sent through Exchange Web Services, an Atom entry)
// counts what the table itself counts, whole, in 1-byte writes and in
// random writes.
func TestMarkupEscapedInXML(t *testing.T) {
	recs := corpus.Records(1804, 40)
	html := markupTable(recs)
	soap := ewsCreateItem(t, html)
	if !strings.Contains(soap, "&lt;td&gt;&amp;nbsp;") {
		t.Fatalf("encoding/xml did not escape the markup: %.300s", soap)
	}
	tables := countsOf(map[Detector]int{Name: distinctNames(recs), Passport: 40, Address: 40})
	withMail := tables
	withMail[Email] = 1 // the recipient's address
	runSplitScanTests(t, []scanTest{
		{"the table as HTML", html, tables},
		{"escaped in an EWS request", soap, withMail},
	}, 1804)
}

// TestMarkupSettled: the scanner removes bytes as it unescapes, and
// Settled still counts the caller's bytes. Written in 1-byte and random
// writes, Settled never goes back, never passes what was written, and
// reaches the body's length at Close; and what it says is settled is: the
// counts at that moment are at least those of the body cut there and
// scanned whole (a value that starts before Settled has been counted).
func TestMarkupSettled(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1805, 6)
	r := rand.New(rand.NewPCG(1805, 1806))
	for _, body := range []string{mailRequest(t, markupTable(recs), true), ewsCreateItem(t, markupTable(recs))} {
		for round := range 4 {
			s := e.NewScanner()
			var settled int64
			for at := 0; at < len(body); {
				n := 1
				if round > 0 {
					n = 1 + r.IntN(200)
				}
				n = min(n, len(body)-at)
				s.Write([]byte(body[at : at+n]))
				at += n
				got := s.Settled()
				if got < settled || got > int64(at) {
					t.Fatalf("round %d, %d bytes written: Settled %d after %d", round, at, got, settled)
				}
				settled = got
				if cut := scanAll(e, []byte(body[:got])); !atLeast(s.Tally().Counts, cut) {
					t.Fatalf("round %d, %d bytes written, Settled %d: counts %v, the body cut there counts %v", round, at, got, s.Tally().Counts, cut)
				}
			}
			s.Close()
			if got := s.Settled(); got != int64(len(body)) {
				t.Fatalf("round %d: Settled %d at Close, want %d", round, got, len(body))
			}
			s.Release()
		}
	}
}

// atLeast reports whether every count of a is at least b's.
func atLeast(a, b [NumDetectors]int) bool {
	for d := range a {
		if a[d] < b[d] {
			return false
		}
	}
	return true
}

// TestMarkupNotesBounded: the notes of where bytes were removed stay
// bounded by the scanner's buffer, however long a body dense with escapes
// runs and whether or not the caller asks Settled; Settled is exact again
// at Close.
func TestMarkupNotesBounded(t *testing.T) {
	e := newTestEngine(t)
	row := strings.Repeat(`\u003ctr\u003e\u003ctd\u003e\u0026nbsp;x\u003c/td\u003e\u003c/tr\u003e`, 100)
	s := e.NewScanner()
	defer s.Release()
	limit := cap(s.buf)/removalGrain + 2
	written := 0
	for range 4 << 20 / len(row) {
		s.Write([]byte(row))
		written += len(row)
		if len(s.removals) > limit {
			t.Fatalf("%d bytes written: %d notes of removals, want %d at most", written, len(s.removals), limit)
		}
	}
	if cap(s.removals) > 2*limit {
		t.Fatalf("the notes grew to a capacity of %d, want %d at most", cap(s.removals), 2*limit)
	}
	s.Close()
	if got := s.Settled(); got != int64(written) {
		t.Fatalf("Settled %d at Close, want %d", got, written)
	}
}
