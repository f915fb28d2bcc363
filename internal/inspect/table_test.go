package inspect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// htmlTable renders a table with the given header cells and rows.
func htmlTable(header []string, rows ...[]string) string {
	var b strings.Builder
	b.WriteString("<table>\n<tr>")
	for _, h := range header {
		b.WriteString("<th>" + h + "</th>")
	}
	b.WriteString("</tr>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + c + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	return b.String() + "</table>\n"
}

func TestVerbLabels(t *testing.T) {
	names := countsOf(map[Detector]int{Name: 1})
	addresses := countsOf(map[Detector]int{Address: 1})
	tests := []scanTest{
		{"name 为", "经核实，该用户姓名为张三，联系电话13812345678。", countsOf(map[Detector]int{Name: 1, Mobile: 1})},
		{"name 是", "收件人是王小明。", names},
		{"name before parenthesis", "该用户姓名为姜鑫博（身份证号码110101199003078670）", countsOf(map[Detector]int{Name: 1, ResidentID: 1})},
		{"name before ascii parenthesis", "姓名：张三(经理)", names},
		{"spaces around the verb", "姓名 为 李四。", names},
		{"address 为", "家庭住址为河南省洛阳市老城区府前街119号16栋3006室，护照已过期", addresses},
		{"address 是", "他的地址是北京市海淀区中关村大街1号。", addresses},
		{"verb then colon", "姓名为：张三", names},
		{"prose 为", "他为人正直，是北京市的一个区的干部。", [NumDetectors]int{}},
		{"prose 是", "这是北京市的一个区", [NumDetectors]int{}},
		{"empty name", "姓名为空，请重新填写。", [NumDetectors]int{}},
		{"required address", "地址是必填项", [NumDetectors]int{}},
		{"required name", "姓名是必填项", [NumDetectors]int{}},
		{"address label, name value", "地址为张三", [NumDetectors]int{}},
		{"name label, address value", "姓名为北京市海淀区中关村大街1号", [NumDetectors]int{}},
		{"label not right before the verb", "姓名栏为张三", [NumDetectors]int{}},
		{"name label in passing", "请确认姓名后再提交，结果为王者", [NumDetectors]int{}},
		{"verb at the start", "为张三", [NumDetectors]int{}},
		{"verb in a cell of an unlabelled csv", "编号,备注\n1,姓名为张三\n", names},
		{"verb in a csv column that names no name", "编号,备注,手机\n1,姓名为张三,13812345678\n", countsOf(map[Detector]int{Mobile: 1})},
	}
	runScanTests(t, tests)
}

func TestHTMLTables(t *testing.T) {
	header := []string{"姓名", "身份证号", "住址"}
	tests := []scanTest{
		{"header row", htmlTable(header,
			[]string{"张三", "110101199003078670", "北京市朝阳区建国路88号"},
			[]string{"李四", "440308199901101512", "上海市浦东新区世纪大道100号"}),
			countsOf(map[Detector]int{Name: 2, ResidentID: 2, Address: 2})},
		{"english header, upper-case tags", "<TABLE><TR><TH>ID</TH><TH class=\"c\">Name</TH></TR><TR><TD>1</TD><TD class=\"c\">王伟</TD></TR></TABLE>",
			countsOf(map[Detector]int{Name: 1})},
		{"inline markup in cells", "<table><tr><th><b>客户姓名</b></th></tr><tr><td>\n  <span>赵敏</span></td></tr></table>", countsOf(map[Detector]int{Name: 1})},
		{"row headers", "<table><tr><th>姓名</th><td>周杰</td></tr><tr><th>住址</th><td>广州市天河区体育西路1号</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"cells that are not names", htmlTable([]string{"姓名", "地址"},
			[]string{"未填写", "未知"}, []string{"公司名称", "见附件"}, []string{"", "北京市"}),
			[NumDetectors]int{}},
		{"unlabelled columns", htmlTable([]string{"商品", "备注"}, []string{"张三", "北京市朝阳区建国路88号"}), [NumDetectors]int{}},
		{"column after the labelled one", htmlTable([]string{"编号", "姓名"}, []string{"王伟", "1"}), [NumDetectors]int{}},
		{"table without header cells: a key-value row", "<table><tr><td>姓名</td><td>张三</td></tr></table>", countsOf(map[Detector]int{Name: 1})},
		{"table without header cells", "<table><tr><td>张三</td><td>李四</td></tr></table>", [NumDetectors]int{}},
		{"table ended", htmlTable([]string{"姓名"}, []string{"张三"}) + "<table><tr><td>李四</td></tr></table>", countsOf(map[Detector]int{Name: 1})},
		{"thead is not a cell", "<table><thead><tr><th>编号</th><th>姓名</th></tr></thead><tbody><tr><td>1</td><td>孙丽</td></tr></tbody></table>",
			countsOf(map[Detector]int{Name: 1})},
		{"header cell cut", "<th>" + strings.Repeat("姓名", 40) + "</th><tr><td>张三</td>", [NumDetectors]int{}},
		{"tags outside tables", "<p>姓名</p><div>张三</div><title>李四</title><th", [NumDetectors]int{}},
	}
	runScanTests(t, tests)
}

