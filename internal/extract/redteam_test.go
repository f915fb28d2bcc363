package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// gz compresses data as one gzip member, as gzip(1) and Go write it.
func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	return encodeWith(tb, data, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

// encodeWith writes data through the encoder newW returns, and closes it.
func encodeWith(tb testing.TB, data []byte, newW func(io.Writer) io.WriteCloser) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := newW(&b)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// tarOf writes a tar archive of one file holding data.
func tarOf(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	return tarEntries(tb, tarEntry{hdr: tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))}, data: data})
}

// TestGzip: a gzip file (a customers.csv.gz export, a .tar.gz, a
// database dump) is inspected as what it decompresses to, wherever it is:
// the whole body, a multipart part, an archive member. Before, its
// compressed bytes were scanned as text: nothing counted, nothing reported.
func TestGzip(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(11, 600))
	list := csvBytes(rows)
	first, second := csvBytes(rows[:300]), csvBytes(append([][]string{rows[0]}, rows[300:]...))
	tarball := tarOf(t, "export/customers.csv", list)
	form, formType := buildMultipart(t,
		filePart{field: "note", data: []byte("月度导出")},
		filePart{field: "file", file: "customers.csv.gz", ctype: "application/gzip", data: gz(t, list)},
	)
	bomb := gz(t, make([]byte, 8<<20))
	tests := []shapeTest{
		{name: "csv.gz", give: gz(t, list), same: list},
		{name: "csv.gz declared", give: gz(t, list), ctype: "application/gzip", same: list},
		{name: "csv.gz as octet-stream", give: gz(t, list), ctype: "application/octet-stream", same: list},
		{name: "tar.gz", give: gz(t, tarball), same: list},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "customers.csv.gz", data: gz(t, list), store: true}), same: list},
		{name: "gzip of a zip", give: gz(t, buildZip(t, zfile{name: "c.csv", data: list})), same: list},
		{name: "gzip of gzip", give: gz(t, gz(t, list)), same: list},
		{name: "concatenated members", give: cat(gz(t, first), gz(t, second)), same: cat(first, second)},
		{name: "list appended", give: cat(gz(t, []byte("hello\n")), list), same: list},
		{name: "zero padding", give: cat(gz(t, list), make([]byte, 512)), same: list},
		{name: "bomb", give: bomb, want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, gz(t, list))), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "truncated header", give: []byte{0x1f, 0x8b, 0x08, 0}, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkShape(t, e, tt) })
	}
}

// TestGzipSettles: a compressed list large enough to stream is released
// as it is inspected, never ahead of the values it holds.
func TestGzipSettles(t *testing.T) {
	e := newTestEngine(t)
	body := gz(t, csvBytes(csvRows(corpus.Records(12, 20000))))
	for _, chunk := range []int{4096, benchChunk} {
		checkLeakBudget(t, e, body, "application/gzip", Limits{}, chunk, len(body)/16)
	}
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "application/gzip", Limits{})
	defer x.Stop()
	_, _ = x.Write(body[:len(body)/2])
	if st := x.Settled(); st == 0 {
		t.Errorf("nothing settled after half of a %d-byte gzip stream", len(body))
	}
}

// TestNumberListsAreText: numbers joined by '/' or by the '+' a form body
// writes for a space are made of base64 characters only. Such a run was
// decoded as base64, and its text, the list, was never scanned: 60 IDs,
// mobiles or cards counted 0. It is text now, counted as a bare scan
// counts it.
func TestNumberListsAreText(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(13, 60)
	join := func(sep string, fields ...func(corpus.Record) string) string {
		var b strings.Builder
		for _, r := range recs {
			for _, f := range fields {
				b.WriteString(f(r))
				b.WriteString(sep)
			}
		}
		return b.String()
	}
	id := func(r corpus.Record) string { return r.ResidentID }
	mobile := func(r corpus.Record) string { return r.Mobile }
	card := func(r corpus.Record) string { return r.BankCard }
	pinyin := func(corpus.Record) string { return "zhangwei" }
	tests := []struct {
		name  string
		give  string
		ctype string
		want  inspect.Detector
	}{
		{name: "ids joined by /", give: "身份证号：" + join("/", id), want: inspect.ResidentID},
		{name: "mobiles joined by /", give: "电话：" + join("/", mobile), want: inspect.Mobile},
		{name: "mobiles in a form, space separated", give: "phones=" + join("+", mobile), ctype: "application/x-www-form-urlencoded", want: inspect.Mobile},
		{name: "cards in a form, space separated", give: "cards=" + join("+", card), ctype: "application/x-www-form-urlencoded", want: inspect.BankCard},
		{name: "ids in a form, space separated", give: "q=" + join("+", id), ctype: "application/x-www-form-urlencoded", want: inspect.ResidentID},
		{name: "pinyin and mobiles in a form", give: "q=" + join("+", pinyin, mobile), ctype: "application/x-www-form-urlencoded", want: inspect.Mobile},
		{name: "ids joined by %2F", give: "q=" + join("%2F", id), want: inspect.ResidentID},
		{name: "mobiles joined by JSON \\/", give: `{"p":"` + join(`\/`, mobile) + `"}`, ctype: "application/json", want: inspect.Mobile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := scanPlain(e, []byte(tt.give))
			if want[tt.want] != len(recs) {
				t.Fatalf("bare scan counts %d %s, want %d: the reference is wrong", want[tt.want], tt.want, len(recs))
			}
			for _, chunk := range []int{0, 7, 1000} {
				if got := extract(t, e, []byte(tt.give), tt.ctype, Limits{}, chunk); got.counts != want {
					t.Errorf("chunk %d: counts\n got %v\nwant %v", chunk, got.counts, want)
				}
			}
			checkLeakBudget(t, e, []byte(tt.give), tt.ctype, Limits{}, 256, 0)
		})
	}
}

