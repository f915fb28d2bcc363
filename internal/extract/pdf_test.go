package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// pdfStream is one stream object of a test PDF: its dictionary's entries
// besides /Length and /Filter, and its data, zlib compressed unless raw.
type pdfStream struct {
	dict string
	data []byte
	raw  bool
}

// pdfFile writes a PDF of the given stream objects.
func pdfFile(tb testing.TB, streams ...pdfStream) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, s := range streams {
		data, filter := s.data, ""
		if !s.raw {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			_, _ = w.Write(data)
			if err := w.Close(); err != nil {
				tb.Fatal(err)
			}
			data, filter = z.Bytes(), "/Filter /FlateDecode "
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< %s/Length %d %s>>\nstream\n%s\nendstream\nendobj\n", i+1, filter, len(data), s.dict, data)
	}
	b.WriteString("trailer\n<< /Size 9 >>\n%%EOF\n")
	return b.Bytes()
}

// pdfEscape writes b as the body of a literal string, escaped as iText
// escapes it.
func pdfEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch c {
		case '(', ')', '\\':
			s.WriteByte('\\')
		case '\n', '\r', '\t', '\b', '\f':
			s.WriteString(map[byte]string{'\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`}[c])
			continue
		}
		s.WriteByte(c)
	}
	return s.String()
}

// ucs2 encodes s as UTF-16BE, as a UniGB-UCS2-H font's strings are.
func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// kerned writes s as the strings of a TJ array cut every few characters
// by a small kerning adjustment, as justified text is.
func kerned(s string) string {
	var parts []string
	for i, adj := 0, 7; i < len(s); i, adj = i+5, -adj*2%31 {
		parts = append(parts, fmt.Sprintf("(%s)%d", pdfEscape([]byte(s[i:min(i+5, len(s))])), adj))
	}
	return strings.Join(parts, "")
}

// pdfLayouts renders recs as the content streams of the text layouts the
// lexer reads, each with the text it should give.
func pdfLayouts(recs []corpus.Record) []struct{ name, stream, text string } {
	var kern, hexCells, litCells, bytesHex, text, table strings.Builder
	header := []string{"姓名", "身份证号", "手机号", "银行卡号", "邮箱"}
	fmt.Fprintf(&table, "%s\n", strings.Join(header, "\t"))
	cells := func(w *strings.Builder, y int, row []string, enc func(string) string) {
		for i, c := range row {
			fmt.Fprintf(w, "BT /F2 9 Tf 1 0 0 1 %d %d Tm %s Tj ET\n", 36+90*i, y, enc(c))
		}
	}
	hexUCS2 := func(s string) string { return fmt.Sprintf("<%X>", ucs2(s)) }
	litUCS2 := func(s string) string { return "(" + pdfEscape(ucs2(s)) + ")" }
	cells(&hexCells, 800, header, hexUCS2)
	cells(&litCells, 800, header, litUCS2)
	for i, r := range recs {
		vals := []string{r.ResidentID, r.Mobile, r.BankCard, r.Email}
		fmt.Fprintf(&text, "%s\n", strings.Join(vals, " "))
		row := append([]string{r.Name}, vals...)
		fmt.Fprintf(&table, "%s\n", strings.Join(row, "\t"))
		// Word: one TJ array a line, fields set apart by wide adjustments.
		fmt.Fprintf(&kern, "BT /F1 9 Tf 1 0 0 1 36 %d Tm [", 790-12*i)
		for j, v := range vals {
			if j > 0 {
				kern.WriteString(" -250 ")
			}
			kern.WriteString(kerned(v))
		}
		kern.WriteString("] TJ ET\n")
		cells(&hexCells, 788-12*i, row, hexUCS2)
		cells(&litCells, 788-12*i, row, litUCS2)
		fmt.Fprintf(&bytesHex, "<%X> Tj T*\n", strings.Join(vals, " "))
	}
	return []struct{ name, stream, text string }{
		{name: "TJ arrays with kerning", stream: kern.String(), text: text.String()},
		{name: "UCS-2 hex strings", stream: hexCells.String(), text: table.String()},
		{name: "UCS-2 literal strings", stream: litCells.String(), text: table.String()},
		{name: "single-byte hex strings", stream: "BT 11 TL\n" + bytesHex.String() + "ET\n", text: text.String()},
	}
}

