package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

const gib = 1 << 30

// Paths a transfer takes.
const (
	pathDirect  = "direct"
	pathGoproxy = "goproxy"
	pathDLP     = "dlpproxy"
	pathDLPOff  = "dlpproxy-off"
)

// row is one measured transfer.
type row struct {
	transfer string // "HTTP upload", ...
	path     string
	bytes    int64
	elapsed  time.Duration
	cpu      time.Duration // the proxy process's CPU time; 0 for direct
	sys      syscalls      // the proxy process's read and write syscalls; zero for direct
}

func (r row) mbps() float64 { return float64(r.bytes) / r.elapsed.Seconds() / 1e6 }

func (r row) cpuPerGiB() float64 { return r.cpu.Seconds() / (float64(r.bytes) / gib) }

// syscallsPerGiB returns the proxy's read and write syscalls per GiB of body.
func (r row) syscallsPerGiB() (reads, writes float64) {
	per := float64(r.bytes) / gib
	return float64(r.sys.Reads) / per, float64(r.sys.Writes) / per
}

// route is one way to reach the origin: a client, and the proxy process
// whose CPU is measured (nil for direct).
type route struct {
	path  string
	proxy *child
	http  *http.Client // plain HTTP through the route
	https *http.Client // HTTPS through the route (intercepted when proxied)
}

// routes returns the direct route and one through each proxy.
func routes(e *env, proxies []*child) []route {
	out := []route{{path: pathDirect, http: newClient("", nil), https: newClient("", e.direct)}}
	for _, c := range proxies {
		out = append(out, route{path: c.role, proxy: c, http: newClient(c.addr, nil), https: newClient(c.addr, e.proxied)})
	}
	return out
}

// kind is a transfer: scheme and direction.
type kind struct {
	name  string
	https bool
	up    bool
}

var kinds = [...]kind{
	{name: "HTTP upload", up: true},
	{name: "HTTP download"},
	{name: "HTTPS upload", https: true, up: true},
	{name: "HTTPS download", https: true},
}

// do runs one transfer of size bytes of kind k on route rt.
func (e *env) do(k kind, rt route, size int64) error {
	c, base := rt.http, e.plain.URL
	if k.https {
		c, base = rt.https, e.tls.URL
	}
	if k.up {
		return upload(c, base, e.corpus, size)
	}
	return download(c, base, size)
}

// measure runs one transfer and reads the proxy's CPU time and syscalls
// around it.
func (e *env) measure(k kind, rt route, size int64) (row, error) {
	r := row{transfer: k.name, path: rt.path, bytes: size}
	var cpu0 time.Duration
	var sys0 syscalls
	if rt.proxy != nil {
		var err error
		if cpu0, err = procCPU(rt.proxy.pid()); err != nil {
			return r, err
		}
		if sys0, err = procSyscalls(rt.proxy.pid()); err != nil {
			return r, err
		}
	}
	t0 := time.Now()
	if err := e.do(k, rt, size); err != nil {
		return r, fmt.Errorf("%s via %s: %w", k.name, rt.path, err)
	}
	r.elapsed = time.Since(t0)
	if rt.proxy != nil {
		cpu1, err := procCPU(rt.proxy.pid())
		if err != nil {
			return r, err
		}
		sys1, err := procSyscalls(rt.proxy.pid())
		if err != nil {
			return r, err
		}
		r.cpu = cpu1 - cpu0
		r.sys = syscalls{Reads: sys1.Reads - sys0.Reads, Writes: sys1.Writes - sys0.Writes}
	}
	return r, nil
}

