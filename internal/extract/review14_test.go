package extract

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// review14XMLRecords is a plain XML export of n records (no spreadsheet),
// with extra inserted right after the XML declaration.
func review14XMLRecords(n int, extra string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + extra + "\n<customers>\n")
	for _, r := range corpus.Records(14, n) {
		fmt.Fprintf(&b, "  <customer><name>%s</name><idcard>%s</idcard><mobile>%s</mobile><email>%s</email></customer>\n", r.Name, r.ResidentID, r.Mobile, r.Email)
	}
	b.WriteString("</customers>\n")
	return []byte(b.String())
}

// TestReview14FlatXMLSniffHidesXML: any XML document whose first 512
// bytes mention the SpreadsheetML namespace (a comment, a namespace
// declared on a SOAP envelope, a schema reference) is now parsed as a
// spreadsheet, and only text inside <Cell><Data> is written: every value
// of the document is dropped. Read as text before, it counted them all.
func TestReview14FlatXMLSniffHidesXML(t *testing.T) {
	e := newTestEngine(t)
	want := extract(t, e, review14XMLRecords(500, ""), "", Limits{}, 0).counts
	if want[inspect.ResidentID] < 500 {
		t.Fatalf("reference: %v", want)
	}
	for name, extra := range map[string]string{
		"comment":   "<!-- exported for urn:schemas-microsoft-com:office:spreadsheet consumers -->",
		"namespace": `<export xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"/>`,
	} {
		got := extract(t, e, review14XMLRecords(500, extra), "application/xml", Limits{}, 0)
		if got.counts != want {
			t.Errorf("%s: %v %v, want %v (as without the mention)", name, got.counts, got.reasons, want)
		}
	}
	// Any body at all behind an XML declaration and the mention: a plain
	// CSV list is dropped whole, by either sniff.
	list := csvBytes(csvRows(corpus.Records(14, 500)))
	wantList := extract(t, e, list, "", Limits{}, 0).counts
	for name, head := range map[string]string{
		"SpreadsheetML": "<?xml version=\"1.0\"?><!-- urn:schemas-microsoft-com:office:spreadsheet -->\n",
		"flat ODF":      "<?xml version=\"1.0\"?><!-- <office:document > -->\n",
	} {
		got := extract(t, e, append([]byte(head), list...), "", Limits{}, 0)
		if got.counts != wantList {
			t.Errorf("CSV behind the %s mention: %v %v, want %v", name, got.counts, got.reasons, wantList)
		}
	}
}

// TestReview14FlatXMLBase64Cell: base64 inside a SpreadsheetML document
// (a SOAP upload whose envelope declares the namespace, or a cell holding
// an attachment) was decoded by the text layer; the held parser writes
// cell text straight to the scanner, so the file in it is never decoded.
func TestReview14FlatXMLBase64Cell(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(14, 500)))
	b64 := base64.StdEncoding.EncodeToString(list)
	body := []byte("<?xml version=\"1.0\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\n" +
		"<soap:Body><Upload><Cell><Data>" + b64 + "</Data></Cell></Upload></soap:Body></soap:Envelope>\n")
	plain := []byte(strings.Replace(string(body), "urn:schemas-microsoft-com:office:spreadsheet", "urn:example:sheet", 1))
	want := extract(t, e, plain, "", Limits{}, 0)
	if want.counts[inspect.ResidentID] < 500 {
		t.Fatalf("reference: %v %v", want.counts, want.reasons)
	}
	got := extract(t, e, body, "", Limits{}, 0)
	if got.counts[inspect.ResidentID] < 500 {
		t.Errorf("base64 in a SpreadsheetML document: %d of 500 IDs (%v), reasons %v", got.counts[inspect.ResidentID], got.counts, got.reasons)
	}
}

