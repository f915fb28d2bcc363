//go:build !unix

package ca

import "io/fs"

// fileGroup reports that file groups are unknown here, so a group-readable
// key is refused.
func fileGroup(fs.FileInfo) (int, bool) { return 0, false }

// processIdentity names the process for an error about files it cannot
// read; user and group ids do not apply here.
func processIdentity() string { return "its user" }