// TestNumberListBase64: base64 that merely holds digits is still decoded:
// the base64 of a list, and a run with a long number that is not between
// separators.
func TestNumberListBase64(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(14, 60)))
	digits := base64.StdEncoding.EncodeToString(list)
	digits = digits[:40] + "1380013800012345" + digits[56:] // a glued number, no separator, same length
	decoded, err := base64.StdEncoding.DecodeString(digits)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give string
		want []byte // bytes whose bare scan gives the counts
	}{
		{name: "base64 of a list", give: `{"f":"` + base64.StdEncoding.EncodeToString(list) + `"}`, want: list},
		{name: "long number glued inside", give: `{"f":"` + digits + `"}`, want: decoded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, e, []byte(tt.give), "application/json", Limits{}, 0)
			if want := scanPlain(e, tt.want); got.counts[inspect.Mobile] != want[inspect.Mobile] || got.counts[inspect.ResidentID] != want[inspect.ResidentID] {
				t.Errorf("counts %v, want the IDs and mobiles of %v", got.counts, want)
			}
		})
	}
}

// FuzzGzip: a mutated gzip stream (a corrupt header, a bad deflate block,
// concatenated members, appended bytes) settles at Close and counts the
// same whole and in 7-byte chunks.
func FuzzGzip(f *testing.F) {
	csvData, _ := fuzzSeeds(f)
	f.Add(gz(f, csvData))
	f.Add(cat(gz(f, []byte("13800138000\n")), gz(f, []byte("110101199003078515\n"))))
	f.Add(cat(gz(f, []byte("x")), []byte("\n13800138000")))
	f.Add(gz(f, tarOf(f, "a.csv", csvData)))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// pdfDoc writes a PDF whose streams are the given bytes, each zlib
// compressed unless it is in raw; eol ends the stream keyword.
func pdfDoc(tb testing.TB, eol string, streams [][]byte, raw map[int]bool) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	for i, s := range streams {
		filter := ""
		if !raw[i] {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			if _, err := w.Write(s); err != nil {
				tb.Fatal(err)
			}
			if err := w.Close(); err != nil {
				tb.Fatal(err)
			}
			s, filter = z.Bytes(), " /Filter /FlateDecode"
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d%s >>\nstream%s", i+4, len(s), filter, eol)
		b.Write(s)
		b.WriteString("\nendstream\nendobj\n")
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// pageText renders recs as the text operators of a PDF page in a
// standard font: one "(...) Tj" line per record.
func pageText(recs []corpus.Record) []byte {
	var b bytes.Buffer
	b.WriteString("BT /F1 9 Tf 36 806 Td 11 TL\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "(%s  %s  %s  %s) Tj T*\n", r.ResidentID, r.Mobile, r.BankCard, r.Email)
	}
	b.WriteString("ET\n")
	return b.Bytes()
}

// TestPDF: a list exported or printed to PDF is in zlib content streams.
// They were scanned as compressed bytes (60 records: nothing counted,
// nothing reported); they are inflated and read as text now.
func TestPDF(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(15, 60)
	page1, page2 := pageText(recs[:30]), pageText(recs[30:])
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("JFIF stream\n"), 40)...)
	corrupt := pdfDoc(t, "\n", [][]byte{page1}, nil)
	at := bytes.Index(corrupt, []byte("stream\n")) + len("stream\n") + 2
	corrupt = cat(corrupt[:at], []byte{0xff, 0xff, 0xff, 0xff}, corrupt[at+4:])
	tests := []shapeTest{
		{name: "one page", give: pdfDoc(t, "\n", [][]byte{pageText(recs)}, nil), same: pageText(recs)},
		{name: "crlf", give: pdfDoc(t, "\r\n", [][]byte{pageText(recs)}, nil), same: pageText(recs)},
		{name: "two pages and an image", give: pdfDoc(t, "\n", [][]byte{page1, jpeg, page2}, map[int]bool{1: true}), same: cat(page1, page2)},
		{name: "uncompressed", give: pdfDoc(t, "\n", [][]byte{pageText(recs)}, map[int]bool{0: true}), same: pageText(recs)},
		{name: "declared", give: pdfDoc(t, "\n", [][]byte{pageText(recs)}, nil), ctype: "application/pdf", same: pageText(recs)},
		{name: "corrupt stream", give: corrupt, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkShape(t, e, tt)
			if got, want := extract(t, e, tt.give, tt.ctype, tt.lim, 7).counts, scanPlain(e, tt.same); got != want {
				t.Errorf("chunk 7: counts\n got %v\nwant %v", got, want)
			}
		})
	}
}

