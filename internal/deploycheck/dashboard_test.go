package deploycheck

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDashboard strictly decodes every provisioned dashboard and checks
// the panel conventions (description, unit, thresholds, a query).
func TestDashboard(t *testing.T) {
	for _, f := range deployFiles(t, ".json") {
		t.Run(f, func(t *testing.T) {
			panels, err := ParseDashboard(readDeploy(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckPanels(panels); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDashboardTitles pins the panels the README's screenshot-level check
// talks about, so the docs and the dashboard cannot drift apart.
func TestDashboardTitles(t *testing.T) {
	panels, err := ParseDashboard(readDeploy(t, "grafana/dashboards/dlpproxy.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(mustRead(t, "../../docs/deploy.md"))
	for _, p := range panels {
		if p.Type != "row" && !strings.Contains(doc, "**"+p.Title+"**") {
			t.Errorf("panel %q is not described in docs/deploy.md (as **%s**)", p.Title, p.Title)
		}
	}
}

// TestParseDashboardStrict shows the decoding is strict: each mutation of
// a valid dashboard must be rejected.
func TestParseDashboardStrict(t *testing.T) {
	base := readDeploy(t, "grafana/dashboards/dlpproxy.json")
	tests := []struct {
		name   string
		mutate func(d map[string]any)
	}{
		{name: "unknown root field", mutate: func(d map[string]any) { d["panelz"] = 1 }},
		{name: "unknown panel field", mutate: func(d map[string]any) { panel(d, 1)["titel"] = "x" }},
		{name: "unknown stat option", mutate: func(d map[string]any) { panel(d, 1)["options"].(map[string]any)["colour"] = "red" }},
		{name: "unknown timeseries option", mutate: func(d map[string]any) { timeseriesPanel(d)["options"].(map[string]any)["legnd"] = 1 }},
		{name: "unknown query field", mutate: func(d map[string]any) {
			panel(d, 1)["targets"].([]any)[0].(map[string]any)["exp"] = "up"
		}},
		{name: "wrong type", mutate: func(d map[string]any) { d["schemaVersion"] = "39" }},
		{name: "unknown fieldConfig default", mutate: func(d map[string]any) {
			panel(d, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["unitt"] = "s"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(base, &d); err != nil {
				t.Fatal(err)
			}
			tt.mutate(d)
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseDashboard(raw); err == nil {
				t.Fatal("mutated dashboard accepted")
			}
		})
	}
}

// panel returns the i-th top-level panel of a decoded dashboard.
func panel(d map[string]any, i int) map[string]any {
	return d["panels"].([]any)[i].(map[string]any)
}

// timeseriesPanel returns the first top-level timeseries panel.
func timeseriesPanel(d map[string]any) map[string]any {
	for _, p := range d["panels"].([]any) {
		if m := p.(map[string]any); m["type"] == "timeseries" {
			return m
		}
	}
	panic("no timeseries panel")
}

func TestCheckPanels(t *testing.T) {
	good := Panel{ID: 1, Type: "stat", Title: "A", Description: "d", Unit: "s", Thresholds: 1, Exprs: []string{"up"}}
	with := func(f func(*Panel)) []Panel { p := good; f(&p); return []Panel{p} }
	tests := []struct {
		name string
		give []Panel
		want string
	}{
		{name: "good", give: []Panel{good, {ID: 2, Type: "row", Title: "R"}}},
		{name: "no description", give: with(func(p *Panel) { p.Description = "" }), want: "no description"},
		{name: "no unit", give: with(func(p *Panel) { p.Unit = "" }), want: "no unit"},
		{name: "no thresholds", give: with(func(p *Panel) { p.Thresholds = 0 }), want: "no thresholds"},
		{name: "no query", give: with(func(p *Panel) { p.Exprs = nil }), want: "no query"},
		{name: "duplicate id", give: []Panel{good, {ID: 1, Type: "row", Title: "R"}}, want: "id 1 repeats"},
		{name: "duplicate title", give: []Panel{good, {ID: 2, Type: "row", Title: "A"}}, want: `title "A" repeats`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPanels(tt.give)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckPanels: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckPanels: %v, want %q", err, tt.want)
			}
		})
	}
}
