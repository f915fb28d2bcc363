package inspect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// Review 17 (red team) of names, addresses, arrays of rows and
// comma-separated rows in JSON strings (353f13d, def5439, f3242e0, 317cb29).

// review17Want is what a list of n records counts by name, passport and
// address.
func review17Want(n int) [NumDetectors]int {
	return countsOf(map[Detector]int{Name: n, Passport: n, Address: n})
}

// review17Markdown renders recs as a Markdown table under an instruction.
func review17Markdown(recs []corpus.Record) string {
	var b strings.Builder
	b.WriteString("请整理：\n| 姓名 | 护照号 | 住址 |\n|---|---|---|\n")
	for _, r := range recs {
		b.WriteString("| " + r.Name + " | " + r.Passport + " | " + r.Address + " |\n")
	}
	return b.String()
}

// TestReview17GridRowHidesTextTables: ChatGLM's and Qwen's api.py (and
// the Gradio demos built on them) send the conversation as
// "history": [[question, answer], …], LangChain's tuple messages as
// [["human", text], …]: an array of arrays of strings, whose first row the
// grid reads as a header candidate. While it does, bars, \t and \n are no
// stops (gridClass, backslash's !s.grid.on), so a Markdown or tab table
// pasted into the first message counts nothing: 0 names, passports and
// addresses now; at df9752d 20 of each. A CSV there counts 0 too
// (escapedLineBreak is not called inside a grid). Expected: 20 of each.
func TestReview17GridRowHidesTextTables(t *testing.T) {
	const n = 20
	recs := corpus.Records(1701, n)
	tables := map[string]string{
		"markdown": review17Markdown(recs),
		"tabs":     "请整理：\n" + strings.ReplaceAll(csvLines(recs, "姓名,护照号,住址", "\n"), ",", "\t"),
		"csv":      "请整理：\n" + csvLines(recs, "姓名,护照号,住址", "\n"),
	}
	var tests []scanTest
	for name, table := range tables {
		tests = append(tests,
			scanTest{"ChatGLM history, " + name, `{"prompt":"继续","history":[[` + jsonString(t, table) + `,"好的，已整理。"]],"max_length":2048}`, review17Want(n)},
			scanTest{"LangChain tuples, " + name, `{"input":{"messages":[["human",` + jsonString(t, table) + `],["ai","好的"]]}}`, review17Want(n)},
		)
	}
	runSplitScanTests(t, tests, 1701)
}

// review17Quoted renders recs as CSV with every cell quoted (Python's
// csv.QUOTE_ALL, json2csv, most "export to CSV" buttons of web admin
// pages), with header quoted or not.
func review17Quoted(recs []corpus.Record, quoteHeader bool) string {
	var b strings.Builder
	if quoteHeader {
		b.WriteString(`"姓名","护照号","住址"` + "\n")
	} else {
		b.WriteString("姓名,护照号,住址\n")
	}
	for _, r := range recs {
		b.WriteString(`"` + r.Name + `","` + r.Passport + `","` + r.Address + `"` + "\n")
	}
	return b.String()
}

// TestReview17QuotedCSVCells: a CSV whose cells are quoted reaches a JSON
// string as \"张伟\",\"E12345678\",…. headerRow trims '"' but not the
// backslash before it, so \"姓名\" holds a quote and is no header cell;
// with an unquoted header the table opens, but a cell's text starts at its
// backslash, where labelledValue finds no Han character and the cell
// context (cellAt) is not where the passport starts. With minimal quoting
// (Excel, pandas) a first row whose address holds a comma has one comma
// more than the header and no table opens at all. Now 0 names, passports
// and addresses in each; a raw CSV body of the same rows counts them all.
// Expected: 20 of each.
func TestReview17QuotedCSVCells(t *testing.T) {
	const n = 20
	recs := corpus.Records(1702, n)
	first := csvLines(recs[1:], "姓名,护照号,住址", "\n")
	header, rest, _ := strings.Cut(first, "\n")
	minimal := header + "\n" + recs[0].Name + "," + recs[0].Passport + `,"` + recs[0].Address + `,2单元"` + "\n" + rest
	runSplitScanTests(t, []scanTest{
		{"every cell quoted", chatRequest(t, "请整理：\n"+review17Quoted(recs, true)), review17Want(n)},
		{"cells quoted, header not", chatRequest(t, "请整理：\n"+review17Quoted(recs, false)), review17Want(n)},
		{"tool result, every cell quoted", `{"role":"tool","tool_call_id":"call_1","content":` + jsonString(t, review17Quoted(recs, true)) + `}`, review17Want(n)},
		{"minimal quoting, a comma in the first address", chatRequest(t, "请整理：\n"+minimal), review17Want(n)},
	}, 1702)
}

