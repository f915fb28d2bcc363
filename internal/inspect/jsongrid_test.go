package inspect

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// gridHeader is the header row of the sheets below: one column per
// detector that needs context, and two that validate themselves.
var gridHeader = []any{"序号", "姓名", "身份证号", "手机", "护照号", "港澳通行证", "住址"}

// gridRows returns the header row and a row per record, as a sheet API
// sends them: strings, and the row number as a JSON number.
func gridRows(recs []corpus.Record) [][]any {
	rows := [][]any{gridHeader}
	for i, r := range recs {
		rows = append(rows, []any{i + 1, r.Name, r.ResidentID, r.Mobile, r.Passport, r.TravelPermit, r.Address})
	}
	return rows
}

// gridWant is what a sheet of n records under gridHeader holds.
func gridWant(n int) [NumDetectors]int {
	return countsOf(map[Detector]int{Name: n, ResidentID: n, Mobile: n, Passport: n, TravelPermit: n, Address: n})
}

func mustJSON(t *testing.T, v any, indent bool) string {
	t.Helper()
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJSONGridHeaderRow: a sheet sent as an array of rows (the Google
// Sheets API's values, Graph range values, Feishu valueRange.values) labels
// its columns by its first row, however the JSON is written.
func TestJSONGridHeaderRow(t *testing.T) {
	const n = 40
	recs := corpus.Records(7, n)
	sheet := map[string]any{"range": "Sheet1!A1:G41", "majorDimension": "ROWS", "values": gridRows(recs)}
	compact := mustJSON(t, sheet, false)
	titled := mustJSON(t, map[string]any{"values": append([][]any{{"客户登记表 2026-11-28"}, {}}, gridRows(recs)...)}, false)
	// pandas writes columns, index, data; ClickHouse meta, data, rows.
	split := `{"columns":` + mustJSON(t, gridHeader, false) + `,"index":` + mustJSON(t, make([]int, n), false) + `,"data":` + mustJSON(t, gridRows(recs)[1:], false) + `}`
	clickHouse := `{"meta":` + mustJSON(t, columnObjects("name", map[string]any{"type": "String"}), false) + `,"data":` + mustJSON(t, gridRows(recs)[1:], false) + `,"rows":40}`
	runSplitScanTests(t, []scanTest{
		{"compact", compact, gridWant(n)},
		{"pretty", mustJSON(t, sheet, true), gridWant(n)},
		{"escaped", asciiJSON(compact), gridWant(n)},
		{"bare array", mustJSON(t, gridRows(recs), false), gridWant(n)},
		{"title and empty row above the header", titled, gridWant(n)},
		{"header sent apart (pandas orient=split)", split, gridWant(n)},
		{"header sent apart, pretty", mustJSON(t, map[string]any{"headers": gridHeader, "rows": gridRows(recs)[1:]}, true), gridWant(n)},
		{"column objects (ClickHouse JSONCompact)", clickHouse, gridWant(n)},
		{"column objects (DataTables)", mustJSON(t, map[string]any{"columns": columnObjects("title", nil), "data": gridRows(recs)[1:]}, true), gridWant(n)},
	}, 11)
}

// columnObjects describes gridHeader's columns as query and table APIs do:
// one object per column, its title under key, with the pairs of more.
func columnObjects(key string, more map[string]any) []map[string]any {
	var out []map[string]any
	for _, h := range gridHeader {
		o := map[string]any{key: h}
		for k, v := range more {
			o[k] = v
		}
		out = append(out, o)
	}
	return out
}

// TestJSONGridCells: the columns stay where they are whatever the cells
// hold, and the table ends with its array.
func TestJSONGridCells(t *testing.T) {
	recs := corpus.Records(8, 3)
	a, b, c := recs[0], recs[1], recs[2]
	runSplitScanTests(t, []scanTest{
		{
			"escaped quotes and brackets in a cell",
			`[["备注","姓名"],["他说\"],[\"好\\", "` + a.Name + `"],["x", "` + b.Name + `"]]`,
			countsOf(map[Detector]int{Name: 2}),
		},
		{
			"nulls, numbers, booleans and nested arrays in cells",
			`[["标签","序号","姓名","住址"],[["a","b"],1,"` + a.Name + `","` + a.Address + `"],[[],null,"` + b.Name + `",null],[{"k":[1,2]},true,"` + c.Name + `","` + c.Address + `"]]`,
			countsOf(map[Detector]int{Name: 3, Address: 2}),
		},
		{
			"rows shorter than the header (trailing empty cells left out)",
			`{"values":[["姓名","护照号","住址"],["` + a.Name + `"],["` + b.Name + `","` + b.Passport + `"]]}`,
			countsOf(map[Detector]int{Name: 2, Passport: 1}),
		},
		{
			"the table ends with its array",
			`{"values":[["姓名","住址"],["` + a.Name + `","` + a.Address + `"]],"notes":[["` + b.Name + `","` + b.Address + `"]],"p":["` + c.Passport + `"]}`,
			countsOf(map[Detector]int{Name: 1, Address: 1}),
		},
		{
			"a row that is an object ends the table",
			`[["姓名","护照号"],{"x":"` + a.Name + `"},["` + b.Name + `","` + b.Passport + `"]]`,
			countsOf(map[Detector]int{}),
		},
		{
			"a number in the header row still counts",
			`[["姓名","身份证号","` + a.ResidentID + `"],["` + b.Name + `","` + b.ResidentID + `"]]`,
			countsOf(map[Detector]int{ResidentID: 2, Name: 1}),
		},
	}, 12)
}

// TestJSONGridNoHeader: arrays of rows without a header row, or under one
// that names nothing, label nothing; names and documents there count only
// by their own labels.
func TestJSONGridNoHeader(t *testing.T) {
	recs := corpus.Records(9, 20)
	var plain, fruit [][]any
	fruit = append(fruit, []any{"apple", "banana", "cherry"})
	for _, r := range recs {
		plain = append(plain, []any{r.Name, r.Passport, r.Address})
		fruit = append(fruit, []any{r.Name, r.Passport, r.Address})
	}
	tags := mustJSON(t, map[string]any{"tags": []string{"姓名", "护照", "住址"}, "x": 1, "more": plain}, false)
	lapsed := `{"columns":["姓名","护照号","住址"],"pad":"` + strings.Repeat("x", pendingSpan) + `","data":` + mustJSON(t, plain, false) + `}`
	runSplitScanTests(t, []scanTest{
		{"no header row", mustJSON(t, map[string]any{"values": plain}, false), countsOf(map[Detector]int{})},
		{"a header row of other words", mustJSON(t, fruit, false), countsOf(map[Detector]int{})},
		{"labels in an array under another key", tags, countsOf(map[Detector]int{})},
		{"column objects that name nothing", mustJSON(t, map[string]any{"meta": []map[string]string{{"name": "a"}, {"name": "b"}}, "data": plain}, false), countsOf(map[Detector]int{})},
		{"column objects without a title", mustJSON(t, map[string]any{"columns": []map[string]string{{"type": "姓名"}, {"type": "住址"}}, "data": plain}, false), countsOf(map[Detector]int{})},
	}, 13)
	runScanTests(t, []scanTest{{"a header sent apart too far before the rows", lapsed, countsOf(map[Detector]int{})}})
}

// TestJSONGridOneColumn: a sheet of one column has a header row of one
// cell, which a title row is too; its label heads the column once no header
// row of more cells comes under it within maxTitles rows, so the first
// maxTitles rows below it are read as titles and not counted.
func TestJSONGridOneColumn(t *testing.T) {
	const n = 30
	rows := [][]string{{"姓名"}}
	for _, r := range corpus.Records(14, n) {
		rows = append(rows, []string{r.Name})
	}
	runSplitScanTests(t, []scanTest{
		{"one column", mustJSON(t, map[string]any{"values": rows}, false), countsOf(map[Detector]int{Name: n - maxTitles})},
	}, 14)
}
