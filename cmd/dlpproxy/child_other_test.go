//go:build !linux

package main

import "os/exec"

// dieWithTest does nothing here: only Linux has a parent-death signal;
// the tests' cleanups stop the child on every other end.
func dieWithTest(*exec.Cmd) {}
