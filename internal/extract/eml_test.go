package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
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
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
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
