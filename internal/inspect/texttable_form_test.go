package inspect

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// formField encodes text as the content field of a web form (a ticket or
// bulk-import form's text area) between a title and a submit field, as a
// browser posts it: spaces as '+'; with pct20, as %20.
func formField(text string, pct20 bool) string {
	body := url.Values{"title": {"客户名单导入"}, "content": {text}, "submit": {"提交"}}.Encode()
	if pct20 {
		body = strings.ReplaceAll(body, "+", "%20")
	}
	return body
}

// toolCall wraps a chat request as the JSON-encoded arguments of an LLM
// agent's tool call: a JSON string holding JSON, where the message's line
// breaks are \\n and its tabs \\t.
func toolCall(t *testing.T, request string) string {
	t.Helper()
	args, err := json.Marshal(request)
	if err != nil {
		t.Fatalf("encoding the arguments: %v", err)
	}
	return `{"id":"call_1","type":"function","function":{"name":"send_chat","arguments":` + string(args) + `}}`
}

// tabRows renders rows as spreadsheet rows (tab cells, LF rows).
func tabRows(rows [][]string) string {
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	return b.String()
}

// formCase is a body holding the customer list and the detectors whose
// values it does not all give (see TestTablesInsideForms).
type formCase struct {
	body   string
	unread []Detector
}

// TestTablesInsideForms: the 40-row customer list pasted into a web form's
// text area after a line of prose, as spreadsheet rows (%09 cells) or as a
// Markdown, psql or MySQL table (%7C cells), rows split by %0A or %0D%0A,
// spaces as '+' or %20, and the same list in a JSON string inside a JSON
// string (an LLM agent's tool-call arguments: \\n rows, \\t or '|' cells)
// count the CSV export's names, addresses and passports: whole, in 1-byte
// and in random writes, behind padding that moves the delimiters across
// 64-byte blocks.
//
// A psql, MySQL or aligned Markdown table with %20 padding has a header
// line longer than the decision span and is not read: its names,
// addresses and passports count at most the export's.
func TestTablesInsideForms(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(41, 42))
	for _, english := range []bool{false, true} {
		rows, want := customerRows(t, 13, 40, english)
		tables := textTables(rows)
		texts := map[string]string{"spreadsheet rows": chatPrompt + tabRows(rows)}
		for _, form := range []string{"markdown", "markdown aligned", "markdown bare", "psql", "mysql"} {
			texts[form] = chatPrompt + tables[form] + "\n谢谢！"
		}
		cases := map[string]formCase{}
		for name, text := range texts {
			crlf := strings.ReplaceAll(text, "\n", "\r\n")
			var pct20 []Detector                                                             // what is not read
			if name != "spreadsheet rows" && name != "markdown" && name != "markdown bare" { // padded
				pct20 = []Detector{Passport, Name, Address}
			}
			cases[name+" in a form"] = formCase{formField(text, false), nil}
			cases[name+" in a form, %20"] = formCase{formField(text, true), pct20}
			cases[name+" CRLF in a form"] = formCase{formField(crlf, false), nil}
			cases[name+" in a tool call"] = formCase{toolCall(t, chatRequest(t, text)), nil}
			cases[name+" CRLF in a tool call"] = formCase{toolCall(t, chatRequest(t, crlf)), nil}
		}
		for name, c := range cases {
			t.Run(fmt.Sprintf("%s english=%v", name, english), func(t *testing.T) {
				for _, pad := range []int{0, 17, 40, 63} {
					body := []byte("token=" + strings.Repeat("x", pad) + "&" + c.body)
					got := scanAll(e, body)
					for d := range NumDetectors {
						if got[d] != want[d] && !(slices.Contains(c.unread, d) && got[d] < want[d]) {
							t.Errorf("padded by %d: %v: got %d, want %d", pad, d, got[d], want[d])
						}
					}
					if why := splitMismatch(e, r, body); why != "" {
						t.Errorf("padded by %d: %s", pad, why)
					}
				}
			})
		}
	}
}

