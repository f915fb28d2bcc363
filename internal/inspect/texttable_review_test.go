package inspect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTablesInsideTextReview: the shapes a review of tables inside text
// found miscounted. A Markdown table may open its rows with a '|' and its
// header without, or the other way round (GitHub renders both): the cells
// stay in their columns, so a model number is not read under the passport
// column beside it. Rows may end in \r\r\n (text written in text mode on
// Windows), and a reply quotes a table behind '> '. A psql result whose
// first cell is NULL keeps its columns. Whole, in 1-byte and random writes,
// with every delimiter moved across a 64-byte block.
func TestTablesInsideTextReview(t *testing.T) {
	two := countsOf(map[Detector]int{Name: 2, Passport: 2})
	rows := "| 张伟 | E12345678 |\n| 王芳 | G12345678 |\n"
	bare := "张伟 | E12345678\n王芳 | G12345678\n"
	tests := []scanTest{
		{"header without the leading bar, rows with it", "名单：\n姓名 | 护照号\n--- | ---\n" + rows, two},
		{"header with the leading bar, rows without", "名单：\n| 姓名 | 护照号 |\n|---|---|\n" + bare, two},
		{"rows mixed", "名单：\n| 姓名 | 护照号 |\n|:--|:--|\n张伟 | E12345678\n| 王芳 | G12345678 |\n", two},
		{"model numbers beside passports", "库存与随行人员：\n姓名 | 型号 | 护照号\n---|---|---\n" +
			"| 张伟 | E87654321 | E12345678 |\n| 王芳 | E87654321 | G12345678 |\n", two},
		{"psql, NULL first cells", "查询结果：\n 序号 | 姓名 | 护照号\n------+------+-----------\n" +
			"      | 张伟 | E12345678\n      | 王芳 | G12345678\n(2 rows)\n", two},
		{"CR CR LF", "名单：\r\r\n| 姓名 | 护照号 |\r\r\n|---|---|\r\r\n" + strings.ReplaceAll(rows, "\n", "\r\r\n"), two},
		{"CR CR LF in a JSON string", `{"c":"名单：\r\r\n| 姓名 | 护照号 |\r\r\n|---|---|\r\r\n| 张伟 | E12345678 |\r\r\n| 王芳 | G12345678 |"}`, two},
		{"a reply quoting a table", "好的，收到。\n\n> 名单如下：\n> | 姓名 | 护照号 |\n> |---|---|\n> " +
			strings.ReplaceAll(strings.TrimSuffix(rows, "\n"), "\n", "\n> ") + "\n", two},
		{"a reply quoting a psql result", "> 查询结果：\n>  姓名 | 护照号\n> ------+-----------\n>  张伟 | E12345678\n>  王芳 | G12345678\n", two},
		// Blank lines still end a table, as in Markdown.
		{"blank line", "名单：\n| 姓名 | 护照号 |\n|---|---|\n\n" + rows, [NumDetectors]int{}},
		// Without a Markdown rule a leading bar is no reason to move cells.
		{"no rule", "名单：\n姓名 | 护照号\n| 张伟 | E12345678 |\n", countsOf(map[Detector]int{})},
	}
	runPaddedScanTests(t, tests, 31, func(n int) string { return strings.Repeat("x", n) + "\n" })
}

// wideRows returns the rows of the corpus's customer export of n records
// with four more columns (a remark and three timestamps, as a SELECT *
// returns them), and the counts the export yields: the header and the rule
// of a psql or MySQL rendering are each longer than half the decision span.
func wideRows(t *testing.T, n int) ([][]string, [NumDetectors]int) {
	rows, want := customerRows(t, 41, n, false)
	rows[0] = append(rows[0], "备注", "创建时间", "更新时间", "最后登录")
	for k := 1; k < len(rows); k++ {
		ts := fmt.Sprintf("2024-03-%02d 10:%02d:11.123456+08", k%28+1, k%60)
		rows[k] = append(rows[k], "VIP客户，季度回访，偏好线上沟通", ts, ts, ts)
	}
	return rows, want
}

