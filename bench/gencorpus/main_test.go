package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

func TestRunWritesCorpora(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	if err := run([]string{"-out", dir, "-size", "64KiB", "-rows", "20", "-neg", "30"}, &stdout); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]corpus.Expected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"clean.html", "pi.csv", "binary.bin", "customers.csv", "customers.json", "neg_bad_check.txt", "neg_binary.bin"} {
		if _, ok := want[name]; !ok {
			t.Errorf("expected.json lacks %s", name)
		}
	}
	for name, w := range want {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "pi.csv" || name == "clean.html" || name == "binary.bin" {
			if len(data) != 64<<10 {
				t.Errorf("%s: %d bytes, want %d", name, len(data), 64<<10)
			}
		}
		if name == "customers.csv" && w[corpus.DetResidentID] != 20 {
			t.Errorf("customers.csv: Want %v, want 20 IDs", w)
		}
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("stdout does not report %s", name)
		}
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		give []string
	}{
		{nil},
		{[]string{"-out", t.TempDir(), "-size", "lots"}},
		{[]string{"-out", t.TempDir(), "-rows", "-1"}},
		{[]string{"-out", t.TempDir(), "extra"}},
		{[]string{"-nosuchflag"}},
	}
	for _, tt := range tests {
		if err := run(tt.give, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded, want an error", tt.give)
		}
	}
}
