package inspect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestKeyValueCells: a passport, travel permit or legacy card number that
// is the whole text of a cell right after a cell naming it (a record page
// laid out as <td>护照号码</td><td>E12345678</td>, as HR and visa systems
// print one card per person) has that cell's context; a value after a
// cell naming something else, or after an empty cell, does not.
func TestKeyValueCells(t *testing.T) {
	var cards strings.Builder
	for i := range 60 {
		fmt.Fprintf(&cards, `<table class="card"><tr><td>姓名</td><td>张伟</td><td>性别</td><td>男</td></tr>`+
			`<tr><td class="k">护照号码：</td>`+"\n  "+`<td class="v"><span>E%08d</span></td></tr></table>`+"\n", 10000000+i)
	}
	tests := []scanTest{
		{"cards", cards.String(), countsOf(map[Detector]int{Passport: 60, Name: 1})},
		{"permit", "<tr><td>港澳通行证</td><td>C12345678</td></tr>", countsOf(map[Detector]int{TravelPermit: 1})},
		{"th label", "<tr><th>Passport No.</th><td>E12345678</td></tr>", countsOf(map[Detector]int{Passport: 1})},
		{"another label", "<tr><td>型号</td><td>E12345678</td></tr>", [NumDetectors]int{}},
		{"not the next cell", "<tr><td>护照号码</td><td>备注</td><td>E12345678</td></tr>", [NumDetectors]int{}},
		{"empty cell before", "<tr><td>护照号码</td><td></td><td>E12345678</td></tr>", [NumDetectors]int{}},
		{"text before the value", "<tr><td>护照号码</td><td>型号 E12345678</td></tr>", [NumDetectors]int{}},
		{"a prose cell before", "<tr><td>报名方式：回复本邮件，注明护照号码</td><td>E12345678</td></tr>", [NumDetectors]int{}},
	}
	runPaddedScanTests(t, tests, 61, xPad)
	// The key-value cards hold the same 60 numbers chunk after chunk: the
	// look back at the cell before allocates nothing.
	e := newTestEngine(t)
	sc := e.NewScanner()
	defer sc.Release()
	chunk := []byte(strings.Repeat(cards.String(), 8))[:benchChunk]
	sc.Write(chunk)
	if allocs := testing.AllocsPerRun(100, func() { sc.Write(chunk) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(chunk))
	}
}

// TestKeyValueNames: a name or an address that is the text of a cell
// right after a cell naming it, in the same row, counts (a card per
// person: <td>姓名：</td><td>张伟</td>); a company under 客户名称, a key in
// the row above, a cell of other text, or a cell after an unlabelled one
// does not.
func TestKeyValueNames(t *testing.T) {
	var cards strings.Builder
	for _, r := range corpus.Records(71, 60) {
		fmt.Fprintf(&cards, "<table><tr><td>姓名：</td><td>%s</td><td>性别</td><td>男</td></tr>\n<tr><td>家庭住址</td><td colspan=\"3\">%s</td></tr></table>\n", r.Name, r.Address)
	}
	tests := []scanTest{
		{"60 cards", cards.String(), countsOf(map[Detector]int{Name: 60, Address: 60})},
		{"a row", "<tr><td>姓名</td><td>张伟</td><td>住址</td><td>北京市朝阳区建国路88号</td></tr>", countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"th key", "<tr><th>联系人</th><td>王芳</td></tr>", countsOf(map[Detector]int{Name: 1})},
		{"company", "<tr><td>客户名称</td><td>万科</td></tr>", [NumDetectors]int{}},
		{"key in the row above", "<tr><td>姓名</td></tr><tr><td>张伟</td></tr>", [NumDetectors]int{}},
		{"other text", "<tr><td>姓名</td><td>请填写真实姓名</td></tr>", [NumDetectors]int{}},
		{"unlabelled cell before", "<tr><td>备注</td><td>张伟</td></tr>", [NumDetectors]int{}},
		{"bold key", "<tr><td><b>姓名：</b></td><td>张伟</td></tr>", countsOf(map[Detector]int{Name: 1})},
		{"Outlook key", `<tr><td width=80 style='padding:0cm'><p class=MsoNormal><b><span lang=ZH-CN>家庭住址</span></b>：<o:p></o:p></p></td><td><p class=MsoNormal><span>北京市朝阳区建国路88号</span></p></td></tr>`, countsOf(map[Detector]int{Address: 1})},
		{"markup past the bound", "<tr><td>姓名<i><i><i><i><i><i><i></i></i></i></i></i></i></i></td><td>张伟</td></tr>", [NumDetectors]int{}},
		{"a <td> header row", "<table><tr><td>姓名</td><td>年龄</td><td>籍贯</td></tr><tr><td>张伟</td><td>35</td><td>江苏</td></tr></table>", countsOf(map[Detector]int{Name: 1})},
		{"曾用名 after 姓名", "<tr><td>姓名</td><td>曾用名</td></tr>", [NumDetectors]int{}},
	}
	runPaddedScanTests(t, tests, 73, xPad)
}

// keyValueMail is about 8 MiB of an HTML mail laid out in tables, as
// Outlook and Word write it: cells of prose, and rows of short Han cells
// (names, departments) without a key before them.
func keyValueMail() []byte {
	block := `<table class=MsoNormalTable><tr><td><p class=MsoNormal><span>各位同事：本周五下午三点在三楼会议室召开季度总结会，请各部门负责人准时参加，并提前准备材料。</span></p></td>` +
		`<td><p class=MsoNormal>会议室</p></td></tr>` + "\n" +
		`<tr><td>张伟</td><td>王芳</td><td>李娜</td><td>市场部</td><td>销售部</td><td>研发中心</td></tr>` + "\n" +
		`<tr><td>议题</td><td>季度销售情况</td><td>下季度计划</td><td>预算调整</td></tr></table>` + "\n"
	var out []byte
	for len(out) < 8<<20 {
		out = append(out, block...)
	}
	return out
}

// BenchmarkKeyValueMail: the key-value look at every <td> whose text
// starts with a Han character costs a table-laid mail little.
func BenchmarkKeyValueMail(b *testing.B) { benchScanBody(b, keyValueMail()) }
