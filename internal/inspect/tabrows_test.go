package inspect

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// tabRowsPrompt is the line an employee writes above rows copied out of a
// spreadsheet into a plain-text mail or a form's text field.
const tabRowsPrompt = "各位好，名单如下，请核对：\n"

// TestTabRowsInText: rows copied out of a spreadsheet into plain text (a
// plain-text mail, a multipart form's text field) keep their raw tabs. A
// line of tab-separated cells with two labels heads a table as a '|' line
// does, wherever it stands, so the names, addresses and passports of its
// columns count; indentation, code's alignment tabs and tab-separated logs
// head nothing. Whole, behind 0-69 bytes of padding, in 1-byte and random
// writes.
func TestTabRowsInText(t *testing.T) {
	const rows = "张伟\tE12345678\t北京市朝阳区建国路88号\n王芳\tE87654321\t上海市浦东新区世纪大道100号\n"
	all := countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})
	none := [NumDetectors]int{}
	tests := []scanTest{
		{"after prose", tabRowsPrompt + "姓名\t护照号\t住址\n" + rows + "谢谢！\n", all},
		{"CRLF", "各位好：\r\n姓名\t护照号\t住址\r\n张伟\tE12345678\t北京市朝阳区建国路88号\r\n王芳\tE87654321\t上海市浦东新区世纪大道100号\r\n", all},
		{"quoted header cells", tabRowsPrompt + "\"姓名\"\t\"护照号\"\t\"住址\"\n" + rows, all},
		{"English first cell", tabRowsPrompt + "Name\t护照号\t住址\n" + rows, all},
		{"a number column first", tabRowsPrompt + "序号\t姓名\t护照号\t住址\n1\t张伟\tE12345678\t北京市朝阳区建国路88号\n2\t王芳\tE87654321\t上海市浦东新区世纪大道100号\n", all},
		{"quoted reply", "> 名单如下：\n> 姓名\t护照号\t住址\n> 张伟\tE12345678\t北京市朝阳区建国路88号\n> 王芳\tE87654321\t上海市浦东新区世纪大道100号\n", all},
		{"an empty cell", tabRowsPrompt + "姓名\t护照号\t住址\n张伟\t\t北京市朝阳区建国路88号\n王芳\tE87654321\t\n", countsOf(map[Detector]int{Name: 2, Passport: 1, Address: 1})},
		{"the table ends at a line without tabs", tabRowsPrompt + "姓名\t护照号\t住址\n张伟\tE12345678\t北京市朝阳区建国路88号\n王芳说她住在上海市浦东新区世纪大道100号\nE87654321\n", countsOf(map[Detector]int{Name: 1, Passport: 1, Address: 1})},
		{"one labelled cell", tabRowsPrompt + "序号\t姓名\t备注\n1\t张伟\t新客户\n2\t王芳\t老客户\n", none},
		{"no labels", tabRowsPrompt + "商品\t产地\t备注\n张飞牛肉\t四川省阆中市\t热销\n王老吉\t广东省广州市白云区\t新品\n", none},
		{"indented code", "func save() {\n\t姓名\t:= \"张伟\"\n\tif ok {\n\t\t住址\t= \"北京市朝阳区建国路88号\"\n\t}\n}\n", none},
		{"tab-separated log", "2026-11-27 10:00:01\tINFO\t用户登录\t张伟\n2026-11-27 10:00:02\tWARN\t住址变更\t北京市朝阳区建国路88号\n", none},
		{"a header row right under rows", tabRowsPrompt + "商品\t产地\n张飞牛肉\t四川省阆中市\n姓名\t护照号\t住址\n" + rows, none},
		{"a header row after a blank line under rows", tabRowsPrompt + "商品\t产地\n张飞牛肉\t四川省阆中市\n\n姓名\t护照号\t住址\n" + rows, all},
		{"tabs after spaces", tabRowsPrompt + "姓名 \t护照号 \t住址\n张伟\tE12345678\t北京市朝阳区建国路88号\n", none},
	}
	runPaddedScanTests(t, tests, 71, xPad)
}

// tabbedText is about 8 MiB of tab-heavy text without PI: the clean web
// corpus's lines indented by one to four tabs, and a tab-separated export
// of goods with no header row, whose every row opens with a Han cell.
func tabbedText() []byte {
	clean := corpus.CleanWeb(1, 6<<20).Data
	var out []byte
	for k, line := range bytes.SplitAfter(clean, []byte("\n")) {
		out = append(out, "\t\t\t\t"[:1+k%4]...)
		out = append(out, line...)
	}
	goods := []string{"张飞牛肉", "王老吉", "李锦记", "老干妈", "白象方便面"}
	for k := 0; len(out) < 8<<20; k++ {
		out = fmt.Appendf(out, "%s\t四川省阆中市\t%d\t热销商品\n", goods[k%len(goods)], k)
	}
	return out
}

// BenchmarkTabbedText: indentation and tab-separated rows that head no
// table cost the scan little.
func BenchmarkTabbedText(b *testing.B) { benchScanBody(b, tabbedText()) }

// benchScanBody reports MB/s and allocations of scanning body in the
// proxy's 32 KiB chunks.
func benchScanBody(b *testing.B, body []byte) {
	s := newTestEngine(b).NewScanner()
	defer s.Release()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		for off := 0; off < len(body); off += benchChunk {
			s.Write(body[off:min(off+benchChunk, len(body))])
		}
		s.Close()
	}
}

// blankLineRows is a headerless tab-separated export of short Han cells
// whose rows are set apart by blank lines: each row follows a blank line,
// as a header row does.
func blankLineRows(n int) []byte {
	goods := []string{"张飞牛肉", "王老吉", "李锦记", "老干妈", "白象方便面"}
	var out []byte
	for k := range n {
		out = fmt.Appendf(out, "%s\t四川省\t热销\n\n", goods[k%len(goods)])
	}
	return out
}

// BenchmarkTabRowsBlankLines: rows with no row under them are not read as
// header rows (their cells not looked up as labels).
func BenchmarkTabRowsBlankLines(b *testing.B) { benchScanBody(b, blankLineRows(100000)) }
