package inspect

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// pasteStyle renders one cell of a table as an editor writes it when an
// Excel range is pasted into it: the <td> tag (attributes and all) and the
// cell's text inside it.
type pasteStyle struct {
	table string              // the markup from <table> to the first <tr>
	row   string              // the <tr> tag
	cell  func(string) string // a cell, <td> to </td>
	empty string              // what an empty cell holds
}

// pasteStyles are the tables Excel, Outlook (Word) and web mail write for
// a pasted range: class and style attributes, a <col> per column, <p> and
// <span> inside cells, &nbsp; in empty cells and around text, <tbody>.
var pasteStyles = map[string]pasteStyle{
	"excel": {
		table: "<table border=0 cellpadding=0 cellspacing=0 width=504 style='border-collapse:collapse;width:378pt'>\n" +
			" <col width=72 span=7 style='width:54pt'>\n",
		row: " <tr height=19 style='height:14.25pt'>\n",
		cell: func(s string) string {
			return "  <td height=19 class=xl65 width=72 style='height:14.25pt;width:54pt'>" + s + "</td>\n"
		},
	},
	"outlook": {
		table: "<table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0 width=504 style='width:378.0pt;border-collapse:collapse'>\n<tbody>\n",
		row:   "<tr style='height:14.25pt'>\n",
		cell: func(s string) string {
			return "<td width=72 nowrap valign=bottom style='width:54.0pt;padding:0cm 5.4pt 0cm 5.4pt;height:14.25pt'>\n" +
				"<p class=MsoNormal><span style='font-size:11.0pt;font-family:等线;color:black'>" + s + "<o:p></o:p></span></p>\n</td>\n"
		},
		empty: "&nbsp;",
	},
	"web mail": {
		table: `<table cellspacing="0" cellpadding="0" dir="ltr" border="1" style="table-layout:fixed;font-size:10pt;font-family:Arial;width:0px;border-collapse:collapse;border:none">` +
			`<colgroup><col width="100"><col width="100"></colgroup><tbody>`,
		row: `<tr style="height:21px">`,
		cell: func(s string) string {
			return `<td style="overflow:hidden;padding:2px 3px;vertical-align:bottom">&nbsp;` + s + `&nbsp;</td>`
		},
		empty: "&nbsp;",
	},
}

// pastedTable renders rows (the first is the header row) in style p,
// optionally under a title row that spans every column.
func pastedTable(p pasteStyle, title string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(p.table)
	if title != "" {
		fmt.Fprintf(&b, "%s<td colspan=%d class=xl66>%s</td></tr>\n", p.row, len(rows[0]), title)
	}
	for _, r := range rows {
		b.WriteString(p.row)
		for _, c := range r {
			if c == "" {
				c = p.empty
			}
			b.WriteString(p.cell(c))
		}
		b.WriteString("</tr>\n")
	}
	return b.String() + "</table>\n"
}

// htmlMail wraps table in the HTML body of a message, as a mail client
// writes it.
func htmlMail(table string) string {
	return "<html><head><meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">" +
		"<title>客户名单</title><style>td {font-size:11pt} table {border:none}</style></head>\n" +
		"<body lang=ZH-CN><div class=WordSection1><p class=MsoNormal>各位好：<o:p></o:p></p>" +
		"<p class=MsoNormal>附件是本月的客户名单，请查收。<o:p></o:p></p>\n" + table +
		"<p class=MsoNormal>谢谢！<o:p></o:p></p></div></body></html>\n"
}

// withHead puts the first row of table, in style p, in a <thead> and the
// rows below in a <tbody>.
func withHead(p pasteStyle, table string) string {
	parts := strings.SplitN(table, p.row, 3)
	return parts[0] + "<thead>" + p.row + parts[1] + "</thead><tbody>" + p.row + parts[2]
}

