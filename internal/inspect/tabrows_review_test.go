package inspect

import (
	"fmt"
	"strings"
	"testing"
)

// TestTabRowsReviewLineAbove: the line above a header row of raw tabs
// decides whether it heads a table. A title line copied out of a
// spreadsheet with the empty cells beside it (客户名单\t\t) or an empty
// spreadsheet row (\t\t) holds tabs but no row of cells: the header under
// it heads the table, at the start of the body or after prose. Text-mode
// line ends (CR CR LF) end the line above as CR LF and LF do: a header
// right under rows of another export is a row among rows, however its
// lines end.
func TestTabRowsReviewLineAbove(t *testing.T) {
	const rows = "张伟\tE12345678\t北京市朝阳区建国路88号\n王芳\tE87654321\t上海市浦东新区世纪大道100号\n"
	all := countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})
	none := [NumDetectors]int{}
	crcrlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\r\n") }
	tests := []scanTest{
		{"a title row with its empty cells", tabRowsPrompt + "2026年11月签证名单\t\t\n姓名\t护照号\t住址\n" + rows, all},
		{"a title row with its empty cells, CRLF", strings.ReplaceAll(tabRowsPrompt+"2026年11月签证名单\t\t\n姓名\t护照号\t住址\n"+rows, "\n", "\r\n"), all},
		{"a title row opening the body", "2026年11月签证名单\t\t\n姓名\t护照号\t住址\n" + rows, all},
		{"an empty spreadsheet row", tabRowsPrompt + "\t\t\n姓名\t护照号\t住址\n" + rows, all},
		{"CR CR LF", crcrlf(tabRowsPrompt + "姓名\t护照号\t住址\n" + rows), all},
		{"a header row right under rows, CR CR LF", crcrlf(tabRowsPrompt + "商品\t产地\n张飞牛肉\t四川省阆中市\n姓名\t护照号\t住址\n" + rows), none},
		{"a header row right under rows ending in empty cells", tabRowsPrompt + "商品\t产地\t备注\n张飞牛肉\t四川省阆中市\t\n姓名\t护照号\t住址\n" + rows, none},
	}
	runPaddedScanTests(t, tests, 73, xPad)
}

// longCellRows is a tab-separated export without a header row after a line
// of prose, whose last column holds long text: the line above a row shows
// no tab within the bytes a decision may read back, so every row is a
// candidate header.
func longCellRows(n int) []byte {
	goods := []string{"张飞牛肉", "王老吉", "李锦记", "老干妈", "白象方便面"}
	desc := strings.Repeat("产品说明文字", 6)
	out := []byte(tabRowsPrompt)
	for k := range n {
		out = fmt.Appendf(out, "%s\t四川省阆中市\t%d\t%s\n", goods[k%len(goods)], k, desc)
	}
	return out
}

// TestTabRowsReviewLongCells: such rows head nothing, and a header with
// rows under it after them heads its table.
func TestTabRowsReviewLongCells(t *testing.T) {
	body := string(longCellRows(40)) + "\n姓名\t护照号\t住址\n张伟\tE12345678\t北京市朝阳区建国路88号\n"
	runPaddedScanTests(t, []scanTest{
		{"long last cells", string(longCellRows(40)), [NumDetectors]int{}},
		{"long last cells, then a table", body, countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
	}, 75, xPad)
}

// BenchmarkTabRowsLongCells: rows whose last cell is longer than a header
// cell cost the scan little (each read as a candidate header row, the
// export ran about 40 times slower than without the tab path).
func BenchmarkTabRowsLongCells(b *testing.B) { benchScanBody(b, longCellRows(30000)) }
