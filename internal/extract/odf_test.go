package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// testdata/odf/people.ods holds xlsList (see xls_test.go), made by
// LibreOffice 7.4 Calc:
//
//	soffice --headless --infilter="CSV:44,34,76,1,1/2/2/2/3/1/4/2/5/2/6/2/7/2" --convert-to ods people.csv

// odfZip writes an OpenDocument package: mimetype first (stored), then
// content.xml holding body (office:body's content), then the manifest.
func odfZip(tb testing.TB, mimetype, body string) []byte {
	tb.Helper()
	content := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ` +
		`xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">` +
		`<office:body>` + body + `</office:body></office:document-content>`
	return buildZip(tb,
		zfile{name: "mimetype", data: []byte(mimetype), store: true},
		zfile{name: "content.xml", data: []byte(content)},
		zfile{name: "styles.xml", data: []byte(`<office:document-styles>13800138000</office:document-styles>`)},
		zfile{name: "META-INF/manifest.xml", data: []byte(`<manifest:manifest/>`)},
	)
}

// odsTable is the rows as an ODS table, every cell a string cell but
// those given as numbers (value-type float, shown in scientific form as
// Calc shows a long number in a narrow column).
func odsTable(rows [][]string, numbers map[int]bool) string {
	var b strings.Builder
	b.WriteString(`<office:spreadsheet><table:table table:name="客户">`)
	for i, r := range rows {
		b.WriteString(`<table:table-row>`)
		for j, c := range r {
			if i > 0 && numbers[j] {
				var v float64
				fmt.Sscan(c, &v)
				fmt.Fprintf(&b, `<table:table-cell office:value-type="float" office:value="%s"><text:p>%.2E</text:p></table:table-cell>`, c, v)
				continue
			}
			fmt.Fprintf(&b, `<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>`, c)
		}
		b.WriteString(`<table:table-cell table:number-columns-repeated="1017"/></table:table-row>`)
	}
	b.WriteString(`<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>`)
	b.WriteString(`</table:table></office:spreadsheet>`)
	return b.String()
}

// TestODF: an OpenDocument spreadsheet's tables are read as rows of
// cells, each table a part with its header row. Before, content.xml was
// read as plain XML: the 300-row list as .ods counted its IDs, mobiles,
// cards and e-mail but no names, addresses or passports.
func TestODF(t *testing.T) {
	e := newTestEngine(t)
	list := xlsList()
	ods, err := os.ReadFile(filepath.Join("testdata", "odf", "people.ods"))
	if err != nil {
		t.Fatal(err)
	}
	rows := csvRows(corpus.Records(35, 60))
	small := csvBytes(rows)
	// Mobiles as numbers, shown as 1.38E+10: read by their value.
	numbers := odfZip(t, "application/vnd.oasis.opendocument.spreadsheet", odsTable(rows, map[int]bool{2: true}))
	// A cell merged over two columns, then a covered cell, keep the
	// columns after them in place; an annotation's text is not a cell's.
	merged := odfZip(t, "application/vnd.oasis.opendocument.spreadsheet",
		`<office:spreadsheet><table:table><table:table-row>`+
			`<table:table-cell table:number-columns-spanned="2"><text:p>客户名单</text:p></table:table-cell><table:covered-table-cell/>`+
			`<table:table-cell><office:annotation><text:p>备注 13900139000</text:p></office:annotation><text:p>姓名</text:p></table:table-cell>`+
			`<table:table-cell><text:p>住址</text:p></table:table-cell></table:table-row>`+
			`<table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>王`+`<text:s/>小明</text:p></table:table-cell>`+
			`<table:table-cell><text:p>北京市朝阳区</text:p><text:p>建国路88号</text:p></table:table-cell></table:table-row>`+
			`</table:table></office:spreadsheet>`)
	// A text document: paragraphs as lines, its table as rows.
	var tbl strings.Builder
	for _, r := range rows {
		tbl.WriteString(`<table:table-row>`)
		for _, c := range r {
			fmt.Fprintf(&tbl, `<table:table-cell><text:p>%s</text:p></table:table-cell>`, c)
		}
		tbl.WriteString(`</table:table-row>`)
	}
	odt := odfZip(t, "application/vnd.oasis.opendocument.text",
		`<office:text><text:h>客户名单</text:h><text:p>请查收。</text:p><table:table>`+tbl.String()+`</table:table><text:p>此致</text:p></office:text>`)
	tests := []shapeTest{
		{name: "LibreOffice ods", give: ods, same: list},
		{name: "numbers shown in scientific form", give: numbers, same: small},
		{name: "merged, covered and annotated cells", give: merged, same: []byte("\t\t姓名\t住址\n\t\t王 小明\t北京市朝阳区 建国路88号\n")},
		{name: "odt table", give: odt, same: small},
		{name: "ods streamed past the hold", give: ods, lim: Limits{Hold: 8 << 10}, same: list},
		{name: "ods in a zip", give: buildZip(t, zfile{name: "a.ods", data: ods}), same: list},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}
