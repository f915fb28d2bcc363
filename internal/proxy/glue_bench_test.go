package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"go.uber.org/zap"
)

// chunkedBody is a request body that hands out data at most max bytes per
// read, as a socket (32 KiB reads) or a TLS connection (16 KiB records) does.
type chunkedBody struct {
	data []byte
	max  int
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.max)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func (c *chunkedBody) Close() error { return nil }

// BenchmarkMessageGlue compares, in one process and without the network,
// a body read through the proxy's enforcement (inspectBody: policy scope,
// checks after every chunk, metrics, timing) with the engine alone as
// bench/e2e measures it (extractor and scanner under an enforcing reader):
// the difference is the proxy's own per-chunk work. Compare with
// benchstat -col /path.
func BenchmarkMessageGlue(b *testing.B) {
	data := corpus.CleanWeb(1, 16<<20).Data
	eng, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		b.Fatal(err)
	}
	p := &Proxy{Policy: (&byteRules{}).policy(), Logger: zap.NewNop(), Engine: eng}
	p.init()
	allow := func(*inspect.Tally) error { return nil }
	for _, chunk := range []int{16 << 10, 32 << 10} {
		b.Run(fmt.Sprintf("path=engine/read=%dK", chunk>>10), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				s := eng.NewScanner()
				x := extract.New(s, "text/html", extract.Limits{})
				r := inspect.NewReader(&chunkedBody{data: data, max: chunk}, x, allow)
				if _, err := io.CopyBuffer(io.Discard, r, make([]byte, 32<<10)); err != nil {
					b.Fatal(err)
				}
				x.Stop()
				s.Release()
			}
		})
		b.Run(fmt.Sprintf("path=message/read=%dK", chunk>>10), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			msg := Message{Direction: Request, Host: "example.com", Method: http.MethodPost, ContentType: "text/html"}
			h := http.Header{"Content-Type": {"text/html"}}
			for b.Loop() {
				x := &exchange{rules: p.Policy(), host: msg.Host}
				body, err := p.inspectBody(context.Background(), x, msg, &chunkedBody{data: data, max: chunk}, h, -1, nil)
				if err != nil {
					b.Fatal(err)
				}
				// Hide WriterTo/ReaderFrom: read in 32 KiB as net/http's copy does.
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{body}, make([]byte, 32<<10)); err != nil {
					b.Fatal(err)
				}
				_ = body.Close()
			}
		})
	}
}

// TestMessageAllocatesNothingPerChunk: reading a body through the proxy's
// enforcement allocates per message, not per chunk: a body four times as
// long costs no more allocations.
func TestMessageAllocatesNothingPerChunk(t *testing.T) {
	snap := policy.Default() // the real policy scope, as dlpproxy serve runs it
	src := NewPolicySource(func() *policy.Snapshot { return snap }, inspect.Config{})
	p := &Proxy{Policy: src.Rules, Logger: zap.NewNop()}
	p.init()
	msg := Message{Direction: Request, Host: "example.com", Method: http.MethodPost, ContentType: "text/html"}
	h := http.Header{"Content-Type": {"text/html"}}
	data := corpus.CleanWeb(1, 4<<20).Data
	buf := make([]byte, 32<<10)
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(5, func() {
			x := &exchange{rules: p.Policy(), host: msg.Host}
			body, err := p.inspectBody(context.Background(), x, msg, &chunkedBody{data: data[:n], max: 16 << 10}, h, -1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{body}, buf); err != nil {
				t.Fatal(err)
			}
			_ = body.Close()
		})
	}
	short, long := allocs(1<<20), allocs(4<<20)
	t.Logf("allocations per message: %.0f for 1 MiB, %.0f for 4 MiB (%d and %d chunks)", short, long, 64, 256)
	if long-short > 16 {
		t.Fatalf("%.0f more allocations for 192 more chunks: the chunk path allocates", long-short)
	}
}
