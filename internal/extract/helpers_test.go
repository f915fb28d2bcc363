package extract

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"flag"
	"fmt"
	"hash/crc32"
	"html"
	"mime/multipart"
	"net/textproto"
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
	s := e.NewScanner()
	defer s.Release()
	x := New(s, ctype, lim)
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
	name    string
	data    []byte
	store   bool   // no compression
	flags   uint16 // extra header flags (1: encrypted)
	comment string
}

// buildZip writes an archive of ms.
func buildZip(tb testing.TB, ms ...zfile) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Flags: m.flags}
		create := w.CreateHeader
		if m.store { // stored with its sizes in the local header
			h.Method = zip.Store
			h.CRC32 = crc32.ChecksumIEEE(m.data)
			h.CompressedSize64 = uint64(len(m.data))
			h.UncompressedSize64 = uint64(len(m.data))
			create = w.CreateRaw
		}
		f, err := create(h)
		if err != nil {
			tb.Fatalf("zip create %s: %v", m.name, err)
		}
		if _, err := f.Write(m.data); err != nil {
			tb.Fatalf("zip write %s: %v", m.name, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("zip close: %v", err)
	}
	return buf.Bytes()
}

// csvRows renders recs as CSV rows with the corpus's Chinese header.
func csvRows(recs []corpus.Record) [][]string {
	rows := [][]string{{"姓名", "身份证号", "手机号", "银行卡号", "邮箱", "住址", "护照号"}}
	for _, r := range recs {
		rows = append(rows, []string{r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport})
	}
	return rows
}

func csvBytes(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows) // a bytes.Buffer never fails
	return buf.Bytes()
}

// buildXLSX renders rows as a minimal spreadsheet the way Excel stores it:
// the sheet before the shared strings; names, e-mail and addresses as
// shared strings, IDs and passports as inline strings, mobiles and cards
// as numbers, and empty cells omitted.
func buildXLSX(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	var sheet, sst strings.Builder
	var shared []string
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, v := range row {
			ref := fmt.Sprintf("%c%d", 'A'+j, i+1)
			switch {
			case v == "":
			case i > 0 && (j == 2 || j == 3):
				fmt.Fprintf(&sheet, `<c r="%s"><v>%s</v></c>`, ref, v)
			case i > 0 && (j == 1 || j == 6):
				fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, html.EscapeString(v))
			default:
				fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, len(shared))
				shared = append(shared, v)
			}
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	fmt.Fprintf(&sst, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(shared), len(shared))
	for _, s := range shared {
		fmt.Fprintf(&sst, `<si><t>%s</t></si>`, html.EscapeString(s))
	}
	sst.WriteString(`</sst>`)
	return buildZip(tb,
		zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		zfile{name: "_rels/.rels", data: []byte(`<?xml version="1.0"?><Relationships/>`)},
		zfile{name: "xl/workbook.xml", data: []byte(`<?xml version="1.0"?><workbook><sheets><sheet name="客户" sheetId="1"/></sheets></workbook>`)},
		zfile{name: "xl/worksheets/sheet1.xml", data: []byte(sheet.String())},
		zfile{name: "xl/styles.xml", data: []byte(`<?xml version="1.0"?><styleSheet><numFmts count="1"><numFmt numFmtId="164" formatCode="13800138000"/></numFmts></styleSheet>`)},
		zfile{name: sharedStringsPart, data: []byte(sst.String())},
	)
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

// buildMultipart writes a form; it returns the body and its Content-Type.
func buildMultipart(tb testing.TB, parts ...filePart) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.field)
		if p.file != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.file)
		}
		h.Set("Content-Disposition", disp)
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			tb.Fatalf("create part: %v", err)
		}
		_, _ = pw.Write(p.data)
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
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
