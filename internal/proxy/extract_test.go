package proxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// leakShape is one way a customer list leaves: a body and its Content-Type.
type leakShape struct {
	name  string
	body  []byte
	ctype string
}

// customerFile is the test's spreadsheet name: a person's name, which must
// only appear masked.
const customerFile = "张伟客户名单.xlsx"

// leakShapes renders recs the ways issue 5 lists; every shape holds the
// same distinct values as the plain CSV (the first shape).
func leakShapes(t *testing.T, recs []corpus.Record) []leakShape {
	t.Helper()
	plain := corpus.CSV(recs, corpus.CSVOptions{}).Data
	rows := csvRows(recs)
	third := len(rows) / 3
	zipOfCSVs := buildZip(t,
		zfile{name: "a.csv", data: csvBytes(rows[:third])},
		zfile{name: "b/b.csv", data: csvBytes(append([][]string{rows[0]}, rows[third:2*third]...))},
		zfile{name: "c.csv", data: csvBytes(append([][]string{rows[0]}, rows[2*third:]...)), store: true},
	)
	form, formType := buildMultipart(t,
		filePart{field: "note", data: []byte("客户名单，请查收")},
		filePart{field: "file", file: customerFile, ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: buildXLSX(t, rows)},
	)
	return []leakShape{
		{name: "plain csv", body: plain, ctype: "text/csv"},
		{name: "multipart xlsx", body: form, ctype: formType},
		{name: "zip of csvs", body: zipOfCSVs, ctype: "application/zip"},
		{name: "base64 json", body: []byte(`{"name":"export","file":"` + base64.StdEncoding.EncodeToString(plain) + `"}`), ctype: "application/json"},
		{name: "gbk csv", body: encodeText(t, simplifiedchinese.GBK, plain), ctype: "text/csv; charset=GBK"},
		{name: "utf-16 csv", body: encodeText(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), plain), ctype: "text/csv"},
	}
}

// TestLeakShapesThroughProxy is issue 5's "done when" through the running
// proxy: a 1,000-row customer list in every shape is blocked by the default
// policy before anything reaches the upstream, and with the block rules
// out of reach the log incident counts what the plain CSV counts.
func TestLeakShapesThroughProxy(t *testing.T) {
	recs := corpus.Records(21, 1000)
	shapes := leakShapes(t, recs)
	block := newPIEnv(t, compilePolicy(t), nil)
	count := newPIEnv(t, compilePolicy(t, "cn_resident_id: 50", "cn_resident_id: 100000", "bank_card: 50", "bank_card: 100000",
		"cn_passport: 50", "cn_passport: 100000", "cn_travel_permit: 50", "cn_travel_permit: 100000",
		"cn_mobile: 500", "cn_mobile: 100000", "email: 500", "email: 100000"), nil)
	var want map[string]int
	for i, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			path := fmt.Sprintf("/upload/%d", i)
			resp := post(t, block.client, block.plain.URL+path, sh.ctype, sh.body)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.body, "block-bulk-ids-and-cards") {
				t.Fatalf("default policy: status %d, want 403 naming the rule: %.200s", resp.StatusCode, resp.body)
			}
			if n := countIDs(recs, block.received.last()); n >= 50 {
				t.Errorf("upstream received %d IDs, want fewer than 50", n)
			}
			if resp := post(t, count.client, count.plain.URL+path, sh.ctype, sh.body); resp.StatusCode != http.StatusOK {
				t.Fatalf("log-only policy: status %d, want 200", resp.StatusCode)
			}
			inc := incidentFor(t, count.logs, path)
			if want == nil {
				want = inc.Counts
				if want["cn_resident_id"] != len(recs) || want["cn_mobile"] != len(recs) {
					t.Fatalf("plain csv counts %v, want %d IDs and mobiles", want, len(recs))
				}
			}
			if !maps.Equal(inc.Counts, want) {
				t.Errorf("counts %v, want the plain csv's %v", inc.Counts, want)
			}
		})
	}
	for _, e := range []*piEnv{block, count} {
		assertNoRawValues(t, e.logs.String(), recs)
		if strings.Contains(e.logs.String(), "张伟") {
			t.Error("the uploaded file name appears unmasked in the logs")
		}
	}
	inc := incidentFor(t, count.logs, "/upload/1")
	wantParts := []loggedPart{{Field: "note"}, {Field: "file", File: "张*****.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Found: want["cn_resident_id"] + want["cn_mobile"] + want["bank_card"] + want["email"] + want["cn_passport"]}}
	if fmt.Sprint(inc.Parts) != fmt.Sprint(wantParts) {
		t.Errorf("incident parts %+v, want %+v", inc.Parts, wantParts)
	}
}

// TestArchivesThroughProxy: the 60-row customer list packed by 7-Zip
// (LZMA2, solid) and xz, and a legacy .xls contact list of 600 mobiles
// typed as numbers (extract's fixtures, made with 7-Zip 26.02, XZ Utils
// 5.4.1 and python3-xlwt), are blocked by the default policy before the
// upstream gets them. Before, the archives were unsupported_encoding and
// the workbook counted nothing, and each was forwarded whole.
func TestArchivesThroughProxy(t *testing.T) {
	block := newPIEnv(t, compilePolicy(t), nil)
	for _, tt := range []struct{ file, rule string }{
		{"compressed/list.7z", "block-bulk-ids-and-cards"},
		{"compressed/solid.7z", "block-bulk-ids-and-cards"},
		{"compressed/lzma.7z", "block-bulk-ids-and-cards"},
		{"compressed/list.csv.xz", "block-bulk-ids-and-cards"},
		{"compressed/blocks.csv.xz", "block-bulk-ids-and-cards"},
		{"xls/contacts.xls", "block-bulk-contacts"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("..", "extract", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			resp := post(t, block.client, block.plain.URL+"/upload/"+tt.file, "application/octet-stream", body)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.body, tt.rule) {
				t.Fatalf("status %d, want 403 naming %s: %.200s", resp.StatusCode, tt.rule, resp.body)
			}
			if got := block.received.last(); len(got) >= len(body) {
				t.Errorf("upstream received %d of %d bytes", len(got), len(body))
			}
		})
	}
}

