package proxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestRedTeamLeaks sends 60 resident IDs (over the default policy's block
// threshold of 50) the ways an employee's tools send a list, each of which
// passed the proxy uncounted before: a gzipped export in a form upload, a
// text-area list in a JSON API (\n escapes), space-separated IDs in a form
// body ('+'), and IDs separated by slashes in a URL path. Each is blocked
// and the upstream receives nothing.
func TestRedTeamLeaks(t *testing.T) {
	recs := corpus.Records(43, 60)
	ids := residentIDs(recs)
	gzipped, gzType := buildMultipart(t, filePart{field: "file", file: "customers.csv.gz", ctype: "application/gzip",
		data: encode(t, "gzip", corpus.CSV(recs, corpus.CSVOptions{}).Data)})
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		ctype  string
	}{
		{name: "csv.gz upload", method: http.MethodPost, path: "/up", body: string(gzipped), ctype: gzType},
		{name: "json text area", method: http.MethodPost, path: "/api", body: `{"remark":"` + strings.Join(ids, `\n`) + `"}`, ctype: "application/json"},
		{name: "form, space separated", method: http.MethodPost, path: "/form", body: "q=" + url.QueryEscape(strings.Join(ids, " ")), ctype: "application/x-www-form-urlencoded"},
		{name: "path, slash separated", method: http.MethodGet, path: "/c/" + strings.Join(ids, "/")},
	}
	e := newPIEnv(t, compilePolicy(t), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.plain.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp := do(t, e.client, req)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.body, "block-bulk-ids-and-cards") {
				t.Errorf("status %d, want 403 naming block-bulk-ids-and-cards: %.300s", resp.StatusCode, resp.body)
			}
			if n := countIDs(recs, e.received.last()); n > 0 {
				t.Errorf("upstream received %d IDs", n)
			}
		})
	}
	assertNoRawValues(t, e.logs.String(), recs)
}
