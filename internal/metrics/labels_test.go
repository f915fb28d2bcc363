package metrics_test

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
)

// TestProxyLabelValues guards against drift between the proxy's label
// constants and this package's.
func TestProxyLabelValues(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: proxy.Request.String(), want: string(metrics.Request)},
		{give: proxy.Response.String(), want: string(metrics.Response)},
		{give: proxy.ReasonOverLimit, want: string(metrics.ReasonOverLimit)},
		{give: proxy.ReasonDecodeError, want: string(metrics.ReasonDecodeError)},
		{give: proxy.ReasonUnsupportedEncoding, want: string(metrics.ReasonUnsupportedEncoding)},
		{give: proxy.ReasonTunnelBypass, want: string(metrics.ReasonTunnelBypass)},
		{give: proxy.ReasonWebSocket, want: string(metrics.ReasonWebSocket)},
		{give: proxy.ReasonHTTP2, want: string(metrics.ReasonHTTP2)},
		{give: proxy.ReasonEncrypted, want: string(metrics.ReasonEncrypted)},
		{give: proxy.ReasonAllowlistedHost, want: string(metrics.ReasonAllowlistedHost)},
		{give: proxy.OutcomeAllowed, want: string(metrics.OutcomeAllowed)},
		{give: proxy.OutcomeBlocked, want: string(metrics.OutcomeBlocked)},
		{give: proxy.OutcomeDenied, want: string(metrics.OutcomeDenied)},
		{give: proxy.OutcomeError, want: string(metrics.OutcomeError)},
		{give: proxy.OutcomeBypassed, want: string(metrics.OutcomeBypassed)},
		{give: proxy.DeniedClientCIDR, want: string(metrics.DenyClientCIDR)},
		{give: proxy.DeniedAuth, want: string(metrics.DenyAuth)},
		{give: proxy.DeniedPort, want: string(metrics.DenyPort)},
		{give: proxy.DeniedSelf, want: string(metrics.DenySelf)},
		{give: proxy.DeniedDestination, want: string(metrics.DenyDestination)},
		{give: proxy.PhaseHeld, want: string(metrics.PhaseHeld)},
		{give: proxy.PhaseStreaming, want: string(metrics.PhaseStreaming)},
		{give: proxy.StageClientHandshake, want: string(metrics.StageClientHandshake)},
		{give: proxy.StageUpstreamVerify, want: string(metrics.StageUpstreamVerify)},
		{give: proxy.StageUpstreamHandshake, want: string(metrics.StageUpstreamHandshake)},
		{give: proxy.StageLeafCert, want: string(metrics.StageLeafCert)},
	}
	for _, tt := range tests {
		if tt.give != tt.want {
			t.Errorf("proxy label %q, metrics label %q", tt.give, tt.want)
		}
	}
}
