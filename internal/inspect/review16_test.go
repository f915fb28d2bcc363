package inspect

import (
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// Review 16: tables as JSON arrays of rows (commit 82c5294, jsongrid.go).

// review16Filler are column headers an HR roster carries besides the ones
// of gridHeader; none of them names a detector.
var review16Filler = []string{"工号", "性别", "民族", "政治面貌", "出生日期", "学历", "毕业院校", "专业", "部门", "岗位",
	"职级", "入职日期", "合同到期日", "状态", "创建人", "创建时间", "更新时间"}

// review16Wide returns gridHeader followed by extra filler columns, and
// the rows of recs under it (filler cells hold a dash).
func review16Wide(recs []corpus.Record, extra int) (header []any, rows [][]any) {
	header = append(append(header, gridHeader...), anySlice(review16Filler[:extra])...)
	for _, r := range gridRows(recs)[1:] {
		row := append([]any(nil), r...)
		for range extra {
			row = append(row, "—")
		}
		rows = append(rows, row)
	}
	return header, rows
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestReview16WideHeaderRow: a header row (or a header sent apart as
// column objects) is read in one decision of maxSpan (480) bytes; a wider
// one is no header and the whole sheet counts no name, passport, permit or
// address. A 24-column HR roster from ClickHouse (JSONCompact meta of
// {"name","type"} objects: ~1 KB), from pandas to_json(orient="split")
// (force_ascii=True by default: ~600 bytes of \u escapes) or from a Python
// client writing the Sheets API values with json.dumps (ensure_ascii=True)
// counts 0 names, passports, permits and addresses today; it should count
// n of each (as the 7-column sheets of TestJSONGridHeaderRow do). Cause:
// gridRow and columnObjects give up when the row reaches the decision span
// (jsongrid.go, gridRow's "j >= end" break, columnObjects' loop). Fix:
// read the header row incrementally as the scan loop passes its cells (the
// grid already follows quotes and commas; collect each cell's labels in
// gridByte while head is set, decide "header" at its ']'); a header row
// labels no value of its own, so nothing has to be held back.
func TestReview16WideHeaderRow(t *testing.T) {
	const n = 12
	recs := corpus.Records(1601, n)
	header, rows := review16Wide(recs, 17)
	var meta []map[string]any
	for i, h := range header {
		typ := "String"
		if i == 0 {
			typ = "UInt64"
		} else if i%3 == 0 {
			typ = "LowCardinality(Nullable(String))"
		}
		meta = append(meta, map[string]any{"name": h, "type": typ})
	}
	clickHouse := `{"meta":` + mustJSON(t, meta, false) + `,"data":` + mustJSON(t, rows, false) + `,"rows":12,"statistics":{"elapsed":0.002,"rows_read":12,"bytes_read":4096}}`
	split := `{"columns":` + mustJSON(t, header, false) + `,"index":` + mustJSON(t, make([]int, n), false) + `,"data":` + mustJSON(t, rows, false) + `}`
	sheets := mustJSON(t, map[string]any{"range": "花名册!A1:X13", "majorDimension": "ROWS", "values": append([][]any{header}, rows...)}, false)
	runSplitScanTests(t, []scanTest{
		{"ClickHouse JSONCompact, 24 columns", clickHouse, gridWant(n)},
		{"pandas orient=split, force_ascii, 24 columns", asciiJSON(split), gridWant(n)},
		{"Sheets API values written by json.dumps, 24 columns", asciiJSON(sheets), gridWant(n)},
	}, 1601)
}

// TestReview16LabelledTitleRow: a title row above the header row that
// holds a label word is read as the header row: "客户名单" (customer list:
// 户名 inside it), "联系人列表", "员工住址登记表" label only the first column,
// and the real header row becomes a data row. Users see names only (or
// nothing: under 员工住址登记表 every column but the first is unlabelled and
// the first holds names, not addresses); the same sheet as CSV, with the
// title on its own line, counts everything. Expected: n of each. A Graph
// range (rectangular, "" in empty cells) has the same title row. Cause:
// headerOrTitle tests header before title; a row of one cell that is
// followed by a header row of more cells is a title. Fix: when the row is
// a title (one cell at most), look at the row under it first and prefer it
// when it is a header row.
func TestReview16LabelledTitleRow(t *testing.T) {
	const n = 10
	recs := corpus.Records(1602, n)
	titled := func(title []any) string {
		return mustJSON(t, map[string]any{"values": append([][]any{title}, gridRows(recs)...)}, false)
	}
	graphTitle := []any{"客户名单", "", "", "", "", "", ""}
	runSplitScanTests(t, []scanTest{
		{"title 客户名单", titled([]any{"客户名单"}), gridWant(n)},
		{"title 联系人列表", titled([]any{"联系人列表"}), gridWant(n)},
		{"title 员工住址登记表", titled([]any{"员工住址登记表"}), gridWant(n)},
		{"Graph range with a title row", titled(graphTitle), gridWant(n)},
	}, 1602)
}

// TestReview16NullHeaderCells: a header row with a null cell is no header
// row. Feishu/Lark's valueRange.values (and Tencent Docs) return null for
// the empty cells of the requested range, so a read of Sheet1!A1:I21 over a
// 7-column sheet has two trailing nulls in every row, the header row too;
// SheetJS sheet_to_json({header:1}) leaves a hole (JSON null) for a column
// without a header. Both count 0 names, passports, permits and addresses
// today; they should count n of each. Cause: gridRow accepts only strings
// ("for ... b[j] == '"'"). Fix: take null (and numbers, booleans) as empty
// header cells.
func TestReview16NullHeaderCells(t *testing.T) {
	const n = 10
	recs := corpus.Records(1603, n)
	var feishu, holes [][]any
	for _, r := range gridRows(recs) {
		feishu = append(feishu, append(append([]any(nil), r...), nil, nil))
		holes = append(holes, append(append(append([]any(nil), r[:2]...), nil), r[2:]...))
	}
	lark := mustJSON(t, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"revision": 7, "spreadsheetToken": "shtcnX", "valueRange": map[string]any{"majorDimension": "ROWS", "range": "Sheet1!A1:I11", "revision": 7, "values": feishu}}}, false)
	runSplitScanTests(t, []scanTest{
		{"Feishu valueRange with trailing nulls", lark, gridWant(n)},
		{"SheetJS header:1 with an unnamed column", mustJSON(t, holes, false), gridWant(n)},
	}, 1603)
}

// TestReview16LongHeaderCell: one header cell longer than headerCellMax
// (64 bytes) makes the whole row no header row, and the limit is taken on
// the JSON text, not on the characters: escaped as \uXXXX (pandas'
// force_ascii and json.dumps' ensure_ascii defaults) a cell of 11 Han
// characters is over it. 港澳居民来往内地通行证号码, the permit's official
// name (13 characters, 78 bytes escaped), or an import template's
// explanatory header (紧急联系人与本人关系（父母、配偶、子女、兄弟姐妹、其他）,
// 84 bytes raw) leaves the sheet with 0 names, passports, permits and
// addresses; it should count n of each. Cause: gridHeadCell's
// len(cell) > headerCellMax on the raw bytes, and its false fails the row.
// Fix: measure the decoded text, and pass an over-long cell over as an
// unlabelled cell instead of rejecting the row (a JSON string is plainly a
// cell).
func TestReview16LongHeaderCell(t *testing.T) {
	const n = 10
	recs := corpus.Records(1604, n)
	rows := gridRows(recs)[1:]
	header := append([]any(nil), gridHeader...)
	header[5] = "港澳居民来往内地通行证号码"
	split := `{"columns":` + mustJSON(t, header, false) + `,"index":` + mustJSON(t, make([]int, n), false) + `,"data":` + mustJSON(t, rows, false) + `}`
	var template [][]any
	template = append(template, append(append([]any(nil), gridHeader...), "紧急联系人与本人关系（父母、配偶、子女、兄弟姐妹、其他）"))
	for _, r := range rows {
		template = append(template, append(append([]any(nil), r...), "配偶"))
	}
	runSplitScanTests(t, []scanTest{
		{"pandas split, force_ascii, 13-character header", asciiJSON(split), gridWant(n)},
		{"an explanatory header cell of 28 characters", mustJSON(t, map[string]any{"values": template}, false), gridWant(n)},
	}, 1604)
}

// TestReview16ColumnObjects: arrays of column objects the commit names
// (Trino, DataTables) are not read. Trino's client protocol describes a
// column as {"name","type","typeSignature":{...}}: the nested object makes
// columnObjects give up ("the object's own objects and arrays are not
// read" returns not ok instead of skipping them), so a Trino result counts
// 0 names, passports, permits and addresses. DataTables columns that carry
// a server-side "name" before the "title" ({"name":"xm","title":"姓名"})
// take "xm" as the column's title (the first title key found wins), so
// the columns lose their labels. Both should count n of each. Fix: skip
// nested values (balanced brackets, strings) in a column object, and
// prefer title, headerName, label, displayName and header to name.
func TestReview16ColumnObjects(t *testing.T) {
	const n = 10
	recs := corpus.Records(1605, n)
	rows := gridRows(recs)[1:]
	var trino, dataTables []string
	machine := []string{"xh", "xm", "sfzh", "sjh", "hzh", "gatxz", "zz"}
	for i, h := range gridHeader {
		trino = append(trino, `{"name":"`+h.(string)+`","type":"varchar","typeSignature":{"rawType":"varchar","arguments":[{"kind":"LONG","value":2147483647}]}}`)
		dataTables = append(dataTables, `{"data":`+mustJSON(t, i, false)+`,"name":"`+machine[i]+`","title":"`+h.(string)+`","orderable":true}`)
	}
	trinoBody := `{"id":"20261128_095045_00001_abcde","infoUri":"http://trino:8080/ui/query.html?x","columns":[` + strings.Join(trino, ",") + `],"data":` + mustJSON(t, rows, false) + `,"stats":{"state":"FINISHED"}}`
	dataTablesBody := `{"draw":1,"recordsTotal":10,"recordsFiltered":10,"columns":[` + strings.Join(dataTables, ",") + `],"data":` + mustJSON(t, rows, false) + `}`
	runSplitScanTests(t, []scanTest{
		{"Trino columns with typeSignature", trinoBody, gridWant(n)},
		{"DataTables columns with name and title", dataTablesBody, gridWant(n)},
	}, 1605)
}

// TestReview16GridInJSONString: a sheet inside a JSON string is not
// followed: the '[' of [[\"姓名\", ...]] is followed by a backslash. An
// LLM agent's tool call that writes a sheet (OpenAI's function.arguments
// is a JSON-encoded string) or an API that returns a stringified sheet
// ({"code":0,"data":"[[\"姓名\",...]]"}) counts 0 names, passports,
// permits and addresses; it should count n of each (Markdown and tab
// tables inside JSON strings are counted, see TestTablesInsideText). Fix:
// let bracket and gridRow accept \" as a quote when the '[' is itself
// inside a JSON string, and gridByte toggle on escaped quotes in that
// mode.
func TestReview16GridInJSONString(t *testing.T) {
	const n = 10
	recs := corpus.Records(1607, n)
	args := mustJSON(t, map[string]any{"spreadsheet_id": "1AbC", "range": "Sheet1!A1", "values": gridRows(recs)}, false)
	call := mustJSON(t, map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "append_rows", "arguments": args}}}}, false)
	stringified := mustJSON(t, map[string]any{"code": 0, "data": mustJSON(t, gridRows(recs), false)}, false)
	runSplitScanTests(t, []scanTest{
		{"tool call arguments", call, gridWant(n)},
		{"stringified sheet", stringified, gridWant(n)},
	}, 1607)
}

