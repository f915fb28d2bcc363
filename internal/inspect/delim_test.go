package inspect

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// padRight pads s with spaces to width runes.
func padRight(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

// textTables renders rows (the header first) in the delimited forms a
// table takes besides a comma CSV: ';' (European Excel), '|' exports, the
// aligned output of psql and of the MySQL client, Markdown with and
// without outer pipes, and comma and semicolon variants with padded
// cells, CRLF and a byte order mark.
func textTables(rows [][]string) map[string]string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for k, c := range r {
			widths[k] = max(widths[k], utf8.RuneCountInString(c))
		}
	}
	padded := func(r []string) []string {
		out := make([]string, len(r))
		for k, c := range r {
			out[k] = padRight(c, widths[k])
		}
		return out
	}
	rule := func(cross string) string {
		dashes := make([]string, len(widths))
		for k, w := range widths {
			dashes[k] = strings.Repeat("-", w+2)
		}
		return strings.Join(dashes, cross)
	}
	lines := func(head, sep string, each func(r []string) string, tail ...string) string {
		out := []string{}
		if head != "" {
			out = append(out, head)
		}
		out = append(out, each(rows[0]))
		if sep != "" {
			out = append(out, sep)
		}
		for _, r := range rows[1:] {
			out = append(out, each(r))
		}
		return strings.Join(append(out, tail...), "\n") + "\n"
	}
	joined := func(delim string) func(r []string) string {
		return func(r []string) string { return strings.Join(r, delim) }
	}
	box := "+" + rule("+") + "+"
	return map[string]string{
		"semicolon":        lines("", "", joined(";")),
		"semicolon padded": lines("", "", joined(" ; ")),
		"semicolon CRLF":   "\xef\xbb\xbf" + strings.ReplaceAll(lines("", "", joined(";")), "\n", "\r\n"),
		"comma padded":     lines("", "", joined(", ")),
		"pipe":             lines("", "", joined("|")),
		"psql": lines("", rule("+"), func(r []string) string { return " " + strings.Join(padded(r), " | ") },
			fmt.Sprintf("(%d rows)", len(rows)-1)),
		"mysql": lines(box, box, func(r []string) string { return "| " + strings.Join(padded(r), " | ") + " |" }, box),
		"markdown": lines("", "|"+strings.Repeat(":---|", len(widths)),
			func(r []string) string { return "| " + strings.Join(r, " | ") + " |" }),
		"markdown aligned": lines("", "|"+rule("|")+"|", func(r []string) string { return "| " + strings.Join(padded(r), " | ") + " |" }),
		"markdown bare":    lines("", strings.Repeat("---|", len(widths)-1)+"---", joined(" | ")),
	}
}

// customerRows returns the rows of the corpus's customer CSV export of n
// records, header first, and the counts the export yields.
func customerRows(t *testing.T, seed uint64, n int, english bool) ([][]string, [NumDetectors]int) {
	t.Helper()
	doc := corpus.CSV(corpus.Records(seed, n), corpus.CSVOptions{EnglishHeader: english})
	rows, err := csv.NewReader(bytes.NewReader(doc.Data)).ReadAll()
	if err != nil {
		t.Fatalf("reading the corpus CSV: %v", err)
	}
	return rows, wantCounts(t, doc.Want)
}

// TestTextTableColumns: a header row delimited by ';' or '|', padded or
// not, under a MySQL box rule or over a Markdown or psql rule, gives its
// columns their labels as a comma header does, so names, addresses and
// passports count in every form; scanned whole, in 1-byte writes and in
// random writes.
func TestTextTableColumns(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, english := range []bool{false, true} {
		rows, want := customerRows(t, 11, 40, english)
		for name, body := range textTables(rows) {
			t.Run(fmt.Sprintf("%s english=%v", name, english), func(t *testing.T) {
				if got := scanAll(e, []byte(body)); got != want {
					t.Errorf("got %v, want %v in\n%.400s", got, want, body)
				}
				if why := splitMismatch(e, r, []byte(body)); why != "" {
					t.Error(why)
				}
			})
		}
	}
}

