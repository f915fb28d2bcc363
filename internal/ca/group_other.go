//go:build !unix

package ca

import "io/fs"

// fileGroup reports that file groups are unknown here, so a group-readable
// key is refused.
func fileGroup(fs.FileInfo) (int, bool) { return 0, false }

// processIdentity would name the user and group the process runs as;
// user and group ids do not apply here, so it is empty.
func processIdentity() string { return "" }
