package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as a proxy child, as the command does.
func TestMain(m *testing.M) {
	if os.Getenv(envRole) != "" {
		os.Exit(run(nil, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    time.Duration
		wantErr bool
	}{
		{name: "plain", give: "42 (e2e) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 5 0 1000 0 0",
			want: 281 * clockTick},
		{name: "command with spaces and parens", give: "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0",
			want: 7 * clockTick},
		{name: "no command", give: "7 a R 1", wantErr: true},
		{name: "too short", give: "7 (a) R 1 2 3", wantErr: true},
		{name: "negative", give: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -3 4", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.give))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatCPU = %v, %v; want %v, error %t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    memory
		wantErr bool
	}{
		{name: "both", give: "Name:\te2e\nVmHWM:\t   45000 kB\nVmRSS:\t   44000 kB\nThreads:\t5\n",
			want: memory{RSS: 44000 << 10, HWM: 45000 << 10}},
		{name: "missing HWM", give: "VmRSS:\t1 kB\n", wantErr: true},
		{name: "bad unit", give: "VmRSS:\t1 MB\nVmHWM:\t1 kB\n", wantErr: true},
		{name: "not a number", give: "VmRSS:\tx kB\nVmHWM:\t1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus([]byte(tt.give))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatus = %+v, %v; want %+v, error %t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseIO(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    syscalls
		wantErr bool
	}{
		{name: "both", give: "rchar: 1\nwchar: 2\nsyscr: 8191\nsyscw: 16384\nread_bytes: 0\n", want: syscalls{Reads: 8191, Writes: 16384}},
		{name: "missing syscw", give: "syscr: 1\n", wantErr: true},
		{name: "not a number", give: "syscr: x\nsyscw: 1\n", wantErr: true},
		{name: "negative", give: "syscr: -1\nsyscw: 1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIO([]byte(tt.give))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseIO = %+v, %v; want %+v, error %t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func FuzzParseIO(f *testing.F) {
	f.Add([]byte("syscr: 8191\nsyscw: 16384\n"))
	f.Add([]byte("syscr:1\nsyscr:2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := parseIO(b); err == nil && (c.Reads < 0 || c.Writes < 0) {
			t.Fatalf("negative count %+v", c)
		}
	})
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add([]byte("42 (e2e) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 5 0 1000 0 0"))
	f.Add([]byte("7 ()) R"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseStatCPU(b); err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t   45000 kB\nVmRSS:\t   44000 kB\n"))
	f.Add([]byte("VmRSS:1 kB\nVmRSS:2 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := parseStatus(b); err == nil && (m.RSS < 0 || m.HWM < 0) {
			t.Fatalf("negative memory %+v", m)
		}
	})
}

func TestRepeatReader(t *testing.T) {
	tests := []struct {
		give string
		size int64
		want string
	}{
		{give: "abc", size: 0, want: ""},
		{give: "abc", size: 2, want: "ab"},
		{give: "abc", size: 7, want: "abcabca"},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(newRepeatReader([]byte(tt.give), tt.size))
		if err != nil || string(got) != tt.want {
			t.Errorf("repeat %q to %d = %q, %v; want %q", tt.give, tt.size, got, err, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		give float64
		want time.Duration
	}{{give: 0.5, want: 5}, {give: 0.99, want: 10}, {give: 0, want: 1}, {give: 1, want: 10}}
	for _, tt := range tests {
		if got := percentile(sorted, tt.give); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

// TestSmallRun runs the whole benchmark with tiny sizes: every route works
// (bodies arrive complete through both proxies, HTTP and intercepted
// HTTPS), and the report and document hold every table.
func TestSmallRun(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "bench.md")
	var out, log bytes.Buffer
	if code := run([]string{"-size", "2", "-mem", "4", "-small", "20", "-runs", "2", "-doc", doc}, &out, &log); code != 0 {
		t.Fatalf("exit %d: %s", code, log.String())
	}
	written, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| HTTPS download | dlpproxy |", "### CPU criterion", "### Latency", "### Memory", "go run ./bench/e2e -size 2", "(median of 2 runs)"} {
		if !strings.Contains(string(written), want) {
			t.Errorf("document lacks %q:\n%s", want, written)
		}
	}
	if !strings.Contains(out.String(), "### Throughput") {
		t.Errorf("stdout lacks the throughput table:\n%s", out.String())
	}
}

// TestMemoryBound is the memory criterion: a dlpproxy process's
// resident set grows by less than 32 MiB while one 1 GiB body streams
// through (an HTTP upload and an intercepted HTTPS download).
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 GiB through a proxy process (about 10 s); run without -short")
	}
	e, err := setup(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.plain.Close)
	t.Cleanup(e.tls.Close)
	for _, k := range []kind{kinds[0], kinds[3]} {
		m, err := measureMemory(e, k, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.0f MB/s, RSS %.1f MiB before, VmHWM %.1f MiB after", k.name, m.mbps, mib(m.base.RSS), mib(m.final.HWM))
		if !m.growthOK {
			t.Errorf("%s: resident memory grew by %.1f MiB, want less than 32 MiB", k.name, mib(m.growth()))
		}
	}
}

func TestMedianRows(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	rounds := [][]row{
		{{transfer: "HTTP upload", path: pathDLP, elapsed: ms(30), cpu: ms(5)}, {transfer: "HTTP upload", path: pathGoproxy, elapsed: ms(1), cpu: ms(9)}},
		{{transfer: "HTTP upload", path: pathDLP, elapsed: ms(10), cpu: ms(7)}, {transfer: "HTTP upload", path: pathGoproxy, elapsed: ms(3), cpu: ms(1)}},
		{{transfer: "HTTP upload", path: pathDLP, elapsed: ms(20), cpu: ms(6)}, {transfer: "HTTP upload", path: pathGoproxy, elapsed: ms(2), cpu: ms(2)}},
	}
	got := medianRows(rounds)
	want := []row{
		{transfer: "HTTP upload", path: pathDLP, elapsed: ms(20), cpu: ms(6)},
		{transfer: "HTTP upload", path: pathGoproxy, elapsed: ms(2), cpu: ms(2)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("medianRows = %+v, want %+v", got, want)
	}
	if got := median([]time.Duration{ms(4), ms(1)}); got != ms(2)+ms(1)/2 {
		t.Errorf("median of two = %v, want their mean", got)
	}
}