// TestReview14FlatXMLCommentsDropped: a SpreadsheetML cell's comment
// (备注 with an ID) and a flat ODF cell's annotation are skipped, written
// nowhere: a list kept in comments counts nothing. Read as text before
// (and an xlsx's comments part is read), each counted.
func TestReview14FlatXMLCommentsDropped(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(14, 300)
	var ss, fods strings.Builder
	ss.WriteString("<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\" xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\n<Worksheet ss:Name=\"Sheet1\"><Table>\n")
	fods.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet><table:table table:name="t">`)
	for i, r := range recs {
		fmt.Fprintf(&ss, "<Row><Cell><Data ss:Type=\"Number\">%d</Data><Comment ss:Author=\"a\"><ss:Data>客户身份证号：%s 手机：%s</ss:Data></Comment></Cell></Row>\n", i+1, r.ResidentID, r.Mobile)
		fmt.Fprintf(&fods, `<table:table-row><table:table-cell office:value-type="float" office:value="%d"><office:annotation><text:p>客户身份证号：%s 手机：%s</text:p></office:annotation><text:p>%d</text:p></table:table-cell></table:table-row>`, i+1, r.ResidentID, r.Mobile, i+1)
	}
	ss.WriteString("</Table></Worksheet></Workbook>\n")
	fods.WriteString(`</table:table></office:spreadsheet></office:body></office:document>`)
	for name, body := range map[string]string{"SpreadsheetML comments": ss.String(), "fods annotations": fods.String()} {
		got := extract(t, e, []byte(body), "", Limits{}, 0)
		if ids := got.counts[inspect.ResidentID]; ids < 300 {
			t.Errorf("%s: %d of 300 IDs, %d mobiles, reasons %v", name, ids, got.counts[inspect.Mobile], got.reasons)
		}
	}
}

// TestReview14FlatODFBinaryData: a flat OpenDocument text (.fodt) keeps an
// embedded file (an image, an embedded object's data) as base64 in
// office:binary-data inside a paragraph's frame. It is written out raw as
// paragraph text, never decoded: a list carried that way counts nothing;
// read as text before, the base64 run was decoded.
func TestReview14FlatODFBinaryData(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(14, 500)))
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>` +
		`<text:p>附件</text:p><text:p><draw:frame draw:name="Object1"><draw:object-ole><office:binary-data>` + wrapped(list, "\n") +
		`</office:binary-data></draw:object-ole></draw:frame></text:p></office:text></office:body></office:document>`
	got := extract(t, e, []byte(body), "", Limits{}, 0)
	if ids := got.counts[inspect.ResidentID]; ids < 500 {
		t.Errorf("fodt with an embedded object: %d of 500 IDs, reasons %v", ids, got.reasons)
	}
}

// review14SS is an XML Spreadsheet 2003 workbook of rows (plain cells).
func review14SS(rows [][]string) []byte {
	return spreadsheetML2003(rows, "", func(_ int, v string) string {
		return fmt.Sprintf("<Cell><Data ss:Type=\"String\">%s</Data></Cell>", v)
	})
}

// TestReview14FlatXMLLongCell: one Data holding more than maxCell (64
// KiB) of text, a list pasted into one cell or written there by a
// template, is cut at 64 KiB: the rest is lost. As text it was read whole.
func TestReview14FlatXMLLongCell(t *testing.T) {
	e := newTestEngine(t)
	list := string(csvBytes(csvRows(corpus.Records(14, 1000))))
	body := review14SS([][]string{{"备注"}, {list}})
	got := extract(t, e, body, "", Limits{}, 0)
	if ids := got.counts[inspect.ResidentID]; ids < 1000 {
		t.Errorf("a %d-byte cell: %d of 1000 IDs, reasons %v", len(list), ids, got.reasons)
	}
}

// TestReview14FlatXMLOverHold: a workbook over the hold is read as text;
// its counts do not depend on the chunking, and what is released is
// counted.
func TestReview14FlatXMLOverHold(t *testing.T) {
	e := newTestEngine(t)
	body := review14SS(flatPassports()[:300])
	lim := Limits{Hold: 8 << 10}
	whole := extract(t, e, body, "", lim, 0)
	for _, chunk := range []int{7, 1000, 8 << 10} {
		if got := extract(t, e, body, "", lim, chunk); got.counts != whole.counts {
			t.Errorf("chunk %d: %v, whole %v", chunk, got.counts, whole.counts)
		}
	}
	checkLeakBudget(t, e, body, "", lim, 1000, 4<<10)
	checkLeakBudget(t, e, body, "", Limits{}, 7, len(body)/4)
}

// TestReview14FlatXMLGBK: a SpreadsheetML export in GBK whose charset the
// Content-Type declares (the XML declaration names none): the held parser
// decides on the XML declaration only, writes the GBK bytes raw, and the
// header's 护照号 labels nothing.
func TestReview14FlatXMLGBK(t *testing.T) {
	e := newTestEngine(t)
	rows := flatPassports()[:300]
	utf := review14SS(rows)
	want := extract(t, e, utf, "", Limits{}, 0).counts
	body := encodeText(t, gbk, utf)
	got := extract(t, e, body, "application/vnd.ms-excel; charset=gbk", Limits{}, 0)
	if got.counts != want {
		t.Errorf("GBK, charset in Content-Type: %v %v, want %v (as in UTF-8)", got.counts, got.reasons, want)
	}
}

// review14Wrap is base64 of data wrapped at width, each line after the
// first led by eol.
func review14Wrap(data []byte, width int, eol string) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for i := 0; i < len(s); i += width {
		if i > 0 {
			b.WriteString(eol)
		}
		b.WriteString(s[i:min(i+width, len(s))])
	}
	return b.String()
}

// TestReview14WrappedBase64Chunks: base64 wrapped with each kind of break
// lineBreak takes counts the same whole and in chunks of any size.
func TestReview14WrappedBase64Chunks(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(14, 60)))
	bodies := map[string][]byte{}
	for _, eol := range []string{"\n", "\r\n", "&#13;\n", "&#13;&#10;", "&#xD;&#xA;", "&#10;", "\n" + strings.Repeat(" ", 64), "&#13;&#10;" + strings.Repeat("\t", 64), "\r\n" + strings.Repeat(" ", 65), `\r\n    `, `\n` + strings.Repeat(" ", 63)} {
		for _, width := range []int{64, 76} {
			bodies[fmt.Sprintf("xml %q %d", eol, width)] = []byte("<?xml version=\"1.0\"?>\n<a>\n  <b>" + review14Wrap(list, width, eol) + "</b>\n</a>\n")
			bodies[fmt.Sprintf("json %q %d", eol, width)] = []byte(`{"file": "` + review14Wrap(list, width, eol) + `"}`)
		}
	}
	for name, body := range bodies {
		whole := extract(t, e, body, "", Limits{}, 0)
		if whole.counts[inspect.ResidentID] < 60 && !strings.Contains(name, strings.Repeat(" ", 65)) {
			t.Errorf("%s: %v whole", name, whole.counts)
		}
		for _, chunk := range []int{1, 2, 3, 5, 7, 11, 64, 75, 77, 80} {
			if got := extract(t, e, body, "", Limits{}, chunk); got.counts != whole.counts {
				t.Errorf("%s chunk %d: %v, whole %v", name, chunk, got.counts, whole.counts)
			}
		}
	}
}

// TestReview14WrappedBase64Live: the same in live streams (NDJSON records,
// server-sent events), whole and in chunks.
func TestReview14WrappedBase64Live(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(14, 20)))
	for _, eol := range []string{`\n`, `\r\n`, `\n    `, "&#13;&#10;", "&#10;  "} {
		rec := `{"file": "` + review14Wrap(list, 76, eol) + `"}`
		for ctype, body := range map[string]string{
			"application/x-ndjson": rec + "\n" + rec + "\n",
			"text/event-stream":    "data: " + rec + "\n\n" + "data: " + rec + "\r\n\r\n",
		} {
			whole := extractLive(t, e, []byte(body), ctype, 0)
			if whole.counts[inspect.ResidentID] < 20 {
				t.Errorf("%s %q: %v whole", ctype, eol, whole.counts)
			}
			for _, chunk := range []int{1, 3, 7, 13, 76, 77} {
				if got := extractLive(t, e, []byte(body), ctype, chunk); got.counts != whole.counts {
					t.Errorf("%s %q chunk %d: %v, whole %v", ctype, eol, chunk, got.counts, whole.counts)
				}
			}
		}
	}
}

