// Command soak runs dlpproxy under a steady load for a bounded time and
// reports whether it held up: requests/s, error rate and the proxy's
// resident memory over time, and whether any blocked payload reached the
// upstream with as many records as the block threshold.
//
// Everything stays on 127.0.0.1: soak starts an upstream (in process), the
// proxy (the dlpproxy binary, built from this module unless -bin is given,
// with the embedded default policy) and wrk, which sends a mix of clean
// and PI-bearing uploads through the proxy:
//
//	go run ./bench/soak -duration 60s -md
//
// wrk comes from Debian (apt-get install -y wrk). The exit status is 1 when
// a check failed: an unexpected error, a proxy crash, RSS growing after the
// warm-up beyond -rss-growth, or a payload leaked.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

//go:embed mix.lua
var mixLua []byte

// blockThreshold is the default policy's block threshold for resident IDs:
// an upstream must never receive this many in one request.
const blockThreshold = 50

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	duration    time.Duration
	connections int
	threads     int
	bin         string
	md          bool
	rssGrowth   float64
	warmup      time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("soak", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o options
	fl.DurationVar(&o.duration, "duration", 60*time.Second, "how long wrk sends load")
	fl.IntVar(&o.connections, "connections", 64, "concurrent wrk connections")
	fl.IntVar(&o.threads, "threads", 2, "wrk threads")
	fl.StringVar(&o.bin, "bin", "", "dlpproxy binary (default: go build ./cmd/dlpproxy)")
	fl.BoolVar(&o.md, "md", false, "print the results as Markdown tables")
	fl.Float64Var(&o.rssGrowth, "rss-growth", 0.25, "largest accepted RSS growth from the end of the warm-up to the end, as a fraction")
	fl.DurationVar(&o.warmup, "warmup", 10*time.Second, "time before RSS is taken as the baseline (capped at a third of -duration)")
	if err := fl.Parse(args); err != nil || fl.NArg() != 0 {
		return 2
	}
	res, err := soak(context.Background(), o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	res.print(stdout, o.md)
	if problems := res.problems(o); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "soak: FAIL: %s\n", p)
		}
		return 1
	}
	return 0
}

// soak runs one soak and returns its results.
func soak(ctx context.Context, o options, log io.Writer) (*results, error) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return nil, errors.New("wrk not found: apt-get install -y wrk")
	}
	dir, err := os.MkdirTemp("", "dlpproxy-soak-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := o.bin
	if bin == "" {
		if bin, err = buildProxy(ctx, dir); err != nil {
			return nil, err
		}
	}
	up, err := startUpstream(knownIDs())
	if err != nil {
		return nil, err
	}
	defer up.close()
	px, err := startProxy(ctx, bin, dir)
	if err != nil {
		return nil, err
	}
	defer px.stop()
	bodies, err := writeBodies(dir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "soak: proxy pid %d on %s, upstream %s, wrk %d connections for %v\n", px.cmd.Process.Pid, px.addr, up.addr, o.connections, o.duration)

	res := &results{duration: o.duration}
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { res.samples = sample(sctx, px) })
	script := filepath.Join(dir, "mix.lua")
	if err := os.WriteFile(script, mixLua, 0o644); err != nil {
		stopSampling()
		wg.Wait()
		return nil, fmt.Errorf("write script: %w", err)
	}
	cmd := exec.CommandContext(ctx, wrk, "-t", fmt.Sprint(o.threads), "-c", fmt.Sprint(o.connections),
		"-d", fmt.Sprintf("%ds", int(o.duration.Seconds())), "--timeout", "10s", "-s", script,
		"http://"+px.addr+"/", "--", "http://"+up.addr, bodies)
	out, werr := cmd.Output()
	stopSampling()
	wg.Wait()
	if werr != nil {
		return nil, fmt.Errorf("wrk: %w", werr)
	}
	if res.wrk, err = parseWrk(out); err != nil {
		return nil, err
	}
	res.upstream = up.stats()
	res.proxyExited = px.exited()
	res.rawInLog, err = rawValuesInLog(px.logPath)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// buildProxy builds ./cmd/dlpproxy of this module into dir.
