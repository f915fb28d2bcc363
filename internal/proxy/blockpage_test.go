package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
)

// TestBlockPage: what the employee reads for each kind of block, in HTML
// and JSON; the policy's own text is escaped, never markup.
func TestBlockPage(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	findings := []accesslog.Finding{{Detector: "cn_resident_id", Count: 56, Samples: []string{"110101********0018"}}, {Detector: "bank_card", Count: 51}}
	tests := []struct {
		name     string
		inc      incident
		settings Settings
		want     []string
		wantNot  []string
	}{
		{
			name: "upload on counts",
			inc:  incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "block-bulk-ids", Direction: "request", Host: "upload.example.com", Findings: findings}},
			want: []string{
				"已拦截：疑似批量个人信息外发", "Blocked: this request appears to carry bulk personal information",
				"居民身份证号 resident ID numbers <code>cn_resident_id</code></td><td>56</td>", "银行卡号 bank card numbers",
				"<b>block-bulk-ids</b>", "<dd>upload.example.com</dd>", "2026-11-27 09:30:00 UTC", "<code>01ab</code>",
				"请联系信息安全部门并提供事件编号", "contact the security team and quote", "This page never shows the values themselves",
			},
			wantNot: []string{"0018", `class="why"`},
		},
		{
			name: "download",
			inc:  incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "r", Direction: "response", Host: "h", Findings: findings}},
			want: []string{"已拦截：疑似批量个人信息下载", "Blocked: this response appears"},
		},
		{
			name: "rule message and contact, escaped",
			inc: incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "r", Direction: "request", Host: "h", Findings: findings},
				explanation: "Use the <b>file exchange</b>.\n请使用文件交换平台。"},
			settings: Settings{Contact: `IT <it@example.com> & ext. 8000`},
			want: []string{
				`<p class="why">Use the &lt;b&gt;file exchange&lt;/b&gt;.` + "\n请使用文件交换平台。</p>",
				"请联系：IT &lt;it@example.com&gt; &amp; ext. 8000，并提供事件编号", "contact IT &lt;it@example.com&gt; &amp; ext. 8000 and quote",
			},
			wantNot: []string{"<b>file exchange</b>", "the security team"},
		},
		{
			// The page itself may carry few values: the window's total
			// over earlier pages decided, and the headline must say so.
			name: "window rule download",
			inc: incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "drip", Direction: "response", Host: "h",
				Findings: []accesslog.Finding{{Detector: "cn_resident_id", Count: 20}}},
				window: "rule drip: 100 cn_resident_id within 1h0m0s for client=10.0.0.5"},
			want: []string{
				"已拦截：一段时间内累计下载的个人信息已达上限",
				"Blocked: together with earlier responses within the policy’s time window, this response reaches its limit on personal information",
				"rule drip: 100 cn_resident_id within 1h0m0s for client=10.0.0.5",
			},
			wantNot: []string{"疑似批量", "appears to carry bulk"},
		},
		{
			name: "window rule upload",
			inc: incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "drip", Direction: "request", Host: "h", Findings: findings},
				window: "rule drip: 100 cn_resident_id within 1h0m0s for client=10.0.0.5"},
			want:    []string{"已拦截：一段时间内累计外发的个人信息已达上限", "together with earlier requests within"},
			wantNot: []string{"疑似批量", "appears to carry bulk"},
		},
		{
			// A rule without a condition (block every PUT, every upload
			// to a paste site) finds nothing: the page must not say the
			// message carried personal information.
			name:    "rule without a condition",
			inc:     incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: "no-paste-sites", Direction: "request", Host: "h"}},
			want:    []string{"已拦截：策略不允许此外发", "Blocked: the policy does not allow this request, whatever it carries", "<b>no-paste-sites</b>"},
			wantNot: []string{"疑似批量", "appears to carry bulk", "<table>"},
		},
		{
			name: "fail-closed encrypted archive",
			inc:  incident{Incident: &accesslog.Incident{ID: "01ab", Time: at, Rule: uninspectableRule(ReasonEncrypted), Direction: "request", Host: "h"}, reason: ReasonEncrypted},
			want: []string{
				"已拦截：无法检查的内容", "could not be inspected (it is encrypted, such as a password-protected archive), and the policy blocks what it cannot inspect",
				"内容已加密（如带密码的压缩包）", "<b>uninspectable_encrypted</b>",
			},
			wantNot: []string{"疑似批量", "<table>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := (&Proxy{}).blockPage(nil, &tt.inc, &byteRules{settings: tt.settings})
			b, _ := io.ReadAll(resp.Body)
			page := string(b)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("X-Dlp-Incident") != "01ab" {
				t.Errorf("status %d, header %v", resp.StatusCode, resp.Header)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(page, w) {
					t.Errorf("page has %q:\n%s", w, page)
				}
			}
		})
	}
}

// TestBlockPageJSON: a client that asks for JSON gets the same facts as
// fields.
func TestBlockPageJSON(t *testing.T) {
	inc := &incident{Incident: &accesslog.Incident{ID: "01ab", Time: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC), Rule: "r", Direction: "request", Host: "h",
		Findings: []accesslog.Finding{{Detector: "cn_mobile", Count: 600}}}, explanation: "why"}
	req, _ := http.NewRequest(http.MethodPost, "http://h/", nil)
	req.Header.Set("Accept", "application/json")
	resp := (&Proxy{}).blockPage(req, inc, &byteRules{settings: Settings{Contact: "IT", BlockStatus: 451}})
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 451 {
		t.Errorf("status %d, want the policy's 451", resp.StatusCode)
	}
	for k, want := range map[string]any{"incident": "01ab", "rule": "r", "direction": "request", "host": "h", "time": "2026-11-27T09:30:00Z", "explanation": "why", "contact": "IT", "blocked": true,
		"message": "Blocked by data-loss-prevention policy; contact IT with the incident id. 已被数据防泄漏策略拦截，请联系：IT，并提供事件编号。"} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	f, _ := v["findings"].([]any)
	if len(f) != 1 || f[0].(map[string]any)["label_en"] != "mobile numbers" || f[0].(map[string]any)["count"] != 600.0 {
		t.Errorf("findings = %v", v["findings"])
	}
	if _, ok := v["reason"]; ok {
		t.Errorf("reason present on a block on counts: %v", v)
	}
}

// TestReasonText: every reason the policy can fail closed on is explained
// in words in both languages, never shown as its raw name.
func TestReasonText(t *testing.T) {
	for _, reason := range []string{ReasonOverLimit, ReasonDecodeError, ReasonEncrypted, ReasonUnsupportedEncoding, ReasonWebSocket, ReasonHTTP2} {
		t.Run(reason, func(t *testing.T) {
			en, zh := reasonText(reason)
			if en == reason || zh == reason || !strings.HasPrefix(en, "it") || zh == "" {
				t.Errorf("reasonText(%q) = %q, %q", reason, en, zh)
			}
		})
	}
}
