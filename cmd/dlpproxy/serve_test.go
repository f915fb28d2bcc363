package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/config"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a CA, a policy file and a TLS upstream on 127.0.0.1 that
// answers the size and SHA-256 of what it received.
type fixture struct {
	dir, caDir, policyPath, rootsPath string
	upstream                          *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureServing(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprint(w, digest(b))
	}))
}

// newFixtureServing is newFixture with upstream as the TLS upstream's
// handler.
func newFixtureServing(t *testing.T, upstream http.Handler) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.caDir = filepath.Join(f.dir, "ca")
	if _, err := ca.Init(f.caDir); err != nil {
		t.Fatal(err)
	}
	f.policyPath = filepath.Join(f.dir, "policy.yaml")
	writeFile(t, f.policyPath, policy.DefaultYAML())
	f.upstream = httptest.NewTLSServer(upstream)
	t.Cleanup(f.upstream.Close)
	f.rootsPath = filepath.Join(f.dir, "upstream.pem")
	writeFile(t, f.rootsPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.upstream.Certificate().Raw}))
	return f
}

// loopbackDestinations opts a test config in to loopback upstreams,
// refused by default.
func loopbackDestinations() []string { return []string{"127.0.0.0/8", "::1/128"} }

func (f *fixture) config(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.CADir, cfg.Policy, cfg.PolicyPoll = f.caDir, f.policyPath, 50*time.Millisecond
	cfg.UpstreamRoots = []string{f.rootsPath}
	cfg.ConnectPorts = []int{f.upstream.Listener.Addr().(*net.TCPAddr).Port}
	cfg.AllowDestinations = loopbackDestinations() // the test upstream is on 127.0.0.1, refused by default
	return cfg
}

// client trusts only the interception CA.
func (f *fixture) client(t *testing.T, proxyAddr string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(f.caDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	tr := &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr}), TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func digest(b []byte) string { return fmt.Sprintf("%d %x", len(b), sha256.Sum256(b)) }

