// Command e2e measures dlpproxy end to end on loopback, in one run: clean
// uploads and downloads direct, through plain goproxy, through dlpproxy
// inspecting every byte and through dlpproxy passing them uninspected (the
// origin in allow_hosts), over HTTP and intercepted HTTPS; the CPU seconds
// per GiB of each proxy process next to the engine's alone; the added
// latency of small requests; and the proxy's resident memory while a 1 GiB
// body streams through.
//
//	go run ./bench/e2e                       # print the tables (about 1-2 minutes on 2 cores)
//	go run ./bench/e2e -doc docs/bench-e2e.md # and write them there
//	go run ./bench/e2e -pin                   # proxies on CPU 0, the load on the others
//
// Each proxy runs as a child process (this program re-executed with
// BENCH_E2E_ROLE set), so its CPU time and memory are read from /proc. The
// client and the origin servers run in the driver process. Everything
// listens on 127.0.0.1.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line settings.
type options struct {
	size    int64 // bytes per throughput transfer
	memSize int64 // bytes of the memory-bound transfer; 0 skips it
	small   int   // small requests per latency series
	runs    int   // rounds of the throughput table; medians are reported
	doc     string
	pin     bool // proxies on proxyCPU, the driver on the other CPUs
}

func run(args []string, stdout, stderr io.Writer) int {
	if role := os.Getenv(envRole); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintf(stderr, "e2e %s: %v\n", role, err)
			return 1
		}
		return 0
	}
	fl := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fl.SetOutput(stderr)
	sizeMiB := fl.Int64("size", 256, "MiB per upload and download")
	memMiB := fl.Int64("mem", 1024, "MiB streamed for the memory bound (0 skips it)")
	small := fl.Int("small", 2000, "small requests per latency series")
	runs := fl.Int("runs", 3, "rounds of the throughput measurement (medians are reported)")
	doc := fl.String("doc", "", "also write the results as Markdown to this file")
	prof := fl.String("cpuprofile", "", "directory for each proxy process's CPU profile (ROLE-PID.cpu.pprof)")
	pin := fl.Bool("pin", false, "run the proxies on CPU 0 and the clients, origins and engine-alone pass on the other CPUs")
	if err := fl.Parse(args); err != nil || fl.NArg() != 0 || *sizeMiB <= 0 || *memMiB < 0 || *small <= 0 || *runs <= 0 {
		return 2
	}
	o := options{size: *sizeMiB << 20, memSize: *memMiB << 20, small: *small, runs: *runs, doc: *doc, pin: *pin}
	if *prof != "" {
		dir, err := filepath.Abs(*prof)
		if err != nil {
			fmt.Fprintf(stderr, "e2e: %v\n", err)
			return 2
		}
		if err := os.Setenv(envProf, dir); err != nil { // inherited by the proxy processes
			fmt.Fprintf(stderr, "e2e: %v\n", err)
			return 1
		}
	}
	var report strings.Builder
	if err := bench(o, io.MultiWriter(stdout, &report), stderr); err != nil {
		fmt.Fprintf(stderr, "e2e: %v\n", err)
		return 1
	}
	if o.doc != "" {
		if err := os.WriteFile(o.doc, []byte(markdownDoc(args, report.String())), 0o644); err != nil {
			fmt.Fprintf(stderr, "e2e: %v\n", err)
			return 1
		}
	}
	return 0
}

// env is the driver's fixture: corpus, origin servers, CA and client trust.
type env struct {
	corpus   []byte
	plain    *httptest.Server
	tls      *httptest.Server
	childEnv []string
	pin      bool           // proxies run pinned, see pinDriver
	direct   *x509.CertPool // trusts the origin's certificate
	proxied  *x509.CertPool // trusts the interception CA
}