// scanCounts tells how a scan of body differs from want, whole, in 1-byte
// writes and in random writes; "" when it does not.
func scanCounts(e *Engine, r *rand.Rand, body []byte, want [NumDetectors]int) string {
	if got := scanAll(e, body); got != want {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	return splitMismatch(e, r, body)
}

// TestTDHeaderPastedTables: the customer list pasted from Excel into a
// mail (a header row of <td> cells, with or without a title row above it
// and a <thead> around it) counts what the CSV export counts, whole, in
// 1-byte writes and in random writes.
func TestTDHeaderPastedTables(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(31, 32))
	for _, english := range []bool{false, true} {
		rows, want := customerRows(t, 15, 40, english)
		for name, p := range pasteStyles {
			bodies := map[string]string{
				"":          htmlMail(pastedTable(p, "", rows)),
				"title row": htmlMail(pastedTable(p, "2026年11月客户名单", rows)),
				"thead":     htmlMail(withHead(p, pastedTable(p, "", rows))),
			}
			for form, body := range bodies {
				if why := scanCounts(e, r, []byte(body), want); why != "" {
					t.Errorf("%s %s english=%v: %s in\n%.1200s", name, form, english, why, body)
				}
			}
		}
	}
}

// TestTDHeaderSplitInvariance pads a pasted table so that every tag crosses
// a 64-byte block boundary and a pass boundary, and scans it whole, in
// 1-byte writes and in random writes.
func TestTDHeaderSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(33, 34))
	rows, _ := customerRows(t, 16, 3, false)
	for name, p := range pasteStyles {
		for _, title := range []string{"", "客户名单"} {
			table := pastedTable(p, title, rows)
			want := scanAll(e, []byte(table))
			if want[Name] != 3 || want[Passport] != 3 || want[Address] != 3 {
				t.Fatalf("%s title %q: counts %v, want 3 names, passports and addresses", name, title, want)
			}
			for n := range 70 {
				if why := scanCounts(e, r, []byte(strings.Repeat("x", n)+table), want); why != "" {
					t.Fatalf("%s title %q padded by %d: %s", name, title, n, why)
				}
			}
		}
	}
}

// tdTable renders rows as bare <td> cells.
func tdTable(rows ...[]string) string {
	var b strings.Builder
	b.WriteString("<table>")
	for _, r := range rows {
		b.WriteString("<tr><td>" + strings.Join(r, "</td><td>") + "</td></tr>\n")
	}
	return b.String() + "</table>\n"
}