// scrape fetches /metrics and returns the value of the series of name
// whose labels include want.
func scrape(t *testing.T, adminAddr, name string, want map[string]string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	mf, ok := mfs[name]
	if !ok {
		return 0
	}
	for _, m := range mf.GetMetric() {
		n := 0
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
				n++
			}
		}
		if n == len(want) {
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func TestServeEndToEnd(t *testing.T) {
	f := newFixture(t)
	logs := &syncBuffer{}
	logger, logSink, err := accesslog.New(accesslog.Options{Level: "debug", Stderr: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer logSink.Close()
	reload := make(chan os.Signal, 1)
	proxyAddr, adminAddr := startServe(t, f.config(t), serveDeps{logger: logger, reload: reload})
	client := f.client(t, proxyAddr)
	recs := corpus.Records(3, 1000)
	customers := corpus.CSV(recs, corpus.CSVOptions{}).Data
	post := func(body []byte) (int, string, http.Header) {
		t.Helper()
		resp, err := client.Post(f.upstream.URL+"/upload", "text/csv", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}

	t.Run("HTTPS customer CSV is blocked with a page", func(t *testing.T) {
		code, page, h := post(customers)
		if code != 403 || h.Get("X-Dlp-Incident") == "" || !strings.Contains(page, "居民身份证号 resident ID numbers") {
			t.Fatalf("got %d %v %s", code, h, page)
		}
	})
	t.Run("clean upload passes byte-identical", func(t *testing.T) {
		clean := bytes.Repeat([]byte("订单 order 2024 ok\n"), 5000)
		if code, body, _ := post(clean); code != 200 || body != digest(clean) {
			t.Fatalf("got %d %s", code, body)
		}
	})
	t.Run("metrics moved", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			labels map[string]string
		}{
			{"dlp_blocks_total", map[string]string{"direction": "request", "phase": "held"}},
			{"dlp_incidents_total", map[string]string{"rule": "block-bulk-ids-and-cards", "action": "block"}},
			{"dlp_inspected_bytes_total", map[string]string{"direction": "request"}},
			{"dlp_findings_total", map[string]string{"detector": "cn_resident_id"}},
			{"dlp_requests_total", map[string]string{"outcome": "allowed"}},
			{"dlp_policy_info", map[string]string{"version": "default-2026.2"}},
		} {
			if v := scrape(t, adminAddr, c.name, c.labels); v <= 0 {
				t.Errorf("%s%v = %v, want > 0", c.name, c.labels, v)
			}
		}
	})
	t.Run("bad policy reload keeps the running policy", func(t *testing.T) {
		writeFile(t, f.policyPath, []byte("version: broken\nrules:\n  - name: x\n    action: explode\n"))
		reload <- syscall.SIGHUP
		waitFor(t, func() bool {
			return scrape(t, adminAddr, "dlp_policy_reloads_total", map[string]string{"result": "failure"}) >= 1
		})
		if code, _, _ := post(customers); code != 403 {
			t.Errorf("after a bad reload status = %d, want the old policy's 403", code)
		}
	})
	t.Run("good policy reload applies", func(t *testing.T) {
		strict := strings.Replace(string(policy.DefaultYAML()), "cn_resident_id: 50", "cn_resident_id: 20", 1)
		strict = strings.Replace(strict, `version: "default-2026.2"`, `version: "strict-1"`, 1)
		writeFile(t, f.policyPath, []byte(strict))
		reload <- syscall.SIGHUP
		waitFor(t, func() bool {
			return scrape(t, adminAddr, "dlp_policy_info", map[string]string{"version": "strict-1"}) == 1
		})
		var b bytes.Buffer
		for _, r := range recs[:25] {
			b.WriteString("身份证 " + r.ResidentID + "\n")
		}
		if code, _, _ := post(b.Bytes()); code != 403 {
			t.Errorf("25 IDs under a threshold of 20: status = %d, want 403", code)
		}
	})
	t.Run("logs carry no raw value", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, `"msg":"incident"`) || !strings.Contains(out, `"msg":"access"`) {
			t.Fatalf("logs lack incidents or access lines")
		}
		for _, r := range recs {
			for _, v := range []string{r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Passport} {
				if strings.Contains(out, v) {
					t.Fatalf("a raw value (%s...) appears in the logs", v[:3])
				}
			}
		}
	})
}

// TestBinaryWithCurl runs the built binary and curl, as a new user would.
func TestBinaryWithCurl(t *testing.T) {
	curl := needCurl(t)
	f := newFixture(t)
	proxyAddr, stderr := f.startBinary(t)
	csvPath := filepath.Join(f.dir, "customers.csv")
	writeFile(t, csvPath, corpus.CSV(corpus.Records(5, 1000), corpus.CSVOptions{}).Data)
	out, err := exec.Command(curl, "-sS", "-i", "-x", "http://"+proxyAddr, "--cacert", filepath.Join(f.caDir, "ca.crt"),
		"--data-binary", "@"+csvPath, f.upstream.URL+"/upload").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if !bytes.HasPrefix(out, []byte("HTTP/1.1 200")) || !bytes.Contains(out, []byte("HTTP/1.1 403")) ||
		!bytes.Contains(bytes.ToLower(out), []byte("x-dlp-incident:")) || !bytes.Contains(out, []byte("已拦截")) {
		t.Errorf("curl output lacks the CONNECT 200 and the 403 block page:\n%s", out)
	}
	// The incident is logged after the block page is sent: wait for it.
	waitFor(t, func() bool { return strings.Contains(stderr.String(), `"msg":"incident"`) })
}