// throughput measures every kind on every route, interleaving the routes
// so that drift on a shared machine affects them alike.
func throughput(e *env, o options, proxies []*child, log io.Writer) ([]row, error) {
	var rows []row
	rts := routes(e, proxies)
	for _, k := range kinds {
		for _, rt := range rts {
			r, err := e.measure(k, rt, o.size)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "e2e: %-14s %-12s %7.0f MB/s\n", r.transfer, r.path, r.mbps())
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// medianRows folds rounds of the same transfers (same order) into one row
// each: the median elapsed time, CPU time and syscall counts.
func medianRows(rounds [][]row) []row {
	out := slices.Clone(rounds[0])
	for i := range out {
		elapsed := make([]time.Duration, len(rounds))
		cpu := make([]time.Duration, len(rounds))
		reads, writes := make([]int64, len(rounds)), make([]int64, len(rounds))
		for j, rows := range rounds {
			elapsed[j], cpu[j] = rows[i].elapsed, rows[i].cpu
			reads[j], writes[j] = rows[i].sys.Reads, rows[i].sys.Writes
		}
		out[i].elapsed, out[i].cpu = median(elapsed), median(cpu)
		out[i].sys = syscalls{Reads: median(reads), Writes: median(writes)}
	}
	return out
}

// median returns the middle value of ds (the mean of the two middle ones
// for an even count); it sorts ds.
func median[T time.Duration | int64](ds []T) T {
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// printThroughput writes the throughput table and the CPU criterion, from
// medians of runs rounds.
func printThroughput(w io.Writer, rows []row, engineCPU time.Duration, size int64, runs int) {
	engine := engineCPU.Seconds() / (float64(size) / gib)
	base, off := map[string]row{}, map[string]row{}
	for _, r := range rows {
		switch r.path {
		case pathGoproxy:
			base[r.transfer] = r
		case pathDLPOff:
			off[r.transfer] = r
		}
	}
	fmt.Fprintf(w, "### Throughput: %d MiB of clean web content per transfer (median of %d runs)\n\n", size>>20, runs)
	fmt.Fprintln(w, "| transfer | path | MB/s | vs goproxy | proxy CPU s/GiB | proxy reads / GiB | proxy writes / GiB |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		ratio, cpu, reads, writes := "", "", "", ""
		if r.path != pathDirect {
			ratio = fmt.Sprintf("%.2f", r.mbps()/base[r.transfer].mbps())
			cpu = fmt.Sprintf("%.2f", r.cpuPerGiB())
			rd, wr := r.syscallsPerGiB()
			reads, writes = fmt.Sprintf("%.0f", rd), fmt.Sprintf("%.0f", wr)
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s |\n", r.transfer, r.path, r.mbps(), ratio, cpu, reads, writes)
	}
	fmt.Fprintln(w, "\nReads and writes: the proxy process's read and write system calls (/proc/PID/io syscr, syscw), sockets included.")
	fmt.Fprintf(w, "\n### CPU criterion: dlpproxy CPU/GiB <= 1.2 x (goproxy CPU/GiB + engine CPU/GiB)\n\n")
	fmt.Fprintf(w, "Engine alone (extractor + scanner as the proxy runs them, same detectors, same bytes, no proxy; median of %d passes per round): %.2f CPU s/GiB (%.0f MB/s).\n\n", enginePasses,
		engine, float64(size)/engineCPU.Seconds()/1e6)
	fmt.Fprintln(w, "| transfer | goproxy | engine | limit | dlpproxy | glue | not inspecting | glue: proxy | glue: inspecting | within |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		if r.path != pathDLP {
			continue
		}
		g, o := base[r.transfer].cpuPerGiB(), off[r.transfer].cpuPerGiB()
		limit := 1.2 * (g + engine)
		verdict := "yes"
		if r.cpuPerGiB() > limit {
			verdict = "NO"
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %.2f | %+.2f | %.2f | %+.2f | %+.2f | %s |\n",
			r.transfer, g, engine, limit, r.cpuPerGiB(), r.cpuPerGiB()-g-engine, o, o-g, r.cpuPerGiB()-o-engine, verdict)
	}
	fmt.Fprintln(w, "\nCPU s/GiB: the proxy process's user+system seconds (/proc/PID/stat) per GiB of body; glue = dlpproxy - goproxy - engine.")
	fmt.Fprintln(w, "\"not inspecting\": dlpproxy with the origin in allow_hosts, every body passed uninspected (same guards, logs, metrics); glue splits into")
	fmt.Fprintln(w, "its proxy part (not inspecting - goproxy) and its inspecting part (dlpproxy - not inspecting - engine alone).")
	fmt.Fprintln(w)
}

// latencyTable times small requests on every route.
func latencyTable(e *env, o options, proxies []*child) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "### Latency of small requests (1 KiB response, %d sequential keep-alive requests)\n\n", o.small)
	fmt.Fprintln(&b, "| scheme | path | p50 | p99 | added p50 | added p99 |")
	fmt.Fprintln(&b, "| --- | --- | ---: | ---: | ---: | ---: |")
	for _, https := range []bool{false, true} {
		scheme, base := "HTTP", e.plain.URL
		if https {
			scheme, base = "HTTPS", e.tls.URL
		}
		var direct []time.Duration
		for _, rt := range routes(e, proxies) {
			c := rt.http
			if https {
				c = rt.https
			}
			lat, err := latencies(c, base, o.small)
			if err != nil {
				return "", fmt.Errorf("%s via %s: %w", scheme, rt.path, err)
			}
			if rt.path == pathDirect {
				direct = lat
				fmt.Fprintf(&b, "| %s | %s | %s | %s | | |\n", scheme, rt.path, us(percentile(lat, .5)), us(percentile(lat, .99)))
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", scheme, rt.path,
				us(percentile(lat, .5)), us(percentile(lat, .99)),
				us(percentile(lat, .5)-percentile(direct, .5)), us(percentile(lat, .99)-percentile(direct, .99)))
		}
	}
	fmt.Fprintln(&b)
	return b.String(), nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

// memLimit is the bound on resident-memory growth while one large
// body streams through.
const memLimit = 32 << 20

// memResult is the memory bound measured on one kind of transfer.
type memResult struct {
	kind     string
	base     memory // after warm-up, before the transfer
	sampled  int64  // highest VmRSS seen during the transfer
	final    memory
	mbps     float64
	growthOK bool
}

// growth is VmHWM minus the baseline VmRSS: conservative, since the peak
// also covers the warm-up.
func (m memResult) growth() int64 { return m.final.HWM - m.base.RSS }

// measureMemory streams size bytes of kind k through a fresh dlpproxy
// process and reports its resident memory before, during and after.
func measureMemory(e *env, k kind, size int64) (memResult, error) {
	res := memResult{kind: k.name}
	dlp, err := startChild(roleDLP, e.childEnv, e.pin)
	if err != nil {
		return res, err
	}
	defer dlp.stop()
	rt := route{path: pathDLP, proxy: dlp, http: newClient(dlp.addr, nil), https: newClient(dlp.addr, e.proxied)}
	for _, warm := range kinds { // every code path once, with bodies past the hold size
		if err := e.do(warm, rt, 8<<20); err != nil {
			return res, fmt.Errorf("warm-up: %w", err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if res.base, err = procMemory(dlp.pid()); err != nil {
		return res, err
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if m, err := procMemory(dlp.pid()); err == nil {
					res.sampled = max(res.sampled, m.RSS)
				}
			}
		}
	})
	t0 := time.Now()
	err = e.do(k, rt, size)
	elapsed := time.Since(t0)
	close(stop)
	wg.Wait()
	if err != nil {
		return res, fmt.Errorf("memory bound: %w", err)
	}
	if res.final, err = procMemory(dlp.pid()); err != nil {
		return res, err
	}
	res.mbps = float64(size) / elapsed.Seconds() / 1e6
	res.growthOK = res.growth() < memLimit
	return res, nil
}

// memoryBound measures an HTTP upload and an intercepted HTTPS download.
func memoryBound(e *env, o options, log io.Writer) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "### Memory: dlpproxy resident set while one %d MiB body streams through\n\n", o.memSize>>20)
	fmt.Fprintln(&b, "| transfer | MB/s | RSS before | highest RSS sampled | VmHWM after | growth (HWM - before) | < 32 MiB |")
	fmt.Fprintln(&b, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, k := range []kind{kinds[0], kinds[3]} {
		m, err := measureMemory(e, k, o.memSize)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(log, "e2e: memory %s: growth %.1f MiB\n", k.name, mib(m.growth()))
		verdict := "yes"
		if !m.growthOK {
			verdict = "NO"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %s |\n",
			m.kind, m.mbps, mib(m.base.RSS), mib(m.sampled), mib(m.final.HWM), mib(m.growth()), verdict)
	}
	fmt.Fprintln(&b)
	return b.String(), nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// markdownDoc wraps the report with the command and the machine.
func markdownDoc(args []string, report string) string {
	var b strings.Builder
	fmt.Fprintln(&b, "# End-to-end benchmark: direct, plain goproxy, dlpproxy")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Generated by `bench/e2e` (see its package comment). Reproduce with:")
	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "```sh\ngo run ./bench/e2e %s\n```\n\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "Machine: %s, %d CPUs (GOMAXPROCS %d), %s, %s/%s; measured %s.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format(time.DateOnly))
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&b, "Load average when the run ended (other work on the machine skews MB/s more than CPU s/GiB): %s.\n\n",
			strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Fprintln(&b, "Client and origin servers share the machine with the proxy (loopback, 127.0.0.1), so")
	fmt.Fprintln(&b, "MB/s is bounded by all three; the CPU columns isolate the proxy process.")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "The \"engine\" figure is the work the proxy does per body without the proxy: the extractor")
	fmt.Fprintln(&b, "(internal/extract, text/html) in front of the scanner, under inspect.NewReader. Runs before")
	fmt.Fprintln(&b, "2026-11-27 measured the bare scanner, which made the extractor's cost look like proxy glue.")
	fmt.Fprintln(&b)
	b.WriteString(report)
	return b.String()
}

// cpuModel names the processor from /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range bytes.Lines(b) {
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