// TestTDHeaderRows: which rows of <td> cells head their columns. The first
// row, or the second under a title row (one cell not empty, at most),
// heads them when it passes the rule of a ';' or '|' header row; a row
// that does not is text, and what its cells hold counts only by labels of
// its own.
func TestTDHeaderRows(t *testing.T) {
	none := [NumDetectors]int{}
	person := []string{"张三", "E12345678", "北京市朝阳区建国路88号"}
	tests := []scanTest{
		{"header row", tdTable([]string{"姓名", "护照号", "住址"}, person),
			countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
		{"upper-case tags, thead", "<TABLE><THEAD><TR><TD>姓名</TD><TD>Passport No.</TD></TR></THEAD><TBODY><TR><TD>李四</TD><TD>G87654321</TD></TR></TBODY></TABLE>",
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"one label among three single words", tdTable([]string{"序号", "姓名", "备注"}, []string{"1", "王伟", "无"}),
			countsOf(map[Detector]int{Name: 1})},
		{"title row", tdTable([]string{"客户名单"}, []string{"姓名", "护照号", "住址"}, person),
			countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
		{"title row over merged cells", "<table><tr><td colspan=3>2026年客户名单</td></tr><tr><td>姓名</td><td>护照号</td><td>住址</td></tr>" +
			"<tr><td>张三</td><td>E12345678</td><td>北京市朝阳区建国路88号</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
		{"merged header cell", "<table><tr><td colspan=2>护照号</td><td>型号</td><td>姓名</td></tr>" +
			"<tr><td>E12345678</td><td>G12345678</td><td>E87654321</td><td>张三</td></tr></table>",
			countsOf(map[Detector]int{Passport: 2, Name: 1})},
		{"blank cells", tdTable([]string{"&nbsp;", "姓名&nbsp;", " 住址 "}, []string{"&nbsp;", "&nbsp;张三", "北京市朝阳区建国路88号"}),
			countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"a row header after the header row", tdTable([]string{"编号", "姓名", "备注"}, []string{"1", "孙丽", "无"}) +
			"<table><tr><td>姓名</td><td>手机</td></tr><tr><th>护照号</th><td>E12345678</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		// What is not a header row.
		{"goods", tdTable([]string{"商品", "型号", "价格"}, []string{"张三牌剪刀", "E12345678", "35.00"}, []string{"李四", "G87654321", "北京市朝阳区建国路88号"}),
			none},
		{"layout", tdTable([]string{"<p>欢迎光临本店，本店位于北京市朝阳区建国路88号，营业时间早九点至晚九点。</p>", "联系人请见下方"},
			[]string{"张三", "北京市朝阳区建国路88号"}), none},
		{"one label among two cells", tdTable([]string{"姓名", "备注"}, []string{"张三", "无"}), none},
		{"one label among phrases", tdTable([]string{"客户 姓名", "下单 日期", "备注 信息"}, []string{"张三", "2026", "无"}), none},
		// Key-value rows are no header row; a passport after its key cell
		// has that cell's context (previousCell), names and addresses
		// are not read.
		{"key-value rows", tdTable([]string{"姓名", "张三"}, []string{"住址", "北京市朝阳区建国路88号"}, []string{"护照号", "E12345678"}),
			countsOf(map[Detector]int{Passport: 1, Name: 1, Address: 1})},
		{"header cell with a colon", tdTable([]string{"姓名:", "护照号:"}, []string{"张三", "E12345678"}), none},
		{"header in the third row", tdTable([]string{"客户名单"}, []string{"2026年11月"}, []string{"姓名", "护照号"}, []string{"张三", "E12345678"}),
			none},
		{"the title row's value", tdTable([]string{"E12345678", "", ""}, []string{"姓名", "护照号"}, []string{"李四", "G87654321"}),
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"header under a row of two cells", tdTable([]string{"客户名单", "2026年11月"}, []string{"姓名", "护照号"}, []string{"李四", "G87654321"}),
			none},
		{"a header row with values in it", tdTable([]string{"姓名", "护照号", "张三", "E12345678"}), none},
		{"table ended", tdTable([]string{"姓名", "护照号"}, person) + "<table><tr><td>李四</td><td>G87654321</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"header cell cut", "<table><tr><td>" + strings.Repeat("姓名", 40) + "</td><td>护照号</td></tr><tr><td>张三</td><td>E12345678</td></tr></table>",
			none},
	}
	runPaddedScanTests(t, tests, 35, xPad)
}

func TestTDHeaderScanAllocatesNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	rows, _ := customerRows(t, 17, 40, false)
	var b strings.Builder
	for b.Len() < 2*benchChunk {
		for _, p := range pasteStyles {
			b.WriteString(htmlMail(pastedTable(p, "客户名单", rows)))
			b.WriteString(tdTable([]string{"商品", "型号", "价格"}, []string{"剪刀", "E12345678", "35.00"}))
		}
	}
	chunk := []byte(b.String())[:benchChunk]
	s.Write(chunk) // warm up: sets grow to their working size
	if allocs := testing.AllocsPerRun(100, func() { s.Write(chunk) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(chunk))
	}
}

// BenchmarkTDTables scans pages of tables made of <td> cells only, each
// probed for a header row: goods lists whose header names no PI and
// layout tables of prose ("no header"), and customer lists pasted into
// mails ("customer lists").
func BenchmarkTDTables(b *testing.B) {
	rows, err := csv.NewReader(bytes.NewReader(corpus.CSV(corpus.Records(18, 20), corpus.CSVOptions{}).Data)).ReadAll()
	if err != nil {
		b.Fatalf("reading the corpus CSV: %v", err)
	}
	goods := [][]string{{"商品", "型号", "价格", "库存"}}
	for i := range 20 {
		goods = append(goods, []string{"剪刀", fmt.Sprintf("E%08d", 12345678+i), "35.00", "120"})
	}
	layout := tdTable([]string{"<p>欢迎光临本店，营业时间早九点至晚九点。</p>", "<a href=/x>首页</a>"}, []string{"版权所有", "备案号 12345"})
	pages := map[string]func(p pasteStyle) string{
		"no header":      func(p pasteStyle) string { return pastedTable(p, "", goods) + layout },
		"customer lists": func(p pasteStyle) string { return htmlMail(pastedTable(p, "客户名单", rows)) },
	}
	for name, part := range pages {
		var page strings.Builder
		for page.Len() < 8<<20 {
			for _, p := range pasteStyles {
				page.WriteString(part(p))
			}
		}
		body := []byte(page.String())
		b.Run(name, func(b *testing.B) {
			e := newTestEngine(b)
			s := e.NewScanner()
			defer s.Release()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s.Reset()
				for k := 0; k < len(body); k += benchChunk {
					s.Write(body[k:min(k+benchChunk, len(body))])
				}
				s.Close()
			}
		})
	}
}
