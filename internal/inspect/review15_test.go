package inspect

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Review 15: pastFurniture (a raw tab table goes on past up to two short
// lines without a tab).

const (
	r15Header = "说明如下\n\n姓名\t护照号\t住址\n"
	r15Row1   = "张伟\tE12345678\t北京市朝阳区建国路88号\n"
	r15Row2   = "王芳\tG12345678\t上海市浦东新区世纪大道100号\n"
)

// TestReview15SecondTableTakesColumns: a blank line and a title (two short
// lines) before another table of the same width whose header headerRow
// does not take for a header (no label, or labels with spaces) or which
// has no header at all: its rows now take the first table's columns. The
// serial numbers of an inventory count as passports, a shop as a name.
// Before the commit each body counted the first table's row only.
func TestReview15SecondTableTakesColumns(t *testing.T) {
	one := countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})
	tests := []scanTest{
		{"inventory under a title", r15Header + r15Row1 + "\n设备清单\n设备\t序列号\t位置\n扫描仪\tE87654321\t三楼\n打印机\tG87654321\t二楼\n", one},
		{"English inventory", r15Header + r15Row1 + "\nInventory\nItem\tSerial\tLocation\nScanner\tE87654321\tRoom 3\n", one},
		{"headerless block after a blank line", r15Header + r15Row1 + "\n扫描仪\tE87654321\t三楼\n", one},
		{"shop list", r15Header + r15Row1 + "\n门店列表\n门店\t编号\t区域\n王府井\tA001\t东城区\n", one},
		{"two columns, then a key-value pair", "说明如下\n\n姓名\t护照号\n张伟\tE12345678\n\n备注\n单号\tE87654321\n", countsOf(map[Detector]int{Name: 1, Passport: 1})},
	}
	runScanTests(t, tests)
}

// TestReview15LabelledValueRowEndsTable: the fix misses a common sheet: a
// 证件类型 column holds 身份证 or 护照, a label, so every row after a page
// break is a "header" to pastFurniture's headerRow (one labelled cell among
// three or more without spaces) and the table ends at page 1 as before,
// though textHeader would open no table on that row (it wants two labelled
// cells and no long number).
func TestReview15LabelledValueRowEndsTable(t *testing.T) {
	const head = "说明如下\n\n姓名\t证件类型\t证件号码\t住址\n"
	const (
		row1 = "张伟\t身份证\t110101199003078515\t北京市朝阳区建国路88号\n"
		row2 = "王芳\t身份证\t11010519491231002X\t上海市浦东新区世纪大道100号\n"
	)
	two := countsOf(map[Detector]int{ResidentID: 2, Name: 2, Address: 2})
	runScanTests(t, []scanTest{
		{"one page", head + row1 + row2, two}, // passes
		{"two pages", head + row1 + "名单\nPage 1\n" + row2, two},
		{"two pages, 护照 rows", "说明如下\n\n姓名\t证件类型\t护照号\t住址\n张伟\t护照\tE12345678\t北京市朝阳区建国路88号\n名单\nPage 1\n王芳\t护照\tG12345678\t上海市浦东新区世纪大道100号\n",
			countsOf(map[Detector]int{Passport: 2, Name: 2, Address: 2})},
	})
}

// TestReview15HeldUp: line ends, blank and space-only lines, reply quotes,
// and escaped tables (unchanged), whole, in 1-byte and in random writes;
// and random page layouts are split-invariant.
func TestReview15HeldUp(t *testing.T) {
	two := countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})
	lf := r15Header + r15Row1 + "passports\nPage 1\n" + r15Row2
	tests := []scanTest{
		{"CRLF", strings.ReplaceAll(lf, "\n", "\r\n"), two},
		{"CR CR LF", strings.ReplaceAll(lf, "\n", "\r\r\n"), two},
		{"CR after a first LF line", "前言\n" + strings.ReplaceAll(lf, "\n", "\r"), two},
		// Blank lines without a page number are no page break (review 15:
		// a blank line and a title gave a second table the first's columns).
		{"space-only lines", r15Header + r15Row1 + "      \n   \n" + r15Row2, countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
		{"reply quotes", "说明如下\n\n> 姓名\t护照号\t住址\n> 张伟\tE12345678\t北京市朝阳区建国路88号\n> passports\n> Page 1\n> 王芳\tG12345678\t上海市浦东新区世纪大道100号\n", two},
		{"second header is its own", r15Header + r15Row1 + "\n订单\n住址\t姓名\t护照号\n上海市浦东新区世纪大道100号\t王芳\tG12345678\n", two},
		// As before the commit (JSON: code != codeRaw).
		{"JSON string", `{"t":"姓名\t护照号\t住址\n张伟\tE12345678\t北京市朝阳区建国路88号\npassports\nPage 1\n王芳\tG12345678\t上海市浦东新区世纪大道100号\n"}`, countsOf(map[Detector]int{Name: 1, Passport: 2, Address: 1})},
		{"form field", "a=b&t=%E5%A7%93%E5%90%8D%09%E6%8A%A4%E7%85%A7%E5%8F%B7%0A%E5%BC%A0%E4%BC%9F%09E12345678%0APage+1%0A%E7%8E%8B%E8%8A%B3%09G12345678%0A&x=1", countsOf(map[Detector]int{Name: 1, Passport: 1})},
	}
	runSplitScanTests(t, tests, 15)

	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(15, 16))
	names := []string{"张伟", "王芳", "李娜", "刘洋"}
	addrs := []string{"北京市朝阳区建国路88号", "上海市浦东新区世纪大道100号", "广州市天河区体育西路1号"}
	furn := []string{"", "passports", "Page 1", "- 2 -", "   ", strings.Repeat("x", 79), strings.Repeat("y", 81), "表1"}
	eols := []string{"\n", "\r\n", "\r\r\n"}
	for range 3000 {
		eol := eols[r.IntN(len(eols))]
		var sb strings.Builder
		sb.WriteString(strings.Repeat("填充文字。", r.IntN(120)))
		sb.WriteString(eol + eol + "姓名\t护照号\t住址" + eol)
		for range 1 + r.IntN(12) {
			for range r.IntN(4) * r.IntN(2) {
				if r.IntN(2) == 0 {
					sb.WriteString(furn[r.IntN(len(furn))] + eol)
				} else {
					sb.WriteString(strings.Repeat("p", r.IntN(100)) + eol)
				}
			}
			sb.WriteString(names[r.IntN(len(names))] + "\tE1234567" + string(rune('0'+r.IntN(10))) + "\t" +
				strings.Repeat(addrs[r.IntN(len(addrs))], 1+r.IntN(14)) + strings.Repeat("\t", r.IntN(2)) + eol)
		}
		if why := splitMismatch(e, r, []byte(sb.String())); why != "" {
			t.Fatalf("%q: %s", sb.String(), why)
		}
	}
}
