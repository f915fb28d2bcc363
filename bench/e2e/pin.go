package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// proxyCPU is the CPU the proxies run on under -pin; the driver (clients,
// origin servers, the engine measured alone) gets the others.
const proxyCPU = 0

// pinDriver binds every thread of this process to the CPUs other than
// proxyCPU; threads the runtime starts later inherit the binding from the
// thread that starts them. With the load generators off its CPU a proxy
// is measured as it runs in production, on cores of its own, instead of
// being preempted by the client and origin it is measured with.
func pinDriver() error {
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("pin: needs 2 CPUs, this machine has %d", runtime.NumCPU())
	}
	var set unix.CPUSet
	for c := range runtime.NumCPU() {
		if c != proxyCPU {
			set.Set(c)
		}
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("pin thread %d: %w", tid, err)
		}
	}
	return nil
}

// pinnedCommand returns a command running exe on proxyCPU alone, through
// taskset (util-linux), so the binding holds from the first instruction
// and the Go runtime sizes GOMAXPROCS to it (1).
func pinnedCommand(exe string) (*exec.Cmd, error) {
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return nil, fmt.Errorf("pin: taskset (util-linux) not found: %w", err)
	}
	return exec.Command(taskset, "-c", strconv.Itoa(proxyCPU), exe), nil
}