// TestPDFText: the strings of a TJ array are joined and hex and UCS-2
// strings decoded. Each layout counted none of the 60 IDs, mobiles and
// cards before (the strings were read as the stream's raw text).
func TestPDFText(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(16, 60)
	for _, l := range pdfLayouts(recs) {
		t.Run(l.name, func(t *testing.T) {
			tt := shapeTest{name: l.name, give: pdfFile(t, pdfStream{data: []byte(l.stream)}), same: []byte(l.text)}
			checkShape(t, e, tt)
			got := extract(t, e, tt.give, "", Limits{}, 0).counts
			for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.BankCard, inspect.Email} {
				if got[d] != len(recs) {
					t.Errorf("%d %s values, want %d", got[d], d, len(recs))
				}
			}
		})
	}
}

// TestPDFNotText: what is not a string operand is not text. A content
// stream of coordinates made of the list's numbers counted them all
// before; strings of CJK text without digits count nothing.
func TestPDFNotText(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(17, 60)
	var coords, cjk strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&coords, "q %s 0 0 %s 36 806 cm 0 0 %s 12.5 re f [%s 3] 0 d Q\n", r.Mobile, r.BankCard, r.ResidentID[:17], r.Mobile)
		fmt.Fprintf(&coords, "BT /F1 9 Tf %s TL 1 0 0 1 %s 800 Tm [(A)%s(B)] TJ ET\n", r.Mobile, r.BankCard, r.Mobile)
		fmt.Fprintf(&cjk, "BT /F2 9 Tf [<%X>-30<%X>%s<%X>-250<%X>] TJ T* ET\n", ucs2(r.Name), ucs2("客户"), r.Mobile, ucs2("名单"), ucs2("，请查收。"))
	}
	tests := []struct{ name, stream string }{
		{name: "coordinates and matrices", stream: coords.String()},
		{name: "CJK text in TJ arrays", stream: cjk.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkShape(t, e, shapeTest{give: pdfFile(t, pdfStream{data: []byte(tt.stream)})}) // counts nothing
		})
	}
}

