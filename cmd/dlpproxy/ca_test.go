package main

import (
	"bytes"
	"fmt"
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

// TestServeUnreadableCAKey: a CA key the proxy's user cannot read (ca init
// run by another user, as for a container's bind mount) stops serve with
// the user it runs as and how to give it the key.
func TestServeUnreadableCAKey(t *testing.T) {
	dir, err := os.MkdirTemp("", "dlpproxy-cakey-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var stdout, stderr bytes.Buffer
	if code := runCA([]string{"init", "--dir", filepath.Join(dir, "ca")}, &stdout, &stderr); code != exitOK {
		t.Fatalf("ca init: exit %d, stderr %q", code, stderr.String())
	}
	if os.Geteuid() != 0 { // as root, the key is another user's already
		if err := os.Chmod(filepath.Join(dir, "ca", "ca.key"), 0); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runUnprivileged(t, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--ca-dir", filepath.Join(dir, "ca"))
	msg := errOut.String()
	want := []string{"load CA: open " + filepath.Join(dir, "ca", "ca.key"), "permission denied", fmt.Sprintf("uid %d", os.Geteuid()), "mode 0640"}
	if os.Geteuid() == 0 {
		want[2] = "uid 65534"
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("serve: exit %d, stderr %q; want it to contain %q", code, msg, w)
		}
	}
	if code == exitOK || strings.Count(msg, "load CA") != 1 {
		t.Errorf("serve: exit %d, stderr %q; want a failure that says load CA once", code, msg)
	}
}