// TestTablesInsideFormsColumns: in a form field or a JSON string inside a
// string, a value counts under its own column only, the end of the field
// or string ends the table, and '|' and tabs in ordinary form values (URLs
// with pipes, search queries, code) label nothing: the counts are those of
// the fields' own labels. Padded by 0-69 bytes, whole, in 1-byte and in
// random writes.
func TestTablesInsideFormsColumns(t *testing.T) {
	none := [NumDetectors]int{}
	enc := url.QueryEscape
	// The label window stops at %7C and %0A as at '|' and a line break,
	// so the header's 护照号 is no label of the model number.
	md := enc("名单如下：\n| 姓名 | 护照号 | 型号 |\n|---|---|---|\n| 张伟 | E12345678 | E87654321 |\n")
	tests := []scanTest{
		{"columns", "content=" + md + "&submit=1", countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"tab rows", "content=" + enc("名单：\n姓名\t型号\t住址\n张伟\tE87654321\t北京市朝阳区建国路88号\n") + "&x=1",
			countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"lower-case hex", strings.ReplaceAll("content="+md, "%7C", "%7c"), countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"the field's end ends the table", "q=" + enc("| 姓名 | 护照号 |") + "&filter=" + enc("| 张伟 | E12345678 |"), none},
		{"the next field is no row", "content=" + enc("姓名 | 护照号\n") + "&tags=" + enc("张伟 | G12345678"), none},
		{"search query", "q=a%7Cb&sort=desc&page=2", none},
		{"search for labels", "q=" + enc("姓名|护照号") + "&filter=" + enc("张伟|E12345678"), none},
		{"URL with pipes", "redirect=" + enc("https://example.com/search?q=a|b|c&lang=zh") + "&name=" + enc("张伟"), countsOf(map[Detector]int{Name: 1})},
		{"labelled fields and pipes in values", "name=" + enc("张伟") + "&tags=" + enc("vip|gold|北京") + "&passport=E12345678",
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"tabs in values", "data=" + enc("a\tb\tc\n1\t2\t3\n") + "&note=" + enc("备注\t张伟\tE12345678"), none},
		{"unlabelled columns", "content=" + enc("库存：\n| 商品 | 型号 |\n|---|---|\n| 张飞牛肉 | E12345678 |\n"), none},
		{"unpadded pipes inside a line", "content=" + enc("查询：\n日志 姓名|护照号|住址\n张伟|E12345678|北京市朝阳区建国路88号\n"), none},
		{"a row of values is no header", "content=" + enc("x\n 张伟 | 110101199003078670 | a@hotmail.com | 卡\n 王芳 | E12345678 | b | c\n"),
			countsOf(map[Detector]int{ResidentID: 1, Email: 1})},
		{"tool call", `{"arguments":"{\"c\":\"名单\\n| 姓名 | 护照号 |\\n|---|---|\\n| 张伟 | E12345678 |\\n| 王芳 | G12345678 |\"}"}`,
			countsOf(map[Detector]int{Name: 2, Passport: 2})},
		{"tool call, the string's end ends the table", `{"arguments":"{\"c\":\"名单\\n| 姓名 | 护照号 |\\n| 张伟 | E12345678 |\",\"d\":\"| 王芳 | G12345678 |\"}"}`,
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"tool call, code", `{"arguments":"{\"code\":\"if (a || b) {\\n\\tx = 1;\\n}\\nconst 护照号 = a | b;\\n| E12345678 |\"}"}`, none},
	}
	runPaddedScanTests(t, tests, 43, func(n int) string { return "pad=" + strings.Repeat("x", n) + "&" })
}

// TestTablesInsideFormsAllocateNothing scans the rows of a Markdown table
// in a form field and in a tool call's arguments, and spreadsheet rows in
// a form field, in steady state.
func TestTablesInsideFormsAllocateNothing(t *testing.T) {
	rows, _ := customerRows(t, 14, 300, false)
	md := chatPrompt + textTables(rows)["markdown"]
	tests := []struct {
		name, body, row, end string
	}{
		{"markdown in a form", formField(md, false), "%0A%7C+" + url.QueryEscape(rows[1][0]), "&"},
		{"spreadsheet rows in a form", formField(chatPrompt+tabRows(rows), false), "%0A" + url.QueryEscape(rows[1][0]), "&"},
		{"markdown in a tool call", toolCall(t, chatRequest(t, md)), `\\n| ` + rows[1][0], `\"`},
	}
	e := newTestEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			// The prose and the header, then the rows up to the last, whose
			// line end a rewrite of the same rows follows.
			start := strings.Index(tt.body, tt.row) + 3 // after the line break before the first row
			stop := start + strings.Index(tt.body[start:], tt.end)
			last := strings.LastIndex(tt.body[:stop], tt.row[:3]) + 3
			counts := rowsAllocateNothing(t, e, body, start, last)
			if counts[Name] != 300 || counts[Address] != 300 {
				t.Errorf("counts %v, want 300 names and addresses", counts)
			}
		})
	}
}

// BenchmarkFormBodies scans form bodies: the corpus's percent-encoded
// records (every Han character three escapes), a Chinese page
// percent-encoded as one field (the '%' path with no table), and the
// customer list as a Markdown table in a form field.
func BenchmarkFormBodies(b *testing.B) {
	doc := corpus.CSV(corpus.Records(15, 300), corpus.CSVOptions{})
	rows, err := csv.NewReader(bytes.NewReader(doc.Data)).ReadAll()
	if err != nil {
		b.Fatalf("reading the corpus CSV: %v", err)
	}
	bodies := []struct {
		name string
		body []byte
	}{
		{"records", corpus.PercentEncoded(corpus.Records(16, 2000)).Data},
		{"prose", []byte("content=" + url.QueryEscape(string(corpus.NegChinesePage(17, 200).Data)))},
		{"markdown", []byte(formField(chatPrompt+textTables(rows)["markdown"], false))},
	}
	e := newTestEngine(b)
	for _, c := range bodies {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				scanAll(e, c.body)
			}
		})
	}
}