// TestReview16LabelsInsideCells: inside a followed array of rows the class
// table drops ':', '=', the verbs and the tags, so what the cells of an
// unlabelled column say is no longer read: a remarks column holding
// "紧急联系人:王芳 寄送地址:…", "联系人为王芳", a pasted HTML table or an
// object with labelled keys. The parent commit counted those names and
// addresses; now only the name under 姓名 counts (want 2 names, and the
// address). Cause: gridClass sets ':', '=', 0xBA, 0xAF, 't', 'T', '<' to
// clsNone for the whole array of rows. Fix: keep them inside a quoted cell
// whose column is unlabelled (g.quoted), where no handler can step over a
// string's opening quote, or let the separator handler report the quote it
// steps over so gridByte can keep count.
func TestReview16LabelsInsideCells(t *testing.T) {
	recs := corpus.Records(1608, 2)
	a, b := recs[0], recs[1]
	sheet := func(note any) string {
		return mustJSON(t, map[string]any{"values": [][]any{{"姓名", "备注"}, {a.Name, note}}}, false)
	}
	both := countsOf(map[Detector]int{Name: 2, Address: 1})
	runSplitScanTests(t, []scanTest{
		{"ASCII colons in a remark", sheet("紧急联系人:" + b.Name + " 寄送地址:" + b.Address), both},
		{"a verb in a remark", sheet("紧急联系人为" + b.Name), countsOf(map[Detector]int{Name: 2})},
		// Written as Go's encoding/json writes it: < and > escaped (\u003c).
		{"an HTML table in a cell", sheet("<table><tr><th>姓名</th><th>住址</th></tr><tr><td>" + b.Name + "</td><td>" + b.Address + "</td></tr></table>"), both},
		{"an object in a cell", sheet(map[string]any{"联系人": b.Name, "地址": b.Address}), both},
	}, 1608)
}

