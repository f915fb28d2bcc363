package proxy

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS answers A queries on 127.0.0.1 from a fixed table; other names
// get NXDOMAIN. It stops when the test ends.
func fakeDNS(t *testing.T, table map[string]netip.Addr) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = pc.Close(); wg.Wait() })
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			resp := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}, Questions: []dnsmessage.Question{q}}
			ip, ok := table[strings.ToLower(q.Name.String())]
			switch {
			case !ok:
				resp.RCode = dnsmessage.RCodeNameError
			case q.Type == dnsmessage.TypeA && ip.Is4():
				resp.Answers = []dnsmessage.Resource{{
					Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 1},
					Body:   &dnsmessage.AResource{A: ip.As4()},
				}}
			}
			out, err := resp.Pack()
			if err == nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	})
	return pc.LocalAddr().String()
}

// TestDestinations: link-local and metadata addresses are refused, also
// when a name resolves to them, for plain requests and for tunnels; the
// address checked is the one dialed. No packet leaves 127.0.0.1: the
// refusal happens before the connection is made.
func TestDestinations(t *testing.T) {
	dns := fakeDNS(t, map[string]netip.Addr{
		"metadata.test.": netip.MustParseAddr("169.254.169.254"),
		"ok.test.":       netip.MustParseAddr("127.0.0.1"),
	})
	up := httptest.NewServer(&upstream{})
	t.Cleanup(up.Close)
	port := strconv.Itoa(portOf(t, up.URL))
	e := newEnv(t, &byteRules{bypass: "metadata.test"}, func(p *Proxy) {
		p.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", dns)
		}}
		p.ConnectPorts = []int{443}
	})
	tests := []struct {
		name       string
		raw        string
		wantStatus int
		wantBody   string // what the refusal says
	}{
		{name: "metadata address", raw: "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n", wantStatus: 403, wantBody: "not allowed: cloud metadata"},
		{name: "link-local v6", raw: "GET http://[fe80::1]:" + port + "/ HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 403, wantBody: "not allowed: link-local"},
		{name: "metadata v6", raw: "GET http://[fd00:ec2::254]/ HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 403, wantBody: "not allowed: cloud metadata"},
		{name: "name resolving to metadata", raw: "GET http://metadata.test:" + port + "/ HTTP/1.1\r\nHost: metadata.test\r\n\r\n", wantStatus: 403, wantBody: "not allowed: cloud metadata"},
		{name: "tunnel to a name resolving to metadata", raw: "CONNECT metadata.test:443 HTTP/1.1\r\nHost: metadata.test:443\r\n\r\n", wantStatus: 403},
		{name: "tunnel to the metadata address", raw: "CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: 169.254.169.254:443\r\n\r\n", wantStatus: 403, wantBody: "not allowed: cloud metadata"},
		{name: "tunnel to another port", raw: "CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 403},
		{name: "name resolving to loopback is served", raw: "GET http://ok.test:" + port + "/ HTTP/1.1\r\nHost: ok.test\r\n\r\n", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawRequest(t, e.proxyURL.Host, tt.raw, nil); got.status != tt.wantStatus || !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("status %d (%q), want %d and %q", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if got := e.metrics.get("denied/" + DeniedDestination); got != 6 {
		t.Errorf("denied/destination = %v, want 6", got)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestAuthRateLimit: after Burst failed logins a client gets 429 with
// Retry-After, even with the right password, until a token refills;
// requests without credentials (a browser's first try) do not count.
func TestAuthRateLimit(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	m := newFakeMetrics()
	p := &Proxy{Policy: (&byteRules{}).policy(), Auth: staticAuth{"alice": "pw"}, Metrics: m, Now: clock.Now,
		AuthLimit: AuthLimit{Burst: 3, Refill: time.Minute}}
	pu := startProxy(t, p)
	up := httptest.NewServer(&upstream{})
	t.Cleanup(up.Close)
	raw := func(cred string) string {
		r := "GET " + up.URL + "/x HTTP/1.1\r\nHost: x\r\n"
		if cred != "" {
			r += "Proxy-Authorization: Basic " + cred + "\r\n"
		}
		return r + "\r\n"
	}
	const wrong, right = "YWxpY2U6bm8=", "YWxpY2U6cHc=" // alice:no, alice:pw
	steps := []struct {
		name    string
		cred    string
		advance time.Duration
		want    int
	}{
		{name: "no credentials", want: 407},
		{name: "no credentials again", want: 407},
		{name: "no credentials a third time", want: 407},
		{name: "right password", cred: right, want: 200},
		{name: "wrong 1", cred: wrong, want: 407},
		{name: "wrong 2", cred: wrong, want: 407},
		{name: "wrong 3", cred: wrong, want: 407},
		{name: "wrong 4 is limited", cred: wrong, want: 429},
		{name: "right password is limited too", cred: right, want: 429},
		{name: "after a refill", cred: right, advance: time.Minute, want: 200},
		{name: "one more failure", cred: wrong, want: 407},
		{name: "limited again", cred: wrong, want: 429},
	}
	for _, st := range steps {
		clock.advance(st.advance)
		got := rawRequest(t, pu.Host, raw(st.cred), nil)
		if got.status != st.want {
			t.Fatalf("%s: status %d, want %d", st.name, got.status, st.want)
		}
	}
	if got := m.get("denied/" + DeniedAuthRate); got != 3 {
		t.Errorf("denied/auth_rate = %v, want 3", got)
	}
}

func TestAuthLimiterEviction(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	l := newAuthLimiter(AuthLimit{Burst: 1, Refill: time.Minute, MaxClients: 2}, clock.Now)
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	l.failed(a)
	clock.advance(time.Second)
	l.failed(b)
	l.failed(c) // full: a, the oldest, goes
	tests := []struct {
		give netip.Addr
		want bool
	}{{a, false}, {b, true}, {c, true}}
	for _, tt := range tests {
		if _, got := l.limited(tt.give); got != tt.want {
			t.Errorf("limited(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
	if len(l.buckets) != 2 {
		t.Errorf("%d buckets, want at most 2", len(l.buckets))
	}
}
