package extract

import (
	"encoding/base64"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// BenchmarkShapes reports MB/s of raw input for the shapes of the issue,
// next to the plain CSV through a bare scanner and through the extractor,
// written in the proxy's 32 KiB chunks.
func BenchmarkShapes(b *testing.B) {
	e := newTestEngine(b)
	rows := csvRows(corpus.Records(11, 20000))
	plain := csvBytes(rows)
	xlsx := buildXLSX(b, rows)
	form, formType := buildMultipart(b, filePart{field: "file", file: "c.xlsx", data: xlsx})
	shapes := []struct {
		name  string
		body  []byte
		ctype string
	}{
		{name: "csv-extractor", body: plain, ctype: "text/csv"},
		{name: "xlsx-upload", body: form, ctype: formType},
		{name: "base64-json", body: []byte(`{"f":"` + base64.StdEncoding.EncodeToString(plain) + `"}`), ctype: "application/json"},
		{name: "gbk-csv", body: encodeText(b, gbk, plain), ctype: "text/csv"},
		{name: "utf16-csv", body: encodeText(b, utf16LE, plain)},
	}
	b.Run("csv-scanner", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			s := e.NewScanner()
			for off := 0; off < len(plain); off += 32 << 10 {
				_, _ = s.Write(plain[off:min(off+32<<10, len(plain))])
			}
			_ = s.Close()
			s.Release()
		}
	})
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			b.SetBytes(int64(len(sh.body)))
			b.ReportAllocs()
			for b.Loop() {
				s := e.NewScanner()
				x := New(s, sh.ctype, Limits{})
				for off := 0; off < len(sh.body); off += 32 << 10 {
					_, _ = x.Write(sh.body[off:min(off+32<<10, len(sh.body))])
				}
				_ = x.Close()
				s.Release()
			}
		})
	}
}
