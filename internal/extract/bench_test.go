package extract

import (
	"encoding/base64"
	"io"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// benchChunk is the chunk size the proxy writes.
const benchChunk = 32 << 10

// benchShape is one benchmark body and its Content-Type.
type benchShape struct {
	name  string
	body  []byte
	ctype string
}

// benchShapes are the bodies of BenchmarkShapes: the engine's 8 MiB clean
// and PI corpora (as bench/gencorpus writes them) and the leak shapes of a
// 20,000-row customer list.
func benchShapes(tb testing.TB) (plain, wrapped []benchShape) {
	rows := csvRows(corpus.Records(11, 20000))
	list := csvBytes(rows)
	xlsx := buildXLSX(tb, rows)
	form, formType := buildMultipart(tb, filePart{field: "file", file: "c.xlsx", data: xlsx})
	plain = []benchShape{
		{name: "clean-html", body: corpus.CleanWeb(1, 8<<20).Data, ctype: "text/html"},
		{name: "pi-csv", body: corpus.PIDenseCSV(1, 8<<20).Data, ctype: "text/csv"},
		{name: "list-csv", body: list, ctype: "text/csv"},
	}
	wrapped = []benchShape{
		{name: "xlsx-upload", body: form, ctype: formType},
		{name: "base64-json", body: []byte(`{"f":"` + base64.StdEncoding.EncodeToString(list) + `"}`), ctype: "application/json"},
		{name: "gbk-csv", body: encodeText(tb, gbk, list), ctype: "text/csv"},
		{name: "utf16-csv", body: encodeText(tb, utf16LE, list)},
	}
	return plain, wrapped
}

// BenchmarkShapes reports MB/s of raw input written in the proxy's 32 KiB
// chunks. Each plain body runs through a bare scanner ("scanner/...") and
// through the extractor ("extractor/..."): the difference is the
// extractor's cost. Compare with benchstat -col /path.
func BenchmarkShapes(b *testing.B) {
	e := newTestEngine(b)
	plain, wrapped := benchShapes(b)
	for _, sh := range plain {
		b.Run("path=scanner/shape="+sh.name, func(b *testing.B) { benchScanner(b, e, sh.body) })
	}
	for _, sh := range append(plain, wrapped...) {
		b.Run("path=extractor/shape="+sh.name, func(b *testing.B) { benchExtractor(b, e, sh) })
	}
}

func benchScanner(b *testing.B, e *inspect.Engine, body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		scanOnce(e, body)
	}
}

func benchExtractor(b *testing.B, e *inspect.Engine, sh benchShape) {
	b.SetBytes(int64(len(sh.body)))
	b.ReportAllocs()
	for b.Loop() {
		extractOnce(e, sh)
	}
}

// scanOnce writes body through a bare scanner in the proxy's chunks.
func scanOnce(e *inspect.Engine, body []byte) {
	s := e.NewScanner()
	writeChunks(s, body)
	_ = s.Close()
	s.Release()
}

// extractOnce writes the shape's body through an extractor in the
// proxy's chunks.
func extractOnce(e *inspect.Engine, sh benchShape) {
	s := e.NewScanner()
	x := New(s, sh.ctype, Limits{})
	writeChunks(x, sh.body)
	_ = x.Close()
	s.Release()
}

func writeChunks(w io.Writer, body []byte) {
	for off := 0; off < len(body); off += benchChunk {
		_, _ = w.Write(body[off:min(off+benchChunk, len(body))])
	}
}