// TestReview16UnclosedGrid: an array of rows that does not close (a
// snippet cut short in a document or a mail, an unterminated string) keeps
// the scan loop in the grid's class table to the end of the body: Chinese
// prose has no ASCII ',' or ']' to end it. Labelled values (姓名:…), HTML
// tables and Markdown tables after it are no longer counted; the parent
// commit counted them. Expected: the row's values and the ones after.
// Fix: end the grid at a byte no JSON array of rows may hold there: after
// a row's ']' anything but blanks, ',' and ']'; a raw newline inside a
// quoted cell (JSON strings hold none).
func TestReview16UnclosedGrid(t *testing.T) {
	recs := corpus.Records(1609, 2)
	a, b := recs[0], recs[1]
	snippet := "接口返回（节选）：\n{\"values\":[[\"姓名\",\"护照号\",\"住址\"],[\"" + a.Name + "\",\"" + a.Passport + "\",\"" + a.Address + "\"]\n\n"
	labels := "另一位客户：\n姓名:" + b.Name + "\n住址:" + b.Address + "\n"
	html := "<table><tr><th>姓名</th><th>护照号</th><th>住址</th></tr><tr><td>" + b.Name + "</td><td>" + b.Passport + "</td><td>" + b.Address + "</td></tr></table>\n"
	markdown := "| 姓名 | 护照号 | 住址 |\n|---|---|---|\n| " + b.Name + " | " + b.Passport + " | " + b.Address + " |\n"
	unterminated := "{\"values\":[[\"姓名\",\"住址\"],[\"" + a.Name + "\",\"" + a.Address + "\n\n"
	runSplitScanTests(t, []scanTest{
		{"labelled values after a cut snippet", snippet + labels, countsOf(map[Detector]int{Name: 2, Passport: 1, Address: 2})},
		{"an HTML table after a cut snippet", snippet + html, countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})},
		{"a Markdown table after a cut snippet", snippet + markdown, countsOf(map[Detector]int{Name: 2, Passport: 2, Address: 2})},
		{"labelled values after an unterminated cell", unterminated + labels, countsOf(map[Detector]int{Name: 2, Address: 2})},
	}, 1609)
}

