package metrics

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.prom")

// dlpMetricNames lists every dlp_ metric except dlp_build_info, whose Go
// version label depends on the toolchain (TestBuildInfo covers it).
var dlpMetricNames = []string{
	"dlp_access_denied_total",
	"dlp_active_connections",
	"dlp_active_inspections",
	"dlp_blocks_total",
	"dlp_findings_total",
	"dlp_incidents_total",
	"dlp_inspected_bytes_total",
	"dlp_inspection_duration_seconds",
	"dlp_leaf_cert_cache_entries",
	"dlp_policy_info",
	"dlp_policy_last_reload_success_timestamp_seconds",
	"dlp_policy_reloads_total",
	"dlp_request_duration_seconds",
	"dlp_requests_total",
	"dlp_tls_intercept_errors_total",
	"dlp_uninspected_bytes_total",
	"dlp_uninspected_messages_total",
	"dlp_window_evictions_total",
	"dlp_window_fallbacks_total",
	"dlp_window_store_errors_total",
	"dlp_window_tracked_keys",
}

// scripted registers the metrics on a fresh registry and replays a fixed
// sequence of proxy events: a clean upload, a held block, a streaming cut,
// an oversized response, a denied client and a policy reload.
func scripted(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := New(reg)

	m.SetPolicy("2024-05-01", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	m.InitRule("bulk-id-upload", ActionBlock)
	m.ReloadSucceeded(time.Unix(1714521600, 0))
	m.ReloadFailed()
	m.SetPolicy("2024-05-02", "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752")
	m.ReloadSucceeded(time.Unix(1714608000, 500e6))
	m.WatchLeafCache(func() int { return 2 })
	m.WatchWindowKeys(func() int { return 7 })
	m.WindowEvicted()
	m.WindowStoreError()
	m.WindowFallback()
	m.WindowFallback()

	m.ActiveConnections.Inc()
	m.ActiveConnections.Inc()
	m.ActiveConnections.Dec()
	m.ActiveInspections.Inc()

	// A clean 4 KiB upload.
	m.InspectedBytes(Request, 4096)
	m.ObserveInspection(Request, 80*time.Microsecond)
	m.Request(OutcomeAllowed, 30*time.Millisecond)

	// A held upload with 60 ID numbers and 2 phones: clean 403.
	var tally inspect.Tally
	tally.Counts[inspect.ResidentID] = 60
	tally.Counts[inspect.Mobile] = 2
	m.InspectedBytes(Request, 2048)
	m.AddTally(&tally)
	m.Incident("bulk-id-upload", ActionBlock)
	m.Block(Request, PhaseHeld)
	m.ObserveInspection(Request, 3*time.Millisecond)
	m.Request(OutcomeBlocked, 4*time.Millisecond)

	// A download cut mid-body, then logged by a second rule.
	m.InspectedBytes(Response, 1<<20)
	m.Findings(inspect.BankCard, 12)
	m.Incident("cards-log", ActionLog)
	m.Block(Response, PhaseStreaming)
	m.ObserveInspection(Response, 400*time.Millisecond)
	m.Request(OutcomeBlocked, 2*time.Second)

	// An oversized response passed fail-open, a bypassed tunnel.
	m.UninspectedMessage(Response, ReasonOverLimit, ActionAllow)
	m.UninspectedBytes(Response, ReasonOverLimit, 300<<20)
	m.Request(OutcomeAllowed, 45*time.Second)
	m.UninspectedMessage(Request, ReasonTunnelBypass, ActionAllow)
	m.UninspectedBytes(Request, ReasonTunnelBypass, 512)
	m.UninspectedBytes(Response, ReasonTunnelBypass, 8192)
	m.Request(OutcomeBypassed, 700*time.Millisecond)

	// Access control and TLS failures.
	m.AccessDenied(DenyClientCIDR)
	m.Request(OutcomeDenied, 100*time.Microsecond)
	m.TLSInterceptError(StageUpstreamVerify)
	m.Request(OutcomeError, 15*time.Millisecond)
	return reg
}

func TestGolden(t *testing.T) {
	reg := scripted(t)
	golden := filepath.Join("testdata", "golden.prom")
	if *update {
		got, err := testutil.GatherAndFormat(reg, expfmt.TypeTextPlain, dlpMetricNames...)
		if err != nil {
			t.Fatalf("format: %v", err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
	}
	want, err := os.Open(golden)
	if err != nil {
		t.Fatalf("open golden (run with -update to create): %v", err)
	}
	defer want.Close()
	if err := testutil.GatherAndCompare(reg, want, dlpMetricNames...); err != nil {
		t.Error(err)
	}
}

func TestLint(t *testing.T) {
	problems, err := testutil.GatherAndLint(scripted(t))
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestPromtool runs the real `promtool check metrics` on the exposition,
// Go and process collectors included.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("promtool not on PATH and CI unset; install Debian's prometheus package to run this test (it is required when CI is set)")
		}
		t.Fatalf("promtool not on PATH with CI set: .ci/run should install the prometheus package: %v", err)
	}
	exposition, err := testutil.GatherAndFormat(scripted(t), expfmt.TypeTextPlain)
	if err != nil {
		t.Fatalf("format: %v", err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestPrecreatedSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	tests := []struct {
		give string
		want int
	}{
		{give: "dlp_inspected_bytes_total", want: 2},
		{give: "dlp_uninspected_bytes_total", want: 2 * 8},
		{give: "dlp_uninspected_messages_total", want: 2 * 8 * 2},
		{give: "dlp_findings_total", want: int(inspect.NumDetectors)},
		{give: "dlp_blocks_total", want: 2 * 2},
		{give: "dlp_requests_total", want: 5},
		{give: "dlp_access_denied_total", want: 5},
		{give: "dlp_policy_reloads_total", want: 2},
		{give: "dlp_tls_intercept_errors_total", want: 4},
		{give: "dlp_inspection_duration_seconds", want: 2},
		{give: "dlp_request_duration_seconds", want: 1},
		{give: "dlp_leaf_cert_cache_entries", want: 1},
		{give: "dlp_build_info", want: 1},
		{give: "dlp_incidents_total", want: 0},
		{give: "dlp_policy_info", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := testutil.GatherAndCount(reg, tt.give)
			if err != nil {
				t.Fatalf("count: %v", err)
			}
			if got != tt.want {
				t.Errorf("series = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.SetBuildInfo("v1.2.3")
	want := `# HELP dlp_build_info Version of dlpproxy and of Go it was built with, value 1.
# TYPE dlp_build_info gauge
dlp_build_info{goversion="` + runtime.Version() + `",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dlp_build_info"); err != nil {
		t.Error(err)
	}
}

func TestStandardCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		n, err := testutil.GatherAndCount(reg, name)
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		if n != 1 {
			t.Errorf("%s series = %d, want 1", name, n)
		}
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(scripted(t)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatalf("read: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	for _, want := range []string{`dlp_requests_total{outcome="blocked"} 2`, "go_goroutines "} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				m.InspectedBytes(Request, 1)
				m.SetPolicy("v", string(rune('a'+i)))
				m.WatchLeafCache(func() int { return i })
			}
		}()
	}
	for range 50 {
		if n, err := testutil.GatherAndCount(reg, "dlp_policy_info"); err != nil || n > 1 {
			t.Fatalf("policy_info series = %d (%v), want at most 1", n, err)
		}
	}
	for range 4 {
		<-done
	}
	if got := testutil.ToFloat64(m.inspectedBytes.WithLabelValues(string(Request))); got != 800 {
		t.Errorf("inspected bytes = %v, want 800", got)
	}
}
