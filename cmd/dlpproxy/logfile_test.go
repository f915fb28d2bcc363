package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// TestServeReopensLogOnHangup: with log.file set, moving the file away
// and sending SIGHUP (what logrotate's postrotate does) makes the running
// binary write to a new file under the same path; the moved file keeps
// the lines before. A policy file is reloaded by the same SIGHUP, as
// before; the embedded policy has nothing to reload and serve goes on.
func TestServeReopensLogOnHangup(t *testing.T) {
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		policyFile bool
	}{
		{name: "policy file", policyFile: true},
		{name: "embedded policy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logPath := filepath.Join(dir, "dlpproxy.log")
			proxyAddr, adminAddr := freeAddr(t), freeAddr(t)
			cfgPath := filepath.Join(dir, "dlpproxy.yaml")
			writeFile(t, cfgPath, fmt.Appendf(nil, "listen: %s\nadmin: %s\nlog:\n  file: %s\n", proxyAddr, adminAddr, logPath))
			args := []string{"serve", "--config", cfgPath}
			if tt.policyFile {
				policyPath := filepath.Join(dir, "policy.yaml")
				writeFile(t, policyPath, policy.DefaultYAML())
				args = append(args, "--policy", policyPath)
			}
			cmd := exec.Command(bin, args...)
			dieWithTest(cmd)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
			})
			waitFor(t, func() bool {
				resp, err := http.Get("http://" + adminAddr + "/readyz")
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			})
			client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr})}, Timeout: 10 * time.Second}
			request := func(path string) { // refused (loopback destination): one access line naming path
				resp, err := client.Get("http://127.0.0.1:9" + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			contains := func(path, want string) bool {
				b, _ := os.ReadFile(path)
				return strings.Contains(string(b), want)
			}

			request("/before-rotation")
			waitFor(t, func() bool { return contains(logPath, "/before-rotation") })
			if err := os.Rename(logPath, logPath+".1"); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return contains(logPath, "log file reopened") })
			if tt.policyFile {
				// Only the signal can have reloaded it: the file is unchanged.
				waitFor(t, func() bool { return contains(logPath, `"msg":"policy reloaded"`) })
			}
			request("/after-rotation")
			waitFor(t, func() bool { return contains(logPath, "/after-rotation") })
			if contains(logPath+".1", "/after-rotation") || contains(logPath, "/before-rotation") {
				t.Errorf("lines in the wrong file after rotation")
			}
		})
	}
}

// TestServeReopensLogWhileDraining: a SIGHUP that arrives while SIGTERM
// drains an in-flight request (logrotate's postrotate racing a restart)
// still reopens the log file, and the drained request's access line goes
// to the new file.
func TestServeReopensLogWhileDraining(t *testing.T) {
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		fmt.Fprintln(w, "done")
	}))
	defer upstream.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dlpproxy.log")
	proxyAddr, adminAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(dir, "dlpproxy.yaml")
	writeFile(t, cfgPath, fmt.Appendf(nil, "listen: %s\nadmin: %s\nallow_destinations: [127.0.0.0/8]\nlog:\n  file: %s\n", proxyAddr, adminAddr, logPath))
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	contains := func(path, want string) bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), want)
	}
	waitFor(t, func() bool { return contains(logPath, "dlpproxy serving") })

	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr})}, Timeout: 20 * time.Second}
	status := make(chan int, 1)
	go func() {
		resp, err := client.Get(upstream.URL + "/in-flight")
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the upstream")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return contains(logPath, "dlpproxy shutting down") })
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return contains(logPath, "log file reopened") })
	close(release)
	if got := <-status; got != http.StatusOK {
		t.Fatalf("in-flight request: status %d, want 200", got)
	}
	<-exited
	if waitErr != nil {
		t.Fatalf("serve: %v", waitErr)
	}
	if !contains(logPath, "/in-flight") || contains(logPath+".1", "/in-flight") {
		t.Errorf("the drained request's access line is not in the reopened file")
	}
}