// review14DOCX is a docx whose body is doc (the inside of w:body).
func review14DOCX(tb testing.TB, doc string) []byte {
	tb.Helper()
	return buildZip(tb,
		zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types/>`)},
		zfile{name: "word/document.xml", data: []byte(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + doc + `</w:body></w:document>`)},
	)
}

// review14Table is rows as a Word table, one paragraph per cell.
func review14Table(rows [][]string) string {
	var b strings.Builder
	b.WriteString(`<w:tbl>`)
	for _, row := range rows {
		b.WriteString(`<w:tr>`)
		for _, v := range row {
			fmt.Fprintf(&b, `<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>`, v)
		}
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl>`)
	return b.String()
}

// TestReview14NestedTablePendingTab: a Word form lays a list out as a
// table nested in the second cell of an outer table (a label cell, then
// the list). The tab after the outer first cell is now pending, and the
// nested table's boundary does not drop it: it is written before the
// nested table's header row, whose columns then stand one right of its
// rows' (姓名 over the passports, 护照号 over the addresses). Before
// b94403d the tab was written at once, before the boundary.
func TestReview14NestedTablePendingTab(t *testing.T) {
	e := newTestEngine(t)
	rows := flatPassports()[:300]
	want := extract(t, e, review14DOCX(t, review14Table(rows)+`<w:p/>`), "", Limits{}, 0).counts
	if want[inspect.Passport] < 299 {
		t.Fatalf("reference: %v", want)
	}
	for name, doc := range map[string]string{
		"label cell, then the list":              `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>客户名单</w:t></w:r></w:p></w:tc><w:tc>` + review14Table(rows) + `<w:p/></w:tc></w:tr></w:tbl>`,
		"empty first cell":                       `<w:tbl><w:tr><w:tc><w:p/></w:tc><w:tc>` + review14Table(rows) + `<w:p/></w:tc></w:tr></w:tbl>`,
		"a paragraph above the list in its cell": `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>客户名单</w:t></w:r></w:p>` + review14Table(rows) + `<w:p/></w:tc></w:tr></w:tbl>`,
	} {
		got := extract(t, e, review14DOCX(t, doc), "", Limits{}, 0)
		if got.counts != want {
			t.Errorf("%s: %v %v, want %v", name, got.counts, got.reasons, want)
		}
	}
}

// TestReview14EncryptedPackageInAStorage: oleFile looks for the
// EncryptedPackage stream among all the directory's streams, not the
// root's: a workbook that carries an encrypted Office document as an
// embedded object (its storage, MBD…, holds EncryptionInfo and
// EncryptedPackage) is reported encrypted and its own Workbook stream,
// readable by anyone, is never read: 300 IDs counted 0.
func TestReview14EncryptedPackageInAStorage(t *testing.T) {
	e := newTestEngine(t)
	f, err := openCFB(xlsFixture(t, "people_lo.xls"))
	if err != nil {
		t.Fatal(err)
	}
	wb, ok, err := f.stream("Workbook")
	if !ok || err != nil {
		t.Fatal("no Workbook stream", err)
	}
	enc := review13EncryptedOOXML(t, buildDOCX(t, csvRows(corpus.Records(15, 200))))
	ef, err := openCFB(enc)
	if err != nil {
		t.Fatal(err)
	}
	info, _, _ := ef.stream("EncryptionInfo")
	pkg, _, _ := ef.stream("EncryptedPackage")
	plain := cfbTree(t, []cfbEntry{{name: "Workbook", data: wb}})
	want := extract(t, e, plain, "", Limits{}, 0)
	if want.counts[inspect.ResidentID] < 300 {
		t.Fatalf("reference: %v %v", want.counts, want.reasons)
	}
	body := cfbTree(t, []cfbEntry{
		{name: "Workbook", data: wb},
		{name: "MBD0001A2B3", store: true},
		{name: "EncryptionInfo", parent: 2, data: info},
		{name: "EncryptedPackage", parent: 2, data: pkg},
	})
	got := extract(t, e, body, "", Limits{}, 0)
	if got.counts[inspect.ResidentID] < 300 {
		t.Errorf("xls with an encrypted embedded object: %v %v, want the workbook's %v", got.counts, got.reasons, want.counts)
	}
}
