package deploycheck

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Panel is what the checks read from one dashboard panel.
type Panel struct {
	ID          int
	Type        string
	Title       string
	Description string
	Unit        string
	Thresholds  int      // number of threshold steps
	Exprs       []string // PromQL of the panel's targets
}

// rawPanel mirrors the few panel fields Panel needs; rows nest panels.
type rawPanel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	FieldConfig json.RawMessage `json:"fieldConfig"`
	Targets     []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []rawPanel `json:"panels"`
}

// ParseDashboard strictly decodes a Grafana dashboard JSON model with the
// Grafana Foundation SDK (unknown fields, missing required fields and wrong
// types are errors, in the panels, the timeseries and stat options and the
// Prometheus queries too) and returns its panels, rows flattened.
func ParseDashboard(raw []byte) ([]Panel, error) {
	rt := cog.NewRuntime()
	rt.RegisterPanelcfgVariant(timeseries.VariantConfig())
	rt.RegisterPanelcfgVariant(stat.VariantConfig())
	rt.RegisterDataqueryVariant(prometheus.VariantConfig())

	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(raw)); err != nil {
		return nil, fmt.Errorf("strict decode: %w", err)
	}
	if err := sdkError(d.Validate()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	var top struct {
		Panels []rawPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("decode panels: %w", err)
	}
	var out []Panel
	var errs []error
	var walk func([]rawPanel)
	walk = func(ps []rawPanel) {
		for _, p := range ps {
			q := Panel{ID: p.ID, Type: p.Type, Title: p.Title, Description: p.Description}
			// The SDK decodes fieldConfig leniently; decode it strictly here.
			if p.FieldConfig != nil {
				var fc dashboard.FieldConfigSource
				if err := sdkError(fc.UnmarshalJSONStrict(p.FieldConfig)); err != nil {
					errs = append(errs, fmt.Errorf("panel %q fieldConfig: %w", p.Title, err))
				}
				if fc.Defaults.Unit != nil {
					q.Unit = *fc.Defaults.Unit
				}
				if fc.Defaults.Thresholds != nil {
					q.Thresholds = len(fc.Defaults.Thresholds.Steps)
				}
			}
			for _, t := range p.Targets {
				q.Exprs = append(q.Exprs, t.Expr)
			}
			out = append(out, q)
			walk(p.Panels)
		}
	}
	walk(top.Panels)
	return out, errors.Join(errs...)
}

// sdkError turns the SDK's empty cog.BuildErrors, which it returns as a
// non-nil error when all went well, into nil.
func sdkError(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// CheckPanels enforces the dashboard conventions: unique panel ids and
// titles, and every panel that is not a row has a description, a unit,
// at least one threshold step and at least one query.
func CheckPanels(panels []Panel) error {
	var errs []error
	ids := make(map[int]bool)
	titles := make(map[string]bool)
	for _, p := range panels {
		if ids[p.ID] {
			errs = append(errs, fmt.Errorf("panel id %d repeats", p.ID))
		}
		ids[p.ID] = true
		if titles[p.Title] {
			errs = append(errs, fmt.Errorf("panel title %q repeats", p.Title))
		}
		titles[p.Title] = true
		if p.Type == "row" {
			continue
		}
		switch {
		case p.Description == "":
			errs = append(errs, fmt.Errorf("panel %q has no description", p.Title))
		case p.Unit == "":
			errs = append(errs, fmt.Errorf("panel %q has no unit", p.Title))
		case p.Thresholds == 0:
			errs = append(errs, fmt.Errorf("panel %q has no thresholds", p.Title))
		case len(p.Exprs) == 0:
			errs = append(errs, fmt.Errorf("panel %q has no query", p.Title))
		}
	}
	return errors.Join(errs...)
}
