package proxy

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// upstream records what it received and serves bodies on demand:
// /resp?n=SIZE[&cl=1] answers SIZE bytes (with Content-Length when cl=1);
// any other path reads the request body and answers its size and hash.
type upstream struct {
	mu       sync.Mutex
	received int64 // request body bytes of the last request, even if cut
	hits     int
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/resp" {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("cl") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		_, _ = w.Write(pattern(n))
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	u.mu.Lock()
	u.received, u.hits = n, u.hits+1
	u.mu.Unlock()
	if err != nil {
		return
	}
	fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
}

func (u *upstream) last() (int64, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.received, u.hits
}

// pattern returns n clean bytes.
func pattern(n int) []byte {
	b := bytes.Repeat([]byte("clean text line without personal data\n"), n/38+1)
	return b[:n]
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return fmt.Sprintf("%d %x", len(b), h[:])
}

// env is a proxy with plain and TLS upstreams.
type env struct {
	rules    *byteRules
	proxy    *Proxy
	client   *http.Client
	plain    *httptest.Server
	tls      *httptest.Server
	up       *upstream
	logs     *observer.ObservedLogs
	metrics  *fakeMetrics
	proxyURL *url.URL
}

// newEnv starts a proxy enforcing rules; configure, if given, adjusts the
// Proxy before it starts.
func newEnv(t *testing.T, rules *byteRules, configure ...func(*Proxy)) *env {
	t.Helper()
	e := &env{rules: rules, up: &upstream{}, metrics: newFakeMetrics()}
	e.plain = httptest.NewServer(e.up)
	t.Cleanup(e.plain.Close)
	e.tls = httptest.NewTLSServer(e.up)
	t.Cleanup(e.tls.Close)
	ca := newTestCA(t)
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	e.proxy = &Proxy{
		Policy: rules.policy(), CA: ca, UpstreamRoots: e.tls.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		ConnectPorts: []int{portOf(t, e.tls.URL)}, Logger: zap.New(core), Metrics: e.metrics,
	}
	for _, f := range configure {
		f(e.proxy)
	}
	e.proxyURL = startProxy(t, e.proxy)
	e.client = proxyClient(t, e.proxyURL, ca.pool)
	return e
}

func portOf(t testing.TB, rawURL string) int {
	t.Helper()
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(strings.TrimPrefix(rawURL, "https://"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return int(ap.Port())
}

// schemes runs f against the plain HTTP upstream and through interception.
func (e *env) schemes() map[string]string {
	return map[string]string{"http": e.plain.URL, "https": e.tls.URL}
}

// unsized hides a reader's length so the client sends it chunked.
type unsized struct{ io.Reader }

func TestRequestBodies(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		chunked   bool
		blockAt   int64
		wantCode  int
		wantClean bool // upstream got the body byte-identical
	}{
		{name: "clean passes identical", size: 300 << 10, wantCode: 200, wantClean: true},
		{name: "clean chunked over hold size streams identical", size: 3 << 20, chunked: true, wantCode: 200, wantClean: true},
		{name: "held block is a clean page", size: 200 << 10, blockAt: 100 << 10, wantCode: 403},
		{name: "chunked block within hold size", size: 200 << 10, chunked: true, blockAt: 100 << 10, wantCode: 403},
		{name: "streaming block with length", size: 4 << 20, blockAt: 2 << 20, wantCode: 403},
		{name: "streaming chunked block", size: 4 << 20, chunked: true, blockAt: 2 << 20, wantCode: 403},
	}
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}})
	for scheme, base := range e.schemes() {
		for _, tt := range tests {
			t.Run(scheme+"/"+tt.name, func(t *testing.T) {
				e.rules.blockAt = tt.blockAt
				body := pattern(tt.size)
				var r io.Reader = bytes.NewReader(body)
				if tt.chunked {
					r = unsized{r}
				}
				_, hitsBefore := e.up.last()
				resp, err := e.client.Post(base+"/upload", "text/plain", r)
				if err != nil {
					t.Fatalf("post: %v", err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantCode, got)
				}
				received, hits := e.up.last()
				if tt.wantClean {
					if string(got) != sum(body) {
						t.Errorf("upstream got %q, want %q", got, sum(body))
					}
					return
				}
				if resp.Header.Get("X-Dlp-Incident") == "" || !strings.Contains(string(got), "bytes_block") {
					t.Errorf("block page lacks incident or rule: %v %s", resp.Header, got)
				}
				if hits > hitsBefore && received >= tt.blockAt {
					t.Errorf("upstream received %d bytes, want fewer than the %d block threshold", received, tt.blockAt)
				}
				if tt.size <= 1<<20 && hits != hitsBefore {
					t.Errorf("held body reached upstream (%d bytes)", received)
				}
			})
		}
	}
}

