package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// TestTruncatedResponseAborts: an upstream that drops the connection in the
// middle of a 3 MB body, chunked or with a Content-Length, must leave the
// client with a read error, never a clean end of a truncated body.
func TestTruncatedResponseAborts(t *testing.T) {
	const size, sent = 3 << 20, 1 << 20
	part := bytes.Repeat([]byte("clean text, nothing personal.\n"), sent/30)
	tests := []struct {
		name    string
		chunked bool
	}{
		{name: "chunked", chunked: true},
		{name: "content-length"},
	}
	for _, tt := range tests {
		up := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			if tt.chunked {
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(part), part)
			} else {
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", size, part)
			}
			_ = buf.Flush()
		})
		// Nothing held: the body streams, so the headers go out first.
		e := newPIEnv(t, compilePolicy(t, "hold_size: 1MiB", "hold_size: 0"), up)
		for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
			t.Run(tt.name+"/"+scheme, func(t *testing.T) {
				resp, err := e.client.Get(base + "/big")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200 (headers out before the drop)", resp.StatusCode)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				if err == nil {
					t.Fatalf("status %d, read %d bytes with no error: a truncated body ended cleanly", resp.StatusCode, n)
				}
			})
		}
	}
}
