package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// piEnv is a proxy running a real policy, real metrics and JSON logs.
type piEnv struct {
	client   *http.Client
	plain    *httptest.Server
	tls      *httptest.Server
	received *receiver
	reg      *prometheus.Registry
	logs     *syncBuffer
}

// receiver keeps the last request body an upstream received, even if cut.
type receiver struct {
	mu   sync.Mutex
	body []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		_, _ = w.Write([]byte(req.URL.Query().Get("echo")))
		return
	}
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.body = b
	r.mu.Unlock()
	fmt.Fprint(w, sum(b))
}

func (r *receiver) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}

// compilePolicy compiles the default policy with YAML replacements applied.
func compilePolicy(t *testing.T, replace ...string) *policy.Snapshot {
	t.Helper()
	data := string(policy.DefaultYAML())
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(data, replace[i]) {
			t.Fatalf("default policy lacks %q", replace[i])
		}
		data = strings.Replace(data, replace[i], replace[i+1], 1)
	}
	snap, _, err := policy.Compile("test.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func newPIEnv(t *testing.T, snap *policy.Snapshot, upstream http.Handler) *piEnv {
	t.Helper()
	e := &piEnv{received: &receiver{}, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	if upstream == nil {
		upstream = e.received
	}
	e.plain = httptest.NewServer(upstream)
	t.Cleanup(e.plain.Close)
	e.tls = httptest.NewTLSServer(upstream)
	t.Cleanup(e.tls.Close)
	logger, logSink, err := accesslog.New(accesslog.Options{Level: "debug", Stderr: e.logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logSink.Close() })
	ca := newTestCA(t)
	p := &Proxy{
		Policy: NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{}).Rules,
		CA:     ca, UpstreamRoots: e.tls.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		ConnectPorts: []int{portOf(t, e.tls.URL)}, Logger: logger, Metrics: PromMetrics{M: metrics.New(e.reg)},
	}
	e.client = proxyClient(t, startProxy(t, p), ca.pool)
	return e
}

// idsOnly renders one resident ID per line.
func idsOnly(recs []corpus.Record) []byte {
	var b bytes.Buffer
	b.WriteString("身份证号\n")
	for _, r := range recs {
		b.WriteString(r.ResidentID + "\n")
	}
	return b.Bytes()
}

// countIDs counts how many records' resident IDs appear in b.
func countIDs(recs []corpus.Record, b []byte) int {
	n := 0
	for _, r := range recs {
		if bytes.Contains(b, []byte(r.ResidentID)) {
			n++
		}
	}
	return n
}

// assertNoRawValues fails if any PI value of recs appears in the logs.
func assertNoRawValues(t *testing.T, logs string, recs []corpus.Record) {
	t.Helper()
	if logs == "" {
		t.Fatal("no log output captured")
	}
	for _, r := range recs {
		for _, v := range []string{r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Passport, r.Name} {
			if strings.Contains(logs, v) {
				t.Fatalf("raw value %s... appears in the logs", string([]rune(v)[:1]))
			}
		}
	}
}

func TestThresholdsWithDefaultPolicy(t *testing.T) {
	recs := corpus.Records(7, 60)
	e := newPIEnv(t, policy.Default(), nil)
	tests := []struct {
		name     string
		body     []byte
		wantCode int
	}{
		{name: "49 distinct IDs pass", body: idsOnly(recs[:49]), wantCode: 200},
		{name: "50 distinct IDs are blocked", body: idsOnly(recs[:50]), wantCode: 403},
		{name: "49 IDs repeated 3 times pass", body: bytes.Repeat(idsOnly(recs[:49]), 3), wantCode: 200},
		{name: "customer CSV of 60 rows is blocked", body: corpus.CSV(recs, corpus.CSVOptions{}).Data, wantCode: 403},
	}
	for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
		for _, tt := range tests {
			t.Run(scheme+"/"+tt.name, func(t *testing.T) {
				resp, err := e.client.Post(base+"/upload", "text/csv", bytes.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantCode, page)
				}
				if tt.wantCode == 403 && !strings.Contains(string(page), "block-bulk-ids-and-cards") {
					t.Errorf("block page does not name the rule: %s", page)
				}
				if tt.wantCode == 200 && string(page) != sum(tt.body) {
					t.Errorf("upstream got %s, want the body byte-identical", page)
				}
			})
		}
	}
	for _, want := range []string{`"msg":"incident"`, `"action":"block"`, `"action":"log"`, `"cn_resident_id":50`} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
	assertNoRawValues(t, e.logs.String(), recs)
	assertMetric(t, e.reg, "dlp_blocks_total", map[string]string{"direction": "request", "phase": "held"}, 4)
	assertMetric(t, e.reg, "dlp_incidents_total", map[string]string{"rule": "block-bulk-ids-and-cards", "action": "block"}, 4)
	// Every request matched the log rule, blocked or not: each counts once.
	assertMetric(t, e.reg, "dlp_incidents_total", map[string]string{"rule": "log-personal-information", "action": "log"}, 8)
	assertMetric(t, e.reg, "dlp_requests_total", map[string]string{"outcome": "blocked"}, 4)
	assertMetric(t, e.reg, "dlp_requests_total", map[string]string{"outcome": "allowed"}, 4)
}

