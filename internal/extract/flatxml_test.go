package extract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// flatPassports is a 1,000-row passport list (a travel agency's group visa
// list): name, passport number, address. Only its passport column can
// block it, and a passport counts only in a column a header labels.
func flatPassports() [][]string {
	rows := [][]string{{"姓名", "护照号", "住址"}}
	for _, r := range corpus.Records(13, 1000) {
		rows = append(rows, []string{r.Name, r.Passport, r.Address})
	}
	return rows
}

// spreadsheetML2003 writes rows as Excel's "XML Spreadsheet 2003", with
// the title row above them merged across the columns when title is set.
// cell formats one cell of a row (its column given).
func spreadsheetML2003(rows [][]string, title string, cell func(col int, v string) string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n" +
		"<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" " +
		"xmlns:x=\"urn:schemas-microsoft-com:office:excel\" xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\n" +
		" <Worksheet ss:Name=\"Sheet1\">\n  <Table>\n")
	if title != "" {
		fmt.Fprintf(&b, "   <Row><Cell ss:MergeAcross=\"%d\"><Data ss:Type=\"String\">%s</Data></Cell></Row>\n", len(rows[0])-1, title)
	}
	for _, r := range rows {
		b.WriteString("   <Row>\n")
		for i, c := range r {
			b.WriteString(cell(i, c))
		}
		b.WriteString("   </Row>\n")
	}
	b.WriteString("  </Table>\n </Worksheet>\n</Workbook>\n")
	return []byte(b.String())
}

// TestFlatSpreadsheets: a spreadsheet saved as one XML file is read as a
// sheet, its header row labelling its columns. Read as plain XML before,
// the passport list as XML Spreadsheet 2003 (an ERP's ".xls" download) or
// as LibreOffice's .fods counted 0 of 1,000 passports, names and
// addresses and was allowed (red-team review 13).
func TestFlatSpreadsheets(t *testing.T) {
	rows := flatPassports()
	plain := func(_ int, v string) string {
		return fmt.Sprintf("    <Cell><Data ss:Type=\"String\">%s</Data></Cell>\n", v)
	}
	// Cells placed by ss:Index, with an empty column between them: the
	// header's columns move with them.
	indexed := func(col int, v string) string {
		return fmt.Sprintf("    <Cell ss:Index=\"%d\"><Data ss:Type=\"String\">%s</Data></Cell>\n", 2*col+1, v)
	}
	// Rich text (Font runs inside ss:Data) and a comment on each cell: a
	// comment is no cell text (it is read with the document's text).
	rich := func(_ int, v string) string {
		return fmt.Sprintf("    <Cell><ss:Data ss:Type=\"String\" xmlns=\"http://www.w3.org/TR/REC-html40\"><Font>%s</Font></ss:Data>"+
			"<Comment><ss:Data>E00000000</ss:Data></Comment></Cell>\n", v)
	}
	var fods strings.Builder
	fods.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body>`)
	fods.WriteString(odsTable(rows, nil))
	fods.WriteString(`</office:body></office:document>`)
	e := newTestEngine(t)
	want := scanPlain(e, csvBytes(rows))
	for name, body := range map[string][]byte{
		"SpreadsheetML 2003":                 spreadsheetML2003(rows, "", plain),
		"SpreadsheetML 2003, merged title":   spreadsheetML2003(rows, "XX国际旅行社出境游客登记表", plain),
		"SpreadsheetML 2003, ss:Index":       spreadsheetML2003(rows, "", indexed),
		"SpreadsheetML 2003, rich, comments": spreadsheetML2003(rows, "", rich),
		"fods":                               []byte(fods.String()),
	} {
		for _, chunk := range []int{0, 4096} {
			got := extract(t, e, body, "", Limits{}, chunk)
			if got.counts != want || len(got.reasons) > 0 {
				t.Errorf("%s, chunk %d: %v %v, want %v", name, chunk, got.counts, got.reasons, want)
			}
		}
		if got := extract(t, e, body, "", Limits{Hold: 4 << 10}, 0); got.counts[inspect.ResidentID] != 0 || got.counts[inspect.Passport] > want[inspect.Passport] {
			t.Errorf("%s over the hold: %v (read as text)", name, got.counts)
		}
		checkLeakBudget(t, e, body, "", Limits{}, 4096, len(body)/8)
	}
}

// FuzzFlatXML: a mutated one-file spreadsheet (tags cut, attributes out
// of range, cells far to the right) settles at Close and counts the same
// whole and in 7-byte chunks.
func FuzzFlatXML(f *testing.F) {
	rows := flatPassports()[:20]
	f.Add(spreadsheetML2003(rows, "登记表", func(col int, v string) string {
		return fmt.Sprintf("<Cell ss:Index=\"%d\" ss:MergeAcross=\"1\"><Data>%s</Data></Cell>", 2*col+1, v)
	}))
	f.Add([]byte(`<?xml version="1.0"?><office:document xmlns:office="o" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body>` + odsTable(rows, nil) + `</office:body></office:document>`))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}