func bench(o options, out, log io.Writer) error {
	tmp, err := os.MkdirTemp("", "dlpproxy-bench-e2e-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	e, err := setup(tmp)
	if err != nil {
		return err
	}
	defer e.plain.Close()
	defer e.tls.Close()

	fmt.Fprintf(log, "e2e: %d MiB per transfer, corpus CleanWeb %d MiB, GOMAXPROCS %d\n", o.size>>20, len(e.corpus)>>20, runtime.GOMAXPROCS(0))
	if e.pin = o.pin; e.pin {
		if err := pinDriver(); err != nil {
			return err
		}
		fmt.Fprintf(out, "Pinned (-pin): each proxy runs on CPU %d alone (GOMAXPROCS 1); the clients, the origin servers and the engine-alone pass run on the other CPUs.\n\n", proxyCPU)
	}
	gp, err := startChild(roleGoproxy, e.childEnv, e.pin)
	if err != nil {
		return err
	}
	defer gp.stop()
	dlp, err := startChild(roleDLP, e.childEnv, e.pin)
	if err != nil {
		return err
	}
	defer dlp.stop()
	off, err := startChild(roleDLPOff, e.childEnv, e.pin)
	if err != nil {
		return err
	}
	defer off.stop()

	// Rounds alternate the proxies' transfers and the engine alone, so
	// that drift on a shared machine touches every figure of a round.
	var rounds [][]row
	var engineCPU []time.Duration
	for range o.runs {
		rows, err := throughput(e, o, []*child{gp, off, dlp}, log)
		if err != nil {
			return err
		}
		// The engine alone is one process's CPU on one core, disturbed by
		// whatever else the machine runs: three passes a round, so its
		// median is as steady as the transfers' medians.
		for range enginePasses {
			eng, err := engineAlone(e.corpus, o.size)
			if err != nil {
				return err
			}
			engineCPU = append(engineCPU, eng)
		}
		rounds = append(rounds, rows)
	}
	printThroughput(out, medianRows(rounds), median(engineCPU), o.size, o.runs)
	lat, err := latencyTable(e, o, []*child{gp, dlp})
	if err != nil {
		return err
	}
	fmt.Fprint(out, lat)
	if o.memSize > 0 {
		mem, err := memoryBound(e, o, log)
		if err != nil {
			return err
		}
		fmt.Fprint(out, mem)
	}
	return nil
}

// setup generates the corpus and CA and starts the origin servers.
func setup(tmp string) (*env, error) {
	e := &env{corpus: corpus.CleanWeb(1, 32<<20).Data}
	caDir := filepath.Join(tmp, "ca")
	c, err := ca.Init(caDir)
	if err != nil {
		return nil, err
	}
	h := upstream(e.corpus)
	e.plain = httptest.NewServer(h)
	e.tls = httptest.NewTLSServer(h)
	rootsFile := filepath.Join(tmp, "upstream.pem")
	upstreamPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.tls.Certificate().Raw})
	if err := os.WriteFile(rootsFile, upstreamPEM, 0o644); err != nil {
		e.plain.Close()
		e.tls.Close()
		return nil, fmt.Errorf("write roots: %w", err)
	}
	e.direct, e.proxied = x509.NewCertPool(), x509.NewCertPool()
	e.direct.AddCert(e.tls.Certificate())
	e.proxied.AppendCertsFromPEM(c.CertPEM())
	port := e.tls.Listener.Addr().(*net.TCPAddr).Port
	e.childEnv = []string{envCA + "=" + caDir, envRoots + "=" + rootsFile, envPort + "=" + strconv.Itoa(port)}
	return e, nil
}

// enginePasses is how many engine-alone passes each round makes.
const enginePasses = 3

// engineAlone returns the CPU time this process spends inspecting size
// bytes of the corpus as the proxy does, without the proxy: the extractor
// (text/html, the bench's Content-Type) in front of a scanner of the engine
// the proxy builds for the policy, under an enforcing reader.
func engineAlone(corpus []byte, size int64) (time.Duration, error) {
	snap, err := benchPolicy(true)
	if err != nil {
		return 0, err
	}
	eng := proxy.NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{}).Rules().Engine()
	if eng == nil {
		return 0, fmt.Errorf("engine: the policy's detectors did not build")
	}
	s := eng.NewScanner()
	defer s.Release()
	allow := func(*inspect.Tally) error { return nil }
	t0 := selfCPU()
	ext := extract.New(s, "text/html; charset=utf-8", extract.Limits{})
	defer ext.Stop()
	if _, err := io.CopyBuffer(io.Discard, inspect.NewReader(newRepeatReader(corpus, size), ext, allow), make([]byte, 32<<10)); err != nil {
		return 0, fmt.Errorf("engine: %w", err)
	}
	return selfCPU() - t0, nil
}
