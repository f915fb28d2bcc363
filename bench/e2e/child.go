package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
)

// The environment of a proxy child: the program re-executes itself with
// envRole set, so each proxy is its own process whose CPU time and memory
// can be read from /proc.
const (
	envRole  = "BENCH_E2E_ROLE"  // roleGoproxy, roleDLP or roleDLPOff
	envCA    = "BENCH_E2E_CA"    // interception CA directory (ca.crt, ca.key)
	envRoots = "BENCH_E2E_ROOTS" // PEM file of the upstream's certificate
	envPort  = "BENCH_E2E_PORT"  // the upstream's TLS port, the one CONNECT may reach
	envProf  = "BENCH_E2E_PROF"  // if set, a directory for ROLE-PID.cpu.pprof profiles
)

// Proxy roles.
const (
	roleGoproxy = "goproxy"  // bare goproxy: verifying transport, MITM with the same CA, nothing else
	roleDLP     = "dlpproxy" // internal/proxy with the default policy, inspecting every byte
	// roleDLPOff is dlpproxy with the bench's origin in the policy's
	// allow_hosts: the same proxy, guards, logs and metrics, every body
	// passed uninspected. Next to goproxy it is the cost of the proxy
	// around the engine; next to dlpproxy, the cost of inspecting.
	roleDLPOff = "dlpproxy-off"
)

// benchPolicy returns the default policy with an inspect limit above any
// benchmark body, so every byte is inspected; unless inspecting is false,
// when the origin's host (127.0.0.1) is in allow_hosts and nothing is.
func benchPolicy(inspecting bool) (*policy.Snapshot, error) {
	data := strings.Replace(string(policy.DefaultYAML()), "inspect_limit: 64MiB", "inspect_limit: 8GiB", 1)
	if !strings.Contains(data, "inspect_limit: 8GiB") {
		return nil, errors.New("default policy: no inspect_limit: 64MiB to raise")
	}
	if !inspecting {
		data = strings.Replace(data, "allow_hosts: []", `allow_hosts: ["127.0.0.1"]`, 1)
		if !strings.Contains(data, `allow_hosts: ["127.0.0.1"]`) {
			return nil, errors.New("default policy: no allow_hosts: [] to fill")
		}
	}
	snap, _, err := policy.Compile("bench-policy.yaml", []byte(data))
	if err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	return snap, nil
}

// runChild serves one proxy role on 127.0.0.1, prints "LISTEN addr" on
// stdout, and exits when stdin closes (the driver ends or dies).
func runChild(role string) error {
	if dir := os.Getenv(envProf); dir != "" {
		stop, err := startProfile(filepath.Join(dir, fmt.Sprintf("%s-%d.cpu.pprof", role, os.Getpid())))
		if err != nil {
			return err
		}
		defer stop()
	}
	c, err := ca.Load(os.Getenv(envCA))
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(os.Getenv(envRoots))
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return errors.New("roots: no PEM certificate")
	}
	port, err := strconv.Atoi(os.Getenv(envPort))
	if err != nil {
		return fmt.Errorf("%s: %w", envPort, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var srv *http.Server
	switch role {
	case roleGoproxy:
		srv = &http.Server{Handler: plainGoproxy(c, roots), ReadHeaderTimeout: 10 * time.Second}
	case roleDLP, roleDLPOff:
		p, err := dlpProxy(c, roots, port, ln.Addr().String(), role == roleDLP)
		if err != nil {
			return err
		}
		// As dlpproxy serve runs it: the proxy's own server (limits and
		// per-connection guards) on its listener.
		srv, ln = p.NewServer(nil), p.Listener(ln)
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Printf("LISTEN %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the driver closes our stdin
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// startProfile writes a CPU profile to path until stop is called.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// plainGoproxy is the baseline: goproxy as its README sets it up, plus
// upstream verification and interception with the same leaf certificates
// as dlpproxy, so the difference is dlpproxy's glue and engine.
func plainGoproxy(c *ca.CA, roots *x509.CertPool) http.Handler {
	gp := goproxy.NewProxyHttpServer()
	gp.Tr = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 32,
	}
	gp.Logger = discardLogger{}
	leaf := func(host string, _ *goproxy.ProxyCtx) (*tls.Config, error) {
		h, _, err := net.SplitHostPort(host)
		if err != nil {
			h = host
		}
		cert, err := c.LeafFor(h)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}, nil
	}
	gp.OnRequest().HandleConnectFunc(func(host string, _ *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
		return &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: leaf}, host
	})
	return gp
}

// discardLogger silences goproxy's own log.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// dlpProxy is the proxy as serve builds it: default policy (inspect limit
// raised; see benchPolicy for inspecting), real metrics registry and JSON
// access and incident logs (to a discarding sink).
func dlpProxy(c *ca.CA, roots *x509.CertPool, port int, self string, inspecting bool) (*proxy.Proxy, error) {
	snap, err := benchPolicy(inspecting)
	if err != nil {
		return nil, err
	}
	logger, _, err := accesslog.New(accesslog.Options{Stderr: io.Discard})
	if err != nil {
		return nil, fmt.Errorf("logger: %w", err)
	}
	return &proxy.Proxy{
		Policy:        proxy.NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{}).Rules,
		CA:            c,
		UpstreamRoots: roots,
		ConnectPorts:  []int{port},
		SelfAddrs:     []string{self},
		// The bench upstream listens on 127.0.0.1, refused by default.
		AllowedDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Logger:              logger,
		Metrics:             proxy.PromMetrics{M: metrics.New(prometheus.NewRegistry())},
	}, nil
}

// child is a running proxy process.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startChild re-executes this program in role and waits for its address;
// with pin, on proxyCPU alone.
func startChild(role string, env []string, pin bool) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	cmd := exec.Command(exe)
	if pin {
		if cmd, err = pinnedCommand(exe); err != nil {
			return nil, fmt.Errorf("start %s: %w", role, err)
		}
	}
	cmd.Env = append(append(os.Environ(), env...), envRole+"="+role)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	ch := &child{role: role, cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		ch.stop()
		return nil, fmt.Errorf("start %s: no LISTEN line (%q): %v", role, line, err)
	}
	ch.addr = addr
	return ch, nil
}

// stop closes the child's stdin and waits for it to exit.
func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }
