package proxy

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// encode compresses b with one content coding.
func encode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&out)
	case "br":
		w = brotli.NewWriter(&out)
	case "zstd":
		zw, err := zstd.NewWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("no encoder for %q", coding)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestGzipUploadsWithDefaultPolicy sends 60 distinct resident IDs gzipped:
// held or streamed, the policy sees the decoded IDs and blocks, and the
// upstream can decode fewer than the 50 of the threshold.
func TestGzipUploadsWithDefaultPolicy(t *testing.T) {
	recs := corpus.Records(13, 2000)
	tests := []struct {
		name     string
		snap     *policy.Snapshot
		body     []byte
		wantCode int
	}{
		{name: "held", snap: policy.Default(), body: idsOnly(recs[:60]), wantCode: 403},
		{name: "streamed", snap: compilePolicy(t, "hold_size: 1MiB", "hold_size: 0"), body: idsOnly(recs), wantCode: 403},
		{name: "49 IDs pass byte-identical", snap: policy.Default(), body: idsOnly(recs[:49]), wantCode: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPIEnv(t, tt.snap, nil)
			gz := encode(t, "gzip", tt.body)
			for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
				req, _ := http.NewRequest(http.MethodPost, base+"/upload", bytes.NewReader(gz))
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", scheme, err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("%s: status = %d, want %d: %s", scheme, resp.StatusCode, tt.wantCode, page)
				}
				if tt.wantCode == 200 {
					if string(page) != sum(gz) {
						t.Errorf("%s: upstream got %s, want the gzip bytes unchanged %s", scheme, page, sum(gz))
					}
					continue
				}
				if !strings.Contains(string(page), "block-bulk-ids-and-cards") {
					t.Errorf("%s: block page does not name the rule: %s", scheme, page)
				}
				if n := countIDs(recs, decodeAll(t, "gzip", e.received.last())); n >= 50 {
					t.Errorf("%s: upstream can decode %d IDs, want fewer than 50", scheme, n)
				}
			}
			assertNoRawValues(t, e.logs.String(), recs)
		})
	}
}

// gzipBomb is a small gzip body that decodes to 16 MiB of zeros: far past
// the 200:1 ratio bound.
func gzipBomb(t *testing.T) []byte {
	return encode(t, "gzip", make([]byte, 16<<20))
}

func TestEncodedRequestBodies(t *testing.T) {
	clean := pattern(200 << 10)
	tests := []struct {
		name     string
		body     func(t *testing.T) []byte
		coding   string
		closed   bool
		wantCode int
		want     string // metric key that must move
	}{
		{name: "clean gzip passes identical", body: func(t *testing.T) []byte { return encode(t, "gzip", clean) },
			coding: "gzip", wantCode: 200, want: "inspected/request"},
		{name: "gzip bomb fails open", body: gzipBomb, coding: "gzip", wantCode: 200,
			want: "uninspected_msg/request/" + ReasonOverLimit + "/false"},
		{name: "gzip bomb fails closed", body: gzipBomb, coding: "gzip", closed: true, wantCode: 403,
			want: "uninspected_msg/request/" + ReasonOverLimit + "/true"},
		{name: "corrupt gzip fails open", body: corruptGzip, coding: "gzip", wantCode: 200,
			want: "uninspected_msg/request/" + ReasonDecodeError + "/false"},
		{name: "corrupt gzip fails closed", body: corruptGzip, coding: "gzip", closed: true, wantCode: 403,
			want: "uninspected_msg/request/" + ReasonDecodeError + "/true"},
		{name: "stacked codings beyond the limit are unsupported", body: func(*testing.T) []byte { return clean },
			coding: "gzip, gzip, gzip, gzip", wantCode: 200, want: "uninspected/request/" + ReasonUnsupportedEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, &byteRules{closed: tt.closed, settings: Settings{HoldSize: 1 << 20}})
			body := tt.body(t)
			code, got := postEncoded(t, e, body, tt.coding)
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d (%s)", code, tt.wantCode, got)
			}
			if tt.wantCode == 200 && got != sum(body) {
				t.Errorf("upstream got %s, want the original bytes %s", got, sum(body))
			}
			if tt.wantCode == 403 && !strings.Contains(got, "uninspectable_") {
				t.Errorf("block page does not name the uninspectable rule: %s", got)
			}
			if e.metrics.get(tt.want) == 0 {
				t.Errorf("metric %s did not move: %v", tt.want, e.metrics.snapshot())
			}
		})
	}
}

