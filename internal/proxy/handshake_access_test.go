package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestClientHandshakeAccessLine: an intercepted CONNECT whose client
// fails the TLS handshake (a client that does not trust the company CA:
// the first thing IT meets when rolling interception out) leaves an
// access line with the client, the host and outcome error. Before, it
// left only dlp_tls_intercept_errors_total{stage="client_handshake"}:
// no line said which client or host.
func TestClientHandshakeAccessLine(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(up.Close)
	roots := up.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	core, logs := observer.New(zap.InfoLevel)
	m := newFakeMetrics()
	p := &Proxy{Policy: (&byteRules{}).policy(), CA: newTestCA(t), UpstreamRoots: roots, Metrics: m, Logger: zap.New(core),
		ConnectPorts: []int{portOf(t, up.URL)}}
	client := proxyClient(t, startProxy(t, p), roots) // trusts the origin, not the CA
	if resp, err := client.Get(up.URL + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("status %d, want a certificate error", resp.StatusCode)
	}
	waitFor(t, func() bool { return logs.FilterMessage("access").Len() > 0 }, "access line")
	line := fmt.Sprint(logs.FilterMessage("access").All()[0].ContextMap())
	for _, want := range []string{"method:CONNECT", "outcome:error", "client:127.0.0.1"} {
		if !strings.Contains(line, want) {
			t.Errorf("access line %s lacks %s", line, want)
		}
	}
	if m.get("tls/"+StageClientHandshake) != 1 {
		t.Errorf("metrics %v", m.snapshot())
	}
}
