package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCAInit: ca init writes the key 0600 and prints the install steps; a
// second run refuses to overwrite, saying why once.
func TestCAInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	var stdout, stderr bytes.Buffer
	if code := runCA([]string{"init", "--dir", dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("first init: exit %d, stderr %q", code, stderr.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v, mode %v; want 0600", err, st.Mode())
	}
	if !strings.Contains(stdout.String(), "ca.crt") {
		t.Errorf("stdout %q names no ca.crt", stdout.String())
	}
	stderr.Reset()
	if code := runCA([]string{"init", "--dir", dir}, &stdout, &stderr); code != exitError {
		t.Fatalf("second init: exit %d, want %d", code, exitError)
	}
	msg := stderr.String()
	if strings.Count(msg, "ca init:") != 1 || !strings.Contains(msg, "ca.key") || !strings.Contains(msg, "remove it first") {
		t.Errorf("second init said %q; want one \"ca init:\", the key's path and what to do", msg)
	}
}
