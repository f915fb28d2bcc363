package proxy

import (
	"net/http"
	"testing"

	"go.uber.org/zap"
)

// TestReview12TunnelAllowHostFailClosed: without a CA, under a policy that
// fails closed, a CONNECT to a host on allow_hosts ("forwarded without
// inspection and no rule applies", docs/policy.md; FailClosed's comment:
// "tls_bypass hosts and allowlisting are explicit policy choices and
// always pass") is refused with the tunnel block page: handleConnect asks
// only TLSBypass, never HostAllowed. With a CA the same host is
// intercepted and forwarded uninspected.
func TestReview12TunnelAllowHostFailClosed(t *testing.T) {
	up, roots, got := countingOrigin(t)
	src := policySourceOf(t, "version: t\nsettings: {uninspectable: block}\nallow_hosts: [\"127.0.0.1\"]\n")
	p := &Proxy{Policy: src.Rules, Logger: zap.NewNop(), UpstreamRoots: roots, ConnectPorts: []int{portOf(t, up.URL)}}
	client := proxyClient(t, startProxy(t, p), roots)
	resp, err := client.Get(up.URL + "/")
	if err != nil {
		t.Fatalf("allow_hosts host over HTTPS without a CA: %v (origin reached %d times)", err, got.Load())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
}
