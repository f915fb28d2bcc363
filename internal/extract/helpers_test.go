package extract

import (
	"encoding/base64"
	"flag"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestMain checks for leaked goroutines. It also caps the time the fuzzer
// spends minimizing each input that finds new coverage (unless
// -test.fuzzminimizetime is given): by default up to 60 s per input, the
// square of its length in runs, and none of those runs is reported, so a
// short fuzzing session of archives spent its time on one input.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		_ = flag.Set("test.fuzzminimizetime", "1000x") // the flag exists: testing registered it
	}
	goleak.VerifyTestMain(m)
}

func fixedNow() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func newTestEngine(tb testing.TB) *inspect.Engine {
	tb.Helper()
	e, err := inspect.NewEngine(inspect.Config{Now: fixedNow})
	if err != nil {
		tb.Fatalf("new engine: %v", err)
	}
	return e
}

// result is what one extraction found.
type result struct {
	counts  [inspect.NumDetectors]int
	reasons []string
	parts   []Part
}

// extract runs body through an extractor in chunks of size chunk (0: one
// write) and closes it.
func extract(tb testing.TB, e *inspect.Engine, body []byte, ctype string, lim Limits, chunk int) result {
	tb.Helper()
	return extractWith(tb, e, body, chunk, func(s *inspect.Scanner) *Extractor { return New(s, ctype, lim) })
}

// extractLive is extract for a live stream (NewLive).
func extractLive(tb testing.TB, e *inspect.Engine, body []byte, ctype string, chunk int) result {
	tb.Helper()
	return extractWith(tb, e, body, chunk, func(s *inspect.Scanner) *Extractor { return NewLive(s, ctype, Limits{}) })
}

// extractWith is extract with the extractor newX makes.
func extractWith(tb testing.TB, e *inspect.Engine, body []byte, chunk int, newX func(*inspect.Scanner) *Extractor) result {
	tb.Helper()
	s := e.NewScanner()
	defer s.Release()
	x := newX(s)
	x.repanic = true
	defer x.Stop()
	if chunk <= 0 {
		chunk = len(body) + 1
	}
	last := int64(0)
	for off := 0; off < len(body); off += chunk {
		if _, err := x.Write(body[off:min(off+chunk, len(body))]); err != nil {
			tb.Fatalf("write: %v", err)
		}
		st := x.Settled()
		if st < last || st > int64(min(off+chunk, len(body))) {
			tb.Fatalf("settled %d after %d (written %d)", st, last, min(off+chunk, len(body)))
		}
		last = st
	}
	if err := x.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	if st := x.Settled(); st != int64(len(body)) {
		tb.Fatalf("settled %d after close, want %d", st, len(body))
	}
	return result{counts: s.Tally().Counts, reasons: x.Reasons(), parts: x.Parts()}
}

// scanPlain counts body with a bare scanner: the reference figure.
func scanPlain(e *inspect.Engine, body []byte) [inspect.NumDetectors]int {
	s := e.NewScanner()
	defer s.Release()
	_, _ = s.Write(body)
	_ = s.Close()
	return s.Tally().Counts
}

// wantCounts converts a corpus expectation into a counts array.
func wantCounts(tb testing.TB, want corpus.Expected) [inspect.NumDetectors]int {
	tb.Helper()
	var c [inspect.NumDetectors]int
	for id, n := range want {
		d, ok := inspect.ParseDetector(id)
		if !ok {
			tb.Fatalf("corpus names unknown detector %q", id)
		}
		c[d] = n
	}
	return c
}

// zfile is one file of a test archive.
type zfile struct {
	name  string
	data  []byte
	store bool   // no compression
	flags uint16 // extra header flags (1: encrypted)
}

// buildZip writes an archive of ms (corpus.Zip).
func buildZip(tb testing.TB, ms ...zfile) []byte {
	tb.Helper()
	files := make([]corpus.ZipFile, len(ms))
	for i, m := range ms {
		files[i] = corpus.ZipFile{Name: m.name, Data: m.data, Store: m.store, Flags: m.flags}
	}
	b, err := corpus.Zip(files...)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// csvRows renders recs as rows under the corpus's Chinese header.
func csvRows(recs []corpus.Record) [][]string { return corpus.Rows(recs) }

func csvBytes(rows [][]string) []byte { return corpus.CSVBytes(rows) }

// buildXLSX renders rows as a spreadsheet the way Excel stores it (corpus.XLSX).
func buildXLSX(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	b, err := corpus.XLSX(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// buildDOCX renders rows as a Word table after a paragraph, each value
// split over two runs as Word does after an edit.
func buildDOCX(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	b.WriteString(`<w:p><w:r><w:t>客户名单</w:t></w:r></w:p><w:tbl>`)
	for _, row := range rows {
		b.WriteString(`<w:tr>`)
		for _, v := range row {
			r := []rune(v)
			half := len(r) / 2
			fmt.Fprintf(&b, `<w:tc><w:p><w:r><w:t>%s</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>%s</w:t></w:r></w:p></w:tc>`,
				html.EscapeString(string(r[:half])), html.EscapeString(string(r[half:])))
		}
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl><w:p><w:r><w:t>完</w:t></w:r></w:p></w:body></w:document>`)
	return buildZip(tb,
		zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types/>`)},
		zfile{name: "word/document.xml", data: []byte(b.String())},
		zfile{name: "word/styles.xml", data: []byte(`<?xml version="1.0"?><w:styles xmlns:w="x"><w:t>13800138000</w:t></w:styles>`)},
	)
}

// filePart is one part of a test multipart body.
type filePart struct {
	field, file, ctype string
	data               []byte
}

// buildMultipart writes a form (corpus.Multipart); it returns the body and
// its Content-Type.
func buildMultipart(tb testing.TB, parts ...filePart) ([]byte, string) {
	tb.Helper()
	fp := make([]corpus.FormPart, len(parts))
	for i, p := range parts {
		fp[i] = corpus.FormPart{Field: p.field, File: p.file, ContentType: p.ctype, Data: p.data}
	}
	body, ctype, err := corpus.Multipart(fp...)
	if err != nil {
		tb.Fatal(err)
	}
	return body, ctype
}

// encodeText transcodes UTF-8 text with enc.
func encodeText(tb testing.TB, enc encoding.Encoding, data []byte) []byte {
	tb.Helper()
	out, err := enc.NewEncoder().Bytes(data)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return out
}

// utf16LE is UTF-16LE with a BOM, as Excel's "Unicode text" export writes it.
var utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)

// utf16BE is BOM-less UTF-16BE.
var utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)

var gbk = simplifiedchinese.GBK

var corpusGB18030 = simplifiedchinese.GB18030

// utf16LEPlain is BOM-less UTF-16LE, as strings inside legacy Office files.
var utf16LEPlain = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)

// wrapped is base64 with line breaks every 76 characters (MIME).
func wrapped(data []byte, nl string) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString(nl)
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