// TestWideTablesInsideText: a psql or MySQL result of a dozen columns
// pasted into a chat, whose rule line ends past the decision span of the
// header's first delimiter, counts as the narrow one does (it counted
// nothing: the table ended at the rule). So does a Markdown table with a
// padded rule. A long rule that no row follows labels nothing after it.
func TestWideTablesInsideText(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(33, 34))
	rows, want := wideRows(t, 60)
	tables := textTables(rows)
	for _, form := range []string{"psql", "mysql", "markdown aligned"} {
		header, rest, _ := strings.Cut(tables[form], "\n")
		if form == "mysql" {
			header, rest, _ = strings.Cut(rest, "\n")
		}
		rule, _, _ := strings.Cut(rest, "\n")
		if len(header)+len(rule) < maxSpan+64 {
			t.Fatalf("%s: header %d and rule %d bytes, too narrow for the test", form, len(header), len(rule))
		}
		text := chatPrompt + tables[form] + "\n谢谢！"
		for name, body := range map[string]string{
			form + " after prose":       text,
			form + " in a chat request": chatRequest(t, text),
		} {
			t.Run(name, func(t *testing.T) {
				if got := scanAll(e, []byte(body)); got != want {
					t.Errorf("got %v, want %v", got, want)
				}
				if why := splitMismatch(e, r, []byte(body)); why != "" {
					t.Error(why)
				}
			})
		}
	}
	// A rule of every length around the decision span: cut by it, ending
	// in it with the row's first delimiter past it, or both in it.
	for n := 400; n <= 500; n++ {
		body := "查询结果：\n 姓名 | 护照号 | 备注\n" + strings.Repeat("-", n) + "\n 张伟 | E12345678 | x\n 王芳 | G12345678 | y\n(2 rows)\n"
		if got, want := scanAll(e, []byte(body)), countsOf(map[Detector]int{Name: 2, Passport: 2}); got != want {
			t.Errorf("rule of %d bytes: got %v, want %v", n, got, want)
		}
		if why := splitMismatch(e, r, []byte(body)); why != "" {
			t.Errorf("rule of %d bytes: %s", n, why)
		}
	}
	// The header of a wide table, its rule, and no row under the rule: the
	// bars further on open no row of it.
	header, rest, _ := strings.Cut(tables["psql"], "\n")
	rule, _, _ := strings.Cut(rest, "\n")
	none := [NumDetectors]int{}
	for name, body := range map[string]string{
		"no rows":                  "查询结果：\n" + header + "\n" + rule + "\n(0 rows)\n\n 型号 | 张伟 | E12345678 | 北京市朝阳区建国路88号\n",
		"rule cut by the body end": "查询结果：\n" + header + "\n" + rule,
		"prose under the rule":     "查询结果：\n" + header + "\n" + rule + "\n说明 | 张伟 | E12345678 | 北京市朝阳区建国路88号\n",
	} {
		if got := scanAll(e, []byte(body)); got != none {
			t.Errorf("%s: got %v, want nothing", name, got)
		}
		if why := splitMismatch(e, r, []byte(body)); why != "" {
			t.Errorf("%s: %s", name, why)
		}
	}
}

// TestTablesInsideTextAllocateNothing scans the rows of a Markdown table
// in a chat request and of spreadsheet rows (\t cells) in a JSON string,
// after prose, in steady state.
func TestTablesInsideTextAllocateNothing(t *testing.T) {
	rows, _ := customerRows(t, 14, 300, false)
	var tabs strings.Builder
	for _, row := range rows {
		tabs.WriteString(strings.Join(row, "\t") + "\n")
	}
	e := newTestEngine(t)
	for name, text := range map[string]string{
		"markdown":         chatPrompt + textTables(rows)["markdown"],
		"psql":             chatPrompt + textTables(rows)["psql"],
		"spreadsheet rows": chatPrompt + tabs.String(),
	} {
		t.Run(name, func(t *testing.T) {
			body := []byte(chatRequest(t, text))
			// The prose and the header, then the rows up to the last, whose
			// line end a rewrite of the same rows follows.
			start := strings.Index(string(body), `\n`+rows[1][0]) + 2
			if name == "markdown" {
				start = strings.Index(string(body), `\n| `+rows[1][0]) + 2
			}
			last := strings.LastIndex(string(body), `\n`) + 2
			counts := rowsAllocateNothing(t, e, body, start, last)
			if counts[Name] != 300 || counts[Passport] != 300 {
				t.Errorf("counts %v, want 300 names and passports", counts)
			}
		})
	}
}

// rowsAllocateNothing writes body up to last, then the rows from start to
// last again and again (start and last open rows of a table in it): the
// rewrites must allocate nothing. It returns the counts of the whole.
func rowsAllocateNothing(t *testing.T, e *Engine, body []byte, start, last int) [NumDetectors]int {
	t.Helper()
	chunk := body[start:last]
	s := e.NewScanner()
	defer s.Release()
	s.Write(body[:last])
	s.Write(chunk) // warm up: sets grow to their working size
	if allocs := testing.AllocsPerRun(20, func() { s.Write(chunk) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(chunk))
	}
	s.Close()
	return s.Tally().Counts
}
