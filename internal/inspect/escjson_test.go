package inspect

import (
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// recordObjects renders recs as a JSON array of objects under Chinese or
// English keys, as a script or a spreadsheet add-in exports a list.
func recordObjects(t *testing.T, recs []corpus.Record, english, indent bool) string {
	t.Helper()
	keys := []string{"姓名", "护照号", "住址"}
	if english {
		keys = []string{"name", "passport", "address"}
	}
	var out []map[string]string
	for _, r := range recs {
		out = append(out, map[string]string{keys[0]: r.Name, keys[1]: r.Passport, keys[2]: r.Address})
	}
	return mustJSON(t, out, indent)
}

// jsonString returns s as a JSON string literal.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	return mustJSON(t, s, false)
}

// TestJSONInsideJSONValues: a list of records as JSON pasted into an LLM
// prompt, or returned by a tool to an agent, travels as a JSON string
// inside the request's JSON: its keys and values are quoted \"…\" (and
// \\\"…\\\" one level deeper, a tool call's arguments holding JSON).
// Names and addresses after such a quote counted 0 (passports, read by
// their label window, counted), and none of the three counted when the
// JSON was \u-escaped before it was put in the string (\\u59d3); now every
// record counts.
func TestJSONInsideJSONValues(t *testing.T) {
	const n = 30
	recs := corpus.Records(31, n)
	want := countsOf(map[Detector]int{Name: n, Passport: n, Address: n})
	zh := recordObjects(t, recs, false, false)
	en := recordObjects(t, recs, true, true)
	twice := `{"tool_calls":[{"function":{"name":"save","arguments":` + jsonString(t, `{"rows":`+jsonString(t, zh)+`}`) + `}}]}`
	runSplitScanTests(t, []scanTest{
		{"in a prompt", chatRequest(t, "请把下面的数据整理成表格：\n"+zh), want},
		{"in a prompt, English keys, pretty", chatRequest(t, "Summarise:\n"+en), want},
		{"in a prompt, escaped", asciiJSON(chatRequest(t, "请整理：\n"+zh)), want},
		{"in a string inside a string", twice, want},
		// Python's json.dumps keeps to ASCII by default: a tool's result
		// written so reaches the model as \\u escapes.
		{"escaped, in a prompt", chatRequest(t, "Tool result:\n"+asciiJSON(zh)), want},
		{"escaped, English keys, in a prompt", chatRequest(t, asciiJSON(en)), want},
	}, 31)
}

// TestJSONGridInsideJSON: a sheet as JSON (an array of rows) pasted into
// an LLM prompt or passed in a tool call travels inside a JSON string, its
// quotes \" (or \\\" one level deeper) and its line breaks \n: names,
// passports and addresses counted 0; now every row counts.
func TestJSONGridInsideJSON(t *testing.T) {
	const n = 25
	recs := corpus.Records(32, n)
	compact := mustJSON(t, gridRows(recs), false)
	pretty := mustJSON(t, map[string]any{"values": gridRows(recs)}, true)
	twice := `{"tool_calls":[{"function":{"name":"save","arguments":` + jsonString(t, `{"sheet":`+jsonString(t, compact)+`}`) + `}}]}`
	a, b := recs[0], recs[1]
	runSplitScanTests(t, []scanTest{
		{"in a prompt", chatRequest(t, "请整理：\n"+compact), gridWant(n)},
		{"in a prompt, pretty", chatRequest(t, "请整理：\n"+pretty), gridWant(n)},
		{"escaped, in a prompt", chatRequest(t, asciiJSON(pretty)), gridWant(n)},
		{"in a string inside a string", twice, gridWant(n)},
		{"pretty, in a string inside a string", `{"arguments":` + jsonString(t, `{"sheet":`+jsonString(t, pretty)+`}`) + `}`, gridWant(n)},
		{
			"the table ends with the string that holds it",
			chatRequest(t, `[["姓名","住址"],["`+a.Name+`","`+a.Address+`"]`) + `,"x":[["` + b.Name + `","` + b.Address + `"]]`,
			countsOf(map[Detector]int{Name: 1, Address: 1}),
		},
		{
			"a quote inside a cell",
			chatRequest(t, `[["备注","姓名"],["他说\"好\"，],[","`+a.Name+`"],["x","`+b.Name+`"]]`),
			countsOf(map[Detector]int{Name: 2}),
		},
	}, 32)
}

// csvLines renders recs as comma-separated rows under header, with line
// end eol.
func csvLines(recs []corpus.Record, header, eol string) string {
	var b strings.Builder
	b.WriteString(header + eol)
	for _, r := range recs {
		b.WriteString(r.Name + "," + r.Passport + "," + r.Address + eol)
	}
	return b.String()
}

// TestCommaRowsInJSONString: a CSV pasted into an LLM prompt, or returned
// by a tool to an agent, is comma-separated rows in a JSON string. Its
// names, passports and addresses counted 0 (a comma is no stop of the scan
// loop outside a table); the escaped line break before or after its header
// row now opens a table of comma-separated rows.
func TestCommaRowsInJSONString(t *testing.T) {
	const n = 30
	recs := corpus.Records(33, n)
	want := countsOf(map[Detector]int{Name: n, Passport: n, Address: n})
	zh := csvLines(recs, "姓名,护照号,住址", "\n")
	args := `{"tool_calls":[{"function":{"name":"save","arguments":` + jsonString(t, `{"csv":`+jsonString(t, zh)+`}`) + `}}]}`
	other := corpus.Records(34, 1)[0]
	runSplitScanTests(t, []scanTest{
		{"after an instruction", chatRequest(t, "帮我把这个名单按省份分类：\n"+zh), want},
		{"the whole message", chatRequest(t, zh), want},
		{"escaped", asciiJSON(chatRequest(t, "请整理：\n"+zh)), want},
		{"CRLF, English header", chatRequest(t, "Sort this:\r\n"+csvLines(recs, "name,passport,address", "\r\n")), want},
		{"in a string inside a string", args, want},
		{
			"a labelled value after the table",
			`{"messages":[{"content":` + jsonString(t, zh) + `},{"content":"姓名：` + other.Name + `"}]}`,
			countsOf(map[Detector]int{Name: n + 1, Passport: n, Address: n}),
		},
		{
			"prose with commas is no header",
			chatRequest(t, "你好,请核对姓名和住址,\n谢谢,我们明天见\n"),
			countsOf(map[Detector]int{}),
		},
		{
			"a header with no row under it",
			chatRequest(t, "姓名,住址\n请填写"),
			countsOf(map[Detector]int{}),
		},
	}, 33)
}

// TestPythonReprRecords: an agent framework passes a tool's result on as
// str() of a list of dicts ([{'姓名': '张伟', …}]), single-quoted. Its
// names and addresses counted 0 (passports counted); now every record
// counts. (A repr of a list of lists is not followed as a sheet.)
func TestPythonReprRecords(t *testing.T) {
	const n = 20
	recs := corpus.Records(35, n)
	var b strings.Builder
	b.WriteString("[")
	for k, r := range recs {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{'姓名': '" + r.Name + "', '护照号': '" + r.Passport + "', '住址': '" + r.Address + "'}")
	}
	b.WriteString("]")
	want := countsOf(map[Detector]int{Name: n, Passport: n, Address: n})
	runSplitScanTests(t, []scanTest{
		{"a tool message", `{"role":"tool","content":` + jsonString(t, b.String()) + `}`, want},
		{"a JavaScript object", "const rows = " + strings.ReplaceAll(b.String(), "'姓名'", "name") + ";", want},
	}, 35)
}
