package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// parseStatCPU returns utime+stime from the contents of /proc/PID/stat. The
// command name (field 2) is in parentheses and may hold spaces or
// parentheses itself, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("stat: no command name")
	}
	// After ") " come state (field 3) ... utime (14) and stime (15).
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat: cpu time %q is not a tick count", f)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// memory is a process's resident set, in bytes.
type memory struct {
	RSS int64 // VmRSS: resident now
	HWM int64 // VmHWM: peak resident
}

// parseStatus reads VmRSS and VmHWM from the contents of /proc/PID/status.
func parseStatus(status []byte) (memory, error) {
	var m memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.HWM
		default:
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(val), " ")
		kb, err := strconv.ParseInt(num, 10, 64)
		if err != nil || kb < 0 || unit != "kB" {
			return memory{}, fmt.Errorf("status: %s is %q, want a kB count", key, strings.TrimSpace(val))
		}
		*dst = kb << 10
		seen++
	}
	if seen != 2 {
		return memory{}, errors.New("status: VmRSS or VmHWM missing")
	}
	return m, nil
}

// syscalls counts a process's read and write system calls (of any file:
// sockets included), from /proc/PID/io.
type syscalls struct {
	Reads, Writes int64 // syscr, syscw
}

// parseIO reads syscr and syscw from the contents of /proc/PID/io.
func parseIO(io []byte) (syscalls, error) {
	var c syscalls
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(io))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "syscr":
			dst = &c.Reads
		case "syscw":
			dst = &c.Writes
		default:
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil || n < 0 {
			return syscalls{}, fmt.Errorf("io: %s is %q, want a count", key, strings.TrimSpace(val))
		}
		*dst = n
		seen++
	}
	if seen != 2 {
		return syscalls{}, errors.New("io: syscr or syscw missing")
	}
	return c, nil
}

// procSyscalls returns the read and write system calls process pid has made.
func procSyscalls(pid int) (syscalls, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return syscalls{}, fmt.Errorf("read io: %w", err)
	}
	return parseIO(b)
}

// procCPU returns the CPU time (user+system) process pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	return parseStatCPU(b)
}

// procMemory returns the resident set of process pid.
func procMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read status: %w", err)
	}
	return parseStatus(b)
}
