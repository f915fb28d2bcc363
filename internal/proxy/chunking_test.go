package proxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// recordCounter is a client connection that parses the TLS records it
// receives and tallies their lengths.
type recordCounter struct {
	net.Conn
	head    [5]byte
	inHead  int // bytes of the current record header read so far
	skip    int // bytes of the current record's body still to pass over
	records int
	small   int // application data records under 1 KiB
}

func (c *recordCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for b := p[:n]; len(b) > 0; {
		if c.skip > 0 {
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
			continue
		}
		k := copy(c.head[c.inHead:], b)
		c.inHead += k
		b = b[k:]
		if c.inHead < len(c.head) {
			continue
		}
		c.inHead = 0
		c.skip = int(c.head[3])<<8 | int(c.head[4])
		if c.head[0] == 23 { // application data
			c.records++
			if c.skip < 1024 {
				c.small++
			}
		}
	}
	return n, err
}

// TestInterceptedBodyKeepsRecordsFull: a body streamed through an
// intercepted tunnel reaches the client in full TLS records, as it left
// the origin, not each record followed by a stray small one for the few
// hundred bytes the scanner held back from the one before (which doubled
// the proxy's write syscalls and records).
func TestInterceptedBodyKeepsRecordsFull(t *testing.T) {
	e := newEnv(t, &byteRules{}, mitmTimeouts)
	raw, resp := connectRaw(t, e, e.authority(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT status %d", resp.StatusCode)
	}
	_ = raw.SetDeadline(time.Now().Add(20 * time.Second))
	counter := &recordCounter{Conn: raw}
	tc := tls.Client(counter, &tls.Config{RootCAs: e.client.Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "127.0.0.1"})
	const size = 8 << 20
	if _, err := fmt.Fprintf(tc, "GET /resp?n=%d&cl=1 HTTP/1.1\r\nHost: %s\r\n\r\n", size, e.authority()); err != nil {
		t.Fatal(err)
	}
	got, err := http.ReadResponse(bufio.NewReaderSize(tc, 64<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, got.Body)
	if err != nil || n != size {
		t.Fatalf("read %d of %d bytes: %v", n, size, err)
	}
	full := size / (16 << 10)
	t.Logf("%d application records for %d full ones' worth, %d under 1 KiB", counter.records, full, counter.small)
	if counter.small > full/50 || counter.records > full+full/20 {
		t.Fatalf("%d records (%d under 1 KiB) for a body of %d full records", counter.records, counter.small, full)
	}
}

// TestPausedStreamGoesOutSettled: a body of unknown length that pauses
// after a burst (NDJSON, a watch, a long poll) has every settled byte of
// the burst forwarded during the pause, not held for the next chunk.
func TestPausedStreamGoesOutSettled(t *testing.T) {
	const burst = 40_000
	resume := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write(pattern(burst)) // chunked: no Content-Length
		w.(http.Flusher).Flush()
		<-resume
		_, _ = w.Write([]byte("done\n"))
	}))
	defer up.Close()
	defer close(resume)
	e := newEnv(t, &byteRules{})
	resp, err := e.client.Get(up.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n atomic.Int64
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, err := resp.Body.Read(buf)
			n.Add(int64(k))
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(700 * time.Millisecond)
	if got := n.Load(); got < burst-1024 {
		t.Fatalf("%d of the burst's %d bytes arrived during the pause; only the scanner's holdback may wait", got, burst)
	}
}