// TestPDFLexer: the lexer's reading of one value, 13800138000, in the
// forms a content stream may write it, and of the operands (colours,
// matrices, paths, leading) around strings, whole and in writes of 1 to 64
// bytes.
func TestPDFLexer(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name   string
		stream string
		want   int // mobiles counted
	}{
		{name: "string", stream: "(13800138000) Tj", want: 1},
		{name: "octal escapes", stream: `(\61\063\070\060\06013\070\60\060\060) Tj`, want: 1},
		{name: "escaped line break", stream: "(138001\\\n38000) Tj", want: 1},
		{name: "escaped CRLF", stream: "(138001\\\r\n38000) Tj", want: 1},
		{name: "nested parentheses", stream: "((13800138000)) Tj", want: 1},
		{name: "small kerning joins", stream: "[(1380013)-20(8000)] TJ", want: 1},
		{name: "positive kerning joins", stream: "[(13800)120.5(138000)] TJ", want: 1},
		{name: "wide kerning is a space", stream: "[(1380013)-250(8000)] TJ"},
		{name: "two Tj are two strings", stream: "(1380013) Tj (8000) Tj"},
		{name: "comment inside an array", stream: "[(13800)% (99)\n(138000)] TJ", want: 1},
		{name: "comment", stream: "% (13800138000) Tj\n(x) Tj"},
		{name: "number operand", stream: "13800138000 0 Td"},
		{name: "name", stream: "/13800138000 gs"},
		{name: "hex with white space", stream: "<31 33 38 30 30\n31 33 38 30 30 30> Tj", want: 1},
		{name: "hex lower case UCS-2", stream: "<00310033003800300030003100330038003000300030ff0c> Tj", want: 1},
		{name: "hex odd digit count", stream: "<313338303031333830303> Tj", want: 1},
		{name: "dictionary value", stream: "/Span << /ActualText (13800138000) >> BDC", want: 1},
		{name: "inline image data", stream: "BI /W 4 /H 1 /BPC 8 /CS /G ID \x01(13800138000)\x02 EI Q"},
		{name: "after an inline image", stream: "BI /W 1 ID \x00EIx EI (13800138000) Tj", want: 1},
		{name: "over-long token is no number", stream: "[(1380013)-" + strings.Repeat("0", 40) + "250(8000)] TJ", want: 1},
		{name: "string longer than a block", stream: "(" + strings.Repeat(" ", pdfStrMax-5) + "13800138000) Tj", want: 1},
		{name: "unterminated string", stream: "(1380013800"},
		{name: "unterminated string ends the stream", stream: "(13800138000", want: 1},
		// Operands next to strings (a review of the lexer):
		{name: "colour operands around strings", stream: "BT /F1 12 Tf 1 0 0 1 72 700 Tm (Name) Tj 138 1234 5678 rg (x) Tj ET"},
		{name: "leading and array numbers", stream: "BT 0.138 0.1234 0.5678 rg 13800138000 TL [(A) 13800138000 (B)] TJ ET"},
		{name: "matrix and path", stream: "q 138 0 0 1234 5678 0 cm 1 0 0 RG 138 1234 m 5678 13800 l S Q (abc) Tj"},
		{name: "number glued to a string", stream: "(1380013800)0 Tj(0)Tj"},
		{name: "wide kerning groups", stream: "BT [(138)-300(1234)-300(5678)] TJ ET", want: 1},
		{name: "narrow kerning joins", stream: "BT [(138)-199(0013)-150(8000)] TJ ET", want: 1},
		{name: "strings glued to operators", stream: "(13800138000)Tj(13900139000)Tj", want: 2},
		{name: "arrays glued", stream: "[(13800138000)]TJ[(13900139000)]TJ", want: 2},
		{name: "hex strings glued", stream: "<3133383030313338303030>Tj<3133393030313339303030>Tj", want: 2},
		{name: "deep nesting", stream: "((((((((((13800138000)))))))))) Tj", want: 1},
		{name: "stray closers", stream: "(13800138000) Tj )))) (13900139000) Tj", want: 2},
		{name: "unbalanced brackets", stream: "] ] ] (13800138000) Tj [ [ (13900139000) Tj", want: 2},
		{name: "ID without data ends nothing visible", stream: "BI ID (13800138000) Tj"},
		{name: "comment ended by CR", stream: "%comment\r(13800138000) Tj", want: 1},
		{name: "nested dictionaries", stream: "<</A<</B(13800138000)>>>> (13900139000) Tj", want: 2},
		{name: "empty hex string", stream: "<FEFF> Tj (13800138000) Tj", want: 1},
		{name: "UCS-2 font then a simple one", stream: "/F1 1 Tf <00310033003800300030003100330038003000300030> Tj /F2 1 Tf (13900139000) Tj", want: 2},
		{name: "UCS-2 anchored by a CJK character", stream: "/F1 1 Tf <4E2D00310033003800300030003100330038003000300030> Tj", want: 1},
		{name: "escaped CR then a raw CR", stream: "(13800\\\r\r138000) Tj"},
		{name: "separate Tj on one line", stream: "BT (138) Tj 20 0 Td (00138000) Tj ET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := pdfFile(t, pdfStream{data: []byte(tt.stream)})
			for _, chunk := range []int{0, 1, 2, 3, 5, 7, 64} {
				if got := extract(t, e, give, "", Limits{}, chunk).counts[inspect.Mobile]; got != tt.want {
					t.Errorf("chunk %d: %d mobiles, want %d", chunk, got, tt.want)
				}
			}
		})
	}
}