// TestReview16PairArraysNoNames: ordinary JSON that is no sheet but an
// array of pairs (a JS Map serialised with Array.from, a zh/en glossary of
// form labels) whose first pair holds a label is now followed as a sheet
// under that "header row": ["姓名","Name"] labels both columns as names,
// ["name","名字"] too, and every word below that cndict.IsName takes
// (周一, 周二, 许可, 秋季, 何时, 胡同) counts as a person's name. The parent
// commit counted 0 here; users now see 5 or 6 cn_name findings in a
// translation file. Expected: 0. Fix: a first row of two cells that both
// label the same detector (or a label and a plain word) is a key-value
// pair, not a header row; the dictionary should also refuse weekdays and
// common words (the same words count under a CSV or HTML "name" column).
func TestReview16PairArraysNoNames(t *testing.T) {
	glossary := `{"glossary":[["姓名","Name"],["性别","Gender"],["住址","Address"],["手机","Mobile"],["周一","Monday"],["周二","Tuesday"],["许可","License"],["秋季","Autumn"],["何时","When"],["胡同","Hutong"]]}`
	mapEntries := `{"locale":"zh-CN","entries":[["name","名字"],["monday","周一"],["tuesday","周二"],["license","许可"],["autumn","秋季"],["when","何时"]]}`
	runSplitScanTests(t, []scanTest{
		{"zh/en glossary as pairs", glossary, countsOf(map[Detector]int{})},
		{"a Map of UI strings as entries", mapEntries, countsOf(map[Detector]int{})},
	}, 1613)
}

