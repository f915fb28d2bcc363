package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// TestReview12TunnelAllowHostFailClosed: without a CA, under a policy that
// fails closed, a CONNECT to a host on allow_hosts ("forwarded without
// inspection and no rule applies", docs/policy.md; FailClosed's comment:
// "tls_bypass hosts and allowlisting are explicit policy choices and
// always pass") is refused with the tunnel block page: handleConnect asks
// only TLSBypass, never HostAllowed. With a CA the same host is
// intercepted and forwarded uninspected.
func TestReview12TunnelAllowHostFailClosed(t *testing.T) {
	var got atomic.Int64
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(up.Close)
	roots := up.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	snap, _, err := policy.Compile("t.yaml", []byte("version: t\nsettings: {uninspectable: block}\nallow_hosts: [\"127.0.0.1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	src := NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{})
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
