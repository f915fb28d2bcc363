package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// qpEncode is data quoted-printable encoded as a mail client writes it:
// lines of at most 76 characters, CRLF line ends.
func qpEncode(tb testing.TB, data []byte) string {
	tb.Helper()
	return string(encodeWith(tb, data, func(w io.Writer) io.WriteCloser { return quotedprintable.NewWriter(w) }))
}

// emlHeader is a message's header block, From and To naming the first two
// addresses of recs (which the list holds anyway), the sender's display
// name encoded (RFC 2047), then extra fields and the blank line. It has no
// Message-ID: the e-mail detector counts one (<id@host> is an address).
func emlHeader(recs []corpus.Record, extra string) string {
	return "Return-Path: <" + recs[0].Email + ">\r\n" +
		"From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(recs[0].Name)) + "?= <" + recs[0].Email + ">\r\n" +
		"To: " + recs[1].Email + "\r\n" +
		"Subject: =?UTF-8?Q?=E5=AE=A2=E6=88=B7=E5=90=8D=E5=8D=95?=\r\n" +
		"Date: Fri, 27 Nov 2026 12:00:00 +0800\r\n" +
		"MIME-Version: 1.0\r\n" + extra + "\r\n"
}

// qpMessage is a message whose body is data, quoted-printable, of type ctype.
func qpMessage(tb testing.TB, recs []corpus.Record, ctype string, data []byte) string {
	return emlHeader(recs, "Content-Type: "+ctype+"\r\nContent-Transfer-Encoding: quoted-printable\r\n") + qpEncode(tb, data)
}

