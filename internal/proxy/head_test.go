package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// TestRequestHeadInspected: ID numbers in the query string, a header or a
// cookie count toward the thresholds like body text: a GET carrying 1,000
// is answered with the block page and never reaches the upstream. With a
// body, head and body are one message: their distinct values add up, and
// a head over the threshold is blocked before a streamed body goes out.
func TestRequestHeadInspected(t *testing.T) {
	recs := corpus.Records(7, 1000)
	ids := residentIDs(recs)
	reached := 0
	up := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached++ })
	e := newPIEnv(t, policy.Default(), up)
	tests := []struct {
		name       string
		query      string
		header     string
		cookie     string
		body       string
		wantStatus int
	}{
		{name: "1,000 IDs in the query", query: "?d=" + strings.Join(ids, ","), wantStatus: http.StatusForbidden},
		{name: "1,000 IDs percent-encoded in the query", query: "?d=" + strings.Join(ids, "%2C"), wantStatus: http.StatusForbidden},
		{name: "1,000 IDs in a header", header: strings.Join(ids, ","), wantStatus: http.StatusForbidden},
		{name: "1,000 IDs in a cookie", cookie: "d=" + strings.Join(ids, "; d="), wantStatus: http.StatusForbidden},
		{name: "49 IDs in the query pass", query: "?d=" + strings.Join(ids[:49], ","), wantStatus: http.StatusOK},
		{name: "plain request passes", query: "?page=2", wantStatus: http.StatusOK},
		{name: "49 IDs in the query and 49 others in the body", query: "?d=" + strings.Join(ids[:49], ","), body: strings.Join(ids[49:98], "\n"), wantStatus: http.StatusForbidden},
		{name: "49 IDs in a header and 1 in the body", header: strings.Join(ids[:49], ","), body: ids[500], wantStatus: http.StatusForbidden},
		{name: "the same 49 IDs in the query and the body pass", query: "?d=" + strings.Join(ids[:49], ","), body: strings.Join(ids[:49], "\n"), wantStatus: http.StatusOK},
		{name: "1,000 IDs in the query with a streamed clean body", query: "?d=" + strings.Join(ids, ","), body: strings.Repeat("clean text, nothing to count\n", 100_000), wantStatus: http.StatusForbidden},
	}
	for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
		for _, tt := range tests {
			t.Run(scheme+"/"+tt.name, func(t *testing.T) {
				reached = 0
				method, body := http.MethodGet, io.Reader(nil)
				if tt.body != "" {
					method, body = http.MethodPost, strings.NewReader(tt.body)
				}
				req, err := http.NewRequest(method, base+"/search"+tt.query, body)
				if err != nil {
					t.Fatal(err)
				}
				if tt.header != "" {
					req.Header.Set("X-Data", tt.header)
				}
				if tt.cookie != "" {
					req.Header.Set("Cookie", tt.cookie)
				}
				resp := do(t, e.client, req)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tt.wantStatus, resp.body)
				}
				if tt.wantStatus == http.StatusForbidden && (reached != 0 || !strings.Contains(resp.body, "block-bulk-ids-and-cards")) {
					t.Errorf("upstream reached %d times, page %.200s; want a block page before forwarding", reached, resp.body)
				}
			})
		}
	}
	assertNoRawValues(t, e.logs.String(), recs)
}

// do sends req and reads the response body.
func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("do: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{StatusCode: resp.StatusCode, body: string(b)}
}

func TestMayHoldValue(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{give: "/index.html\nHost: example.com\nAccept: */*\n", want: false},
		{give: "Accept-Language: zh-CN,zh;q=0.9\nDate: Wed, 21 Oct 2015\n", want: false},
		{give: "If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\n", want: true}, // conservative: 2015 07 is six digits
		{give: "/u/110105194912310021\n", want: true},
		{give: "X-P: 138 0013 8000\n", want: true},
		{give: "X-P: 138-0013-8000\n", want: true},
		{give: "to a@b.cn\n", want: true},
		{give: "name 张伟\n", want: true},
		{give: "X: &#49;\n", want: true},
		{give: "Authorization: Bearer " + strings.Repeat("QUJD", 16) + "\n", want: true},
	}
	for _, tt := range tests {
		if got := mayHoldValue([]byte(tt.give)); got != tt.want {
			t.Errorf("mayHoldValue(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

// FuzzMayHoldValue checks the pre-check never skips text in which the
// engine finds a value.
func FuzzMayHoldValue(f *testing.F) {
	for _, s := range []string{"110105194912310021", "13800138000", "a@b.cn", "张伟", "6222021234567890123", "E12345678", "/x?page=2"} {
		f.Add([]byte(s))
	}
	engine, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if mayHoldValue(b) {
			return
		}
		s := engine.NewScanner()
		defer s.Release()
		_, _ = s.Write(b)
		_ = s.Close()
		if n := s.Tally().Total(); n != 0 {
			t.Fatalf("mayHoldValue(%q) = false, but the engine finds %d values", b, n)
		}
	})
}
