package inspect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// Review 19 (red team): unescaping markup by removing bytes (6f434eb,
// 413ce74, 024c76e), and Settled mapping the scanner's shorter stream back
// to the caller's offsets. The oracle of the failing tests is the one
// markup.go states: a body counts what the same body sent unescaped counts
// (SetEscapeHTML(false)), whole and however it is split into writes.

// TestReview19NestedJSONMarkup (failed at 024c76e, fixed in 2d9a639). Input: an AWS SQS SendMessage
// request (JSON protocol, as the Go SDK sends it; EventBridge PutEvents'
// Detail and webhooks carrying a stringified payload are the same shape)
// whose MessageBody is a SendGrid-style mail request marshalled by Go's
// encoding/json: a 20-row HTML table of names, passports and addresses.
// The inner json.Marshal writes \u003ctd\u003e, the outer one escapes its
// backslash: \\u003ctd\\u003e. Expected: 20 names, 20 passports, 20
// addresses, as the same two documents marshalled with
// SetEscapeHTML(false) count (and as the inner request alone counts).
// Got: 0, 0, 0. Cause: markupEscapeAt unescapes \u003c only after an even
// run of backslashes, so the escape of a JSON string inside a JSON string
// (\\u003c, odd run 1 before the \u) is read as "an escaped backslash,
// then text", although the scanner follows strings in strings elsewhere
// (\\n line breaks, \\\" quotes: codeJSON2). A whole bulk table is missed.
func TestReview19NestedJSONMarkup(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1901, 20)
	html := markupTable(recs)
	want := countsOf(map[Detector]int{Name: distinctNames(recs), Passport: 20, Address: 20})
	sqs := func(escapeHTML bool) string {
		return jsonEncode(t, map[string]string{
			"QueueUrl":    "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/outbound-mail",
			"MessageBody": mailRequest(t, html, escapeHTML),
		}, escapeHTML)
	}
	escaped := sqs(true)
	if !strings.Contains(escaped, `\\u003ctd\\u003e`) {
		t.Fatalf("not a nested Go-escaped body: %.300s", escaped)
	}
	for _, tt := range []scanTest{
		{"inner request alone (control)", mailRequest(t, html, true), want},
		{"nested, not HTML-escaped (control)", sqs(false), want},
		{"nested, Go-escaped", escaped, want},
	} {
		if got := scanAll(e, []byte(tt.give)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestReview19XMLTextInGoJSON (failed at 024c76e, fixed in 2d9a639). Input: a JSON request that
// carries an Exchange Web Services CreateItem (the mail's HTML body is XML
// text: &lt;td&gt;) as a string field, marshalled by Go's encoding/json,
// which spells every '&' \u0026: \u0026lt;td\u0026gt;. Expected: 20
// names, 20 passports, 20 addresses and the recipient's e-mail, as the EWS
// request alone counts and as the very same JSON document written with
// SetEscapeHTML(false) ("&lt;td&gt;" in the string) counts. Got: 0, 0, 0
// and the e-mail. Cause: markupEscapeAt leaves \u0026 before lt; gt; amp;
// escaped on purpose ("unescaped once: the &lt; of a page's text in a
// JSON string stays text"), but the raw spelling &lt; of the same JSON
// string is unescaped: the two byte spellings of one JSON value count
// differently. \u0026 is the JSON layer's '&', so \u0026lt; should read
// as &lt; does in the same string.
func TestReview19XMLTextInGoJSON(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1902, 20)
	soap := ewsCreateItem(t, markupTable(recs))
	want := countsOf(map[Detector]int{Name: distinctNames(recs), Passport: 20, Address: 20, Email: 1})
	wrap := func(escapeHTML bool) string {
		return jsonEncode(t, map[string]string{"endpoint": "https://outlook.office365.com/EWS/Exchange.asmx", "request": soap}, escapeHTML)
	}
	for _, tt := range []scanTest{
		{"EWS request alone (control)", soap, want},
		{"in JSON, not HTML-escaped (control)", wrap(false), want},
		{"in JSON, Go-escaped (\\u0026lt;td\\u0026gt;)", wrap(true), want},
	} {
		if got := scanAll(e, []byte(tt.give)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestReview19FirstEscapeInsideNumber (failed at 024c76e, fixed in 2d9a639). Input: a number whose
// groups a rich-text editor joined with &nbsp; (138&nbsp;1234&nbsp;5678),
// in a JSON field marshalled by Go (\u0026nbsp;) or in XML text
// (&amp;nbsp;), when that &nbsp; is the message's first markup escape (no
// tag before it: a form field, a CRM remark, a plain-text snippet of a
// rich editor). Expected: 1 mobile / 1 bank card / 1 resident ID, as the
// unescaped JSON counts. Got: 0 in the Go-escaped and XML forms. Cause:
// the scan loop decides the first group (138, too short) before it meets
// the escape; startMarkup then unescapes and rescans from the escape with
// lo = i, so runStart cannot walk back to the group before it: the run is
// read as 1234&nbsp;5678. (TestReview18NbspJoinedNumbers passes only
// because a \u003cp\u003e comes first and starts the unescaping.)
func TestReview19FirstEscapeInsideNumber(t *testing.T) {
	e := newTestEngine(t)
	for _, tt := range []struct {
		text string
		want [NumDetectors]int
	}{
		{"手机：138&nbsp;1234&nbsp;5678", countsOf(map[Detector]int{Mobile: 1})},
		{"卡号：6222&nbsp;0212&nbsp;3456&nbsp;7890", countsOf(map[Detector]int{BankCard: 1})},
		{"身份证 110101&nbsp;19900307&nbsp;8670", countsOf(map[Detector]int{ResidentID: 1})},
	} {
		xml := "<t:Body>" + strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(tt.text) + "</t:Body>"
		for name, body := range map[string]string{
			"JSON, not HTML-escaped (control)": jsonEncode(t, map[string]string{"remark": tt.text}, false),
			"JSON, Go-escaped":                 jsonEncode(t, map[string]string{"remark": tt.text}, true),
			"XML text":                         xml,
		} {
			if got := scanAll(e, []byte(body)); got != tt.want {
				t.Errorf("%s %q: got %v, want %v", name, body, got, tt.want)
			}
		}
	}
}

// TestReview19FirstEscapeStaleOffsets (failed at 024c76e, fixed in 2d9a639). Input: (a) a table inside
// a JSON string (a chat request: psql output, rows pasted from a sheet
// with tabs, CSV) of 护照号 | 姓名 | 备注, whose first row's last cell is a
// company "A&B" (Go writes A\u0026B), the message's first markup escape;
// (b) an HTML report table (序号, 护照号) whose passport cells are links
// (<a href="/c?id=1&amp;tab=2">, as every HTML writer escapes '&' in an
// attribute), the first &amp; being the first escape. Expected: 6 and 4
// passports, as the unescaped bodies count. Got: 5 and 3. Cause: handlers
// that ran before the scan loop met the first escape stored stream
// offsets read ahead over the still-escaped bytes: the next row's first
// cell (textTable.firstAt, from nextRow/rowStart at the previous cell's
// end; rowEnd too), the cell text after nested tags (tableState.cellAt,
// cellStart skips <a ...>). Unescaping from the escape on moves those
// bytes up, so the offsets point past the cell and the value there loses
// its column's context. Each message loses the value after its first
// escape.
func TestReview19FirstEscapeStaleOffsets(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1903, 6)
	for _, style := range []string{"psql", "tab", "csv"} {
		var b strings.Builder
		switch style {
		case "psql":
			b.WriteString(" 护照号 | 姓名 | 备注\n-----------+------+------\n")
		case "tab":
			b.WriteString("护照号\t姓名\t备注\n")
		case "csv":
			b.WriteString("护照号,姓名,备注\n")
		}
		for i, r := range recs {
			note := "无"
			if i == 0 {
				note = "A&B"
			}
			switch style {
			case "psql":
				b.WriteString(" " + r.Passport + " | " + r.Name + " | " + note + "\n")
			case "tab":
				b.WriteString(r.Passport + "\t" + r.Name + "\t" + note + "\n")
			case "csv":
				b.WriteString(r.Passport + "," + r.Name + "," + note + "\n")
			}
		}
		req := map[string]any{"model": "gpt-4o", "messages": []map[string]string{{"role": "user", "content": "整理这个表格：\n" + b.String()}}}
		want := countsOf(map[Detector]int{Passport: 6, Name: distinctNames(recs)})
		for _, escapeHTML := range []bool{false, true} {
			if got := scanAll(e, []byte(jsonEncode(t, req, escapeHTML))); got != want {
				t.Errorf("%s table in JSON, escapeHTML=%v: got %v, want %v", style, escapeHTML, got, want)
			}
		}
	}
	linked := corpus.Records(1904, 4)
	for _, href := range []string{"/c?id=1&tab=2", "/c?id=1&amp;tab=2"} {
		var b strings.Builder
		b.WriteString("<table><tr><th>序号</th><th>护照号</th></tr>")
		for i, r := range linked {
			fmt.Fprintf(&b, `<tr><td>%d</td><td><a href="%s">%s</a></td></tr>`, i+1, href, r.Passport)
		}
		b.WriteString("</table>")
		if got, want := scanAll(e, []byte(b.String())), countsOf(map[Detector]int{Passport: 4}); got != want {
			t.Errorf("HTML table, links %q: got %v, want %v", href, got, want)
		}
	}
}

// TestReview19HeaderLineRawTail (failed at 024c76e, fixed in 2d9a639). Input: a message whose first part
// (an HTML field, <p>见附件 A&amp;B</p>) starts the unescaping, then, after
// Boundary, a CSV export whose title line was HTML-escaped by the app that
// wrote it (客户名单 - R&amp;D), then 姓名,护照号,住址 and 5 rows. Written
// whole after the Boundary, and in writes cut right after the title line
// (the same bytes; 1-byte writes cut there too). Expected: the same counts
// either way. Got: 5 names, 5 passports, 5 addresses whole, 0 when the
// write ends at the title's line feed. Cause: after Boundary, readHeader
// reads a part's first lines from buf[pos:] up to the end of the data, but
// unescapeMarkup (not final) leaves the last markupCut bytes escaped
// until more data comes: the title line ends "R&amp;D" in one split and
// "R&D" in the other, its ';' makes it a ';' row instead of a title, and
// the header under it is never read. (Unescaping then started at the
// first escape the scan loop met; it now runs from a message's start, and
// readHeader reads only the bytes already unescaped.) Through extract.Extractor the
// text layer's writes did not end at the line feed in our tries; the
// Scanner API (Write, Boundary) is public.
func TestReview19HeaderLineRawTail(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1905, 5)
	var b strings.Builder
	b.WriteString("客户名单 - R&amp;D\n姓名,护照号,住址\n")
	for _, r := range recs {
		b.WriteString(r.Name + "," + r.Passport + "," + r.Address + "\n")
	}
	part := []byte(b.String())
	scan := func(cuts []int) [NumDetectors]int {
		s := e.NewScanner()
		defer s.Release()
		s.Write([]byte("<p>见附件 A&amp;B</p>"))
		s.Boundary()
		prev := 0
		for _, c := range cuts {
			s.Write(part[prev:c])
			prev = c
		}
		s.Write(part[prev:])
		s.Close()
		return s.Tally().Counts
	}
	whole := scan(nil)
	title := strings.IndexByte(b.String(), '\n') + 1
	if got := scan([]int{title}); got != whole {
		t.Errorf("cut after the title line: got %v, whole %v", got, whole)
	}
	var ones []int
	for c := 1; c < len(part); c++ {
		ones = append(ones, c)
	}
	if got := scan(ones); got != whole {
		t.Errorf("1-byte writes: got %v, whole %v", got, whole)
	}
}

// TestReview19SettledInsidePassportLetters (failed; not caused by the
// markup change: the unescaped body did it too). Input: the mail request
// of a 300-row table, written in 1-byte writes, with and without HTML
// escaping. Expected: every passport that starts before Settled() has been
// counted (Scanner.Write's contract). Got: Settled stood 2 bytes into an
// uncounted passport (EV7370507: after "EV"). Cause: at the pass limit the
// walk back over a digit run stopped at a byte mayBeInRun rejects: the
// letters of a passport (any non-hex letter: EV, G) were left before pos.
// The walk back now steps over two capital letters too, which fixed the
// escaped body; one case is left in the other (ET0534763 after 1-byte
// writes): a stop at the T (a tag's letter) set lo there, and the walk
// back does not go before lo. Known gap, documented at Settled: the bytes
// released hold no whole value, so this pins that (a passport that ends
// before Settled has been counted).
func TestReview19SettledInsidePassportLetters(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(1914, 300)
	html := markupTable(recs)
	for _, escapeHTML := range []bool{false, true} {
		s := e.NewScanner()
		if why := r19Leak(s, []byte(mailRequest(t, html, escapeHTML)), recs, len(recs[0].Passport)-1, func() int { return 1 }, nil); why != "" {
			t.Errorf("escapeHTML=%v: %s", escapeHTML, why)
		}
		s.Release()
	}
}

// r19Leak writes body to s in writes of next() bytes (after, if given,
// runs after each) and reports the first breach of Settled's contract:
// Settled goes back or passes what was written; a passport of recs whose
// start plus slack lies before Settled is not counted yet; Settled is not
// the body's length at Close, or the passports are not all counted then.
func r19Leak(s *Scanner, body []byte, recs []corpus.Record, slack int, next func() int, after func(*Scanner, []byte)) string {
	var starts []int
	for _, r := range recs {
		if k := strings.Index(string(body), r.Passport); k >= 0 {
			starts = append(starts, k+slack)
		}
	}
	var settled int64
	for at := 0; at < len(body); {
		n := min(next(), len(body)-at)
		s.Write(body[at : at+n])
		if after != nil {
			after(s, body[at:at+n])
		}
		at += n
		got := s.Settled()
		if got < settled || got > int64(at) {
			return fmt.Sprintf("%d written: Settled %d after %d", at, got, settled)
		}
		settled = got
		k := 0
		for _, st := range starts {
			if int64(st) < got {
				k++
			}
		}
		if c := s.Tally().Counts[Passport]; c < k {
			return fmt.Sprintf("%d written, Settled %d: %d passports start before it, %d counted", at, got, k, c)
		}
	}
	s.Close()
	if got := s.Settled(); got != int64(len(body)) {
		return fmt.Sprintf("Settled %d at Close, want %d", got, len(body))
	}
	if c := s.Tally().Counts[Passport]; c != len(starts) {
		return fmt.Sprintf("%d passports at Close, want %d", c, len(starts))
	}
	return ""
}

// TestReview19SettledNeverLeadsOnMarkup (pinned, passes). Input: Go-,
// Gson- and XML-escaped tables of 120 rows; one with six escaped empty
// tags before every cell (dense removals); one whose
// first escape comes after 100 KB of text; one mixing \u0026amp; with the
// JSON escapes. Written in 1-, 5-, 6-byte writes, around the holdback
// (511-513), in 32 KiB and 40,000-byte writes, in random writes after a
// Reset of a scanner left mid-escape by an abandoned message; an NDJSON
// stream settled at every line feed; and parts separated by Boundary.
// Expected and got: Settled never goes back nor past the bytes written, is
// exact after Boundary and at Close, and no passport whose digits start
// before it is uncounted (the letters before them: see
// TestReview19SettledInsidePassportLetters).
func TestReview19SettledNeverLeadsOnMarkup(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(1906, 1907))
	recs := corpus.Records(1906, 120)
	html := markupTable(recs)
	dense := strings.ReplaceAll(html, "<td>", strings.Repeat("<span></span>", 6)+"<td>")
	bodies := map[string]string{
		"go":      mailRequest(t, html, true),
		"gson":    r18Gson(mailRequest(t, html, true)),
		"xml":     ewsCreateItem(t, html),
		"dense":   mailRequest(t, dense, true),
		"late":    strings.Repeat("这是一段没有转义的文字。", 3000) + mailRequest(t, html, true),
		"amp;amp": mailRequest(t, strings.ReplaceAll(html, "&nbsp;", "&amp;"), true),
	}
	for name, body := range bodies {
		sizes := []int{5, 6, 511, 512, 513, 32 << 10, 40000}
		if name == "go" || name == "xml" {
			sizes = append(sizes, 1)
		}
		for _, n := range sizes {
			s := e.NewScanner()
			if why := r19Leak(s, []byte(body), recs, 2, func() int { return n }, nil); why != "" {
				t.Errorf("%s, %d-byte writes: %s", name, n, why)
			}
			s.Release()
		}
		s := e.NewScanner()
		s.Write([]byte(`{"a":"\u003c\u003`)) // an abandoned message, cut mid-escape
		s.Reset()
		if why := r19Leak(s, []byte(body), recs, 2, func() int { return 1 + r.IntN(3000) }, nil); why != "" {
			t.Errorf("%s, random writes after Reset: %s", name, why)
		}
		s.Release()
	}
	// NDJSON: one record per 4 rows, settled at every line feed.
	var nd strings.Builder
	for i := 0; i < len(recs); i += 4 {
		nd.WriteString(mailRequest(t, markupTable(recs[i:i+4]), true))
	}
	settleLines := func(s *Scanner, p []byte) {
		if p[len(p)-1] == '\n' {
			s.Settle()
		}
	}
	for _, n := range []int{1, 7, 300} {
		s := e.NewScanner()
		if why := r19Leak(s, []byte(nd.String()), recs, 2, func() int { return n }, settleLines); why != "" {
			t.Errorf("NDJSON, %d-byte writes, Settle per line: %s", n, why)
		}
		s.Release()
	}
	// Parts: Settled is exact after every Boundary.
	s := e.NewScanner()
	defer s.Release()
	written := 0
	for i, part := range []string{bodies["go"], bodies["xml"], `x\u003`, bodies["dense"][:5000], "&am"} {
		for off := 0; off < len(part); off += 777 {
			s.Write([]byte(part[off:min(len(part), off+777)]))
		}
		written += len(part)
		s.Boundary()
		if got := s.Settled(); got != int64(written) {
			t.Errorf("part %d: Settled %d after Boundary, %d written", i, got, written)
		}
	}
}

// r19Soup returns n random pieces: markup escapes of every kind (cut
// ones too), escapes of escapes, tags, labels, table delimiters and values.
func r19Soup(r *rand.Rand, recs []corpus.Record, n int) string {
	toks := []string{`\u003c`, `\u003e`, `\u0026`, `\u003d`, `\u0027`, `\u003C`, `&lt;`, `&gt;`, `&amp;`, `\u0026lt;`, `&amp;lt;`, `\\u003c`, `\\\u003c`,
		`\u003ctd\u003e`, `\u003c/td\u003e`, `\u003ctr\u003e`, `&lt;td&gt;`, `&lt;/td&gt;`, `&nbsp;`, `\u0026nbsp;`, `&amp;nbsp;`,
		"姓名：", "护照号:", "住址=", "手机", `\n`, "\n", ",", "|", `\t`, " ", "x", `\u`, `\u00`, `&`, `\`, "&#49;", `\u0031`, `&l`,
		`\u003cth\u003e姓名\u003c/th\u003e`, `\u003cth\u003e护照号\u003c/th\u003e`, "<table>", `\u003ctable\u003e`, "&lt;table&gt;"}
	var b strings.Builder
	for range n {
		if r.IntN(4) > 0 {
			b.WriteString(toks[r.IntN(len(toks))])
			continue
		}
		rec := recs[r.IntN(len(recs))]
		b.WriteString([]string{rec.Name, rec.Passport, rec.Address, rec.Mobile, rec.ResidentID}[r.IntN(5)])
	}
	return b.String()
}

// TestReview19SplitInvariantEscapeSoup (pinned, passes). Input: 400
// bodies of random pieces (JSON escapes and entities mixed, escapes of
// escapes, cut escapes, escapes at every offset of a write and of the
// 512-byte holdback, values right after escapes), and 6 bodies of 40-110
// KB. Expected and got: whole, 1-byte and random writes count the same.
func TestReview19SplitInvariantEscapeSoup(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(1908, 1909))
	recs := corpus.Records(1908, 40)
	for i := range 400 {
		body := []byte(r19Soup(r, recs, 30+r.IntN(500)))
		if why := splitMismatch(e, r, body); why != "" {
			t.Fatalf("body %d: %s\n%s", i, why, body)
		}
	}
	for i := range 6 {
		body := []byte(r19Soup(r, recs, 5000+r.IntN(8000)))
		whole := scanAll(e, body)
		var cuts []int
		for c := r.IntN(40000); c < len(body); c += 1 + r.IntN(40000) {
			cuts = append(cuts, c)
		}
		if got := splitScan(e, body, cuts); got != whole {
			t.Errorf("large body %d (%d bytes): whole %v, cut at %v: %v", i, len(body), whole, cuts, got)
		}
		if i < 2 {
			if got := oneByteScan(e, body); got != whole {
				t.Errorf("large body %d (%d bytes): whole %v, 1-byte writes %v", i, len(body), whole, got)
			}
		}
	}
}

// TestReview19WriteAllocs (pinned, passes). Input: 32 KiB writes of a
// 400 KB Go-escaped mail request (2,000 rows) and of a body made only of
// escapes (\u003c\u003e\u0026: five of six bytes removed), after warm-up.
// Expected and got: no allocation per Write, and the notes of removals
// stay a handful long (one per 256-byte grain not yet scanned).
func TestReview19WriteAllocs(t *testing.T) {
	e := newTestEngine(t)
	for name, body := range map[string][]byte{
		"mail request": []byte(mailRequest(t, markupTable(corpus.Records(1910, 2000)), true)),
		"escapes only": []byte(strings.Repeat(`\u003c\u003e\u0026`, 20000)),
	} {
		s := e.NewScanner()
		const chunk = 32 << 10
		off := 0
		write := func() {
			if off+chunk > len(body) {
				off = 0
			}
			s.Write(body[off : off+chunk])
			off += chunk
		}
		for range 20 {
			write()
		}
		if allocs := testing.AllocsPerRun(50, write); allocs != 0 {
			t.Errorf("%s: %v allocations per 32 KiB Write", name, allocs)
		}
		if limit := cap(s.buf)/removalGrain + 2; len(s.removals) > limit || cap(s.removals) > 2*limit {
			t.Errorf("%s: %d notes (capacity %d), want %d at most", name, len(s.removals), cap(s.removals), limit)
		}
		s.Release()
	}
}
