package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
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
	v, err := fieldValues(status, "status", []string{"VmRSS", "VmHWM"}, "a kB count", func(val string) (int64, bool) {
		num, unit, _ := strings.Cut(val, " ")
		kb, err := strconv.ParseInt(num, 10, 64)
		return kb << 10, err == nil && kb >= 0 && unit == "kB"
	})
	if err != nil {
		return memory{}, err
	}
	return memory{RSS: v[0], HWM: v[1]}, nil
}

// fieldValues returns the values of the "key: value" lines of a /proc
// file (named file in errors) for keys, in their order, each converted by
// parse; every key must be there, with a value parse accepts (want says
// what it accepts).
func fieldValues(b []byte, file string, keys []string, want string, parse func(val string) (int64, bool)) ([]int64, error) {
	vals, seen := make([]int64, len(keys)), make([]bool, len(keys))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		k := slices.Index(keys, key)
		if !ok || k < 0 {
			continue
		}
		v, ok := parse(strings.TrimSpace(val))
		if !ok {
			return nil, fmt.Errorf("%s: %s is %q, want %s", file, key, strings.TrimSpace(val), want)
		}
		vals[k], seen[k] = v, true
	}
	if k := slices.Index(seen, false); k >= 0 {
		return nil, fmt.Errorf("%s: %s missing", file, keys[k])
	}
	return vals, nil
}

// syscalls counts a process's read and write system calls (of any file:
// sockets included), from /proc/PID/io.
type syscalls struct {
	Reads, Writes int64 // syscr, syscw
}

// parseIO reads syscr and syscw from the contents of /proc/PID/io.
func parseIO(io []byte) (syscalls, error) {
	v, err := fieldValues(io, "io", []string{"syscr", "syscw"}, "a count", func(val string) (int64, bool) {
		n, err := strconv.ParseInt(val, 10, 64)
		return n, err == nil && n >= 0
	})
	if err != nil {
		return syscalls{}, err
	}
	return syscalls{Reads: v[0], Writes: v[1]}, nil
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
