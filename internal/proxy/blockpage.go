package proxy

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// blockTemplate is the bilingual block page an employee sees. It says
// what was found (categories and distinct counts, never a value, not even
// a masked one), why in the policy's words when the rule has a message,
// where and when, and whom to ask with which incident id. Its headline
// names the case: a message that could not be inspected, a window rule
// (the total over time, not this message alone, reached the limit), or a
// message over a rule's counts. It loads nothing: the styles are inline.
var blockTemplate = template.Must(template.New("block").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>已拦截 Blocked - dlpproxy</title>
<style>
body{margin:0;background:#f4f5f7;color:#1f2328;line-height:1.5;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main{max-width:44rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-top:6px solid #c62828;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0}
h2{font-size:1.05rem;font-weight:normal;color:#57606a;margin:.25rem 0 1rem}
.why{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem 1rem;white-space:pre-line}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de}
th:last-child,td:last-child{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dt{color:#57606a}
dd{margin:0;overflow-wrap:anywhere}
.next{border-top:1px solid #d0d7de;padding-top:.75rem}
.note{color:#57606a;font-size:.9rem}
</style></head>
<body><main>
{{if .Reason}}<h1>已拦截：无法检查的内容</h1>
<h2>Blocked: this {{.Direction}} could not be inspected ({{.ReasonText}}), and the policy blocks what it cannot inspect</h2>
<p>原因 Reason: {{.ReasonTextZH}}</p>
{{else if .Window}}<h1>已拦截：一段时间内累计{{if eq .Direction "response"}}下载{{else}}外发{{end}}的个人信息已达上限</h1>
<h2>Blocked: together with earlier {{.Direction}}s within the policy’s time window, this {{.Direction}} reaches its limit on personal information</h2>
{{else if not .Findings}}<h1>已拦截：策略不允许此{{if eq .Direction "response"}}下载{{else}}外发{{end}}</h1>
<h2>Blocked: the policy does not allow this {{.Direction}}, whatever it carries</h2>
{{else}}<h1>已拦截：{{if eq .Direction "response"}}疑似批量个人信息下载{{else}}疑似批量个人信息外发{{end}}</h1>
<h2>Blocked: this {{.Direction}} appears to carry bulk personal information</h2>
{{end}}{{if .Explanation}}<p class="why">{{.Explanation}}</p>
{{end}}{{if .Findings}}<table>
<tr><th>发现 Found</th><th>不同值 Distinct values</th></tr>
{{range .Findings}}<tr><td>{{.Label}} {{.LabelEN}} <code>{{.Detector}}</code></td><td>{{.Count}}</td></tr>
{{end}}</table>
{{end}}{{if .Window}}<p>累计窗口 Window: {{.Window}}</p>
{{end}}<dl>
<dt>规则 Rule</dt><dd><b>{{.Rule}}</b></dd>
{{if .Host}}<dt>目的地 Destination</dt><dd>{{.Host}}</dd>
{{end}}<dt>时间 Time</dt><dd>{{.TimeText}}</dd>
<dt>事件编号 Incident</dt><dd><code>{{.Incident}}</code></dd>
</dl>
<div class="next">
<p>如确属业务需要，请联系{{if .Contact}}：{{.Contact}}，{{else}}信息安全部门{{end}}并提供事件编号。<br>
If this transfer is legitimate, contact {{if .Contact}}{{.Contact}}{{else}}the security team{{end}} and quote the incident id.</p>
<p class="note">本页不显示任何具体数值。 This page never shows the values themselves.</p>
</div>
</main></body></html>
`))

// blockFinding is one line of the block page.
type blockFinding struct {
	Detector string `json:"detector"`
	Count    int    `json:"count"`
	Label    string `json:"label"`
	LabelEN  string `json:"label_en"`
}

// blockView is what the block page (HTML or JSON) shows.
type blockView struct {
	Blocked   bool      `json:"blocked"`
	Incident  string    `json:"incident"`
	Rule      string    `json:"rule"`
	Direction string    `json:"direction"`
	Host      string    `json:"host,omitempty"`
	Time      time.Time `json:"time"` // RFC 3339 in JSON
	// TimeText is Time for people, on the HTML page.
	TimeText string         `json:"-"`
	Findings []blockFinding `json:"findings"`
	// Explanation is the blocking rule's message from the policy.
	Explanation string `json:"explanation,omitempty"`
	// Reason is why the message could not be inspected, for a fail-closed
	// block (a policy reason name such as "encrypted").
	Reason       string `json:"reason,omitempty"`
	ReasonText   string `json:"-"`
	ReasonTextZH string `json:"-"`
	// Window explains a window rule's block: its key, window and counts.
	Window  string `json:"window,omitempty"`
	Contact string `json:"contact,omitempty"`
	Message string `json:"message"`
}

// blockPage renders the block response for an incident: the policy's
// block status (403 by default), X-DLP-Incident, and HTML or JSON as the
// client prefers.
func (p *Proxy) blockPage(req *http.Request, inc *incident, rules Rules) *http.Response {
	status := http.StatusForbidden
	var contact string
	if rules != nil {
		if s := rules.Settings(); s.BlockStatus != 0 {
			status = s.BlockStatus
		}
		contact = rules.Settings().Contact
	}
	v := blockView{Blocked: true, Incident: inc.ID, Rule: inc.Rule, Direction: inc.Direction,
		Host: inc.Host, Time: inc.Time, TimeText: inc.Time.Format("2006-01-02 15:04:05 MST"),
		Findings: []blockFinding{}, Explanation: inc.explanation, Window: windowText(inc.window), Contact: contact,
		Message: blockMessage(contact)}
	if inc.reason != "" {
		v.Reason = inc.reason
		v.ReasonText, v.ReasonTextZH = reasonText(inc.reason)
	}
	for _, f := range inc.Findings {
		zh, en := detectorLabels(f.Detector)
		v.Findings = append(v.Findings, blockFinding{Detector: f.Detector, Count: f.Count, Label: zh, LabelEN: en})
	}
	var body bytes.Buffer
	ct := "text/html; charset=utf-8"
	if req != nil && prefersJSON(req.Header.Get("Accept")) {
		ct = "application/json"
		_ = json.NewEncoder(&body).Encode(v)
	} else if err := blockTemplate.Execute(&body, v); err != nil {
		body.Reset()
		body.WriteString("blocked by dlpproxy, incident " + inc.ID + "\n")
	}
	h := http.Header{}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Dlp-Incident", inc.ID)
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	return &http.Response{
		StatusCode: status, Status: statusLine(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(&body), ContentLength: int64(body.Len()), Request: req,
	}
}

// blockMessage is the JSON form's one-line message, naming the policy's
// contact when it has one.
func blockMessage(contact string) string {
	if contact == "" {
		return "Blocked by data-loss-prevention policy; contact the security team with the incident id. 已被数据防泄漏策略拦截，请联系信息安全部门并提供事件编号。"
	}
	return "Blocked by data-loss-prevention policy; contact " + contact + " with the incident id. 已被数据防泄漏策略拦截，请联系：" + contact + "，并提供事件编号。"
}

// reasonText explains an uninspectable reason to an employee, in English
// and Chinese.
func reasonText(reason string) (en, zh string) {
	switch reason {
	case ReasonOverLimit:
		return "it is larger than the inspection limit", "内容超过检查上限"
	case ReasonDecodeError:
		return "its compression or file format is damaged", "压缩或文件格式已损坏，无法解读"
	case ReasonEncrypted:
		return "it is encrypted, such as a password-protected archive", "内容已加密（如带密码的压缩包）"
	case ReasonUnsupportedEncoding:
		return "it uses an encoding that cannot be inspected", "使用了无法检查的编码"
	case ReasonWebSocket:
		return "it is a WebSocket connection", "WebSocket 连接无法检查"
	case ReasonHTTP2:
		return "it is a connection that cannot be opened for inspection", "该连接无法解密检查"
	case ReasonTunnelBypass:
		return "it is HTTPS that this proxy cannot decrypt for inspection (no interception CA)", "该 HTTPS 连接无法解密检查（未配置拦截证书）"
	}
	return reason, reason
}

// windowText is the block page's explanation of a window rule block.
func windowText(status string) string {
	if status == "" {
		return ""
	}
	return status + " — blocked until older records leave the window (窗口内较早的记录过期后恢复)"
}

// detectorLabels names a detector id for the block page, in Chinese and
// English.
func detectorLabels(id string) (zh, en string) {
	switch id {
	case "cn_resident_id":
		return "居民身份证号", "resident ID numbers"
	case "cn_mobile":
		return "手机号码", "mobile numbers"
	case "bank_card":
		return "银行卡号", "bank card numbers"
	case "email":
		return "电子邮箱", "e-mail addresses"
	case "cn_passport":
		return "护照号码", "passport numbers"
	case "cn_travel_permit":
		return "港澳台通行证号码", "travel permit numbers"
	case "cn_name":
		return "姓名", "names"
	case "cn_address":
		return "住址", "addresses"
	}
	return "个人信息", "personal information"
}

// prefersJSON reports whether an Accept header ranks application/json (or
// a +json type) above text/html.
func prefersJSON(accept string) bool {
	jsonQ, htmlQ := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, param := range strings.Split(params, ";") {
			k, val, ok := strings.Cut(param, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		switch {
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			jsonQ = max(jsonQ, q)
		case mt == "text/html" || mt == "text/*" || mt == "*/*":
			htmlQ = max(htmlQ, q)
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ
}