// TestTextTableNegatives: ';' and '|' in free text keep their meaning (no
// label reaches across them), and a table whose header names no PI
// labels nothing.
func TestTextTableNegatives(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(9, 10))
	tests := []struct{ name, give string }{
		{"prose", "会议纪要; 参会人员 | 张伟、王芳、李娜\n" +
			"本季度重点：华东区 | 华南区; 负责人张伟 | 王芳。\n" +
			"We met on Monday; the agenda | budget | hiring was short; 张伟 spoke first.\n" +
			"住址 | 北京市朝阳区建国路88号; 姓名 | 张伟; 住址; 北京市海淀区中关村大街1号\n"},
		{"shell pipeline", "cat customers.csv | cut -d';' -f1,2 | sort | uniq -c | head -n 20\n" +
			"grep -E '姓名|住址' users.txt | awk -F';' '{print $1}' | sort -u\n" +
			"echo 张伟 | iconv -f utf-8 -t gbk; echo 北京市朝阳区建国路88号 | wc -c\n"},
		{"markdown of goods", "| 商品 | 单价 | 库存 | 产地 |\n|---|---:|---:|---|\n" +
			"| 张飞牛肉 | 38.00 | 120 | 四川省阆中市 |\n| 王老吉 | 4.50 | 2400 | 广东省广州市白云区 |\n" +
			"| 李锦记 | 12.90 | 360 | 广东省江门市新会区 |\n"},
		{"psql of goods", " 商品     | 单价  | 备注\n----------+-------+------------------\n" +
			" 张飞牛肉 | 38.00 | 北京市朝阳区建国路88号\n 王老吉   |  4.50 | 李娜\n(2 rows)\n"},
		{"front matter", "---\ntitle: 客户 | 名单\n---\n张伟 | 北京市朝阳区建国路88号\n李娜; 北京市海淀区中关村大街1号\n"},
		{"rule then prose", "-----------\n张伟和李娜住在北京市朝阳区建国路88号; 王芳 | 上海\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanAll(e, []byte(tt.give)); got != ([NumDetectors]int{}) {
				t.Errorf("got %v, want nothing", got)
			}
			if why := splitMismatch(e, r, []byte(tt.give)); why != "" {
				t.Error(why)
			}
		})
	}
}

// TestTextTableHeaderRows: which first lines start a CSV body, by the
// names their columns give the rows under them.
func TestTextTableHeaderRows(t *testing.T) {
	const rows = "\n张伟;北京市朝阳区建国路88号\n王芳;上海市浦东新区世纪大道100号\n"
	both := countsOf(map[Detector]int{Name: 2, Address: 2})
	tests := []scanTest{
		{"semicolon header", "姓名;住址" + rows, both},
		{"commas outnumbered", "姓名;住址,备注;x" + rows, both},
		{"a tie goes to the comma", "姓名;住址,备注" + rows, countsOf(map[Detector]int{Name: 2})},
		{"quoted cells", `"姓名";"住址"` + rows, both},
		{"markup cell", "姓名;<b>住址</b>" + rows, [NumDetectors]int{}},
		{"no labels", "商品;产地" + rows, [NumDetectors]int{}},
		{"rule above", "+----+----+\n姓名;住址" + rows, both},
		{"two rules above", "+----+----+\n+----+----+\n姓名;住址" + rows, [NumDetectors]int{}},
		{"rule cut at the end", "+----+----+", [NumDetectors]int{}},
		{"BOM and rule", "\xef\xbb\xbf|---|---|\n姓名;住址" + rows, both},
		{"Excel sep line", "sep=;\r\n姓名;住址" + rows, both},
		{"Excel sep line, commas", "sep=,\n姓名,住址\n张伟,北京市朝阳区建国路88号\n", countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"one labelled semicolon cell", "客户;姓名" + rows, [NumDetectors]int{}},
		{"one labelled cell of three", "序号;姓名;备注\n1;张伟;x\n2;王芳;y\n", countsOf(map[Detector]int{Name: 2})},
		{"one labelled cell of three, markdown", "| 序号 | 姓名 | 备注 |\n|---|---|---|\n| 1 | 张伟 | x |\n| 2 | 王芳 | y |\n", countsOf(map[Detector]int{Name: 2})},
		{"one labelled cell of three with words", "客户 名单; 姓名; 见下\n姓名：张伟，住址：北京市朝阳区建国路88号\n", countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"title with a semicolon over labelled lines", "客户; 姓名 地址\n姓名：张伟，住址：北京市朝阳区建国路88号\n姓名：王芳，住址：上海市浦东新区世纪大道100号\n", both},
		{"code comment over labelled lines", "int x = 1; // name address\nname=张伟&addr=北京市朝阳区建国路88号\nname=王芳&addr=上海市浦东新区世纪大道100号\n", both},
		{"one labelled comma cell is a header, as before", "客户,姓名\n张伟,李娜\n", countsOf(map[Detector]int{Name: 1})},
	}
	runScanTests(t, tests)
}