// TestReview16OtherColumnKeys: a header sent apart is recognised under
// columns, headers, header, fields and meta only, with exactly those
// spellings. Snowflake's SQL API (resultSetMetaData.rowType), Azure Data
// Explorer's v1 REST response (Columns of {"ColumnName"}) and an ECharts
// dataset's dimensions head their rows the same way and count 0 names,
// passports, permits and addresses; they should count n of each. Fix: add
// rowType and dimensions to columnsKey, compare keys without letter case,
// and ColumnName to columnTitleKey.
func TestReview16OtherColumnKeys(t *testing.T) {
	const n = 8
	recs := corpus.Records(1611, n)
	rows := mustJSON(t, gridRows(recs)[1:], false)
	var rowType, kusto []string
	for _, h := range gridHeader {
		rowType = append(rowType, `{"name":"`+h.(string)+`","type":"text","nullable":true}`)
		kusto = append(kusto, `{"ColumnName":"`+h.(string)+`","DataType":"String"}`)
	}
	snowflake := `{"resultSetMetaData":{"numRows":8,"format":"jsonv2","rowType":[` + strings.Join(rowType, ",") + `]},"data":` + rows + `,"code":"090001"}`
	adx := `{"Tables":[{"TableName":"Table_0","Columns":[` + strings.Join(kusto, ",") + `],"Rows":` + rows + `}]}`
	echarts := `{"dataset":{"dimensions":` + mustJSON(t, gridHeader, false) + `,"source":` + rows + `}}`
	runSplitScanTests(t, []scanTest{
		{"Snowflake rowType", snowflake, gridWant(n)},
		{"Azure Data Explorer v1 Columns", adx, gridWant(n)},
		{"ECharts dataset dimensions", echarts, gridWant(n)},
	}, 1611)
}

// TestReview16KernelsAgreeOnGrids (passes; pins kernel agreement): the
// bodies of this review, between random bytes, count the same with every
// block classifier, and the same whole as moved across 64-byte blocks and
// pass boundaries.
func TestReview16KernelsAgreeOnGrids(t *testing.T) {
	recs := corpus.Records(1612, 6)
	header, rows := review16Wide(recs, 17)
	noise := corpus.Binary(5, 1<<14).Data
	bodies := []string{
		mustJSON(t, map[string]any{"values": append([][]any{header}, rows...)}, false),
		asciiJSON(mustJSON(t, map[string]any{"values": gridRows(recs)}, true)),
		mustJSON(t, map[string]any{"values": append([][]any{{"客户名单"}}, gridRows(recs)...)}, false),
		`{"columns":` + mustJSON(t, gridHeader, false) + `,"index":[0,1,2,3,4,5],"data":` + mustJSON(t, gridRows(recs)[1:], false) + `}`,
		"[ [\"姓名\", [\"x\"], \"住址\"], [\"" + recs[0].Name + "\", \"" + recs[0].Address + "\"] ] [[\"姓名\"],[1,\"" + recs[1].Name + "\"]]",
	}
	var all []byte
	for k, body := range bodies {
		all = append(all, noise[k<<11:(k+1)<<11]...)
		all = append(all, body...)
	}
	kernelsCount(t, "grids between random bytes", all)
	var tests []scanTest
	e := newTestEngine(t)
	for i, body := range bodies {
		tests = append(tests, scanTest{name: "body " + string(rune('a'+i)), give: body, want: scanAll(e, []byte(body))})
	}
	runPaddedScanTests(t, tests, 1612, func(n int) string { return `{"p":"` + strings.Repeat(" ", n) + `",` + `"q":` })
}
