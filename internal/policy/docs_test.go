package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocPolicyExamples: every whole policy shown in the documentation (a
// yaml block with top-level rules) compiles, so the examples security
// staff copy stay valid as fields are added.
func TestDocPolicyExamples(t *testing.T) {
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	found := 0
	for _, doc := range []string{"README.md", "docs/policy.md", "docs/window.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllSubmatchIndex(b, -1) {
			text := string(b[m[2]:m[3]])
			if !strings.HasPrefix(text, "rules:") && !strings.Contains(text, "\nrules:") {
				continue // a fragment or a serve config
			}
			found++
			line := 1 + strings.Count(string(b[:m[2]]), "\n")
			if _, _, err := Compile(doc, []byte(text)); err != nil {
				t.Errorf("%s: the policy example at line %d does not compile: %v", doc, line, err)
			}
		}
	}
	if found < 4 {
		t.Errorf("found %d policy examples, want at least 4 (README, policy.md twice, window.md)", found)
	}
}
