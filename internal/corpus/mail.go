package corpus

import (
	"bytes"
	"encoding/json"
	"strings"
)

// HTMLTable is an HTML table of recs under a header row of 姓名, 护照号 and
// 住址, with a &nbsp; before each name, as mail editors write cells.
func HTMLTable(recs []Record) string {
	var b strings.Builder
	b.WriteString("<table>\n<tr><th>姓名</th><th>护照号</th><th>住址</th></tr>\n")
	for _, r := range recs {
		b.WriteString("<tr><td>&nbsp;" + r.Name + "</td><td>" + r.Passport + "</td><td>" + r.Address + "</td></tr>\n")
	}
	b.WriteString("</table>")
	return b.String()
}

// MailRequest is a mail API request (the shape of SendGrid's) with html as
// its HTML content, encoded by Go's encoding/json: with '<', '>' and '&'
// escaped as \u003c, \u003e and \u0026 (json.Marshal's default) when
// escapeHTML, else as they are. It holds no e-mail address of its own.
func MailRequest(html string, escapeHTML bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	req := map[string]any{
		"subject": "客户名单",
		"content": []map[string]string{{"type": "text/html", "value": html}},
	}
	if err := enc.Encode(req); err != nil {
		panic(err) // maps of strings always encode
	}
	return buf.Bytes()
}
