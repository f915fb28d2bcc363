package deploycheck

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dlpproxy/dlpproxy/internal/metrics"
)

// prefixes are the metric name prefixes of the proxy's registry.
var prefixes = []string{"dlp_", "go_", "process_"}

// exposedNames scrapes /metrics of a fresh proxy registry over 127.0.0.1
// and returns every series name a query can use (histograms as _bucket,
// _sum and _count) mapped to its family.
func exposedNames(t *testing.T) map[string]string {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	// Series that only exist once a policy is loaded.
	m.SetPolicy("test", "0123abcd")
	m.InitRule("test-rule", metrics.ActionBlock)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: metrics.Handler(reg)}}
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	names := make(map[string]string)
	for name, mf := range families {
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = name
			}
		case dto.MetricType_SUMMARY:
			names[name], names[name+"_sum"], names[name+"_count"] = name, name, name
		default:
			names[name] = name
		}
	}
	return names
}

// usedNames returns the metric names used by the dashboards and the rule
// file, each mapped to where it is used, and the recording rules defined.
func usedNames(t *testing.T) (used map[string][]string, recorded map[string]bool) {
	t.Helper()
	used = make(map[string][]string)
	recorded = make(map[string]bool)
	for _, f := range deployFiles(t, ".json") {
		panels, err := ParseDashboard(readDeploy(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range panels {
			for _, e := range p.Exprs {
				for _, n := range MetricNames(e, prefixes...) {
					used[n] = append(used[n], fmt.Sprintf("%s panel %q", f, p.Title))
				}
			}
		}
	}
	rules, err := ParseRules(readDeploy(t, "prometheus/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Record != "" {
			recorded[r.Record] = true
		}
		for _, n := range MetricNames(r.Expr, prefixes...) {
			used[n] = append(used[n], "alerts.yml "+r.Alert+r.Record)
		}
	}
	if len(used) == 0 {
		t.Fatal("no metric names found in dashboards and rules")
	}
	return used, recorded
}

// TestMetricNamesExist: every metric a dashboard panel or a rule queries
// is exposed by the proxy's registry (or is a recording rule of alerts.yml).
func TestMetricNamesExist(t *testing.T) {
	exposed := exposedNames(t)
	used, recorded := usedNames(t)
	for _, n := range slices.Sorted(maps.Keys(used)) {
		if _, ok := exposed[n]; !ok && !recorded[n] {
			t.Errorf("%s is not exposed by internal/metrics; used by %s", n, strings.Join(used[n], ", "))
		}
	}
}

// TestEveryMetricIsShown: every dlp_ family of the registry appears in the
// dashboard or the alerts, so nothing the proxy measures is invisible.
func TestEveryMetricIsShown(t *testing.T) {
	exposed := exposedNames(t)
	used, _ := usedNames(t)
	shown := make(map[string]bool)
	for n := range used {
		shown[exposed[n]] = true
	}
	for _, fam := range slices.Compact(slices.Sorted(maps.Values(exposed))) {
		if strings.HasPrefix(fam, "dlp_") && !shown[fam] {
			t.Errorf("%s is neither on a dashboard nor in an alert", fam)
		}
	}
}
