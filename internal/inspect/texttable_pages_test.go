package inspect

import (
	"testing"
)

// TestTabTablePages: the rows of a tab table printed over several pages
// (a PDF's pages read as text) stay in the header's columns past a page
// break's furniture between them, a page number and at most one other
// short line (LibreOffice Calc prints the sheet's name and Page N):
// before, they stopped at the first page's furniture. A second table (its own header, other columns) or prose
// after the table does not take the first header's columns.
func TestTabTablePages(t *testing.T) {
	const (
		header = "说明如下\n\n姓名\t护照号\t住址\n"
		page1  = "张伟\tE12345678\t北京市朝阳区建国路88号\n"
		page2  = "王芳\tG12345678\t上海市浦东新区世纪大道100号\n"
	)
	two := countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})
	one := countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})
	tests := []scanTest{
		{"one page", header + page1 + page2, two},
		{"sheet name and page number between", header + page1 + "passports\nPage 1\n" + page2, two},
		{"a blank line and a page number", header + page1 + "\n- 2 -\n" + page2, two},
		// Three lines, a long line, or a row of other cells end the table.
		{"three lines between", header + page1 + "a\nb\nc\n" + page2, one},
		{"a paragraph between", header + page1 + "以下是另一份名单，请注意核对其中的每一项信息，如有问题请及时与我们联系，谢谢大家的配合与支持。\n" + page2, one},
		{"a row of other cells", header + page1 + "备注\n" + "王芳\tG12345678\t上海市浦东新区世纪大道100号\t2026\n", one},
		// A second table's header is its own.
		{"a second table", header + page1 + "订单\n" + "护照号\t姓名\t住址\n" + "G12345678\t王芳\t上海市浦东新区世纪大道100号\n", two},
	}
	runSplitScanTests(t, tests, 3)
}
