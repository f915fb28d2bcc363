package proxy

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// blockTemplate is the bilingual block page. It shows the rule, the
// categories and their distinct counts and the incident id: never a value,
// not even a masked one.
var blockTemplate = template.Must(template.New("block").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>已拦截 Blocked - dlpproxy</title></head>
<body>
<h1>已拦截：疑似批量个人信息外发</h1>
<h2>Blocked: this {{.Direction}} appears to carry bulk personal information</h2>
<p>规则 Rule: <b>{{.Rule}}</b></p>
{{if .Window}}<p>累计窗口 Window: {{.Window}}</p>
{{end}}{{if .Findings}}<ul>
{{range .Findings}}<li>{{.Detector}}: {{.Count}} distinct values ({{.Label}})</li>
{{end}}</ul>{{end}}
<p>事件编号 Incident: <code>{{.Incident}}</code></p>
<p>如确属业务需要，请联系信息安全部门并提供事件编号。<br>
If this transfer is legitimate, contact the security team and quote the incident id.</p>
</body></html>
`))

// blockFinding is one line of the block page.
type blockFinding struct {
	Detector string `json:"detector"`
	Count    int    `json:"count"`
	Label    string `json:"label"`
}

// blockView is what the block page (HTML or JSON) shows.
type blockView struct {
	Blocked   bool           `json:"blocked"`
	Incident  string         `json:"incident"`
	Rule      string         `json:"rule"`
	Direction string         `json:"direction"`
	Findings  []blockFinding `json:"findings"`
	// Window explains a window rule's block: its key, window and counts.
	Window  string `json:"window,omitempty"`
	Message string `json:"message"`
}

// blockPage renders the block response for an incident: the policy's
// block status (403 by default), X-DLP-Incident, and HTML or JSON as the
// client prefers.
func (p *Proxy) blockPage(req *http.Request, inc *incident, rules Rules) *http.Response {
	status := http.StatusForbidden
	if rules != nil && rules.Settings().BlockStatus != 0 {
		status = rules.Settings().BlockStatus
	}
	v := blockView{Blocked: true, Incident: inc.ID, Rule: inc.Rule, Direction: inc.Direction,
		Findings: []blockFinding{}, Window: windowText(inc.window),
		Message: "Blocked by data-loss-prevention policy; contact the security team with the incident id. 已被数据防泄漏策略拦截，请联系信息安全部门。"}
	for _, f := range inc.Findings {
		v.Findings = append(v.Findings, blockFinding{Detector: f.Detector, Count: f.Count, Label: detectorLabel(f.Detector)})
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

// windowText is the block page's explanation of a window rule block.
func windowText(status string) string {
	if status == "" {
		return ""
	}
	return status + " — blocked until older records leave the window (窗口内较早的记录过期后恢复)"
}

// detectorLabel is the Chinese name of a detector id for the block page.
func detectorLabel(id string) string {
	switch id {
	case "cn_resident_id":
		return "居民身份证号"
	case "cn_mobile":
		return "手机号码"
	case "bank_card":
		return "银行卡号"
	case "email":
		return "电子邮箱"
	case "cn_passport":
		return "护照号码"
	case "cn_travel_permit":
		return "港澳台通行证号码"
	case "cn_name":
		return "姓名"
	case "cn_address":
		return "住址"
	}
	return "个人信息"
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
