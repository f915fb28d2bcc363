package deploycheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runTool runs an external program from dir with a timeout and fails the
// test with its output if it exits non-zero.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPromtool runs promtool over the rules, their unit tests and the
// Prometheus configuration.
func TestPromtool(t *testing.T) {
	promtool := requireTool(t, "promtool")
	dir := filepath.Join(deployDir, "prometheus")
	tests := []struct {
		name string
		give []string
	}{
		{name: "check rules", give: []string{"check", "rules", "alerts.yml"}},
		{name: "check config", give: []string{"check", "config", "prometheus.yml"}},
		{name: "test rules", give: []string{"test", "rules", "alerts_test.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runTool(t, dir, promtool, tt.give...)
		})
	}
}

// TestDashboardQueriesParse has promtool parse every dashboard query, by
// wrapping them as recording rules with the Grafana variables replaced by
// values Grafana would put there.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := requireTool(t, "promtool")
	vars := strings.NewReplacer("$__rate_interval", "1m", "${datasource}", "prometheus", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	var n int
	for _, f := range deployFiles(t, ".json") {
		panels, err := ParseDashboard(readDeploy(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range panels {
			for _, e := range p.Exprs {
				n++
				q, err := json.Marshal(vars.Replace(e)) // a JSON string is a valid YAML scalar
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", n, q)
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.yml"), []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, dir, promtool, "check", "rules", "dashboard.yml")
	if !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", n)) {
		t.Errorf("promtool did not check all %d queries:\n%s", n, out)
	}
}

// TestAlertRules checks what promtool does not: every alert has a known
// severity, a summary, a description and a runbook_url whose anchor is a
// heading of docs/deploy.md, and every alert has a unit test.
func TestAlertRules(t *testing.T) {
	rules, err := ParseRules(readDeploy(t, "prometheus/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(mustRead(t, "../../docs/deploy.md"))
	tests := string(readDeploy(t, "prometheus/alerts_test.yml"))
	var alerts int
	for _, r := range rules {
		if r.Alert == "" {
			continue
		}
		alerts++
		if s := r.Labels["severity"]; s != "page" && s != "warning" {
			t.Errorf("%s: severity %q, want page or warning", r.Alert, s)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		_, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
		if anchor != strings.ToLower(r.Alert) || !strings.Contains(doc, "\n### "+r.Alert+"\n") {
			t.Errorf("%s: runbook_url %q needs a \"### %s\" heading in docs/deploy.md", r.Alert, r.Annotations["runbook_url"], r.Alert)
		}
		if !strings.Contains(tests, "alertname: "+r.Alert+"\n") {
			t.Errorf("%s: no unit test in alerts_test.yml", r.Alert)
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts")
	}
}

// TestSystemdUnit verifies the unit with systemd-analyze (ExecStart
// pointed at a stand-in executable, since the binary is not installed
// here), requires its hardening exposure to stay at or below 2.0, and
// checks the directives the deployment relies on.
func TestSystemdUnit(t *testing.T) {
	unit := string(readDeploy(t, "systemd/dlpproxy.service"))
	for _, want := range []string{
		"User=dlpproxy", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadOnlyPaths=/etc/dlpproxy",
		"ExecReload=/bin/kill -HUP $MAINPID", "CapabilityBoundingSet=\n", "--admin 127.0.0.1:9090",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}

	analyze := requireTool(t, "systemd-analyze")
	dir := t.TempDir()
	stub := filepath.Join(dir, "dlpproxy")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/dlpproxy `)
	if !execStart.MatchString(unit) {
		t.Fatal("ExecStart does not run /usr/local/bin/dlpproxy")
	}
	path := filepath.Join(dir, "dlpproxy.service")
	if err := os.WriteFile(path, []byte(execStart.ReplaceAllString(unit, "ExecStart="+stub+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, analyze, "verify", path)
	runTool(t, dir, analyze, "security", "--offline=true", "--threshold=20", path)
}

// TestLogrotate has logrotate read deploy/logrotate/dlpproxy (debug mode:
// parse and plan, rotate nothing, run no script), with the log path and the
// owner moved to this machine, and checks that it signals the service
// after the move and rotates the path the systemd unit lets it write.
func TestLogrotate(t *testing.T) {
	conf := string(readDeploy(t, "logrotate/dlpproxy"))
	unit := string(readDeploy(t, "systemd/dlpproxy.service"))
	const logPath = "/var/log/dlpproxy/dlpproxy.log"
	for _, want := range []string{logPath + " {", "systemctl kill --signal=HUP --kill-whom=main dlpproxy.service", "create 0640 dlpproxy dlpproxy"} {
		if !strings.Contains(conf, want) {
			t.Errorf("logrotate config lacks %q", want)
		}
	}
	if !strings.Contains(unit, "LogsDirectory=dlpproxy\n") {
		t.Error("the unit does not make /var/log/dlpproxy writable (LogsDirectory=dlpproxy)")
	}
	logrotate := requireTool(t, "logrotate")
	dir := t.TempDir()
	local := filepath.Join(dir, "dlpproxy.log")
	if err := os.WriteFile(local, []byte("{\"msg\":\"access\"}\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	conf = strings.Replace(conf, logPath+" {", local+" {", 1)
	conf = strings.Replace(conf, "create 0640 dlpproxy dlpproxy", "create 0640 root root", 1)
	path := filepath.Join(dir, "dlpproxy.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, dir, logrotate, "--debug", "--force", "--state", filepath.Join(dir, "state"), path)
	for _, want := range []string{"rotating log " + local, "running postrotate script"} {
		if !strings.Contains(out, want) {
			t.Errorf("logrotate --debug output lacks %q:\n%s", want, out)
		}
	}
}

// TestPAC runs the PAC file under node with minimal implementations of
// the PAC helper functions and checks where each destination goes.
func TestPAC(t *testing.T) {
	node := requireTool(t, "node")
	const proxy = "PROXY dlpproxy.example.internal:3128"
	tests := []struct {
		give string // host
		want string
	}{
		{give: "www.example.com", want: proxy},
		{give: "PASTEBIN.COM", want: proxy},
		{give: "intranet", want: "DIRECT"},
		{give: "wiki.example.internal", want: "DIRECT"},
		{give: "localhost", want: "DIRECT"},
		{give: "10.1.2.3", want: "DIRECT"},
		{give: "172.20.0.1", want: "DIRECT"},
		{give: "172.32.0.1", want: proxy},
		{give: "192.168.1.1", want: "DIRECT"},
		{give: "8.8.8.8", want: proxy},
	}
	const helpers = `
function isPlainHostName(h) { return h.indexOf(".") < 0; }
function dnsDomainIs(h, d) { return h.length >= d.length && h.substring(h.length - d.length) === d; }
function ip(s) { return s.split(".").reduce(function (a, o) { return a * 256 + Number(o); }, 0); }
function isInNet(h, net, mask) { var m = ip(mask); return (ip(h) & m) >>> 0 === (ip(net) & m) >>> 0; }
`
	var script strings.Builder
	script.WriteString(helpers)
	script.Write(readDeploy(t, "pac/proxy.pac"))
	for _, tt := range tests {
		script.WriteString("\nconsole.log(FindProxyForURL('http://" + tt.give + "/x', '" + tt.give + "'));")
	}
	path := filepath.Join(t.TempDir(), "pac.js")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(runTool(t, ".", node, path)), "\n")
	if len(got) != len(tests) {
		t.Fatalf("got %d answers, want %d: %q", len(got), len(tests), got)
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("FindProxyForURL(%s) = %q, want %q", tt.give, got[i], tt.want)
		}
	}
}