// TestReview17CRLFHeaderOnFirstLine: a tool that reads a CSV file saved on
// Windows (Excel, WPS) returns it as the message's content, the header on
// the string's first line and \r\n line ends. escapedLineBreak runs at the
// \n; firstLineStart, walking back, meets the \r first, takes it for a
// line break and decides the header is not the first line; the line after
// the break is a data row. Now 0 names, passports and addresses (with
// "\n" line ends, or with a line of prose before the header, 20 of each).
// Expected: 20 of each.
func TestReview17CRLFHeaderOnFirstLine(t *testing.T) {
	const n = 20
	recs := corpus.Records(1703, n)
	crlf := csvLines(recs, "姓名,护照号,住址", "\r\n")
	runSplitScanTests(t, []scanTest{
		{"tool result", `{"role":"tool","tool_call_id":"call_1","content":` + jsonString(t, crlf) + `}`, review17Want(n)},
		{"Excel's UTF-8 BOM", chatRequest(t, "\ufeff"+crlf), review17Want(n)},
		{"escaped", asciiJSON(chatRequest(t, crlf)), review17Want(n)},
	}, 1703)
}

// review17Wide renders recs as a CRM export of 7+extra columns: a
// customer number, name, sex, ID, mobile, passport, address, then extra
// date columns.
func review17Wide(recs []corpus.Record, extra int) string {
	header := []string{"客户编号", "姓名", "性别", "身份证号", "手机号", "护照号", "住址"}
	for i := range extra {
		header = append(header, fmt.Sprintf("扩展字段%02d", i))
	}
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	for i, r := range recs {
		fmt.Fprintf(&b, "C%06d,%s,男,%s,%s,%s,%s", i, r.Name, r.ResidentID, r.Mobile, r.Passport, r.Address)
		b.WriteString(strings.Repeat(",2024-01-01 10:00:00", extra))
		b.WriteString("\n")
	}
	return b.String()
}

// TestReview17WideCSVHeader: commaHeader wants the header line and the
// whole line under it (to count its commas) inside the 480-byte decision
// span from the break, and firstLineStart the string's opening quote
// within 160 bytes. A 19-column CRM export (header 246 bytes, first row
// 353) in a prompt, or a 15-column one (header 186 bytes) as a tool's
// whole result, counts 0 names, passports and addresses now (IDs and
// mobiles count without context). The same sheet as tab-separated rows
// (\t) counts every record up to about 31 columns. Expected: 20 of each.
// Fixed for a header after an instruction (a row cut by the decision span
// is counted up to it); a header on the string's first line must still
// start within lookback bytes of the break that ends it (documented gap).
func TestReview17WideCSVHeader(t *testing.T) {
	const n = 20
	recs := corpus.Records(1704, n)
	want := countsOf(map[Detector]int{Name: n, Passport: n, Address: n, ResidentID: n, Mobile: n})
	runSplitScanTests(t, []scanTest{
		{"19 columns after an instruction", chatRequest(t, "请按省份统计：\n"+review17Wide(recs, 12)), want},
	}, 1704)
}

