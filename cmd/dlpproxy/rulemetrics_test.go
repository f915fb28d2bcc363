package main

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/config"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
)

// TestRuleSeriesMatchTheirAction: after a policy load, each rule's
// incident series exists at 0 for the action it takes only. Before, every
// rule had both, so dashboards listed dlp_incidents_total{action="block",
// rule="log-personal-information"}, a series that can never move.
func TestRuleSeriesMatchTheirAction(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, _, err := loadPolicy(config.Default(), zap.NewNop(), metrics.New(reg), time.Now); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP dlp_incidents_total Policy rule matches, by rule and action.
# TYPE dlp_incidents_total counter
dlp_incidents_total{action="block",rule="block-bulk-contacts"} 0
dlp_incidents_total{action="block",rule="block-bulk-ids-and-cards"} 0
dlp_incidents_total{action="log",rule="log-personal-information"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dlp_incidents_total"); err != nil {
		t.Error(err)
	}
}