// TestUninspectableArchives: a zip bomb and an encrypted zip are counted
// uninspectable; fail-open lets them pass, fail-closed blocks them with the
// reason's rule. Never a crash or a hang.
func TestUninspectableArchives(t *testing.T) {
	csvData := corpus.CSV(corpus.Records(5, 100), corpus.CSVOptions{}).Data
	tests := []struct {
		name   string
		give   []byte
		reason string
	}{
		{name: "zip bomb", give: buildZip(t, zfile{name: "zeros.txt", data: make([]byte, 16<<20)}), reason: ReasonOverLimit},
		{name: "encrypted zip", give: buildZip(t, zfile{name: "secret.csv", data: csvData, flags: 1}), reason: ReasonEncrypted},
	}
	open := newPIEnv(t, compilePolicy(t), nil)
	closed := newPIEnv(t, compilePolicy(t, "uninspectable: allow", "uninspectable: block"), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, open.client, open.plain.URL+"/up", "application/zip", tt.give)
			if resp.StatusCode != http.StatusOK || resp.body != sum(tt.give) {
				t.Errorf("fail-open: status %d (%q), want 200 and the body forwarded", resp.StatusCode, resp.body)
			}
			assertMetric(t, open.reg, "dlp_uninspected_messages_total", map[string]string{"direction": "request", "reason": tt.reason, "action": "allow"}, 1)
			resp = post(t, closed.client, closed.plain.URL+"/up", "application/octet-stream", tt.give)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.body, uninspectableRule(tt.reason)) {
				t.Errorf("fail-closed: status %d, want 403 naming %s: %.200s", resp.StatusCode, uninspectableRule(tt.reason), resp.body)
			}
			assertMetric(t, closed.reg, "dlp_uninspected_messages_total", map[string]string{"direction": "request", "reason": tt.reason, "action": "block"}, 1)
		})
	}
}

// result is a response with its body read.
type result struct {
	StatusCode int
	body       string
}

func post(t *testing.T, c *http.Client, url, ctype string, body []byte) result {
	t.Helper()
	resp, err := c.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{StatusCode: resp.StatusCode, body: string(b)}
}

