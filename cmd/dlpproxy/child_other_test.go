//go:build !linux

package main

import (
	"os/exec"
	"testing"
)

// dieWithTest does nothing here: only Linux has a parent-death signal;
// the tests' cleanups stop the child on every other end.
func dieWithTest(*exec.Cmd) {}

// makeFIFO does nothing here: named pipes are made on Linux only (the
// directory walk passes over every special file alike).
func makeFIFO(*testing.T, string) {}

// asNobody reports that a command cannot be run as another user here.
func asNobody(*exec.Cmd) bool { return false }
