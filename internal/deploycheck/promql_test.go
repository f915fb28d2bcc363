package deploycheck

import (
	"reflect"
	"strings"
	"testing"
)

func TestMetricNames(t *testing.T) {
	prefixes := []string{"dlp_", "go_", "process_"}
	tests := []struct {
		name string
		give string
		want []string
	}{
		{name: "rate", give: `sum by (direction) (rate(dlp_inspected_bytes_total{instance=~"$instance"}[$__rate_interval]))`, want: []string{"dlp_inspected_bytes_total"}},
		{name: "histogram", give: `histogram_quantile(0.99, sum by (le) (rate(dlp_request_duration_seconds_bucket[5m]))) > 10`, want: []string{"dlp_request_duration_seconds_bucket"}},
		{name: "label values are not names", give: `dlp_x{rule="dlp_fake_total", reason!~'dlp_y|z'}`, want: []string{"dlp_x"}},
		{name: "label names are not names", give: `count by (dlp_label) (dlp_policy_info) and on (dlp_other) dlp_b`, want: []string{"dlp_b", "dlp_policy_info"}},
		{name: "escaped quote", give: `dlp_a{r="x\"dlp_no"} / dlp_b`, want: []string{"dlp_a", "dlp_b"}},
		{name: "grafana variables", give: `dlp_a{i=~"${dlp_var}"} + $dlp_v + [[dlp_w]]`, want: []string{"dlp_a"}},
		{name: "recording rule", give: `dlp:uninspected_share:ratio_rate15m > 0.2 and job:up:sum`, want: []string{"dlp:uninspected_share:ratio_rate15m"}},
		{name: "other prefixes", give: `rate(process_cpu_seconds_total[1m]) + go_goroutines + up + node_load1`, want: []string{"go_goroutines", "process_cpu_seconds_total"}},
		{name: "duplicates", give: `dlp_a / (dlp_a + dlp_b)`, want: []string{"dlp_a", "dlp_b"}},
		{name: "number tail", give: `dlp_a > 1e5`, want: []string{"dlp_a"}},
		{name: "none", give: `time()`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MetricNames(tt.give, prefixes...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MetricNames(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func FuzzMetricNames(f *testing.F) {
	for _, s := range []string{`sum by (a) (rate(dlp_x[5m]))`, `dlp_a{b="c\"d"}`, `${x} [[y]] dlp:z`, `"unterminated dlp_q`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range MetricNames(s, "dlp_") {
			if !strings.HasPrefix(n, "dlp_") && !strings.HasPrefix(n, "dlp:") {
				t.Fatalf("MetricNames(%q) returned %q", s, n)
			}
		}
	})
}
