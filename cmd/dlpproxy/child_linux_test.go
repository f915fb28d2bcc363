package main

import (
	"os/exec"
	"syscall"
	"testing"
)

// dieWithTest makes the kernel kill cmd's process when the test process
// dies, even by SIGKILL (go test's own timeout), which no cleanup sees.
// (Strictly, when the thread that started it exits: Go keeps its threads.)
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// makeFIFO makes a named pipe at path.
func makeFIFO(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
}