func TestResponseBodies(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		withLen  bool
		blockAt  int64
		wantCode int
		wantCut  bool
	}{
		{name: "clean chunked passes identical", size: 3 << 20, wantCode: 200},
		{name: "clean sized passes identical", size: 300 << 10, withLen: true, wantCode: 200},
		{name: "held block is a clean page", size: 200 << 10, withLen: true, blockAt: 100 << 10, wantCode: 403},
		{name: "streaming block cuts the body", size: 4 << 20, blockAt: 2 << 20, wantCode: 200, wantCut: true},
		{name: "streaming sized block cuts the body", size: 4 << 20, withLen: true, blockAt: 2 << 20, wantCode: 200, wantCut: true},
	}
	e := newEnv(t, &byteRules{settings: Settings{HoldSize: 1 << 20}})
	for scheme, base := range e.schemes() {
		for _, tt := range tests {
			t.Run(scheme+"/"+tt.name, func(t *testing.T) {
				e.rules.blockAt = tt.blockAt
				u := fmt.Sprintf("%s/resp?n=%d", base, tt.size)
				if tt.withLen {
					u += "&cl=1"
				}
				resp, err := e.client.Get(u)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				got, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantCode)
				}
				switch {
				case tt.wantCut:
					if rerr == nil {
						t.Fatalf("read %d bytes and a clean end; want the body cut off", len(got))
					}
					if int64(len(got)) >= tt.blockAt {
						t.Errorf("client received %d bytes, want fewer than %d", len(got), tt.blockAt)
					}
				case tt.blockAt > 0:
					if resp.Header.Get("X-Dlp-Incident") == "" || !strings.Contains(string(got), "事件编号") {
						t.Errorf("block page lacks incident: %v %s", resp.Header, got)
					}
				default:
					if rerr != nil || !bytes.Equal(got, pattern(tt.size)) {
						t.Errorf("body differs (%d bytes, err %v)", len(got), rerr)
					}
				}
			})
		}
	}
}

func TestBlockKeepsConnectionAndAnswersJSON(t *testing.T) {
	e := newEnv(t, &byteRules{blockAt: 1000, settings: Settings{HoldSize: 1 << 20}})
	for scheme, base := range e.schemes() {
		t.Run(scheme, func(t *testing.T) {
			var reused []bool
			trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
			for i := range 2 {
				req, _ := http.NewRequest(http.MethodPost, base+"/upload", bytes.NewReader(pattern(5000)))
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				req.Header.Set("Accept", "application/json;q=0.9, text/html;q=0.5")
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				var v blockView
				err = json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if err != nil || !v.Blocked || v.Incident != resp.Header.Get("X-Dlp-Incident") || v.Rule != "bytes_block" {
					t.Fatalf("JSON block page = %+v, %v", v, err)
				}
			}
			if len(reused) != 2 || !reused[1] {
				t.Errorf("connection reuse = %v, want the second request on the same connection", reused)
			}
		})
	}
}

