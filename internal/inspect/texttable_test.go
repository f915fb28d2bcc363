package inspect

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// chatRequest wraps text as the user message of a chat-completion request,
// the JSON an LLM client posts.
func chatRequest(t *testing.T, text string) string {
	t.Helper()
	msg, err := json.Marshal(text)
	if err != nil {
		t.Fatalf("encoding the message: %v", err)
	}
	return `{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},` +
		`{"role":"user","content":` + string(msg) + `}],"temperature":0.2}`
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX, as
// encoders that keep to ASCII (Python's json.dumps by default) write it.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return b.String()
}

// chatPrompt is the text an employee types above a table pasted into a chat.
const chatPrompt = "请帮我把下面的客户名单按省份整理一下，去掉重复的行：\n\n"

// TestTablesInsideText: a Markdown, psql or MySQL table that does not open
// the body (a chat message, an LLM prompt, an e-mail body), raw or inside a
// JSON string (raw UTF-8 or \u-escaped), and spreadsheet rows pasted into
// plain text or a JSON string (cells split by tabs or \t), label their columns as a CSV header
// does: names, addresses and passports count as in the CSV export, whole,
// in 1-byte writes and in random writes.
func TestTablesInsideText(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, english := range []bool{false, true} {
		rows, want := customerRows(t, 13, 40, english)
		tables := textTables(rows)
		var tabs strings.Builder
		for _, row := range rows {
			tabs.WriteString(strings.Join(row, "\t") + "\n")
		}
		bodies := map[string]string{}
		for _, form := range []string{"markdown", "markdown aligned", "markdown bare", "psql", "mysql"} {
			text := chatPrompt + tables[form] + "\n谢谢！"
			bodies[form+" after prose"] = text
			bodies[form+" in a chat request"] = chatRequest(t, text)
			bodies[form+" in a chat request, ASCII JSON"] = asciiJSON(chatRequest(t, text))
			bodies[form+" CRLF in a chat request"] = chatRequest(t, strings.ReplaceAll(text, "\n", "\r\n"))
		}
		// Rows pasted into plain text: a mail body, a form's text field.
		bodies["spreadsheet rows after prose"] = chatPrompt + tabs.String() + "\n谢谢！"
		bodies["spreadsheet rows CRLF after prose"] = strings.ReplaceAll(chatPrompt+tabs.String(), "\n", "\r\n")
		bodies["spreadsheet rows in a chat request"] = chatRequest(t, chatPrompt+tabs.String())
		bodies["spreadsheet rows in a chat request, ASCII JSON"] = asciiJSON(chatRequest(t, chatPrompt+tabs.String()))
		for name, body := range bodies {
			t.Run(fmt.Sprintf("%s english=%v", name, english), func(t *testing.T) {
				if got := scanAll(e, []byte(body)); got != want {
					t.Errorf("got %v, want %v in\n%.600s", got, want, body)
				}
				if why := splitMismatch(e, r, []byte(body)); why != "" {
					t.Error(why)
				}
			})
		}
	}
}

// TestTablesInsideTextColumns: inside text, a value counts under its own
// column's header only, a table ends at the first line without its
// delimiter, and lines that only look like tables label nothing.
func TestTablesInsideTextColumns(t *testing.T) {
	none := [NumDetectors]int{}
	md := "| 姓名 | 型号 | 护照号 |\n|---|---|---|\n| 张伟 | E87654321 | E12345678 |\n"
	tests := []scanTest{
		{"columns", "名单如下：\n" + md, countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"psql", "查询结果：\n 姓名 | 护照号\n------+-----------\n 张伟 | E12345678\n 王芳 | G12345678\n(2 rows)\n",
			countsOf(map[Detector]int{Name: 2, Passport: 2})},
		{"after the table", "名单如下：\n" + md + "\n| 型号 | G87654321 |\n", countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"a line without the delimiter ends it", "名单如下：\n" + md + "备注\n| 王芳 | G87654321 | G12345678 |\n",
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"JSON string ends the table", `{"a":"名单\n| 姓名 | 护照号 |\n| 张伟 | E12345678 |","b":"x | G12345678 |"}`,
			countsOf(map[Detector]int{Name: 1, Passport: 1})},
		{"header cells are no values", "名单：\n| 护照号 | 姓名 | 住址 |\n", none},
		{"one labelled cell among words", "说明：\n| 客户 名单 | 护照号 |\n| 见附件 | E12345678 |\n", none},
		{"unlabelled columns", "库存：\n| 商品 | 型号 |\n|---|---|\n| 张飞牛肉 | E12345678 |\n", none},
		{"code", "if (a || b) { x = y | z; }\nconst 护照号 = a | b;\n| E12345678 |\n", none},
		// One labelled cell among single words heads a '|' table only
		// over a rule line: a log's level | name | msg lines do not.
		{"log lines", `{"log":"start\nlevel | name | msg\nINFO | 王老吉 | ok\nWARN | 张飞牛肉 | low\n"}`, none},
		{"one label over a rule", "名单：\n| 序号 | 姓名 | 备注 |\n|---|---|---|\n| 1 | 张伟 | x |\n", countsOf(map[Detector]int{Name: 1})},
		{"unpadded pipes inside a line", "查询：\n日志 姓名|护照号|住址\n张伟|E12345678|北京市朝阳区建国路88号\n", none},
		// No table, but a label and its value split by an escaped tab, as
		// a raw tab splits them.
		{"escaped tab after a label", `{"a":"姓名\t张伟","b":"护照号\tE12345678","c":"型号\tG12345678"}`,
			countsOf(map[Detector]int{Passport: 1})},
	}
	runScanTests(t, tests)
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(23, 24))
	for _, tt := range tests {
		for n := range 70 { // every delimiter across a 64-byte block
			body := []byte(strings.Repeat("x", n) + "\n" + tt.give)
			if why := splitMismatch(e, r, body); why != "" {
				t.Fatalf("%s padded by %d: %s", tt.name, n, why)
			}
		}
	}
}
