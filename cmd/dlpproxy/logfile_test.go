package main

import (
	"fmt"
	"net/http"
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
// the lines before, and the policy is reloaded as before.
func TestServeReopensLogOnHangup(t *testing.T) {
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dlpproxy.log")
	proxyAddr, adminAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(dir, "dlpproxy.yaml")
	writeFile(t, cfgPath, fmt.Appendf(nil, "listen: %s\nadmin: %s\nlog:\n  file: %s\n", proxyAddr, adminAddr, logPath))
	policyPath := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyPath, policy.DefaultYAML())
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--policy", policyPath)
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
	// The same SIGHUP still reloads the policy (the file is unchanged, so
	// only the signal can have done it), after the reopen.
	waitFor(t, func() bool { return contains(logPath, `"msg":"policy reloaded"`) })
	request("/after-rotation")
	waitFor(t, func() bool { return contains(logPath, "/after-rotation") })
	if contains(logPath+".1", "/after-rotation") || contains(logPath, "/before-rotation") {
		t.Errorf("lines in the wrong file after rotation")
	}
}