func buildProxy(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		return "", errors.New("not inside the dlpproxy module: run from the repository or pass -bin")
	}
	bin := filepath.Join(dir, "dlpproxy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dlpproxy")
	cmd.Dir = filepath.Dir(string(bytes.TrimSpace(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build dlpproxy: %w: %s", err, out)
	}
	return bin, nil
}

// Request bodies, one per kind. The Lua script sends them in this order,
// round robin: six clean, one small PI list, one large PI export.
const (
	cleanBody   = "clean.txt"
	smallPIBody = "pi-small.csv" // 60 records: over the threshold, held and blocked
	largePIBody = "pi-large.csv" // 4,000 records, under the 1 MiB hold size: held and blocked
)

// The PI bodies' records.
const (
	smallSeed, smallRecords = 2, 60
	largeSeed, largeRecords = 3, 4000
)

// writeBodies writes the request bodies into dir and returns dir.
func writeBodies(dir string) (string, error) {
	files := map[string][]byte{
		cleanBody:   corpus.CleanWeb(1, 16<<10).Data,
		smallPIBody: corpus.CSV(corpus.Records(smallSeed, smallRecords), corpus.CSVOptions{}).Data,
		largePIBody: corpus.CSV(corpus.Records(largeSeed, largeRecords), corpus.CSVOptions{}).Data,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("write body: %w", err)
		}
	}
	return dir, nil
}

// freeAddr returns a free 127.0.0.1 port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// proxyProc is the dlpproxy child process.
type proxyProc struct {
	cmd       *exec.Cmd
	addr      string
	admin     string
	logPath   string
	done      chan struct{}
	waitErr   error
	stopOnce  sync.Once
	stoppedUs bool
}

// startProxy starts bin serve with loopback listeners and waits for
// /readyz.
func startProxy(ctx context.Context, bin, dir string) (*proxyProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &proxyProc{addr: addr, admin: admin, logPath: filepath.Join(dir, "proxy.log"), done: make(chan struct{})}
	// The upstream is on loopback, which the proxy refuses unless allowed.
	cfg := fmt.Sprintf("listen: %q\nadmin: %q\nallowed_clients: [127.0.0.0/8]\nallow_destinations: [127.0.0.1/32]\nlog: {level: info, file: %q}\n",
		addr, admin, p.logPath)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	p.cmd = exec.CommandContext(ctx, bin, "serve", "--config", cfgPath)
	p.cmd.Stderr = io.Discard
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start proxy: %w", err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("proxy exited at start: %v", p.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("proxy not ready within 15s")
		}
	}
}

// exited reports whether the proxy ended on its own (a crash).
func (p *proxyProc) exited() bool {
	select {
	case <-p.done:
		return !p.stoppedUs
	default:
		return false
	}
}

// stop ends the proxy with SIGTERM (it drains) and waits.
func (p *proxyProc) stop() {
	p.stopOnce.Do(func() {
		if !p.exited() {
			p.stoppedUs = true
			_ = p.cmd.Process.Signal(os.Interrupt)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
	})
}

// knownIDs returns the resident IDs of the PI bodies.
func knownIDs() map[string]bool {
	ids := map[string]bool{}
	for _, r := range append(corpus.Records(smallSeed, smallRecords), corpus.Records(largeSeed, largeRecords)...) {
		ids[r.ResidentID] = true
	}
	return ids
}

// rawValuesInLog counts the PI bodies' raw resident IDs found in the
// proxy's log: it must be zero.
func rawValuesInLog(path string) (int, error) {
	log, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read proxy log: %w", err)
	}
	n := 0
	for id := range knownIDs() {
		if strings.Contains(string(log), id) {
			n++
		}
	}
	return n, nil
}