// TestReview17TwoColumnLists: a list of people with one other column
// (姓名,部门; 序号,姓名; name,team) pasted into a prompt. commaHeader calls
// headerRow without loose, which wants two labelled cells or three cells
// of single words, though a CSV body's first line (loose) takes one
// labelled cell and the line under it already has to match the header's
// commas. Now 0 names. Expected: 20.
func TestReview17TwoColumnLists(t *testing.T) {
	const n = 20
	recs := corpus.Records(1705, n)
	var dept, numbered, english strings.Builder
	dept.WriteString("请按部门分组：\n姓名,部门\n")
	numbered.WriteString("名单如下：\n序号,姓名\n")
	english.WriteString("Group these:\nname,team\n")
	for i, r := range recs {
		dept.WriteString(r.Name + ",销售部\n")
		fmt.Fprintf(&numbered, "%d,%s\n", i+1, r.Name)
		english.WriteString(r.Name + ",sales\n")
	}
	want := countsOf(map[Detector]int{Name: n})
	runSplitScanTests(t, []scanTest{
		{"姓名,部门", chatRequest(t, dept.String()), want},
		{"序号,姓名", chatRequest(t, numbered.String()), want},
		{"name,team", chatRequest(t, english.String()), want},
	}, 1705)
}

// TestReview17RowsWithoutTrailingEmptyCells: a CSV written by hand or by
// an LLM leaves the last, empty cells of its rows out (姓名,护照号,住址,备注
// over 张伟,E12345678,北京市…). commaHeader wants the line under the header
// to have exactly its commas, and opens no table. Now 0 names, passports
// and addresses. Expected: 20 of each (a row with fewer cells, or more in
// a quoted cell, is still a row; a CSV body reads them so).
func TestReview17RowsWithoutTrailingEmptyCells(t *testing.T) {
	const n = 20
	recs := corpus.Records(1710, n)
	rows := strings.Replace(csvLines(recs, "姓名,护照号,住址", "\n"), "住址\n", "住址,备注\n", 1)
	runSplitScanTests(t, []scanTest{
		{"a notes column left empty", chatRequest(t, "请整理：\n"+rows), review17Want(n)},
	}, 1710)
}

// TestReview17EscapedFullWidthSeparators: Python's requests (json=) and
// json.dumps keep to ASCII by default, so a Qwen, DeepSeek or Doubao
// request built with them writes 姓名：张伟，住址：北京市… as
// \u59d3\u540d\uff1a\u5f20\u4f1f…: the full-width colon (\uff1a) and the
// verbs 为 and 是 (\u4e3a, \u662f) are no separators escaped (an ASCII
// colon is). Now 0 names and addresses; the same prompt in UTF-8 counts
// 20 of each. Pre-existing (df9752d counts 0 too). Expected: 20 of each.
func TestReview17EscapedFullWidthSeparators(t *testing.T) {
	const n = 20
	recs := corpus.Records(1711, n)
	want := countsOf(map[Detector]int{Name: n, Address: n})
	var tests []scanTest
	for _, sep := range []string{"：", "为", "是"} {
		var b strings.Builder
		for _, r := range recs {
			b.WriteString("姓名" + sep + r.Name + "，住址" + sep + r.Address + "\n")
		}
		body := `{"model":"qwen-max","input":{"messages":[{"role":"user","content":` + jsonString(t, "请核对：\n"+b.String()) + `}]}}`
		tests = append(tests, scanTest{"姓名" + sep + ", escaped", asciiJSON(body), want})
	}
	runSplitScanTests(t, tests, 1711)
}

// review17Rate returns the best of three scans' time of body.
func review17Rate(e *Engine, body []byte) time.Duration {
	start := time.Now()
	scanAll(e, body)
	return time.Since(start)
}

// review17Times returns the best of five scans of slow and of control,
// taken in turns, so that a busy spell of a shared machine (CI runs other
// packages' tests beside this one) slows both alike.
func review17Times(e *Engine, slow, control []byte) (time.Duration, time.Duration) {
	bestSlow, bestControl := time.Duration(1<<62), time.Duration(1<<62)
	for range 5 {
		bestSlow = min(bestSlow, review17Rate(e, slow))
		bestControl = min(bestControl, review17Rate(e, control))
	}
	return bestSlow, bestControl
}

