//go:build unix

package ca

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// TestInitParents: the missing parents of the CA directory are created
// 0755, as mkdir -p would (the helper's review: they were 0700, so the
// 0644 ca.crt under /etc/dlpproxy/ca could not be read by the users
// who need it); the CA directory itself stays 0700.
func TestInitParents(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "dlpproxy", "ca")
	if _, err := Init(dir); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want fs.FileMode
	}{
		{filepath.Join(root, "etc"), 0o755},
		{filepath.Join(root, "etc", "dlpproxy"), 0o755},
		{dir, 0o700},
	} {
		if got := mode(t, tt.path); got != tt.want {
			t.Errorf("mode of %s = %04o, want %04o", tt.path, got, tt.want)
		}
	}
}