// htmlTable renders rows as an HTML table with a header row.
func htmlTable(rows [][]string) []byte {
	var b strings.Builder
	b.WriteString("<html><body><p>客户名单</p><table>\n")
	for i, row := range rows {
		cell := "td"
		if i == 0 {
			cell = "th"
		}
		b.WriteString("<tr>")
		for _, v := range row {
			fmt.Fprintf(&b, "<%s>%s</%s>", cell, html.EscapeString(v), cell)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></body></html>\n")
	return []byte(b.String())
}

// emlShapes renders recs as e-mail: the shapes of the issue's
// "quoted-printable outside multipart" gap and the MIME structures
// around it.
func emlShapes(tb testing.TB, recs []corpus.Record) []leakShape {
	tb.Helper()
	rows := csvRows(recs)
	plain := csvBytes(rows)
	crlf := bytes.ReplaceAll(plain, []byte("\n"), []byte("\r\n"))
	qp := []byte(qpMessage(tb, recs, "text/plain; charset=utf-8", crlf))
	attached := []byte(emlHeader(recs, "Content-Type: multipart/mixed; boundary=\"=_mix\"\r\n") +
		"This is a multi-part message in MIME format.\r\n" +
		"--=_mix\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qpEncode(tb, []byte("您好，客户名单见附件。\r\n")) + "\r\n" +
		"--=_mix\r\nContent-Type: text/csv; name=\"=?UTF-8?B?5a6i5oi3LmNzdg==?=\"\r\nContent-Disposition: attachment; filename=\"customers.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrapped(plain, "\r\n") + "\r\n--=_mix--\r\n")
	alternative := []byte(emlHeader(recs, "Content-Type: multipart/alternative; boundary=alt\r\n") +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qpEncode(tb, crlf) + "\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qpEncode(tb, htmlTable(rows)) + "\r\n--alt--\r\n")
	gbkBody := []byte(qpMessage(tb, recs, "text/plain; charset=gb2312", encodeText(tb, gbk, crlf)))
	third := len(rows) / 3
	var mbox bytes.Buffer
	for i, part := range [][][]string{rows[:third], rows[third : 2*third], rows[2*third:]} {
		if i > 0 {
			part = append([][]string{rows[0]}, part...)
		}
		fmt.Fprintf(&mbox, "From %s Fri Nov 27 12:00:0%d 2026\n", recs[i].Email, i)
		body := qpMessage(tb, recs, "text/csv; charset=utf-8", csvBytes(part))
		mbox.WriteString(strings.ReplaceAll(body, "\r\n", "\n") + "\n")
	}
	zipped := buildZip(tb, zfile{name: "customers.csv", data: plain})
	forwarded := []byte(emlHeader(recs[1:], "Content-Type: multipart/mixed; boundary=fwd\r\n") +
		"--fwd\r\nContent-Type: text/plain\r\n\r\nFYI\r\n" +
		"--fwd\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"list.eml\"\r\n\r\n" +
		emlHeader(recs, "Content-Type: multipart/mixed; boundary=inner\r\n") +
		"--inner\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrapped(zipped, "\r\n") + "\r\n--inner--\r\n\r\n--fwd--\r\n")
	upload, uploadType := buildMultipart(tb, filePart{field: "file", file: "list.eml", ctype: "message/rfc822", data: qp})
	return []leakShape{
		{name: "eml quoted-printable csv", body: qp},
		{name: "eml quoted-printable csv declared", body: qp, ctype: "message/rfc822"},
		{name: "eml base64 csv attachment", body: attached},
		{name: "eml quoted-printable text and html alternatives", body: alternative},
		{name: "eml gb2312 quoted-printable", body: gbkBody},
		{name: "mbox of three messages", body: mbox.Bytes(), ctype: "application/mbox"},
		{name: "eml forwarded with zip attachment", body: forwarded},
		{name: "eml in zip", body: buildZip(tb, zfile{name: "list.eml", data: qp})},
		{name: "eml uploaded as multipart part", body: upload, ctype: uploadType},
	}
}

// TestEMLQuotedPrintableGap: the reproduction, a 1,000-row list
// quoted-printable in an .eml, counted 1000 IDs and mobiles but only part
// of the cards and e-mail addresses, and no names, addresses or
// passports. Each shape now counts what the plain CSV counts. (The shapes
// also run in TestLeakShapes, TestChunkInvariance and
// TestSettledLeakBudget through leakShapes.)
func TestEMLQuotedPrintableGap(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(42, 1000)
	want := scanPlain(e, csvBytes(csvRows(recs)))
	for _, d := range inspect.AllDetectors() {
		if d != inspect.TravelPermit && want[d] != 1000 {
			t.Fatalf("plain csv counts %d of %v, want 1000", want[d], d)
		}
	}
	for _, sh := range emlShapes(t, recs) {
		t.Run(sh.name, func(t *testing.T) {
			got := extract(t, e, sh.body, sh.ctype, Limits{}, 0)
			if got.counts != want || len(got.reasons) > 0 {
				t.Errorf("counts %v %v, want %v", got.counts, got.reasons, want)
			}
		})
	}
}

// TestEMLChunkInvariance: every e-mail shape gives the same counts whole
// and in writes of 1 to 64 bytes.
func TestEMLChunkInvariance(t *testing.T) {
	e := newTestEngine(t)
	for _, sh := range emlShapes(t, corpus.Records(7, 12)) {
		want := extract(t, e, sh.body, sh.ctype, Limits{}, 0)
		for chunk := 1; chunk <= 64; chunk++ {
			got := extract(t, e, sh.body, sh.ctype, Limits{}, chunk)
			if got.counts != want.counts || !slices.Equal(got.reasons, want.reasons) {
				t.Fatalf("%s in %d-byte writes: %v %v, whole %v %v", sh.name, chunk, got.counts, got.reasons, want.counts, want.reasons)
			}
		}
	}
}

// TestEMLHTMLAlternative: the HTML alternative alone, quoted-printable,
// counts what the same table counts as a plain HTML page. (The scanner
// labels no passports from an HTML table's header, as in any HTML page.)
func TestEMLHTMLAlternative(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(42, 1000)
	page := htmlTable(csvRows(recs))
	want := scanPlain(e, page)
	if want[inspect.ResidentID] != 1000 || want[inspect.Name] != 1000 {
		t.Fatalf("plain page counts %v", want)
	}
	for _, ctype := range []string{"text/html; charset=utf-8", "text/html; charset=gbk"} {
		data := page
		if strings.HasSuffix(ctype, "gbk") {
			data = encodeText(t, gbk, page)
		}
		body := []byte(emlHeader(recs, "Content-Type: multipart/alternative; boundary=alt\r\n") +
			"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n" +
			"--alt\r\nContent-Type: " + ctype + "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			qpEncode(t, data) + "\r\n--alt--\r\n")
		if got := extract(t, e, body, "", Limits{}, 4096); got.counts != want || len(got.reasons) > 0 {
			t.Errorf("%s: counts %v %v, want %v", ctype, got.counts, got.reasons, want)
		}
	}
}

// softSplit is a body line whose mobile a quoted-printable soft line break
// splits: one mobile when the body is decoded, none when it is read as it
// is.
const softSplit = "\r\n手机 1381234=\r\n5678\r\n"

// TestSniffMessage: a header block at the start makes a message only when
// every line up to a blank line is a header field (or continues one), the
// first is a message's field, an X- field or an mbox separator, and two
// fields only a message has appear. Anything else reads as before: the
// counts equal the bare scanner's.
func TestSniffMessage(t *testing.T) {
	cte := "Content-Transfer-Encoding: quoted-printable\r\n"
	filler := strings.Repeat("X-Filler: "+strings.Repeat("a", 60)+"\r\n", maxHeader/72+1) // 72-byte lines
	cases := []struct {
		name    string
		body    string
		message bool
	}{
		{"from to subject", "From: a <a@example.com>\r\nTo: b@example.org\r\nSubject: hi\r\n" + cte + softSplit, true},
		{"received folded", "Received: from mx.example.com\r\n\tby mx2.example.org; Fri, 27 Nov 2026\r\nFrom: a@example.com\r\nDate: Fri, 27 Nov 2026\r\n" + cte + softSplit, true},
		{"dkim signature first", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n\tb=abc\r\nFrom: a@example.com\r\nTo: b@example.org\r\n" + cte + softSplit, true},
		{"x- field first", "X-Mozilla-Status: 0001\r\nMessage-ID: <1@x>\r\nMIME-Version: 1.0\r\n" + cte + softSplit, true},
		{"lf line ends", "Delivered-To: a@example.com\nReturn-Path: <b@example.org>\n" + strings.TrimSuffix(cte, "\r\n") + "\n\n手机 1381234=\n5678\n", true},
		{"mbox separator", "From a@example.com Fri Nov 27 12:00:00 2026\nFrom: a@example.com\nSubject: x\n" + strings.TrimSuffix(cte, "\r\n") + "\n\n手机 1381234=\n5678\n", true},
		{"content-type first, as Python writes", "Content-Type: text/plain; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\nFrom: a@example.com\r\nTo: b@example.org\r\n" + cte + softSplit, true},
		{"long header block", "From: a@example.com\r\nTo: b@example.org\r\n" + filler[:len(filler)/2/72*72] + cte + softSplit, true},
		{"prose from", "From: the desk of the director\r\nDear colleagues, the list: 13812345678\r\n" + cte + softSplit, false},
		{"prose from and to", "From: the director\r\nTo: all staff\r\nplease find the numbers below\r\n" + cte + softSplit, false},
		{"csv from to subject", "From,To,Subject\r\na@example.com,b@example.org,hi\r\n" + cte + softSplit, false},
		{"http request dump", "POST /upload HTTP/1.1\r\nHost: example.com\r\nFrom: a@example.com\r\nDate: x\r\n" + cte + softSplit, false},
		{"http response dump", "HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026\r\nContent-Type: text/csv\r\n" + cte + softSplit, false},
		{"http headers date first", "Date: Fri, 27 Nov 2026 12:00:00 GMT\r\nContent-Type: text/plain\r\nServer: nginx\r\n" + cte + softSplit, false},
		{"http headers host first", "Host: example.com\r\nFrom: a@example.com\r\nSubject: x\r\n" + cte + softSplit, false},
		{"one message field", "Subject: hi\r\n" + cte + softSplit, false},
		{"http headers content-type first", "Content-Type: text/plain\r\nContent-Length: 10\r\nDate: x\r\nFrom: a@example.com\r\n" + cte + softSplit, false},
		{"content-type first, one message field", "Content-Type: text/plain\r\nMIME-Version: 1.0\r\n" + cte + softSplit, false},
		{"x- fields only", "X-Request-Id: 1\r\nX-Trace: 2\r\n" + cte + softSplit, false},
		{"no blank line", "From: a@example.com\r\nTo: b@example.org\r\n" + cte + "手机 1381234=\r\n5678\r\n", false},
		{"header block over the bound", "From: a@example.com\r\nTo: b@example.org\r\n" + filler + cte + softSplit, false},
		{"mbox separator then blank", "From a@example.com Fri Nov 27 12:00:00 2026\n\nFrom: a\nTo: b\n" + strings.TrimSuffix(cte, "\r\n") + "\n\n手机 1381234=\n5678\n", false},
		{"json", `{"From": "a@example.com", "To": "b@example.org"}` + "\r\n" + cte + softSplit, false},
		{"long first line", "From: " + strings.Repeat("a", 2000) + "\r\nTo: b\r\n" + cte + softSplit, false},
	}
	e := newTestEngine(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			if c.message && !sniffMessage(body[:min(len(body), sniffLen)]) {
				t.Errorf("the head is not sniffed as a message's")
			}
			want := scanPlain(e, body)
			if want[inspect.Mobile] != 0 && !strings.Contains(c.body, "13812345678") {
				t.Fatalf("the split mobile counts as text: %v", want)
			}
			for _, chunk := range []int{0, 7} {
				got := extract(t, e, body, "", Limits{}, chunk)
				if c.message && got.counts[inspect.Mobile] != want[inspect.Mobile]+1 {
					t.Errorf("chunk %d: %v, want the split mobile counted (plain %v)", chunk, got.counts, want)
				}
				if !c.message && got.counts != want {
					t.Errorf("chunk %d: %v, want the bare scanner's %v", chunk, got.counts, want)
				}
				if len(got.reasons) > 0 {
					t.Errorf("chunk %d: uninspectable %v", chunk, got.reasons)
				}
			}
		})
	}
}

// TestEMLEncodedWords: header fields are read with their RFC 2047
// encoded-words decoded (B and Q, UTF-8, GB2312 and GBK): the counts are
// those of the decoded header, where the encoded one hides the mobile and
// the labels.
func TestEMLEncodedWords(t *testing.T) {
	b := func(charset string, s []byte) string {
		return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(s) + "?="
	}
	q := func(charset string, s []byte) string {
		var w strings.Builder
		for _, c := range s {
			fmt.Fprintf(&w, "=%02X", c)
		}
		return "=?" + charset + "?Q?" + w.String() + "?="
	}
	enc := func(s string) []byte { return encodeText(t, gbk, []byte(s)) }
	encoded := "From: " + b("UTF-8", []byte("王芳")) + " <wang.fang@example.com>\r\n" +
		"To: " + q("GB2312", enc("客户 手机号：13912345678")) + " <li.lei@example.org>\r\n" +
		"Cc: " + b("GBK", enc("姓名：张伟")) + " <z@example.net>\r\n" +
		"Subject: " + b("UTF-8", []byte("身份证号：110101199003078515 ")) + "\r\n " + q("UTF-8", []byte("住址：北京市朝阳区建国路88号")) + "\r\n" +
		"MIME-Version: 1.0\r\n\r\n见标题。\r\n"
	decoded := "From: 王芳 <wang.fang@example.com>\n" +
		"To: 客户 手机号：13912345678 <li.lei@example.org>\n" +
		"Cc: 姓名：张伟 <z@example.net>\n" +
		"Subject: 身份证号：110101199003078515 住址：北京市朝阳区建国路88号\n" +
		"MIME-Version: 1.0\n\n见标题。\n"
	e := newTestEngine(t)
	want := scanPlain(e, []byte(decoded))
	if want[inspect.Mobile] != 1 || want[inspect.ResidentID] != 1 || want[inspect.Name] == 0 || want[inspect.Address] != 1 {
		t.Fatalf("decoded header counts %v", want)
	}
	if before := scanPlain(e, []byte(encoded)); before == want {
		t.Fatalf("the encoded header counts as much as the decoded one: %v", before)
	}
	for _, chunk := range []int{0, 1, 5} {
		if got := extract(t, e, []byte(encoded), "", Limits{}, chunk); got.counts != want || len(got.reasons) > 0 {
			t.Errorf("chunk %d: %v %v, want %v", chunk, got.counts, got.reasons, want)
		}
	}
}

// TestEMLMalformed: a body that does not decode is a decode error, never a
// crash, and its bytes are still read as text.
func TestEMLMalformed(t *testing.T) {
	head := "From: a@example.com\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\n"
	cases := []struct {
		name    string
		body    string
		mobiles int
		reasons []string
	}{
		{"control byte in quoted-printable", head + "Content-Transfer-Encoding: quoted-printable\r\n\r\n13800138000 \x00 bad byte\r\n13900139000\r\n", 2, nil}, // decoded leniently
		{"quoted-printable part cut off", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n13800138000\r\n1390013=\r\n9000 =", 2, []string{ReasonDecodeError}},
		{"bad base64 body", head + "Content-Transfer-Encoding: base64\r\n\r\n%%%% 13900139000 %%%%\r\n" + strings.Repeat("text ", 300) + "\r\n13700137000\r\n", 2, []string{ReasonDecodeError}},
		{"bad base64 attachment", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte("13800138000,")) + "\r\n@@ 13900139000\r\n--b--\r\n", 2, []string{ReasonDecodeError}},
		{"truncated base64", head + "Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte("手机 13800138000"))[:22], 0, []string{ReasonDecodeError}},
		{"missing boundary", head + "Content-Type: multipart/mixed; boundary=nowhere\r\n\r\nno delimiter 13800138000\r\n", 1, nil},
		{"boundary never closed", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n13800138000\r\n", 1, []string{ReasonDecodeError}},
		{"nested message without header", head + "Content-Type: message/rfc822\r\n\r\njust text 13800138000\r\n", 1, nil},
		{"header without body", head + "Subject: 13800138000\r\n", 1, nil},
	}
	e := newTestEngine(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 7} {
				got := extract(t, e, []byte(c.body), "", Limits{}, chunk)
				if got.counts[inspect.Mobile] != c.mobiles || !slices.Equal(got.reasons, c.reasons) {
					t.Errorf("chunk %d: %d mobiles %v, want %d %v", chunk, got.counts[inspect.Mobile], got.reasons, c.mobiles, c.reasons)
				}
			}
		})
	}
}

// BenchmarkEML: a customer list of 30,000 rows (4.4 MB) as a plain CSV and
// quoted-printable in an .eml (8.1 MB, the UTF-8 of its Chinese escaped),
// written in the proxy's 32 KiB chunks; MB/s are of raw input.
func BenchmarkEML(b *testing.B) {
	e := newTestEngine(b)
	recs := corpus.Records(11, 30000)
	list := csvBytes(csvRows(recs))
	eml := []byte(qpMessage(b, recs, "text/csv; charset=utf-8", bytes.ReplaceAll(list, []byte("\n"), []byte("\r\n"))))
	for _, sh := range []benchShape{
		{name: "csv", body: list, ctype: "text/csv"},
		{name: "eml-qp", body: eml},
	} {
		b.Run("shape="+sh.name, func(b *testing.B) { benchExtractor(b, e, sh) })
	}
}

// TestEMLPaddedDecoding: a quoted-printable body may pad a soft break
// with blanks (transport padding) or hold soft breaks alone, a base64 body
// may hold blank lines, and those bytes decode to nothing: here a
// kilobyte of them between the digits (or the base64 quanta) of each
// mobile and ID. No ratio of encoded to decoded bytes bounds what the text
// held for a value stands for, so Settled follows where the decoder is in
// its input: whatever prefix it releases, every value in it was counted.
// Both fail with the ratio bound the frames used at first (4 and 2).
func TestEMLPaddedDecoding(t *testing.T) {
	recs := corpus.Records(3, 40)
	head := "From: a@example.com\r\nTo: b@example.org\r\nContent-Transfer-Encoding: "
	var qp, list strings.Builder
	pad := "=" + strings.Repeat(" ", 70) + "\r\n" + strings.Repeat("=\r\n", 300)
	for _, r := range recs {
		line := "手机 " + r.Mobile + " " + r.ResidentID + "\r\n"
		list.WriteString(line)
		for _, c := range line {
			qp.WriteString(string(c) + pad)
		}
	}
	enc := base64.StdEncoding.EncodeToString([]byte(list.String()))
	var b64 strings.Builder
	for i := 0; i < len(enc); i += 4 {
		b64.WriteString(enc[i:i+4] + strings.Repeat("\r\n", 300))
	}
	e := newTestEngine(t)
	for _, body := range []string{head + "quoted-printable\r\n\r\n" + qp.String(), head + "base64\r\n\r\n" + b64.String()} {
		got := extract(t, e, []byte(body), "", Limits{}, 0)
		if got.counts[inspect.Mobile] != len(recs) || got.counts[inspect.ResidentID] != len(recs) || len(got.reasons) > 0 {
			t.Fatalf("counts %v %v, want %d mobiles and IDs", got.counts, got.reasons, len(recs))
		}
		for _, chunk := range []int{512, 4096, benchChunk} {
			checkLeakBudget(t, e, []byte(body), "", Limits{}, chunk, 0)
		}
	}
}

// TestEMLMessageIDs: the identifiers of a message (Message-ID, In-Reply-To,
// References, Content-ID) are no e-mail addresses, so an mbox of many
// messages between two people counts two; the digits in them are still
// read.
func TestEMLMessageIDs(t *testing.T) {
	var box strings.Builder
	for i := range 40 {
		fmt.Fprintf(&box, "From wang.fang@example.com Fri Nov 27 10:%02d:00 2026\r\n", i)
		fmt.Fprintf(&box, "From: wang.fang@example.com\r\nTo: li.lei@example.org\r\nSubject: re %d\r\n", i)
		fmt.Fprintf(&box, "Message-ID: <20261127.%d.abc@mail.example.com>\r\n", i)
		fmt.Fprintf(&box, "X-Microsoft-Original-Message-ID: <x%d@mail.example.com>\r\n", i)
		fmt.Fprintf(&box, "In-Reply-To: <20261127.%d.abc@mail.example.com>\r\n", i+100)
		fmt.Fprintf(&box, "References: <r%d@mail.example.com>\r\n <q%d@mail.example.com>\r\n", i, i)
		box.WriteString("MIME-Version: 1.0\r\n\r\nok\r\n\r\n")
	}
	box.WriteString("From wang.fang@example.com Fri Nov 27 11:00:00 2026\r\n" +
		"From: wang.fang@example.com\r\nTo: li.lei@example.org\r\nMIME-Version: 1.0\r\n" +
		"Message-ID: <13912345678@mail.example.com>\r\n\r\nok\r\n")
	e := newTestEngine(t)
	for _, chunk := range []int{0, 1, 7} {
		got := extract(t, e, []byte(box.String()), "", Limits{}, chunk)
		if got.counts[inspect.Email] != 2 || got.counts[inspect.Mobile] != 1 {
			t.Errorf("chunk %d: %d e-mail addresses and %d mobiles, want 2 and 1 (%v)", chunk, got.counts[inspect.Email], got.counts[inspect.Mobile], got.counts)
		}
	}
}
