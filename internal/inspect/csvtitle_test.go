package inspect

import (
	"strings"
	"testing"
)

// TestCSVTitleLines: a report's title lines above a CSV header row
// (客户信息导出 and a date, a blank line) hid the header, so names,
// addresses and passports counted nothing; up to maxTitles lines without
// a comma are passed over now, and read as rows no header cell labels.
// Whole, in 1-byte writes and in random writes.
func TestCSVTitleLines(t *testing.T) {
	const (
		header = "姓名,身份证号,住址,护照号\n"
		row1   = "张伟,110101199003078515,北京市朝阳区建国路88号,E12345678\n"
		row2   = "王芳,11010519491231002X,上海市浦东新区世纪大道100号,G12345678\n"
	)
	two := countsOf(map[Detector]int{ResidentID: 2, Name: 2, Address: 2, Passport: 2})
	ids := countsOf(map[Detector]int{ResidentID: 2})
	tests := []scanTest{
		{"no title", header + row1 + row2, two},
		{"a title", "客户信息导出\n" + header + row1 + row2, two},
		{"title, date and a blank line", "客户信息导出\r\n导出时间 2026-11-28\r\n\r\n" + header + row1 + row2, two},
		{"five title lines", strings.Repeat("客户信息\n", 5) + header + row1 + row2, two},
		// A title line is no row of the table: a name-like title is not a name.
		{"title that looks like a name", "客户信息\n张三\n" + header + row1 + row2, two},
		// Past five, or a line of cells that is no title, the body is no
		// CSV, as before.
		{"six title lines", strings.Repeat("客户信息\n", 6) + header + row1 + row2, ids},
		{"a title with a comma", "Customers, exported\n" + header + row1 + row2, ids},
		// Titles as a spreadsheet saves them to CSV (red-team review 13:
		// a 登记表 passed with 0 passports): a title merged across the
		// columns, a blank row, notes of label and value.
		{"merged title", "客户登记表,,,\n" + header + row1 + row2, two},
		{"merged title, notes and a blank row", "\"客户登记表\",,,\n填报单位：市场部,,填报日期：2026-11-28,\n,,,\n" + header + row1 + row2, two},
		// A header of one labelled cell is still a header, not a title.
		{"header of one labelled cell", "姓名,,\n张伟,,\n王芳,,\n", countsOf(map[Detector]int{Name: 2})},
		// Bars under a title are a table inside text, as before.
		{"bars under a title", "名单如下：\n| 姓名 | 护照号 |\n| 张伟 | E12345678 |\n", countsOf(map[Detector]int{Name: 1, Passport: 1})},
	}
	runSplitScanTests(t, tests, 7)
}
