//go:build unix

package ca

import (
	"io/fs"
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
