package proxy

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestEvasion sends 60 records (over the default policy's 50-ID block
// threshold) disguised in ways a client might try: each is blocked by the
// default policy, or, when it cannot be inspected, counted and blocked
// under fail-closed. Nothing passes silently.
func TestEvasion(t *testing.T) {
	recs := corpus.Records(31, 60)
	plain := corpus.CSV(recs, corpus.CSVOptions{}).Data
	rows := csvRows(recs)
	xlsx := buildXLSX(t, rows)
	zipped := buildZip(t, zfile{name: "list.csv", data: plain})
	// Three parts of 20 records each, each in another encoding: no part
	// alone reaches the threshold, the message does.
	mixed, mixedType := buildMultipart(t,
		filePart{field: "a", file: "a.csv", ctype: "text/csv; charset=gbk", data: encodeText(t, simplifiedchinese.GBK, csvBytes(rows[:21]))},
		filePart{field: "b", data: []byte(base64.StdEncoding.EncodeToString(csvBytes(append([][]string{rows[0]}, rows[21:41]...))))},
		filePart{field: "c", file: "c.zip", ctype: "application/zip", data: buildZip(t, zfile{name: "c.csv", data: encodeText(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), csvBytes(append([][]string{rows[0]}, rows[41:]...)))})},
	)
	tests := []struct {
		name     string
		body     []byte
		ctype    string
		encoding string // Content-Encoding header
		closed   bool   // fail-closed policy
		wantRule string
	}{
		{name: "zip declared text/plain", body: zipped, ctype: "text/plain", wantRule: "block-bulk-ids-and-cards"},
		{name: "xlsx declared text/plain", body: xlsx, ctype: "text/plain; charset=utf-8", wantRule: "block-bulk-ids-and-cards"},
		{name: "csv declared octet-stream", body: plain, ctype: "application/octet-stream", wantRule: "block-bulk-ids-and-cards"},
		{name: "csv declared image/png", body: plain, ctype: "image/png", wantRule: "block-bulk-ids-and-cards"},
		{name: "gzip of gzip", body: encode(t, "gzip", encode(t, "gzip", plain)), ctype: "text/csv", encoding: "gzip, gzip", wantRule: "block-bulk-ids-and-cards"},
		{name: "br of zstd", body: encode(t, "br", encode(t, "zstd", plain)), ctype: "text/csv", encoding: "zstd, br", wantRule: "block-bulk-ids-and-cards"},
		{name: "gzip of a zip", body: encode(t, "gzip", zipped), ctype: "application/octet-stream", encoding: "gzip", wantRule: "block-bulk-ids-and-cards"},
		{name: "gzip of base64 json", body: encode(t, "gzip", []byte(`{"f":"`+base64.StdEncoding.EncodeToString(plain)+`"}`)), ctype: "application/json", encoding: "gzip", wantRule: "block-bulk-ids-and-cards"},
		{name: "mixed encodings in one form", body: mixed, ctype: mixedType, wantRule: "block-bulk-ids-and-cards"},
		{name: "gzip declared but not gzip, fail-closed", body: plain, ctype: "text/csv", encoding: "gzip", closed: true, wantRule: uninspectableRule(ReasonDecodeError)},
		{name: "unknown encoding, fail-closed", body: plain, ctype: "text/csv", encoding: "compress", closed: true, wantRule: uninspectableRule(ReasonUnsupportedEncoding)},
		{name: "gzip of an encrypted zip, fail-closed", body: encode(t, "gzip", buildZip(t, zfile{name: "x.csv", data: plain, flags: 1})), ctype: "application/zip", encoding: "gzip", closed: true, wantRule: uninspectableRule(ReasonEncrypted)},
	}
	open := newPIEnv(t, compilePolicy(t), nil)
	closed := newPIEnv(t, compilePolicy(t, "uninspectable: allow", "uninspectable: block"), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := open
			if tt.closed {
				e = closed
			}
			req, err := http.NewRequest(http.MethodPost, e.plain.URL+"/up", bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.ctype)
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page bytes.Buffer
			_, _ = page.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page.String(), tt.wantRule) {
				t.Errorf("status %d, want 403 naming %s: %.300s", resp.StatusCode, tt.wantRule, page.String())
			}
		})
	}
	assertNoRawValues(t, open.logs.String()+closed.logs.String(), recs)
}

// TestTinyChunks sends an ID list as 1-byte chunks of chunked encoding
// over raw TCP, held and streaming: the split does not hide a value.
func TestTinyChunks(t *testing.T) {
	recs := corpus.Records(33, 60)
	body := idsOnly(recs)
	var chunked strings.Builder
	for _, c := range body {
		chunked.WriteString("1\r\n")
		chunked.WriteByte(c)
		chunked.WriteString("\r\n")
	}
	chunked.WriteString("0\r\n\r\n")
	for _, hold := range []string{"1MiB", "0"} {
		t.Run("hold "+hold, func(t *testing.T) {
			e := newPIEnv(t, compilePolicy(t, "hold_size: 1MiB", "hold_size: "+hold), nil)
			addr := strings.TrimPrefix(proxyURLOf(t, e), "http://")
			raw := "POST " + e.plain.URL + "/up HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked.String()
			got := rawRequest(t, addr, raw, nil)
			if got.status != http.StatusForbidden {
				t.Errorf("status %d, want 403", got.status)
			}
			if n := countIDs(recs, e.received.last()); n >= 50 {
				t.Errorf("upstream received %d IDs, want fewer than 50", n)
			}
		})
	}
}

// proxyURLOf returns the proxy address of a piEnv's client.
func proxyURLOf(t *testing.T, e *piEnv) string {
	t.Helper()
	u, err := e.client.Transport.(*http.Transport).Proxy(&http.Request{})
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}
