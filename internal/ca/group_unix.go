//go:build unix

package ca

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// fileGroup returns the group that owns a file.
func fileGroup(st fs.FileInfo) (int, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(sys.Gid), true
}

// processIdentity names the user and group the process runs as, for an
// error about files it cannot read: " (uid 65532, gid 65532)".
func processIdentity() string {
	return fmt.Sprintf(" (uid %d, gid %d)", os.Geteuid(), os.Getegid())
}