// TestHTMLTableDocuments: a passport, travel permit or legacy card number
// that is the text of a cell its column or row header names has that
// header's context, as in a CSV column; anywhere else in or after the table
// it needs a label of its own.
func TestHTMLTableDocuments(t *testing.T) {
	header := []string{"姓名", "护照号码", "港澳通行证"}
	tests := []scanTest{
		{"columns", htmlTable(header,
			[]string{"张三", "E12345678", "C12345678"},
			[]string{"李四", "G87654321", "C87654321"}),
			countsOf(map[Detector]int{Name: 2, Passport: 2, TravelPermit: 2})},
		{"row header", "<table><tr><th>护照号</th><td>EA1234567</td></tr></table>", countsOf(map[Detector]int{Passport: 1})},
		{"inline markup and blanks", "<table><tr><th>Passport No.</th></tr><tr><td>\n <span>E12345678</span></td></tr></table>",
			countsOf(map[Detector]int{Passport: 1})},
		{"unlabelled column", htmlTable([]string{"编号", "型号"}, []string{"1", "E12345678"}), [NumDetectors]int{}},
		{"not the cell's text", htmlTable([]string{"护照号码"}, []string{"型号 E12345678"}), [NumDetectors]int{}},
		{"after the table", htmlTable([]string{"护照号码"}, []string{"E12345678"}) + "<p>G87654321</p>", countsOf(map[Detector]int{Passport: 1})},
		{"header cell itself", "<table><tr><th>护照号码</th><th>E12345678</th></tr></table>", [NumDetectors]int{}},
		{"legacy card column", htmlTable([]string{"银行卡号", "备注"}, []string{"6222021234567890121", "6222021234567890122"}),
			countsOf(map[Detector]int{BankCard: 1})},
		// A merged cell spans its columns: the cell after it is under 型号,
		// not under 护照号 (a product list with merged totals counted its
		// model numbers as passports), and a merged header heads both.
		{"merged value cell", "<table><tr><th>序号</th><th>护照号</th><th>型号</th></tr><tr><td colspan=\"2\">合计</td><td>E12345678</td></tr></table>",
			[NumDetectors]int{}},
		{"merged value cell, unquoted", "<table><tr><th>序号</th><th>护照号</th><th>型号</th></tr><tr><TD COLSPAN=2>合计</TD><td>E12345678</td></tr></table>",
			[NumDetectors]int{}},
		{"merged header cell", "<table><tr><th colspan='2'>护照号</th><th>型号</th></tr><tr><td>E12345678</td><td>G12345678</td><td>E87654321</td></tr></table>",
			countsOf(map[Detector]int{Passport: 2})},
		{"column after a merged cell", "<table><tr><th>序号</th><th>型号</th><th>护照号</th></tr><tr><td colspan=\"2\">1</td><td>E12345678</td></tr></table>",
			countsOf(map[Detector]int{Passport: 1})},
	}
	runScanTests(t, tests)
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, tt := range tests {
		for n := range 70 { // every tag across a pass boundary
			body := []byte(strings.Repeat("x", n) + tt.give)
			if why := splitMismatch(e, r, body); why != "" {
				t.Fatalf("%s padded by %d: %s", tt.name, n, why)
			}
			if whole, chunked := scanAll(e, body), oneByteScan(e, body); whole != chunked {
				t.Fatalf("%s padded by %d: whole %v, one byte at a time %v", tt.name, n, whole, chunked)
			}
		}
	}
}

// TestTablesAndVerbsSplitInvariance scans tables and verb labels whole and
// one byte at a time, with padding that moves every tag across the pass
// boundaries.
func TestTablesAndVerbsSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	table := htmlTable([]string{"姓名", "手机号", "住址"},
		[]string{"张三", "13812345678", "北京市朝阳区建国路88号"},
		[]string{"<b>李四</b>", "&#49;&#51;&#57;&#49;&#50;&#51;&#52;&#53;&#54;&#55;&#56;", "上海市浦东新区世纪大道100号"})
	prose := "该用户姓名为姜鑫博（身份证号码110101199003078670），家庭住址为河南省洛阳市老城区府前街119号16栋3006室。"
	for n := range 70 { // moves every pair across a 64-byte block boundary
		for name, body := range map[string]string{"table": table, "prose": prose} {
			b := []byte("\n" + strings.Repeat("x", n) + body)
			whole, chunked := scanAll(e, b), oneByteScan(e, b)
			if whole != chunked {
				t.Errorf("%s padded by %d: whole %v, one byte at a time %v", name, n, whole, chunked)
			}
			if whole[Name] != 2-boolInt(name == "prose") || whole[Address] == 0 {
				t.Errorf("%s padded by %d: counts %v", name, n, whole)
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestTableScanAllocatesNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	var b strings.Builder
	for i := range 400 {
		b.WriteString(htmlTable([]string{"姓名", "住址"}, []string{"张三", fmt.Sprintf("北京市朝阳区建国路%d号", i)}))
		b.WriteString("<p>该用户姓名为李四，他为人正直。</p>\n")
	}
	chunk := []byte(b.String())[:benchChunk]
	s.Write(chunk) // warm up: sets grow to their working size
	if allocs := testing.AllocsPerRun(100, func() { s.Write(chunk) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(chunk))
	}
}