// TestLogsMaskPathAndParts sends single values where the proxy itself
// writes client text into its records: the URL path (an ID, a phone, an
// email and a Chinese name as path segments) and a multipart part's field
// name and Content-Type parameters. No raw value may reach a log line.
func TestLogsMaskPathAndParts(t *testing.T) {
	recs := corpus.Records(3, 4)
	e := newPIEnv(t, compilePolicy(t, "cn_resident_id: 50", "cn_resident_id: 1"), nil)
	paths := []string{"/u/" + recs[0].ResidentID + "/orders", "/call/" + recs[1].Mobile, "/to/" + recs[2].Email, "/people/" + recs[3].Name}
	form := "--XB\r\nContent-Disposition: form-data; name=\"id_" + recs[0].ResidentID + "\"\r\n" +
		"Content-Type: text/plain; note=\"" + recs[1].ResidentID + "\"\r\n\r\n" + recs[2].ResidentID + "\r\n--XB--\r\n"
	for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
		for _, p := range paths {
			resp, err := e.client.Get(base + (&url.URL{Path: p}).EscapedPath())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp := post(t, e.client, base+"/upload/"+recs[3].Mobile, "multipart/form-data; boundary=XB", []byte(form))
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: multipart status %d, want 403 (one ID blocks in this policy)", scheme, resp.StatusCode)
		}
	}
	logs := e.logs.String()
	for _, want := range []string{`"path":"/u/*/orders"`, `"path":"/call/*"`, `"path":"/to/*"`, `"path":"/people/*"`, `"path":"/upload/*"`, `"field":"id_*****************`, `"content_type":"text/plain"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	assertNoRawValues(t, logs, recs)
}

// TestLeakBudget streams 10,000 records with nothing held: the upstream (or
// the client) must receive fewer than the 50 IDs of the block threshold.
func TestLeakBudget(t *testing.T) {
	recs := corpus.Records(11, 10000)
	csv := corpus.CSV(recs, corpus.CSVOptions{}).Data
	snap := compilePolicy(t, "hold_size: 1MiB", "hold_size: 0")
	t.Run("request", func(t *testing.T) {
		e := newPIEnv(t, snap, nil)
		for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
			resp, err := e.client.Post(base+"/upload", "text/csv", unsized{bytes.NewReader(csv)})
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 403 {
					t.Errorf("%s: status = %d, want 403", scheme, resp.StatusCode)
				}
			}
			if n := countIDs(recs, e.received.last()); n >= 50 {
				t.Errorf("%s: upstream received %d IDs, want fewer than 50", scheme, n)
			}
		}
		assertNoRawValues(t, e.logs.String(), recs)
		assertMetric(t, e.reg, "dlp_blocks_total", map[string]string{"direction": "request", "phase": "streaming"}, 2)
	})
	t.Run("response", func(t *testing.T) {
		// With a clean preamble the headers go out before the PI starts, so
		// the block cuts the body; without, it falls in the first chunk and
		// is still a clean page.
		preamble := corpus.CleanWeb(3, 256<<10).Data
		tests := []struct {
			name      string
			body      []byte
			wantPhase string
		}{
			{name: "block in the first chunk", body: csv, wantPhase: PhaseHeld},
			{name: "block after the headers", body: append(preamble[:len(preamble):len(preamble)], csv...), wantPhase: PhaseStreaming},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newPIEnv(t, snap, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tt.body) }))
				for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
					resp, err := e.client.Get(base + "/export.csv")
					if err != nil {
						t.Fatalf("%s: %v", scheme, err)
					}
					got, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					switch tt.wantPhase {
					case PhaseHeld:
						if resp.StatusCode != 403 || rerr != nil {
							t.Errorf("%s: status = %d (%v), want a clean 403 page", scheme, resp.StatusCode, rerr)
						}
					default:
						if rerr == nil {
							t.Errorf("%s: response ended cleanly after %d bytes; want it cut", scheme, len(got))
						}
					}
					if n := countIDs(recs, got); n >= 50 {
						t.Errorf("%s: client received %d IDs, want fewer than 50", scheme, n)
					}
				}
				assertNoRawValues(t, e.logs.String(), recs)
				assertMetric(t, e.reg, "dlp_blocks_total", map[string]string{"direction": "response", "phase": tt.wantPhase}, 2)
			})
		}
	})
}

// assertMetric checks the value of the series of name with labels. Access
// lines (and their metrics) are written when goproxy closes the response,
// which may be just after the client read it, so it waits a little.
func assertMetric(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string, want float64) {
	t.Helper()
	var got float64
	var found bool
	for range 100 {
		if got, found = metricValue(t, g, name, labels); found && got == want {
			return
		}
		sleep()
	}
	if !found {
		t.Errorf("%s%v not found", name, labels)
		return
	}
	t.Errorf("%s%v = %v, want %v", name, labels, got, want)
}

// metricValue returns the counter value of the series of name with labels.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m, labels) {
				return m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
			n++
		}
	}
	return n == len(labels)
}