// TestPDFStreamKinds: only a content stream is read for its strings;
// other streams are inspected as the content they are, so a list
// attached to a PDF or kept in an object stream still counts.
func TestPDFStreamKinds(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(18, 60)))
	tests := []struct {
		name string
		dict string
		want bool // read as a content stream
	}{
		{name: "page content", want: true},
		{name: "form XObject", dict: "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 >> >> >> ", want: true},
		{name: "form without spaces", dict: "/Type/XObject/Subtype/Form", want: true},
		{name: "embedded file", dict: "/Type /EmbeddedFile /Subtype /text#2Fcsv "},
		{name: "object stream", dict: "/Type /ObjStm /N 60 /First 400 "},
		{name: "metadata", dict: "/Type /Metadata /Subtype /XML "},
		{name: "image", dict: "/Subtype /Image /Width 60 /Height 1 "},
		{name: "long dictionary", dict: "/Annots [" + strings.Repeat("9 0 R ", 200) + "] "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := pdfFile(t, pdfStream{dict: tt.dict, data: list})
			at := bytes.Index(give, []byte("stream\n")) + len("stream\n")
			if got := isContentDict(give[max(at-pdfDictMax, 0):at]); got != tt.want {
				t.Errorf("content stream %v, want %v", got, tt.want)
			}
			counts := extract(t, e, give, "", Limits{}, 0).counts
			if plain := scanPlain(e, list); (counts == plain) == tt.want {
				t.Errorf("counts %v, the CSV's %v: want them equal only if not a content stream", counts, plain)
			}
		})
	}
}

// TestPDFChunkInvariance: the PDF layouts count the same cut anywhere.
func TestPDFChunkInvariance(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(19, 60)
	for _, l := range pdfLayouts(recs) {
		long := strings.Repeat(l.stream, 3) // past the read buffer and the string block
		give := pdfFile(t, pdfStream{data: []byte(long)}, pdfStream{dict: "/Subtype /Image ", data: []byte("\xff\xd8(13800138000)"), raw: true}, pdfStream{data: []byte(l.stream)})
		want := extract(t, e, give, "", Limits{}, 0)
		for _, chunk := range []int{1, 3, 511, 4096} {
			if got := extract(t, e, give, "", Limits{}, chunk); got.counts != want.counts {
				t.Errorf("%s at chunk %d: got %v, want %v", l.name, chunk, got.counts, want.counts)
			}
		}
		checkLeakBudget(t, e, give, "", Limits{}, benchChunk, 0)
	}
}

// FuzzPDFContent: a mutated content stream, compressed into a PDF so the
// mutations reach the lexer, settles at Close and counts the same whole
// and in 7-byte chunks.
func FuzzPDFContent(f *testing.F) {
	recs := corpus.Records(2, 2)
	for _, l := range pdfLayouts(recs) {
		f.Add([]byte(l.stream))
	}
	f.Add([]byte(`[(1380)-20(0138000)] TJ (\061\0638\` + "\r\n" + `0) ' <0031 0033 003> Tj BI ID (( EI /P <</A (x)>> BDC %c`))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, stream []byte) {
		fuzzExtract(t, e, pdfFile(t, pdfStream{data: stream}), "")
	})
}

// BenchmarkPDF reports MB/s of a 20,000-row list as a PDF, one page
// stream per layout, written in the proxy's 32 KiB chunks.
func BenchmarkPDF(b *testing.B) {
	e := newTestEngine(b)
	for _, l := range pdfLayouts(corpus.Records(11, 20000)) {
		sh := benchShape{body: pdfFile(b, pdfStream{data: []byte(l.stream)})}
		b.Run("layout="+strings.ReplaceAll(l.name, " ", "-"), func(b *testing.B) {
			b.ReportMetric(float64(len(l.stream))/float64(len(sh.body)), "inflate-ratio")
			benchExtractor(b, e, sh)
		})
	}
}
