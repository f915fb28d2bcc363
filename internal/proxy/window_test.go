package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/window"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// dripPolicy logs a client that receives 40 distinct resident IDs within
// an hour and blocks one that receives 100: with 20 records a page, page
// 1 logs and page 4 is blocked.
const dripPolicy = `version: drip-1
rules:
  - name: drip-block
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 100}}
    action: block
  - name: drip-log
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 40}}
    action: log
`

// windowEnv runs a proxy on dripPolicy whose policy source decides window
// rules through a local tracker, or without one when windows is false.
func windowEnv(t *testing.T, windows bool) (*windowtest.Scraper, *syncBuffer) {
	t.Helper()
	snap, _, err := policy.Compile("drip.yaml", []byte(dripPolicy))
	if err != nil {
		t.Fatal(err)
	}
	clock := windowtest.NewClock()
	key := []byte("proxy-window-test-key-0123456789")
	var opts []SourceOption
	if windows {
		local, err := window.NewLocal(window.LocalConfig{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := window.New(window.Config{HashKey: key, Local: local, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithWindows(tr))
	}
	logs := &syncBuffer{}
	logger, logSink, err := accesslog.New(accesslog.Options{Stderr: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logSink.Close() })
	p := &Proxy{
		Policy: NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{HashKey: key}, opts...).Rules,
		Logger: logger, Now: clock.Now,
	}
	s := &windowtest.Scraper{T: t, Upstream: windowtest.PageServer(t).URL, Clock: clock,
		Proxies: []*http.Client{proxyClient(t, startProxy(t, p), nil)}}
	return s, logs
}

func TestWindowRules(t *testing.T) {
	tests := []struct {
		name    string
		windows bool
		blockAt int
	}{
		{name: "tracker blocks the fifth page", windows: true, blockAt: 4},
		{name: "without a tracker window rules never match", windows: false, blockAt: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := windowEnv(t, tt.windows)
			s.WantPages(0, 6, tt.blockAt)
		})
	}
}

func TestWindowBlockPageAndIncident(t *testing.T) {
	s, logs := windowEnv(t, true)
	s.WantPages(0, 4, 1000)
	const want = "rule drip-block: 100 cn_resident_id within 1h0m0s for client=127.0.0.1 (this replica only) — blocked until older records leave the window"
	status, page, h := s.Get(4)
	if status != http.StatusForbidden || h.Get("X-Dlp-Incident") == "" || !strings.Contains(page, want) ||
		!strings.Contains(page, "已拦截：一段时间内累计下载的个人信息已达上限") {
		t.Fatalf("HTML block page: status %d, incident %q, want %q in\n%s", status, h.Get("X-Dlp-Incident"), want, page)
	}

	req, err := http.NewRequest(http.MethodGet, s.Upstream+"/page?n=5", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.Proxies[0].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var v blockView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	// Page 5 is refused on the window alone; its own values count too.
	if resp.StatusCode != http.StatusForbidden || v.Rule != "drip-block" ||
		!strings.HasPrefix(v.Window, "rule drip-block: ") || !strings.Contains(v.Window, "cn_resident_id within 1h0m0s for client=127.0.0.1") {
		t.Fatalf("JSON block page: status %d, %+v", resp.StatusCode, v)
	}

	type record struct {
		Msg      string `json:"msg"`
		Incident struct {
			Rule   string `json:"rule"`
			Action string `json:"action"`
		} `json:"incident"`
		Window *struct {
			Rule   string         `json:"rule"`
			Key    string         `json:"key"`
			Window float64        `json:"window"`
			Counts map[string]int `json:"counts"`
			Local  bool           `json:"local"`
		} `json:"window"`
	}
	var blocks, logged int
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if r.Msg != "incident" {
			continue
		}
		if r.Window == nil || r.Window.Rule != r.Incident.Rule || r.Window.Key != "client=127.0.0.1" ||
			time.Duration(r.Window.Window*float64(time.Second)) != time.Hour || !r.Window.Local {
			t.Fatalf("incident without a proper window object: %s", line)
		}
		switch r.Incident.Action {
		case "block":
			blocks++
			if r.Window.Counts["cn_resident_id"] < 100 {
				t.Errorf("block at %d IDs: %s", r.Window.Counts["cn_resident_id"], line)
			}
		case "log":
			logged++
			if r.Incident.Rule != "drip-log" || r.Window.Counts["cn_resident_id"] < 40 {
				t.Errorf("log incident: %s", line)
			}
		}
	}
	if blocks != 2 || logged != 3 { // pages 1 to 3 log; pages 4 and 5 block
		t.Errorf("%d block and %d log incidents, want 2 and 3", blocks, logged)
	}
	assertNoRawValues(t, logs.String(), corpus.Records(1, 6*windowtest.PageSize))
}
