package proxy

import (
	"encoding/base64"
	"testing"
)

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"", false},
		{"application/json", true},
		{"text/html,application/xhtml+xml,*/*;q=0.8", false},
		{"application/json;q=0.9, text/html;q=0.5", true},
		{"text/html, application/json", false},
		{"application/problem+json", true},
		{"application/json;q=0", false},
		{"*/*", false},
	}
	for _, tt := range tests {
		if got := prefersJSON(tt.give); got != tt.want {
			t.Errorf("prefersJSON(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestParseBasic(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		give, wantUser, wantPass string
		wantOK                   bool
	}{
		{"Basic " + enc("alice:pw"), "alice", "pw", true},
		{"basic " + enc("alice:p:w"), "alice", "p:w", true},
		{"Basic " + enc(":pw"), "", "", false},
		{"Basic " + enc("nocolon"), "", "", false},
		{"Bearer x", "", "", false},
		{"Basic !!!", "", "", false},
	}
	for _, tt := range tests {
		u, p, ok := parseBasic(tt.give)
		if ok != tt.wantOK || ok && (u != tt.wantUser || p != tt.wantPass) {
			t.Errorf("parseBasic(%q) = %q %q %v", tt.give, u, p, ok)
		}
	}
}

func FuzzPrefersJSON(f *testing.F) {
	for _, s := range []string{"application/json", "text/html;q=0.5, application/json;q=0.6", ";;;,q=", "*/*;q=1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		_ = prefersJSON(accept) // must not panic
	})
}

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic YWxpY2U6cHc=")
	f.Add("basic ")
	f.Fuzz(func(t *testing.T, h string) {
		if u, _, ok := parseBasic(h); ok && u == "" {
			t.Fatal("accepted an empty user name")
		}
	})
}

func FuzzUpgradeAndSanitize(f *testing.F) {
	f.Add("Upgrade, X-Hop", "websocket")
	f.Add(",,,", "")
	f.Fuzz(func(t *testing.T, conn, upgrade string) {
		h := map[string][]string{"Connection": {conn}, "Upgrade": {upgrade}, "X-Forwarded-For": {"1.2.3.4"}}
		_ = upgradeProtocol(h)
		sanitizeRequest(h)
		if _, ok := h["Connection"]; ok {
			t.Fatal("Connection survived sanitising")
		}
		if _, ok := h["X-Forwarded-For"]; ok {
			t.Fatal("X-Forwarded-For survived sanitising")
		}
	})
}