// TestReview17EscapedLineBreakSpeed: every \n of a JSON string outside a
// table runs escapedLineBreak. Before \\ (a \\n), firstLineStart walks up
// to 160 bytes back and rowStop up to 480 bytes on: a 4 MB run of \n\\
// scans at about 5 MB/s (df9752d: 60), over 40 times slower than \x\\
// of the same length. And every line of comma-separated values (a log or
// a series in a prompt) is read as a header candidate (keyword automaton
// per cell): 12,34 lines scan at about 38 MB/s, 5 times slower than the
// same lines with ';' (200 MB/s). Expected: within 8 and 4 times of the
// controls (a header row follows prose or a blank line, not a row of
// the same commas; the look-back stops at any escaped break).
func TestReview17EscapedLineBreakSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	e := newTestEngine(t)
	const size = 4 << 20
	for _, c := range []struct {
		name          string
		slow, control string
		factor        float64
	}{
		{`\n\\ run`, `{"a":"` + strings.Repeat(`\n\\`, size/4) + `"}`, `{"a":"` + strings.Repeat(`\x\\`, size/4) + `"}`, 8},
		// Lines of six bytes: each break is still looked at (about 3 times
		// the control when quiet); a header check per line measured 5.
		{"short comma lines", chatRequest(t, "a,b\n"+strings.Repeat("12,34\n", size/6)), chatRequest(t, "a;b\n"+strings.Repeat("12;34\n", size/6)), 4},
	} {
		slow, control := review17Times(e, []byte(c.slow), []byte(c.control))
		if ratio := float64(slow) / float64(control); ratio > c.factor {
			t.Errorf("%s: %v (%.1f MB/s), %.1f times the control's %v; want at most %.0f times",
				c.name, slow, float64(len(c.slow))/slow.Seconds()/1e6, ratio, control, c.factor)
		}
	}
}

// TestReview17MixedStringKernels pins that a prompt mixing every table
// form inside one JSON string (comma rows, an array of rows, records as
// JSON, a Markdown table, tab rows) counts the same with every kernel and
// in any writes, as the tables open and close the loop's class tables.
func TestReview17MixedStringKernels(t *testing.T) {
	const n = 6
	recs := corpus.Records(1709, n)
	csv := csvLines(recs, "姓名,护照号,住址", "\n")
	body := chatRequest(t, csv+mustJSON(t, gridRows(recs), true)+"\n"+csv+recordObjects(t, recs, false, false)+"\n"+
		review17Markdown(recs[:1])+strings.ReplaceAll(csv, ",", "\t"))
	want := gridWant(n)
	if got := kernelsCount(t, "mixed prompt", []byte(body)); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	runSplitScanTests(t, []scanTest{{"mixed prompt", body, want}}, 1709)
}

// TestReview17FirstLineLookbackSplit: firstLineStart walks back up to
// lookback (160) bytes from a \n and reads the level of a quote it meets
// there with quoteLevel, which counts the backslashes before the quote:
// at 160 bytes back they are outside the context a pass keeps. Whole, the
// \" 160 bytes before the break below is an escaped quote in the text, the
// line is not the string's first, and nothing counts; in 1-byte writes
// the backslash is gone, the quote opens the string, the 159-byte line is
// read as a header row and 5 names, passports and addresses count.
// Expected: the same counts (0) in any writes.
func TestReview17FirstLineLookbackSplit(t *testing.T) {
	recs := corpus.Records(1712, 5)
	header := "姓名,护照号,住址"
	for len(header)+7+41 <= lookback-1 {
		header += "," + strings.Repeat("q", 40)
	}
	header += "," + strings.Repeat("q", lookback-1-len(header)-7-1) + ",备注"
	if len(header) != lookback-1 {
		t.Fatalf("header is %d bytes", len(header))
	}
	var rows strings.Builder
	for _, r := range recs {
		rows.WriteString(r.Name + "," + r.Passport + "," + r.Address + strings.Repeat(",", strings.Count(header, ",")-2) + `\n`)
	}
	body := `{"model":"m","messages":[{"role":"system","content":"` + strings.Repeat("You are a helpful assistant. ", 200) +
		`"},{"role":"user","content":"注意\"` + header + `\n` + rows.String() +
		`"},{"role":"assistant","content":"` + strings.Repeat("OK. ", 300) + `"}]}`
	runSplitScanTests(t, []scanTest{{"a quote 160 bytes before the break", body, countsOf(nil)}}, 1712)
}