func TestIncidentsAndAccessLines(t *testing.T) {
	e := newEnv(t, &byteRules{logAt: 100, blockAt: 1 << 20})
	resp, err := e.client.Post(e.plain.URL+"/upload?secret=query", "text/plain", bytes.NewReader(pattern(1000)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	incidents := e.logs.FilterMessage("incident").AllUntimed()
	if len(incidents) != 1 {
		t.Fatalf("got %d incidents, want 1 log incident", len(incidents))
	}
	inc := fmt.Sprint(incidents[0].ContextMap())
	for _, want := range []string{"action:log", "rule:bytes_log", "direction:request", "path:/upload", "policy_version:test-1"} {
		if !strings.Contains(inc, want) {
			t.Errorf("incident %s lacks %s", inc, want)
		}
	}
	access := e.logs.FilterMessage("access").AllUntimed()
	if len(access) != 1 {
		t.Fatalf("got %d access lines, want 1", len(access))
	}
	line := fmt.Sprint(access[0].ContextMap())
	for _, want := range []string{"status:200", "outcome:allowed", "bytes_up:1000", "bytes_inspected:", "method:POST"} {
		if !strings.Contains(line, want) {
			t.Errorf("access line %s lacks %s", line, want)
		}
	}
	if strings.Contains(line, "secret") {
		t.Errorf("access line carries the query string: %s", line)
	}
}

func TestAccessControl(t *testing.T) {
	up := httptest.NewServer(&upstream{})
	t.Cleanup(up.Close)
	tests := []struct {
		name     string
		proxy    func() *Proxy
		target   string
		header   http.Header
		wantCode int
		wantDeny string
	}{
		{name: "loopback allowed by default", target: up.URL + "/x", wantCode: 200},
		{name: "client outside CIDRs", proxy: func() *Proxy { return &Proxy{AllowedClients: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}} },
			target: up.URL + "/x", wantCode: 403, wantDeny: DeniedClientCIDR},
		{name: "auth required", proxy: authProxy, target: up.URL + "/x", wantCode: 407, wantDeny: DeniedAuth},
		{name: "auth wrong password", proxy: authProxy, target: up.URL + "/x",
			header: http.Header{"Proxy-Authorization": {"Basic YWxpY2U6bm8="}}, wantCode: 407, wantDeny: DeniedAuth},
		{name: "auth ok", proxy: authProxy, target: up.URL + "/x",
			header: http.Header{"Proxy-Authorization": {"Basic YWxpY2U6cHc="}}, wantCode: 200},
		{name: "self", target: "self", wantCode: 403, wantDeny: DeniedSelf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeMetrics()
			p := &Proxy{}
			if tt.proxy != nil {
				p = tt.proxy()
			}
			p.Policy = (&byteRules{}).policy()
			p.Metrics = m
			pu := startProxy(t, p)
			target := tt.target
			if target == "self" {
				target = pu.String() + "/metrics"
			}
			req, _ := http.NewRequest(http.MethodGet, target, nil)
			client := proxyClient(t, pu, nil)
			client.Transport.(*http.Transport).ProxyConnectHeader = tt.header
			client.Transport.(*http.Transport).Proxy = func(r *http.Request) (*url.URL, error) {
				for k, v := range tt.header {
					r.Header[k] = v
				}
				return pu, nil
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantDeny != "" && m.get("denied/"+tt.wantDeny) != 1 {
				t.Errorf("denied{%s} = %v, want 1", tt.wantDeny, m.get("denied/"+tt.wantDeny))
			}
		})
	}
}

func authProxy() *Proxy { return &Proxy{Auth: staticAuth{"alice": "pw"}} }

type staticAuth map[string]string

func (a staticAuth) Authenticate(user, pass string) bool { p, ok := a[user]; return ok && p == pass }

func TestConnect(t *testing.T) {
	good := httptest.NewTLSServer(&upstream{})
	t.Cleanup(good.Close)
	untrusted := httptest.NewUnstartedServer(&upstream{}) // signed by a CA the proxy does not trust
	leaf, err := newTestCA(t).LeafFor("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	untrusted.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	goodRoots := good.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	ca := newTestCA(t)
	tests := []struct {
		name       string
		bypass     string
		target     string
		clientRoot string // "ca" or "upstream"
		wantCode   int
		wantErr    bool
		wantMetric string
	}{
		{name: "intercepted", target: good.URL, clientRoot: "ca", wantCode: 200},
		{name: "untrusted upstream is a 502", target: untrusted.URL, clientRoot: "ca", wantCode: 502, wantMetric: "tls/" + StageUpstreamVerify},
		{name: "bypassed host is tunnelled", bypass: "127.0.0.1", target: good.URL, clientRoot: "upstream", wantCode: 200,
			wantMetric: "uninspected/request/" + ReasonTunnelBypass},
		{name: "intercepted host fails with upstream roots only", target: good.URL, clientRoot: "upstream", wantErr: true},
		{name: "port not allowed", target: "https://127.0.0.1:1", clientRoot: "ca", wantErr: true, wantMetric: "denied/" + DeniedPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeMetrics()
			p := &Proxy{Policy: (&byteRules{bypass: tt.bypass}).policy(), CA: ca, UpstreamRoots: goodRoots, Metrics: m,
				ConnectPorts: []int{portOf(t, good.URL), portOf(t, untrusted.URL)}}
			roots := ca.pool
			if tt.clientRoot == "upstream" {
				roots = goodRoots
			}
			client := proxyClient(t, startProxy(t, p), roots)
			resp, err := client.Post(tt.target+"/u", "text/plain", strings.NewReader("hello"))
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("status %d, want an error", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantCode, body)
				}
			}
			client.CloseIdleConnections()
			if tt.wantMetric != "" {
				p.CloseConnections() // end tunnels so their bytes are counted
				waitFor(t, func() bool { return m.get(tt.wantMetric) > 0 }, tt.wantMetric)
			}
		})
	}
}

