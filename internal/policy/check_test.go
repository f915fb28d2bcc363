package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		give    string
		wantOut []string // substrings of the report, in order
		wantErr string
	}{
		{
			name:    "valid with warning",
			give:    "version: v1\nrules:\n  - {name: a, action: log, when: {any: {email: 0}}}\n",
			wantOut: []string{"warning: ", "valid with warning.yaml:3 (rules[0].when.any.email): threshold 0 always holds\n", "valid with warning.yaml: OK: version v1, 1 rule, 1 warning, sha256 "},
		},
		{
			name:    "invalid",
			give:    "version: v1\nrules:\n  - {name: a, action: log, when: {any: {emial: 1}}}\n",
			wantErr: `invalid.yaml:3:41: rules[0].when.any: found unknown field "emial"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".yaml")
			if err := os.WriteFile(path, []byte(tt.give), 0o600); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err := Check(&out, path)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Check error = %v, want %q", err, tt.wantErr)
			}
			rest := strings.ReplaceAll(out.String(), dir+string(filepath.Separator), "")
			for _, w := range tt.wantOut {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("report %q lacks %q", out.String(), w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
