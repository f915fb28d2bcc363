package deploycheck

import (
	"strings"
	"testing"
)

func TestLintYAML(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // substring of the error; "" means no error
	}{
		{name: "clean", give: "a: 1\nb:\n  c: [1, 2]\n"},
		{name: "multi doc", give: "a: 1\n---\na: 2\n---\n"},
		{name: "same key in sibling maps", give: "x:\n  a: 1\ny:\n  a: 2\n"},
		{name: "merge key", give: "base: &b {a: 1}\nx:\n  <<: *b\n  <<: *b\n"},
		{name: "duplicate key", give: "a: 1\nb: 2\na: 3\n", want: `line 3: key "a" repeats the key of line 1`},
		{name: "duplicate nested in second doc", give: "a: 1\n---\nx:\n  - k: 1\n    k: 2\n", want: `key "k" repeats`},
		{name: "tab indent", give: "a:\n\tb: 1\n", want: "line 2: tab in indentation"},
		{name: "tab inside value is fine", give: "a: \"x\\ty\"\nb: 'p\tq'\n"},
		{name: "syntax error", give: "a: [1, 2\n", want: "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LintYAML([]byte(tt.give))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("LintYAML: %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("LintYAML: %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// TestDeployYAML lints every YAML file under deploy/.
func TestDeployYAML(t *testing.T) {
	for _, f := range deployFiles(t, ".yml", ".yaml") {
		t.Run(f, func(t *testing.T) {
			if err := LintYAML(readDeploy(t, f)); err != nil {
				t.Error(err)
			}
		})
	}
}

func FuzzLintYAML(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a: 1\na: 2\n", "a:\n\tb: 1\n", "- [\n", "x: &a {b: 1}\ny: *a\n---\nz: 1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = LintYAML([]byte(s)) // must not panic
	})
}
