package policy

import (
	"errors"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// FuzzCompile checks that Compile never panics, that every error it
// returns is a positioned *Error, and that what compiles can decide.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		string(DefaultYAML()),
		"",
		"rules: [\n",
		"version: v1\nsettings: {hold_size: 1MiB, inspect_limit: 2MiB, uninspectable: block, uninspectable_overrides: {websocket: allow}}\n",
		"allow_hosts: [\"*.a.example\", \"[::1]\"]\ntls_bypass: [b.example]\nallow_values: {cn_mobile: [\"13800138000\"]}\n",
		"rules:\n  - name: a\n    direction: both\n    scope: {hosts: [\"*\"], methods: [POST], content_types: [\"text/*\"], clients: [10.0.0.0/8], users: [u]}\n    when: {any: {legal_score: 0.1, total: 5}, all: {email: 1}}\n    action: block\n",
		"a: &x [*x]\n",
		"rules:\n- {name: a, action: log}\n- {name: a, action: log}\n",
		"\xef\xbb\xbfversion: bom\n",
		windowPolicy,
		"rules:\n- {name: w, action: log, window: {key: [user, client], duration: 7d}, when: {any: {total: 1}}}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Compile("f.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("snapshot returned with an error")
			}
			for _, e := range unjoin(err) {
				var pe *Error
				if !errors.As(e, &pe) || pe.File != "f.yaml" || pe.Line < 1 {
					t.Fatalf("error without a position: %#v", e)
				}
			}
			return
		}
		tl := &inspect.Tally{}
		for d := range tl.Counts {
			tl.Counts[d] = 1000
		}
		sc := s.Scope(Message{Direction: Both, Host: "x.example", Method: "POST", ContentType: "text/plain"})
		if d := sc.Decide(tl); d.Rule >= len(s.Rules()) {
			t.Fatalf("decision rule %d out of range", d.Rule)
		}
		windows := sc.Windows()
		counts := make([]WindowCounts, len(windows))
		for i, w := range windows {
			if r := s.Rule(w.Rule); !r.IsWindow() || w.Key == "" || len(w.Detectors) == 0 {
				t.Fatalf("window check %+v for rule %+v", w, r)
			}
			counts[i] = tl.Counts
		}
		if d := sc.DecideWindows(tl, counts); d.Rule >= len(s.Rules()) {
			t.Fatalf("window decision rule %d out of range", d.Rule)
		}
	})
}
