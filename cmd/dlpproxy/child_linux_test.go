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

// asNobody makes cmd run as the unprivileged user nobody (65534), for a
// test running as root that needs permissions to apply; ok is false where
// that cannot be done.
func asNobody(cmd *exec.Cmd) (ok bool) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
	return true
}
