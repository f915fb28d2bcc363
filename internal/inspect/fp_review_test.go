package inspect

import (
	"strings"
	"testing"
)

// staffTable is a table of <td> cells whose first row heads its columns
// (姓名, 职位): the staff list a mail or a page nests in a cell of its
// layout table.
const staffTable = "<table><tr><td>姓名</td><td>职位</td><td>备注</td></tr><tr><td>张伟</td><td>经理</td><td>无</td></tr></table>"

// TestNestedTableEnds: a table nested in a cell of another (an HTML mail's
// layout, an order confirmation) ends at its </table>; the outer table's
// cells after it (product names such as 金龙鱼, 江小白) are not under the
// nested table's header row. Before, the end tag was not read and 2 or 3
// product names counted as names.
func TestNestedTableEnds(t *testing.T) {
	goods := "<tr><td>江小白</td><td>马应龙</td><td>黄鹤楼</td></tr></table>"
	one := countsOf(map[Detector]int{Name: 1})
	tests := []scanTest{
		{"in the first cell", "<table><tr><td>" + staffTable + "</td><td>金龙鱼</td><td>周大福</td></tr>" + goods, one},
		{"under a goods row", "<table><tr><td>商品</td><td>价格</td></tr><tr><td>" + staffTable + "</td><td>1</td></tr>" +
			"<tr><td>金龙鱼</td><td>周大福</td></tr>" + goods, one},
		{"upper case, white space", "<TABLE><TR><TD>\n" + strings.ToUpper(staffTable[:7]) + staffTable[7:len(staffTable)-8] + "</TABLE>\n  </TD>\n  <TD>金龙鱼</TD></TR>" + goods, one},
		{"Word's paragraph after the table", "<table><tr><td>" + staffTable + "\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n</td><td>金龙鱼</td></tr>" + goods, one},
		{"a <th> table nested", "<table><tr><td><table><tr><th>姓名</th><th>职位</th></tr><tr><td>张伟</td><td>经理</td></tr></table></td>" +
			"<td>金龙鱼</td></tr>" + goods, one},
		// A header row still heads the rows of its own table, to its end.
		{"the header row's own rows", "<table><tr><td>姓名</td><td>住址</td><td>备注</td></tr>" +
			"<tr><td>张伟</td><td>北京市朝阳区建国路88号</td><td>无</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"a header row after a nested table", "<table><tr><td>" + staffTable + "</td></tr></table>\n" +
			"<table><tr><td>联系人</td><td>住址</td></tr><tr><td>李娜</td><td>北京市朝阳区建国路88号</td></tr></table>",
			countsOf(map[Detector]int{Name: 2, Address: 1})},
	}
	runPaddedScanTests(t, tests, 51, xPad)
}

// orderRows renders an order list whose recipient cell is merged down
// over each order's item rows (rowspan), as shops export it and Excel
// pastes it: a header row of cells made by cell, then per order the
// recipient and its first item, and item rows of the cells to its right.
func orderRows(cell string) string {
	var b strings.Builder
	b.WriteString("<table><tr>" + cell + "收货人" + "</" + cell[1:] + cell + "商品名称</" + cell[1:] + cell + "数量</" + cell[1:] + cell + "备注</" + cell[1:] + "</tr>\n")
	for _, order := range [][]string{{"张伟", "金龙鱼", "海天酱油", "白象"}, {"李娜", "周大福", "江小白", "马应龙"}, {"王磊", "黄鹤楼", "王老吉", "李宁"}} {
		b.WriteString("<tr><td rowspan=\"3\">" + order[0] + "</td><td>" + order[1] + "</td><td>2</td><td>无</td></tr>\n")
		for _, item := range order[2:] {
			b.WriteString("<tr><td>" + item + "</td><td>2</td><td>无</td></tr>\n")
		}
	}
	return b.String() + "</table>\n"
}

// TestRowSpanCells: a cell merged down over the rows below (rowspan)
// keeps its column in them, so the cells of those rows stand in their own
// columns. Before, an order list with the recipient merged over its item
// rows read 5 of the 6 items below (金龙鱼's neighbours 江小白, 马应龙 ...)
// as recipients' names; a header row of two levels (a merged 联系方式 over
// 姓名 and 住址) put 姓名 over the first column.
func TestRowSpanCells(t *testing.T) {
	tests := []scanTest{
		{"<td> header row", orderRows("<td>"), countsOf(map[Detector]int{Name: 3})},
		{"<th> header row", orderRows("<th>"), countsOf(map[Detector]int{Name: 3})},
		{"two header rows", "<table><tr><th rowspan=2>序号</th><th colspan=2>联系方式</th><th ROWSPAN='2'>备注</th></tr>" +
			"<tr><th>姓名</th><th>住址</th></tr><tr><td>1</td><td>张伟</td><td>北京市朝阳区建国路88号</td><td>无</td></tr></table>",
			countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"merged down and across", "<table><tr><th>联系人</th><th>住址</th><th>商品</th><th>数量</th></tr>" +
			"<tr><td rowspan=2 colspan=2>张伟 北京市朝阳区建国路88号</td><td>金龙鱼</td><td>1</td></tr><tr><td>江小白</td><td>1</td></tr>" +
			"<tr><td>李娜</td><td>上海市浦东新区世纪大道100号</td><td>白象</td><td>1</td></tr></table>",
			countsOf(map[Detector]int{Name: 2, Address: 1})}, // 张伟 opens its merged cell
	}
	runPaddedScanTests(t, tests, 53, xPad)
}