// loggedIncident is the part of an incident record the tests read.
type loggedIncident struct {
	Path   string         `json:"path"`
	Action string         `json:"action"`
	Counts map[string]int `json:"counts"`
	Parts  []loggedPart   `json:"parts"`
}

type loggedPart struct {
	Field       string `json:"field"`
	File        string `json:"file"`
	ContentType string `json:"content_type"`
	Found       int    `json:"found"`
}

// incidentFor returns the last incident logged for path, waiting a little
// for it (it is written when the message ends).
func incidentFor(t *testing.T, logs *syncBuffer, path string) loggedIncident {
	t.Helper()
	for range 100 {
		var found *loggedIncident
		for line := range strings.Lines(logs.String()) {
			var rec struct {
				Msg      string         `json:"msg"`
				Incident loggedIncident `json:"incident"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "incident" && rec.Incident.Path == path {
				found = &rec.Incident
			}
		}
		if found != nil {
			return *found
		}
		sleep()
	}
	t.Fatalf("no incident logged for %s", path)
	return loggedIncident{}
}

// zfile is one file of a test archive.
type zfile struct {
	name  string
	data  []byte
	store bool   // no compression, sizes in the local header
	flags uint16 // extra header flags (1: encrypted)
}

// buildZip writes an archive of fs (corpus.Zip).
func buildZip(t *testing.T, fs ...zfile) []byte {
	t.Helper()
	files := make([]corpus.ZipFile, len(fs))
	for i, f := range fs {
		files[i] = corpus.ZipFile{Name: f.name, Data: f.data, Store: f.store, Flags: f.flags}
	}
	b, err := corpus.Zip(files...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// csvRows renders recs as rows under the corpus's Chinese header.
func csvRows(recs []corpus.Record) [][]string { return corpus.Rows(recs) }

func csvBytes(rows [][]string) []byte { return corpus.CSVBytes(rows) }

// buildXLSX renders rows as a spreadsheet (corpus.XLSX).
func buildXLSX(t *testing.T, rows [][]string) []byte {
	t.Helper()
	b, err := corpus.XLSX(rows)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// filePart is one part of a test form.
type filePart struct {
	field, file, ctype string
	data               []byte
}

// buildMultipart writes a form (corpus.Multipart); it returns the body and
// its Content-Type.
func buildMultipart(t *testing.T, parts ...filePart) ([]byte, string) {
	t.Helper()
	fp := make([]corpus.FormPart, len(parts))
	for i, p := range parts {
		fp[i] = corpus.FormPart{Field: p.field, File: p.file, ContentType: p.ctype, Data: p.data}
	}
	body, ctype, err := corpus.Multipart(fp...)
	if err != nil {
		t.Fatal(err)
	}
	return body, ctype
}

// encodeText transcodes UTF-8 text with enc.
func encodeText(t *testing.T, enc encoding.Encoding, data []byte) []byte {
	t.Helper()
	out, err := enc.NewEncoder().Bytes(data)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out
}

// TestBlockStopsDecoding: a zip of 20,000 rows, held whole and decoded
// when its body ends, is blocked once the policy blocks, not after its
// 20,000th row: the proxy stops the extractor then (extract.StopWhen), so
// the 403 does not wait for the whole archive to be decoded.
func TestBlockStopsDecoding(t *testing.T) {
	e := newPIEnv(t, compilePolicy(t), nil)
	const rows = 20000
	body := buildZip(t, zfile{name: "c.csv", data: corpus.CSV(corpus.Records(15, rows), corpus.CSVOptions{}).Data})
	resp := post(t, e.client, e.plain.URL+"/upload", "application/zip", body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.body, "block-bulk-ids-and-cards") {
		t.Fatalf("status %d, want 403 naming block-bulk-ids-and-cards: %.200s", resp.StatusCode, resp.body)
	}
	counted := regexp.MustCompile(`"msg":"incident".*?"cn_resident_id":(\d+)`)
	deadline := time.Now().Add(5 * time.Second)
	m := counted.FindStringSubmatch(e.logs.String())
	for m == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		m = counted.FindStringSubmatch(e.logs.String())
	}
	if m == nil {
		t.Fatalf("no incident with an ID count in the log: %.500s", e.logs.String())
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 || n > rows/2 {
		t.Errorf("incident counts %d IDs of %d: the extractor did not stop at the block", n, rows)
	}
}