// TestFullWidthAt: a full-width ＠ (U+FF20), raw or escaped, joins an
// e-mail address as '@' does and counts as the same value; a broken or
// partial one does not. So do the HTML character references of '@' and
// '＠' (&#64;, &#x40;, &commat;, &#65312;, &#xff20;, with any leading zeros),
// and no other.
func TestFullWidthAt(t *testing.T) {
	one := countsOf(map[Detector]int{Email: 1})
	none := [NumDetectors]int{}
	tests := []scanTest{
		{"raw", "联系邮箱 zhang.san＠qq.com 谢谢", one},
		{"same value as @", "a.b@qq.com a.b＠qq.com A.B＠QQ.COM", one},
		{"in a sentence", "请发到li_na+hr＠sina.com.cn。", one},
		{"percent-encoded", "email=zhang.san%EF%BC%A0qq.com&x=1", one},
		{"percent-encoded, lower case", "email=zhang.san%ef%bc%a0qq.com&x=1", one},
		{"percent and raw", "email=li%40sina.cn&b=li%EF%BC%A0sina.cn li＠sina.cn", one},
		{"json escape", `{"email":"zhang.san\uff20qq.com"}`, one},
		{"json escape, upper case", `{"email":"zhang.san\uFF20qq.com"}`, one},
		{"json escape of @", `{"email":"zhang.san\u0040qq.com","b":"zhang.san＠qq.com"}`, one},
		{"two addresses", "a＠qq.com;b＠163.com", countsOf(map[Detector]int{Email: 2})},
		{"no local part", "＠qq.com 张三＠qq.com", none},
		{"no dotted domain", "zhang＠localhost", none},
		{"doubled", "zhang＠＠qq.com", none},
		{"one-letter TLD", "zhang＠qq.c", none},
		{"lead byte missing", "zhang\xbc\xa0qq.com", none},
		{"last byte missing", "zhang\xef\xbcqq.com", none},
		{"cut at the end", "zhang\xef\xbc", none},
		{"other full-width", "zhang％qq.com zhang＃qq.com", none},
		{"percent cut", "zhang%EF%BC%Aqq.com zhang%EF%BCqq.com", none},
		{"percent of Ａ", "zhang%EF%BC%A1qq.com", none},
		{"escape cut", `"zhang\uff2qq.com"`, none},
		{"escape of Ａ", `"zhang\uff21qq.com"`, none},
		{"html decimal", "<p>zhang.san&#64;qq.com</p>", one},
		{"html decimal, padded", "zhang.san&#064;qq.com", one},
		{"html decimal, more zeros", "zhang.san&#0064;qq.com", one},
		{"html hex, zero", "zhang.san&#x040;qq.com", one},
		{"html hex, seven digits", "zhang.san&#x000040;qq.com", one},
		{"html full-width, zero", "zhang.san&#065312;qq.com", one},
		{"html hex", "zhang.san&#x40;qq.com zhang.san&#X40;QQ.com", one},
		{"html name", "zhang.san&commat;qq.com", one},
		{"html full-width", "zhang.san&#65312;qq.com zhang.san&#xFF20;qq.com zhang.san@qq.com", one},
		{"html entities, two addresses", "a&#64;qq.com&amp;b&#64;163.com", countsOf(map[Detector]int{Email: 2})},
		{"html other references", "zhang&#65;qq.com zhang&#640;qq.com zhang&#64qq.com zhang&comma;qq.com zhang&amp;qq.com", none},
		{"html reference cut", "zhang&#6", none},
		// The high-resolution images of a page are no addresses.
		{"retina image names", `<img src="icon@2x.png" srcset="logo@3x.webp 3x, bg@2X.JPG, a&#64;2x.svg"> a@1.5x.png x@y.css`, none},
	}
	runScanTests(t, tests)
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, tt := range tests {
		if why := splitMismatch(e, r, []byte(tt.give)); why != "" {
			t.Errorf("%s: %s", tt.name, why)
		}
	}
}

