package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// upstream receives the load and counts, per request, the distinct
// resident IDs of the soak's corpus it got (possibly from a body the proxy
// cut short).
type upstream struct {
	srv   *http.Server
	addr  string
	done  chan struct{}
	known map[string]bool // the IDs of the PI bodies

	mu       sync.Mutex
	requests int
	maxIDs   int // most IDs one request delivered
	leaked   int // requests that delivered blockThreshold IDs or more
}

func startUpstream(known map[string]bool) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream listen: %w", err)
	}
	u := &upstream{addr: ln.Addr().String(), done: make(chan struct{}), known: known}
	u.srv = &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second}
	go func() { defer close(u.done); _ = u.srv.Serve(ln) }()
	return u, nil
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a cut body counts as far as it came
	ids := countKnown(body, u.known)
	u.mu.Lock()
	u.requests++
	u.maxIDs = max(u.maxIDs, ids)
	if ids >= blockThreshold {
		u.leaked++
	}
	u.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

// upstreamStats is what the upstream saw.
// countKnown counts the distinct known IDs in b: every run of 18 digits or
// X (an ID's shape) is looked up.
func countKnown(b []byte, known map[string]bool) int {
	seen := map[string]bool{}
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == 'X') {
			j++
		}
		if id := string(b[i:j]); j-i == 18 && known[id] {
			seen[id] = true
		}
		i = max(j, i+1)
	}
	return len(seen)
}

type upstreamStats struct {
	Requests, MaxIDs, Leaked int
}

func (u *upstream) stats() upstreamStats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return upstreamStats{Requests: u.requests, MaxIDs: u.maxIDs, Leaked: u.leaked}
}

func (u *upstream) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	<-u.done
}

// sampleRow is one second of the proxy's life.
type sampleRow struct {
	At       time.Duration
	RSS      int64   // bytes
	Requests float64 // dlp_requests_total, all outcomes
}

// sample reads the proxy's RSS and request counter every second until ctx
// ends.
func sample(ctx context.Context, p *proxyProc) []sampleRow {
	var rows []sampleRow
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return rows
		case <-tick.C:
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
		if err != nil {
			return rows // the proxy is gone
		}
		rss, err := parseVmRSS(status)
		if err != nil {
			continue
		}
		rows = append(rows, sampleRow{At: time.Since(start).Round(time.Second), RSS: rss, Requests: scrapeRequests(p.admin)})
	}
}

// parseVmRSS returns VmRSS in bytes from the contents of /proc/PID/status.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || key != "VmRSS" {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS: %q is not \"N kB\"", strings.TrimSpace(val))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return 0, fmt.Errorf("VmRSS: %q is not a size", f[0])
		}
		return kb << 10, nil
	}
	return 0, errors.New("status: no VmRSS line")
}

// scrapeRequests sums dlp_requests_total over its outcomes; -1 when the
// admin endpoint does not answer.
func scrapeRequests(admin string) float64 {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "dlp_requests_total{") {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// wrkResult is what mix.lua's done() prints as JSON.
type wrkResult struct {
	Requests     int64            `json:"requests"`
	DurationUS   int64            `json:"duration_us"`
	Bytes        int64            `json:"bytes"`
	Connect      int64            `json:"connect_errors"`
	Read         int64            `json:"read_errors"`
	Write        int64            `json:"write_errors"`
	Timeout      int64            `json:"timeouts"`
	Status       map[string]int64 `json:"status"` // responses per status code
	LatencyP50US float64          `json:"latency_p50_us"`
	LatencyP99US float64          `json:"latency_p99_us"`
}

// parseWrk finds the result line (prefix "SOAK ") in wrk's output.
func parseWrk(out []byte) (wrkResult, error) {
	var r wrkResult
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "SOAK "); ok {
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return r, fmt.Errorf("wrk result: %w", err)
			}
			if r.Requests < 0 || r.DurationUS <= 0 {
				return r, fmt.Errorf("wrk result: %d requests in %d us", r.Requests, r.DurationUS)
			}
			return r, nil
		}
	}
	return r, errors.New("wrk printed no result line")
}

// results is one soak's outcome.
type results struct {
	duration    time.Duration
	wrk         wrkResult
	upstream    upstreamStats
	samples     []sampleRow
	proxyExited bool
	rawInLog    int
}

// unexpected counts the requests that failed in a way the mix does not
// explain: socket errors, timeouts, any status but 200 and 403.
func (r *results) unexpected() int64 {
	n := r.wrk.Connect + r.wrk.Read + r.wrk.Write + r.wrk.Timeout
	for code, c := range r.wrk.Status {
		if code != "200" && code != "403" {
			n += c
		}
	}
	return n
}

// rssGrowth is the RSS change from the end of the warm-up to the end, as a
// fraction of the warm-up RSS.
func (r *results) rssGrowth(warmup time.Duration) (base, last int64, growth float64) {
	if len(r.samples) == 0 {
		return 0, 0, 0
	}
	warmup = min(warmup, r.duration/3)
	base = r.samples[0].RSS
	for _, s := range r.samples {
		if s.At <= warmup {
			base = s.RSS
		}
	}
	last = r.samples[len(r.samples)-1].RSS
	return base, last, float64(last-base) / float64(base)
}

// problems lists every failed check.
func (r *results) problems(o options) []string {
	var ps []string
	if n := r.unexpected(); n > 0 {
		ps = append(ps, fmt.Sprintf("%d unexpected errors", n))
	}
	if r.proxyExited {
		ps = append(ps, "the proxy exited during the run")
	}
	if r.upstream.Leaked > 0 {
		ps = append(ps, fmt.Sprintf("%d requests delivered %d or more IDs upstream (most: %d)", r.upstream.Leaked, blockThreshold, r.upstream.MaxIDs))
	}
	if r.rawInLog > 0 {
		ps = append(ps, fmt.Sprintf("%d raw IDs in the proxy log", r.rawInLog))
	}
	if r.wrk.Status["200"] == 0 || r.wrk.Status["403"] == 0 {
		ps = append(ps, fmt.Sprintf("the mix did not run: statuses %v", r.wrk.Status))
	}
	if base, last, g := r.rssGrowth(o.warmup); g > o.rssGrowth {
		ps = append(ps, fmt.Sprintf("RSS grew %.0f%% after the warm-up (%d -> %d MiB)", 100*g, base>>20, last>>20))
	}
	return ps
}

// print writes the summary and the RSS series (every 5th second, the peak
// and the last), as Markdown tables with md.
func (r *results) print(w io.Writer, md bool) {
	secs := float64(r.wrk.DurationUS) / 1e6
	rate := float64(r.wrk.Requests) / secs
	errRate := 0.0
	if r.wrk.Requests > 0 {
		errRate = float64(r.unexpected()) / float64(r.wrk.Requests)
	}
	base, last, growth := r.rssGrowth(10 * time.Second)
	maxRSS := int64(0)
	for _, s := range r.samples {
		maxRSS = max(maxRSS, s.RSS)
	}
	rows := [][2]string{
		{"duration", fmt.Sprintf("%.0f s", secs)},
		{"requests", fmt.Sprint(r.wrk.Requests)},
		{"requests/s", fmt.Sprintf("%.0f", rate)},
		{"throughput", fmt.Sprintf("%.1f MB/s (responses)", float64(r.wrk.Bytes)/secs/1e6)},
		{"200 (clean passed)", fmt.Sprint(r.wrk.Status["200"])},
		{"403 (PI blocked)", fmt.Sprint(r.wrk.Status["403"])},
		{"unexpected errors", fmt.Sprintf("%d (%.4f%%)", r.unexpected(), 100*errRate)},
		{"latency p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.wrk.LatencyP50US/1000, r.wrk.LatencyP99US/1000)},
		{"proxy crashed", fmt.Sprint(r.proxyExited)},
		{"upstream requests", fmt.Sprint(r.upstream.Requests)},
		{"most IDs one request delivered upstream", fmt.Sprintf("%d (threshold %d)", r.upstream.MaxIDs, blockThreshold)},
		{"raw IDs in the proxy log", fmt.Sprint(r.rawInLog)},
		{"RSS after warm-up / end / max", fmt.Sprintf("%.1f / %.1f / %.1f MiB (%+.1f%%)", mib(base), mib(last), mib(maxRSS), 100*growth)},
	}
	if md {
		fmt.Fprintln(w, "| measure | value |\n| --- | ---: |")
		for _, row := range rows {
			fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
		}
		fmt.Fprintln(w, "\n| t (s) | requests/s | RSS (MiB) |\n| ---: | ---: | ---: |")
	} else {
		for _, row := range rows {
			fmt.Fprintf(w, "%-42s %s\n", row[0], row[1])
		}
		fmt.Fprintln(w, "\nt(s)  requests/s  RSS(MiB)")
	}
	peak := 0
	for i, s := range r.samples {
		if s.RSS > r.samples[peak].RSS {
			peak = i
		}
	}
	for i, s := range r.samples {
		if (i+1)%5 != 0 && i != len(r.samples)-1 && i != peak {
			continue
		}
		perSec := 0.0
		if j := max(i-4, 1); i > 0 && r.samples[j-1].Requests >= 0 && s.Requests >= 0 {
			perSec = (s.Requests - r.samples[j-1].Requests) / (s.At - r.samples[j-1].At).Seconds()
		}
		if md {
			fmt.Fprintf(w, "| %d | %.0f | %.1f |\n", int(s.At.Seconds()), perSec, mib(s.RSS))
		} else {
			fmt.Fprintf(w, "%4d  %10.0f  %8.1f\n", int(s.At.Seconds()), perSec, mib(s.RSS))
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