// TestBinaryArchivesWithCurl: curl uploads through the built binary over
// intercepted HTTPS, under the embedded default policy, of a customer
// list packed by 7-Zip and xz, a contact list typed into a legacy .xls,
// and customer lists as .xls and .ods (internal/extract's fixtures, made
// with 7-Zip, XZ Utils, python3-xlwt and LibreOffice) are blocked with the
// block page. The build before this one forwarded the 7z, xz and
// contacts.xls uploads.
func TestBinaryArchivesWithCurl(t *testing.T) {
	curl := needCurl(t)
	f := newFixture(t)
	proxyAddr, stderr := f.startBinary(t)
	fixtures := filepath.Join("..", "..", "internal", "extract", "testdata")
	for _, name := range []string{"compressed/list.7z", "compressed/solid.7z", "compressed/list.csv.xz", "xls/contacts.xls", "xls/people_lo.xls", "odf/people.ods"} {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(curl, "-sS", "-i", "-x", "http://"+proxyAddr, "--cacert", filepath.Join(f.caDir, "ca.crt"),
				"-H", "Content-Type: application/octet-stream", "--data-binary", "@"+filepath.Join(fixtures, name), f.upstream.URL+"/upload").CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			if !bytes.Contains(out, []byte("HTTP/1.1 403")) || !bytes.Contains(out, []byte("已拦截")) {
				t.Errorf("curl output lacks the 403 block page:\n%.600s", out)
			}
		})
	}
	waitFor(t, func() bool { return strings.Count(stderr.String(), `"msg":"incident"`) >= 6 })
}

// needCurl returns curl's path; in CI (CI set) curl must be installed.
func needCurl(t *testing.T) string {
	t.Helper()
	return needProgram(t, "curl")
}

// needProgram returns the path of the program name. Without it the test
// fails in CI (CI set; .ci/run installs it) and is skipped elsewhere,
// saying so.
func needProgram(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed (CI installs it)", name)
	}
	return path
}

// binDir is the directory builtBinary builds in, made once per test run;
// TestMain removes it, so no binary (33 MB) outlives the run.
var binDir = sync.OnceValues(func() (string, error) {
	return os.MkdirTemp("", "dlpproxy-bin-")
})

// TestMain runs the tests, then removes the built binary, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := binDir(); err == nil {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// builtBinary builds dlpproxy once per test run, in binDir.
var builtBinary = sync.OnceValues(func() (string, error) {
	dir, err := binDir()
	if err != nil {
		return "", fmt.Errorf("binary directory: %w", err)
	}
	bin := filepath.Join(dir, "dlpproxy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// startBinary runs the built binary's serve on the fixture, its upstream
// and the extra upstream ports allowed to CONNECT, until the test ends
// (SIGTERM, which must end it cleanly). It returns the proxy's address and
// the server's log.
func (f *fixture) startBinary(t *testing.T, extraPorts ...int) (proxyAddr string, stderr *syncBuffer) {
	t.Helper()
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr, adminAddr := freeAddr(t), freeAddr(t)
	ports := fmt.Sprint(f.upstream.Listener.Addr().(*net.TCPAddr).Port)
	for _, p := range extraPorts {
		ports += fmt.Sprintf(", %d", p)
	}
	cfgPath := filepath.Join(f.dir, "dlpproxy.yaml")
	writeFile(t, cfgPath, fmt.Appendf(nil, "listen: %s\nadmin: %s\nupstream_roots: [%s]\nconnect_ports: [%s]\nallow_destinations: [127.0.0.0/8]\n",
		proxyAddr, adminAddr, f.rootsPath, ports))
	stderr = &syncBuffer{}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--ca-dir", f.caDir, "--policy", f.policyPath)
	cmd.Stderr = stderr
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve exited with %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("serve did not stop on SIGTERM")
		}
	})
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + adminAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return proxyAddr, stderr
}

// startServe runs serve(cfg, d) until the test ends and returns its proxy
// and admin addresses; serve must return without error at the end.
func startServe(t *testing.T, cfg *config.Config, d serveDeps) (proxyAddr, adminAddr string) {
	t.Helper()
	addrs := make(chan [2]string, 1)
	d.ready = func(p, a string) { addrs <- [2]string{p, a} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, d) }()
	select {
	case a := <-addrs:
		proxyAddr, adminAddr = a[0], a[1]
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return proxyAddr, adminAddr
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
