package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// The fuzzer minimizes every input that finds new coverage before it goes
// on, and minimizing costs about the square of the input's length in
// runs: seeds of a few kilobytes kept each worker minimizing for its whole
// -fuzzminimizetime (60 s) and reporting a handful of executions. Seeds
// here are a few hundred bytes, and the limits keep one run cheap.

// fuzzExtract runs body through an extractor whole and in 7-byte chunks:
// it must not panic or hang, must settle the whole body at Close, and the
// counts must not depend on the chunking.
func fuzzExtract(t *testing.T, e *inspect.Engine, body []byte, ctype string) {
	lim := Limits{Hold: 64 << 10, MaxTotal: 256 << 10, MaxEntries: 16} // a mutated archive may inflate to MaxTotal
	whole := extract(t, e, body, ctype, lim, 0)
	split := extract(t, e, body, ctype, lim, 7)
	if whole.counts != split.counts {
		t.Fatalf("counts depend on chunking: %v whole, %v in 7-byte chunks", whole.counts, split.counts)
	}
}

// fuzzSeeds returns a one-record list and a spreadsheet of it with one
// sheet of inline strings and a shared string, stored uncompressed.
func fuzzSeeds(tb testing.TB) (csvData, xlsx []byte) {
	r := corpus.Records(1, 1)[0]
	csvData = csvBytes(csvRows([]corpus.Record{r}))
	sheet := fmt.Sprintf(`<worksheet><sheetData><row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>%s</t></is></c><c><v>%s</v></c></row></sheetData></worksheet>`, r.ResidentID, r.Mobile)
	xlsx = buildZip(tb,
		zfile{name: "[Content_Types].xml", store: true},
		zfile{name: "xl/worksheets/sheet1.xml", data: []byte(sheet), store: true},
		zfile{name: sharedStringsPart, data: []byte(`<sst><si><t>姓名</t></si></sst>`), store: true},
	)
	return csvData, xlsx
}

func FuzzMultipart(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	body, ctype := buildMultipart(f,
		filePart{field: "a", data: []byte("姓名：张三")},
		filePart{field: "f", file: "x.csv", ctype: "text/csv; charset=gbk", data: encodeText(f, gbk, csvData)},
		filePart{field: "x", file: "x.xlsx", data: xlsx},
	)
	f.Add(body, ctype)
	f.Add(body, "")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n13800138000\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte("pre 13800138000\n--b\nContent-Disposition: form-data; name=a\n\nx\n--b--\nepi 110101199003078515"), "multipart/form-data; boundary=b")
	// Part headers: RFC 2231 continuations out of order, a bad charset and
	// bad escapes, RFC 2047 words; a header with no colon; one cut off.
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=a; filename*1*=%39%30%30%33%30%37%38%35%31%35.jpg;\r\n filename*0*=GBK'zh'%D5%C5_%31%31%30%31%30%31%31;\r\n name*=x-bogus''%ZZ%4\r\nContent-Type: image/jpeg; name=\"=?UTF-8?B?5byg5LiJXzExMDEwMTE5OTAwMzA3ODUxNS5qcGc=?=\"\r\n\r\nx\r\n--b\r\nno colon\r\n\r\ny\r\n--b\r\nContent-Disposition: form-data; filename=\"13800138000_"), "multipart/form-data; boundary=b")
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) { fuzzExtract(t, e, body, ctype) })
}

func FuzzZip(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	tiny := buildZip(f, zfile{name: "a", data: []byte("13800138000"), store: true})
	f.Add(xlsx)
	f.Add(buildZip(f,
		zfile{name: "[Content_Types].xml", store: true},
		zfile{name: "word/document.xml", data: []byte(`<w:document><w:body><w:p><w:r><w:t>身份证 110101199003078515</w:t></w:r></w:p></w:body></w:document>`)},
	))
	f.Add(buildZip(f, zfile{name: "a.csv", data: csvData}, zfile{name: "n.zip", data: tiny}))
	f.Add(odfZip(f, "application/vnd.oasis.opendocument.spreadsheet", `<table:table><table:table-row><table:table-cell table:number-columns-repeated="2"><text:p>姓名<text:s/></text:p></table:table-cell>`+
		`<table:table-cell office:value-type="float" office:value="13800138000"><office:annotation><text:p>x</text:p></office:annotation></table:table-cell></table:table-row></table:table>`))
	f.Add(buildZip(f, zfile{name: "s", data: []byte("13800138000"), flags: 1}))
	f.Add(append(append([]byte{}, oleMagic...), encodeText(f, utf16LEPlain, []byte("手机13800138000"))...))
	f.Add(append(append([]byte{}, tiny...), "\n110101199003078515"...))
	f.Add(withComment(f, tiny, []byte("13800138000")))
	f.Add([]byte("PK\x03\x04garbage\n13800138000"))
	// bzip2 and zstd: a stream, concatenated, text appended, a skippable
	// frame; xz (text after a stream), 7-Zip and RAR.
	bz := fixture(f, "tiny.bz2")
	f.Add(bz)
	f.Add(cat(bz, bz, []byte("\n13800138000")))
	f.Add(zst(f, csvData))
	f.Add(cat(skippable([]byte("13800138000")), zst(f, tiny), []byte("\n110101199003078515")))
	f.Add(rawFrame(0x70, []byte("13800138000")))
	f.Add(cat(xzMagic, []byte("\x00\x00\n13800138000")))
	f.Add(sevenZipOf(szTestFile{name: "a.csv", data: []byte("13800138000")}))
	f.Add(rar4(rarFile{name: "110101199003078515.jpg", data: []byte("13800138000")}))
	f.Add(rar5(rarFile{name: "a.csv", data: []byte("13800138000")}, rarFile{name: "b.csv", data: []byte("110101199003078515")}))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

func FuzzBase64(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	f.Add([]byte(`{"f":"` + base64.StdEncoding.EncodeToString(csvData) + `"}`))
	f.Add([]byte(`{"f":"` + wrapped(csvData, `\r\n`) + `"}`))
	f.Add([]byte("data:;base64," + wrapped(xlsx, "\n") + "\n1101011990"))
	f.Add([]byte(`a=` + base64.URLEncoding.EncodeToString(csvData) + `%3D%3D&b=%2F%2B`))
	f.Add([]byte("<content>" + wrapped(csvData, "&#13;\n        ") + "</content>"))
	f.Add([]byte("x-" + base64.StdEncoding.EncodeToString(csvData) + "\n" + strings.Repeat("-", 65) + "ab" + base64.StdEncoding.EncodeToString(csvData)))
	// Behind a 40-character word; UTF-16 with a byte-order mark behind a
	// dash; FF bytes before a list (their end may read as a mark).
	f.Add([]byte(strings.Repeat("attachment", 4) + base64.StdEncoding.EncodeToString(csvData) + "\n-" +
		base64.StdEncoding.EncodeToString(encodeText(f, utf16LEBOM, csvData[:200])) + "\n" +
		base64.StdEncoding.EncodeToString(append([]byte("\xff\xff\xff\xff\xff\xfe"), csvData[:100]...))))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "application/json") })
}

