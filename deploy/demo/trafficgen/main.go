// Command trafficgen drives demo traffic through a running dlpproxy so the
// Grafana dashboard fills with data: clean uploads and downloads, small PI
// payloads that the default policy logs, and bulk customer exports that it
// blocks, in both directions. It starts its own upstream server on
// 127.0.0.1 and never sends anything anywhere else; it stops after
// -duration or -requests, whichever comes first. The PI is synthetic
// (internal/corpus): format-valid, belonging to nobody.
//
// Usage:
//
//	go run ./deploy/demo/trafficgen [-proxy http://127.0.0.1:3128] [-duration 2m] [-requests 5000] [-rate 20]
//
// The proxy must allow loopback destinations for this to work (see
// docs/deploy.md, "Screenshot-level check").
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	proxy    *url.URL
	duration time.Duration
	requests int
	rate     float64
	// originListen is where the generator's origin listens; originHost
	// is the host name the requests give it ("" for the listen address).
	originListen, originHost string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("trafficgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	proxy := fs.String("proxy", "http://127.0.0.1:3128", "dlpproxy address")
	c := config{}
	fs.DurationVar(&c.duration, "duration", 2*time.Minute, "stop after this long")
	fs.IntVar(&c.requests, "requests", 5000, "stop after this many requests")
	fs.Float64Var(&c.rate, "rate", 20, "requests per second")
	fs.StringVar(&c.originListen, "origin-listen", "127.0.0.1:0", "address the generator's origin server listens on")
	fs.StringVar(&c.originHost, "origin-host", "", "host name the requests give the origin (default: its listen address); a name the proxy resolves to a non-loopback address needs no allow_destinations")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	u, err := url.Parse(*proxy)
	if err != nil || u.Host == "" {
		return c, fmt.Errorf("bad -proxy %q", *proxy)
	}
	if c.duration <= 0 || c.requests <= 0 || c.rate <= 0 {
		return c, errors.New("-duration, -requests and -rate must be positive")
	}
	c.proxy = u
	return c, nil
}

// run generates traffic and returns the process exit code: 0 when at least
// one request got an HTTP answer through the proxy, 1 otherwise, 2 on bad
// flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "trafficgen: %v\n", err)
		return 2
	}
	up, err := startUpstream(cfg.originListen)
	if err != nil {
		fmt.Fprintf(stderr, "trafficgen: %v\n", err)
		return 1
	}
	defer up.Close()

	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{Proxy: http.ProxyURL(cfg.proxy), MaxIdleConnsPerHost: 8},
		Timeout:   30 * time.Second,
	}
	defer client.CloseIdleConnections()
	origin := up.Addr
	if cfg.originHost != "" {
		_, port, _ := net.SplitHostPort(up.Addr)
		origin = net.JoinHostPort(cfg.originHost, port)
	}
	s := drive(ctx, client, "http://"+origin, cfg)
	fmt.Fprint(stdout, s)
	if s.answered() == 0 {
		fmt.Fprintf(stderr, "trafficgen: no request was answered; is the proxy running and allowed to reach %s?\n", origin)
		return 1
	}
	return 0
}

// step is one kind of request in the mix.
type step struct {
	name   string
	method string
	path   string
	body   []byte
	ctype  string // Content-Type of body
}

// mix is the repeating request pattern: mostly clean traffic, some PI below
// the block thresholds of the default policy, and now and then a bulk
// export (200 records: blocked by block-bulk-ids-and-cards).
func mix() []step {
	const csvType, htmlType = "text/csv; charset=utf-8", "text/html; charset=utf-8"
	upload := func(name string, n int) step {
		return step{name: name, method: http.MethodPost, path: "/upload", ctype: csvType,
			body: corpus.CSV(corpus.Records(uint64(n), n), corpus.CSVOptions{}).Data}
	}
	clean := step{name: "clean-upload", method: http.MethodPost, path: "/upload", ctype: htmlType,
		body: corpus.CleanWeb(1, 16<<10).Data}
	download := step{name: "clean-download", method: http.MethodGet, path: "/clean"}
	return []step{
		clean,
		download,
		clean,
		upload("pi-upload-small", 3),
		download,
		upload("pi-upload-logged", 20),
		{name: "pi-download-logged", method: http.MethodGet, path: "/records?n=20"},
		download,
		upload("pi-upload-bulk", 200),
		{name: "pi-download-bulk", method: http.MethodGet, path: "/records?n=200"},
	}
}

// stats counts answers per step and status.
type stats struct {
	mu     sync.Mutex
	counts map[string]int // "step status" or "step error"
}

func (s *stats) add(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key]++
}

func (s *stats) answered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.counts {
		if !strings.HasSuffix(k, " error") {
			n += v
		}
	}
	return n
}

// String prints one line per step and status, sorted.
func (s *stats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.counts)) {
		fmt.Fprintf(&b, "%-32s %d\n", k, s.counts[k])
	}
	return b.String()
}

// drive sends the mix at cfg.rate until ctx ends or cfg.requests were sent.
// Requests run on a few workers so a slow upstream does not stall the rate.
func drive(ctx context.Context, c *http.Client, base string, cfg config) *stats {
	s := &stats{counts: make(map[string]int)}
	steps := mix()
	jobs := make(chan step)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for st := range jobs {
				s.add(st.name + " " + send(ctx, c, base, st))
			}
		})
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	defer tick.Stop()
loop:
	for i := 0; i < cfg.requests; i++ {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		select {
		case <-ctx.Done():
			break loop
		case jobs <- steps[i%len(steps)]:
		}
	}
	close(jobs)
	wg.Wait()
	return s
}

// send performs one request and returns its status code or "error".
func send(ctx context.Context, c *http.Client, base string, st step) string {
	var body io.Reader
	if st.body != nil {
		body = bytes.NewReader(st.body)
	}
	req, err := http.NewRequestWithContext(ctx, st.method, base+st.path, body)
	if err != nil {
		return "error"
	}
	if st.ctype != "" {
		req.Header.Set("Content-Type", st.ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "cut" // a response blocked mid-stream
	}
	return strconv.Itoa(resp.StatusCode)
}

// upstream is the local origin server the traffic goes to.
type upstream struct {
	Addr string // host:port it listens on
	srv  *http.Server
	done chan struct{}
}

// startUpstream serves on addr (127.0.0.1:0 by default):
//
//	POST /upload        reads and discards the body
//	GET  /clean         16 KiB of clean web content
//	GET  /records?n=N   a CSV export of N synthetic records (N <= 10000)
func startUpstream(addr string) (*upstream, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	clean := corpus.CleanWeb(2, 16<<10).Data
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /clean", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(clean)
	})
	mux.HandleFunc("GET /records", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 1 || n > 10000 {
			http.Error(w, "n must be 1..10000", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(corpus.CSV(corpus.Records(uint64(1000+n), n), corpus.CSVOptions{}).Data)
	})
	u := &upstream{Addr: l.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(u.done)
		_ = u.srv.Serve(l)
	}()
	return u, nil
}

// Close stops the server and waits for it.
func (u *upstream) Close() {
	_ = u.srv.Close()
	<-u.done
}
