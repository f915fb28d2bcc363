package proxy

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// TestTunnelFollowsPolicy: without a CA, HTTPS can only be tunnelled
// uninspected, and the policy's uninspectable action for tunnels decides
// (README: "HTTPS tunnelled without a CA follows the policy's
// fail-open/fail-closed setting"). Before, a tunnel always passed: under
// `uninspectable_overrides: {tunnel: block}` a 1,000-row CSV went out over
// HTTPS (200, outcome bypassed). A host on tls_bypass is an explicit
// choice and is tunnelled whatever the action.
func TestTunnelFollowsPolicy(t *testing.T) {
	up, roots, got := countingOrigin(t)
	const closed = "version: t\nsettings: {uninspectable: allow, uninspectable_overrides: {tunnel: block}}\n"
	tests := []struct {
		name     string
		yaml     string
		wantCode int // 0: the CONNECT is refused (the client sees an error)
	}{
		{name: "default policy tunnels", yaml: "version: t\n", wantCode: 200},
		{name: "tunnel: block refuses", yaml: closed},
		{name: "uninspectable: block refuses", yaml: "version: t\nsettings: {uninspectable: block}\n"},
		{name: "tls_bypass host tunnels under tunnel: block", yaml: closed + "tls_bypass: [\"127.0.0.1\"]\n", wantCode: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			m := newFakeMetrics()
			src := policySourceOf(t, tt.yaml)
			p := &Proxy{Policy: src.Rules, Metrics: m, Logger: zap.New(core), UpstreamRoots: roots,
				ConnectPorts: []int{portOf(t, up.URL)}}
			before := got.Load()
			client := proxyClient(t, startProxy(t, p), roots)
			resp, err := client.Post(up.URL+"/upload", "text/csv", strings.NewReader("姓名,身份证号\n"))
			if tt.wantCode == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("status %d, want the CONNECT refused", resp.StatusCode)
				}
				if got.Load() != before {
					t.Error("the origin was reached")
				}
				if m.get("uninspected_msg/request/"+ReasonTunnelBypass+"/true") != 1 {
					t.Errorf("no blocked uninspectable message counted: %v", m.snapshot())
				}
				inc := logs.FilterMessage("incident").All()
				if len(inc) != 1 || !strings.Contains(fmt.Sprint(inc[0].ContextMap()), "rule:"+uninspectableRule(ReasonTunnelBypass)) {
					t.Errorf("incidents %v, want one by %s", inc, uninspectableRule(ReasonTunnelBypass))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
		})
	}
}

// TestTunnelBlockAnswer: the refused CONNECT is answered with the block
// page's status, X-Dlp-Incident and a text that says why, and the
// connection is closed.
func TestTunnelBlockAnswer(t *testing.T) {
	src := policySourceOf(t, "version: t\nsettings: {uninspectable: block, contact: it@example.com}\n")
	p := &Proxy{Policy: src.Rules, Logger: zap.NewNop(), ConnectPorts: []int{443}}
	u := startProxy(t, p)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&body)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Dlp-Incident") == "" ||
		!strings.Contains(body.String(), "cannot decrypt") || !strings.Contains(body.String(), "it@example.com") {
		t.Errorf("status %d, incident %q, body %s", resp.StatusCode, resp.Header.Get("X-Dlp-Incident"), body.String())
	}
}

// TestRefusedConnectBytesDown: the access line of a refused CONNECT counts
// the text the client was sent. A CONNECT to a port not allowed logged
// bytes_down 0 after sending 31 bytes.
func TestRefusedConnectBytesDown(t *testing.T) {
	src := policySourceOf(t, "version: t\nsettings: {uninspectable: block}\n")
	for _, port := range []string{"1", "443"} { // denied port; no CA under a fail-closed policy
		core, logs := observer.New(zap.InfoLevel)
		p := &Proxy{Policy: src.Rules, Logger: zap.New(core), ConnectPorts: []int{443}}
		u := startProxy(t, p)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "CONNECT example.com:%s HTTP/1.1\r\nHost: example.com:%s\r\n\r\n", port, port)
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&body)
		resp.Body.Close()
		c.Close()
		waitFor(t, func() bool { return logs.FilterMessage("access").Len() == 1 }, "access line")
		line := fmt.Sprint(logs.FilterMessage("access").All()[0].ContextMap())
		if want := fmt.Sprintf("bytes_down:%d", body.Len()); body.Len() == 0 || !strings.Contains(line, want) {
			t.Errorf("port %s: %d bytes sent, access line %s", port, body.Len(), line)
		}
	}
}

// countingOrigin starts a TLS origin on 127.0.0.1 that answers ok and
// counts its requests; roots trusts it.
func countingOrigin(t *testing.T) (up *httptest.Server, roots *x509.CertPool, got *atomic.Int64) {
	got = new(atomic.Int64)
	up = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(up.Close)
	return up, up.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, got
}

// policySourceOf compiles a policy file's text, as serve loads one.
func policySourceOf(t *testing.T, yaml string) *PolicySource {
	t.Helper()
	snap, _, err := policy.Compile("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{})
}