func FuzzCharset(f *testing.F) {
	csvData, _ := fuzzSeeds(f)
	f.Add(encodeText(f, gbk, csvData), "")
	f.Add(encodeText(f, corpusGB18030, csvData), "text/plain; charset=gb18030")
	f.Add(encodeText(f, utf16LE, csvData), "")
	f.Add(encodeText(f, utf16BE, csvData), "text/csv; charset=utf-16")
	f.Add(csvData, "text/csv; charset=big5")
	f.Add(csvData, "text/csv; charset=utf-16le")
	f.Add(append([]byte("\xff\xfe"), csvData...), "")
	f.Add(append([]byte("\x1b$B"), csvData...), "text/csv; charset=iso-2022-jp")
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) { fuzzExtract(t, e, body, ctype) })
}

// FuzzLiveStream: a live stream (server-sent events, NDJSON) is decided at
// every record's end; the counts must not depend on where the writes cut
// it.
func FuzzLiveStream(f *testing.F) {
	for _, sh := range sseShapes(f, corpus.Records(5, 8)) {
		f.Add(sh.body, sh.ctype == eventStream)
	}
	f.Add([]byte("{\"a\":\"13800138000\"}\r\n{\"b\":\"1101011990\n03078515\"}\n"), false)
	f.Add([]byte("data: 1380013\r\r8000\n\ndata: x"), true)
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, events bool) {
		ctype := "application/x-ndjson"
		if events {
			ctype = eventStream
		}
		whole := extractLive(t, e, body, ctype, 0)
		if split := extractLive(t, e, body, ctype, 7); split.counts != whole.counts {
			t.Fatalf("counts %v in 7-byte writes, %v in one", split.counts, whole.counts)
		}
	})
}

// FuzzEML: e-mail messages (a quoted-printable body, a multipart message
// with a base64 attachment and a nested message, an mbox, encoded-words),
// sniffed or declared message/rfc822.
func FuzzEML(f *testing.F) {
	r := corpus.Records(1, 1)[0]
	head := "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(r.Name)) + "?= <" + r.Email + ">\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\n"
	f.Add([]byte(head+"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=D0=D5=C3=FB,"+r.ResidentID[:9]+"=\r\n"+r.ResidentID[9:]+"\r\n"), "")
	f.Add([]byte(head+"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
		base64.StdEncoding.EncodeToString([]byte("手机号\n"+r.Mobile+"\n"))+"\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: =?GB2312?Q?=CA=D6=BB=FA?=\r\n\r\n"+r.Mobile+"\r\n--b--\r\n"), "")
	f.Add([]byte("From a@b Fri Nov 27 12:00:00 2026\nFrom: a@b\nTo: c@d\n\n"+r.Mobile+"\nFrom b@c Fri Nov 27 12:00:01 2026\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\n1380=\n0138000\n"), "")
	f.Add([]byte("Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n"+base64.StdEncoding.EncodeToString([]byte(r.ResidentID))+"\r\n"), "message/rfc822")
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) { fuzzExtract(t, e, body, ctype) })
}

// FuzzQP: the lenient quoted-printable decoder decodes every body
// mime/quotedprintable accepts to the same bytes (lines of up to 1000
// bytes: Go's reader trims blanks at the end of each 4 KiB piece of a
// longer one), decodes any body without a panic or a hang, and does not
// depend on how its input is cut into reads.
func FuzzQP(f *testing.F) {
	f.Add([]byte("=E5=AE=A2=e6=88=b7 1381234=\r\n5678 \t\r\nk=v =Q= 1+1=2\r\n"))
	f.Add([]byte("a=\r\r\nb\r\r\n= \r\nc\x00=E"))
	f.Add([]byte("abc=\n=41=4g==\r\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got := qpAll(t, body, 0, 4096)
		if split := qpAll(t, body, 7, 3); !bytes.Equal(split, got) {
			t.Fatalf("in 7-byte reads %q, whole %q", split, got)
		}
		for line := range bytes.Lines(body) {
			if len(line) > 1000 {
				return
			}
		}
		want, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decoded %q, mime/quotedprintable %q", got, want)
		}
	})
}