// TestTextTableScanAllocatesNothing scans the rows of '|' tables and
// full-width e-mail addresses in steady state.
func TestTextTableScanAllocatesNothing(t *testing.T) {
	rows, _ := customerRows(t, 12, 300, false)
	tables := textTables(rows)
	e := newTestEngine(t)
	for _, name := range []string{"psql", "markdown", "semicolon"} {
		t.Run(name, func(t *testing.T) {
			body := []byte(strings.ReplaceAll(tables[name], "@", "＠"))
			cut := bytes.IndexByte(body, '\n') + 1
			s := e.NewScanner()
			defer s.Release()
			s.Write(body[:cut]) // the header row
			s.Write(body[cut:]) // warm up: sets grow to their working size
			if allocs := testing.AllocsPerRun(20, func() { s.Write(body[cut:]) }); allocs != 0 {
				t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(body)-cut)
			}
			if s.Close(); s.Tally().Counts[Name] != 300 || s.Tally().Counts[Email] != 300 {
				t.Errorf("counts %v, want 300 names and e-mails", s.Tally().Counts)
			}
		})
	}
}

// TestSemicolonTableEntities: in a ';' table the ';' that ends an entity
// (&#7;, &#20013;) is a cell delimiter whether or not the scan stopped
// inside the entity, which it does at any digit near the end of a pass:
// the passport after it stays in its column in 1-byte writes.
func TestSemicolonTableEntities(t *testing.T) {
	e := newTestEngine(t)
	pad := strings.Repeat("z", 600)
	withName := func(kv map[Detector]int) [NumDetectors]int {
		kv[Name] = 1
		return countsOf(kv)
	}
	tests := []struct {
		name, cell string
		want       [NumDetectors]int
	}{
		{"one-digit entity", "&#7;;E13042988", withName(map[Detector]int{Passport: 1})},
		{"five-digit entity", "&#20013;;E13042988", withName(map[Detector]int{Passport: 1})},
		{"entity before a card", `&#2;62965717&#53;\uFF19197\u00354&#49;`, withName(map[Detector]int{BankCard: 1})},
		{"joined by entities", "6222&#160;0212&#160;3456&#160;7890&#160;128;E13042988", withName(map[Detector]int{BankCard: 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("姓名;身份证号;手机号;银行卡号;护照号码\n张三;" + pad + ";" + tt.cell + ";" + pad + ";x\n")
			if got := scanAll(e, body); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := oneByteScan(e, body); got != tt.want {
				t.Errorf("1-byte writes: got %v, want %v", got, tt.want)
			}
		})
	}
}