// corruptGzip is a gzip body with its compressed data damaged.
func corruptGzip(t *testing.T) []byte {
	b := encode(t, "gzip", pattern(100<<10))
	for i := 20; i < len(b)-8; i += 7 {
		b[i] ^= 0x5a
	}
	return b
}

// TestEncodedResponses serves br, zstd and gzip bodies: the proxy scans the
// decoded content (a block threshold on decoded bytes is reached although
// the encoded body is far smaller) and forwards clean ones unchanged.
func TestEncodedResponses(t *testing.T) {
	text := pattern(300 << 10)
	noise := corpus.Binary(5, 4<<20).Data // incompressible: the encoded body streams past the decoders' lag
	tests := []struct {
		name     string
		content  []byte
		hold     int64
		blockAt  int64
		wantCode int
		wantCut  bool
	}{
		{name: "clean passes identical", content: text, hold: 1 << 20, wantCode: 200},
		{name: "held block", content: text, hold: 1 << 20, blockAt: 200 << 10, wantCode: 403},
		{name: "streaming block before the first byte is a page", content: text, blockAt: 200 << 10, wantCode: 403},
		{name: "streaming block cuts", content: noise, blockAt: 2 << 20, wantCode: 200, wantCut: true},
	}
	for _, coding := range []string{"br", "zstd", "gzip"} {
		for _, tt := range tests {
			t.Run(coding+"/"+tt.name, func(t *testing.T) {
				encoded := encode(t, coding, tt.content)
				e := newEnv(t, &byteRules{blockAt: tt.blockAt, settings: Settings{HoldSize: tt.hold}})
				up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Encoding", coding)
					_, _ = w.Write(encoded)
				}))
				defer up.Close()
				resp, err := e.client.Get(up.URL + "/data")
				if err != nil {
					t.Fatal(err)
				}
				got, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantCode)
				}
				switch {
				case tt.wantCut:
					if rerr == nil {
						t.Errorf("read %d bytes and a clean end; want the body cut", len(got))
					}
					if n := len(decodeAll(t, coding, got)); int64(n) >= tt.blockAt {
						t.Errorf("client can decode %d bytes, want fewer than %d", n, tt.blockAt)
					}
				case tt.wantCode == 403:
					if !strings.Contains(string(got), "bytes_block") || resp.Header.Get("X-Dlp-Incident") == "" {
						t.Errorf("block page lacks rule or incident: %v %s", resp.Header, got)
					}
					if len(tt.content) <= int(tt.blockAt) {
						t.Errorf("content of %d bytes cannot reach the threshold", len(tt.content))
					}
				default:
					if !bytes.Equal(got, encoded) || resp.Header.Get("Content-Encoding") != coding {
						t.Errorf("client got %d bytes (%q), want the %d encoded bytes unchanged", len(got), resp.Header.Get("Content-Encoding"), len(encoded))
					}
					// Inspected bytes are body bytes as sent, like the uninspected ones.
					waitFor(t, func() bool { return e.metrics.get("inspected/response") == float64(len(encoded)) },
						fmt.Sprintf("inspected/response = %d body bytes", len(encoded)))
				}
			})
		}
	}
}

// decodeAll decodes as much of a possibly truncated body as it can.
func decodeAll(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("no decoder for %q", coding)
	}
	out, _ := io.ReadAll(r)
	return out
}