func TestFailClosedAndAllowlist(t *testing.T) {
	tests := []struct {
		name     string
		rules    byteRules
		header   string
		wantCode int
		want     string // metric key that must move
	}{
		{name: "unsupported encoding fails open", header: "x-custom", wantCode: 200, want: "uninspected/request/" + ReasonUnsupportedEncoding},
		{name: "unsupported encoding fails closed", rules: byteRules{closed: true}, header: "x-custom",
			wantCode: 403, want: "uninspected_msg/request/" + ReasonUnsupportedEncoding + "/true"},
		{name: "over limit fails open", rules: byteRules{settings: Settings{InspectLimit: 1000}}, wantCode: 200,
			want: "uninspected/request/" + ReasonOverLimit},
		{name: "over limit fails closed", rules: byteRules{settings: Settings{InspectLimit: 1000}, closed: true}, wantCode: 403,
			want: "uninspected_msg/request/" + ReasonOverLimit + "/true"},
		{name: "allowlisted host is not inspected", rules: byteRules{allow: "127.0.0.1", blockAt: 10}, wantCode: 200,
			want: "uninspected/request/" + ReasonAllowlistedHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, &tt.rules)
			body := pattern(5000)
			code, got := postEncoded(t, e, body, tt.header)
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d (%s)", code, tt.wantCode, got)
			}
			if tt.wantCode == 200 && got != sum(body) {
				t.Errorf("upstream got %s, want %s", got, sum(body))
			}
			if e.metrics.get(tt.want) == 0 {
				t.Errorf("metric %s did not move: %v", tt.want, e.metrics.snapshot())
			}
		})
	}
}

func TestHeadersSanitized(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("X-Dlp-Incident", "forged")
	}))
	t.Cleanup(up.Close)
	p := &Proxy{Policy: (&byteRules{}).policy()}
	client := proxyClient(t, startProxy(t, p), nil)
	req, _ := http.NewRequest(http.MethodGet, up.URL, nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Dlp-User", "mallory")
	req.Header.Set("Connection", "X-Secret-Hop")
	req.Header.Set("X-Secret-Hop", "1")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, k := range []string{"X-Forwarded-For", "X-Dlp-User", "X-Secret-Hop"} {
		if got.Get(k) != "" {
			t.Errorf("upstream saw %s: %q", k, got.Get(k))
		}
	}
	if got.Get("Accept-Encoding") != "gzip" {
		t.Errorf("Accept-Encoding = %q, want the client's gzip kept", got.Get("Accept-Encoding"))
	}
	if resp.Header.Get("X-Dlp-Incident") != "" {
		t.Errorf("upstream forged X-DLP-Incident reached the client")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		sleep()
	}
	t.Fatalf("timed out waiting for %s", what)
}