// FuzzPDF: a mutated PDF (keywords cut, streams corrupt or not zlib,
// content streams of TJ arrays, escapes, hex and UCS-2 strings, inline
// images) settles at Close and counts the same whole and in 7-byte chunks.
func FuzzPDF(f *testing.F) {
	recs := corpus.Records(1, 2)
	f.Add(pdfDoc(f, "\n", [][]byte{pageText(recs[:1]), []byte("\xff\xd8 endstream"), pageText(recs[1:])}, map[int]bool{1: true}))
	f.Add(pdfDoc(f, "\r\n", [][]byte{pageText(recs)}, map[int]bool{0: true}))
	f.Add([]byte("%PDF-1.7\nstream\n\x78\x9c"))
	f.Add(pdfDoc(f, "\n", [][]byte{[]byte("BT /F1 9 Tf 1 0 0 1 36 800 Tm [(1380013)-20(8000)-250(11010119900307)12.5(8515)] TJ 0 -11 Td (\\061\\0638\\\n00138000\\)) ' ET")}, nil))
	f.Add(pdfDoc(f, "\n", [][]byte{[]byte("/F2 9 Tf <59D3540D> Tj T* <0031003300380030003000310033003800300030003> Tj (\x00\x31\x00\x33) Tj % c\nBI /W 1 ID \x00(( EI /P << /ActualText <313338> >> BDC")}, nil))
	// Glyph codes behind a ToUnicode CMap (TestPDFGlyphCodes).
	header, rows := glyphRows(3, 2)
	f.Add(glyphPDF(f, header, rows, false))
	f.Add(glyphPDF(f, header, rows, true))
	// ASCII85 streams (TestPDFASCII85): whole, and cut before "~>".
	page := []byte("BT 1 0 0 1 36 800 Tm (110101199003078670) Tj T* ET\nBT 1 0 0 1 100 800 Tm (13800138000) Tj T* ET")
	f.Add(pdfFile(f, ascii85Stream(f, page, "[/ASCII85Decode /FlateDecode]", true, false), pdfStream{data: page}))
	f.Add(pdfFile(f, ascii85Stream(f, page, "/A85", false, true), pdfStream{data: page}))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// TestRuleLineTables: the rule lines of psql and MySQL client output
// (-----+-----, 64 characters and more) are text, not base64: decoded,
// they cut the table from its header row and its names, addresses and
// passports counted 0 of 60. A run of letters and those characters is
// still base64.
func TestRuleLineTables(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(15, 60))
	want := scanPlain(e, csvBytes(rows))
	table := func(ruleFirst bool) []byte {
		var b strings.Builder
		rule := "+" + strings.Repeat(strings.Repeat("-", 24)+"+", len(rows[0]))
		cells := func(r []string) string { return "| " + strings.Join(r, " | ") + " |\n" }
		if ruleFirst { // MySQL: rule, header, rule, rows, rule
			b.WriteString(rule + "\n" + cells(rows[0]) + rule + "\n")
			for _, r := range rows[1:] {
				b.WriteString(cells(r))
			}
			b.WriteString(rule + "\n")
		} else { // psql: header, rule, rows
			b.WriteString(" " + strings.Join(rows[0], " | ") + "\n" + strings.Trim(rule, "+") + "\n")
			for _, r := range rows[1:] {
				b.WriteString(" " + strings.Join(r, " | ") + "\n")
			}
			fmt.Fprintf(&b, "(%d rows)\n", len(rows)-1)
		}
		return []byte(b.String())
	}
	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"psql", table(false)},
		{"mysql", table(true)},
	} {
		for _, chunk := range []int{0, 1, 7, 100} {
			if got := extract(t, e, tt.body, "", Limits{}, chunk); got.counts != want {
				t.Errorf("%s, chunk %d: %v, want %v", tt.name, chunk, got.counts, want)
			}
		}
	}
	// Base64 of data that opens with FF bytes: 64 and more '/' (or '_'
	// in the URL-safe alphabet), still decoded.
	data := append(bytes.Repeat([]byte{0xff}, 60), csvBytes(rows)...)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		body := []byte(`{"f":"` + enc.EncodeToString(data) + `"}`)
		if got := extract(t, e, body, "application/json", Limits{}, 0); got.counts[inspect.Mobile] != want[inspect.Mobile] {
			t.Errorf("base64 of FF bytes and a list: %v, want the %d mobiles", got.counts, want[inspect.Mobile])
		}
	}
}
