package deploycheck

import (
	"errors"
	"fmt"
	"strings"
)

// Object is one decoded Kubernetes manifest.
type Object map[string]any

// Get returns the value at a dotted path ("spec.template.metadata.labels"),
// or nil when any step is missing or not a mapping.
func (o Object) Get(path string) any {
	var cur any = o
	for _, k := range strings.Split(path, ".") {
		m, ok := asMap(cur)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// asMap returns v as a map. yaml.v3 decodes the mappings nested in an
// Object as Object, and those of an `any` as map[string]any.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case Object:
		return m, true
	case map[string]any:
		return m, true
	}
	return nil, false
}

// String returns the string at path, or "".
func (o Object) String(path string) string {
	s, _ := o.Get(path).(string)
	return s
}

// List returns the list at path as objects (non-mapping items are skipped).
func (o Object) List(path string) []Object {
	items, _ := o.Get(path).([]any)
	var out []Object
	for _, it := range items {
		if m, ok := asMap(it); ok {
			out = append(out, m)
		}
	}
	return out
}

// Labels returns the string map at path (labels, selectors, ConfigMap data).
func (o Object) Labels(path string) map[string]string {
	m, _ := asMap(o.Get(path))
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}

// schema lists, per apiVersion/kind, the fields the deployment relies on.
// It is hand-written for the manifests under deploy/kubernetes, not the full
// OpenAPI schema: a wrong apiVersion for a kind, or a missing required field
// of the kinds used there, is caught; a misspelt optional field is not.
var schema = map[string][]string{
	"v1/Namespace":                                  {"metadata.name"},
	"v1/ConfigMap":                                  {"metadata.name", "metadata.namespace", "data"},
	"v1/Secret":                                     {"metadata.name", "metadata.namespace", "type", "data"},
	"v1/Service":                                    {"metadata.name", "metadata.namespace", "spec.selector", "spec.ports"},
	"apps/v1/Deployment":                            {"metadata.name", "metadata.namespace", "spec.selector.matchLabels", "spec.template.metadata.labels", "spec.template.spec.containers"},
	"autoscaling/v2/HorizontalPodAutoscaler":        {"metadata.name", "metadata.namespace", "spec.scaleTargetRef.name", "spec.maxReplicas", "spec.metrics"},
	"policy/v1/PodDisruptionBudget":                 {"metadata.name", "metadata.namespace", "spec.selector.matchLabels"},
	"monitoring.coreos.com/v1/PodMonitor":           {"metadata.name", "metadata.namespace", "spec.selector.matchLabels", "spec.podMetricsEndpoints"},
	"kustomize.config.k8s.io/v1beta1/Kustomization": {"resources"},
}

// CheckObject checks one manifest against the hand-written schema.
func CheckObject(o Object) error {
	key := o.String("apiVersion") + "/" + o.String("kind")
	required, ok := schema[key]
	if !ok {
		return fmt.Errorf("unknown apiVersion/kind %q", key)
	}
	var errs []error
	for _, p := range required {
		if o.Get(p) == nil {
			errs = append(errs, fmt.Errorf("%s %q: missing %s", o.String("kind"), o.String("metadata.name"), p))
		}
	}
	return errors.Join(errs...)
}

// Selects reports whether selector matches labels: every selector pair is
// present in labels (an empty selector matches nothing here, on purpose).
func Selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
