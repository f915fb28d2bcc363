package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestPDFChromeCMaps reads a table printed to PDF by Chromium 148
// (headless --print-to-pdf, Debian's chromium with fonts-noto-cjk: a
// 12-row HTML table of synthetic names, ID numbers, mobiles and addresses
// under 姓名 身份证号 手机号 住址) from testdata/pdf. Its text is glyph
// codes of subset fonts (Type3 for the Chinese, one font per few
// characters; Type0 Identity-H for the digits), which only the ToUnicode
// CMaps written after the pages map back: it counted nothing. Now every
// column counts, in any chunking, and no byte of it is released before
// the text behind its CMaps is scanned.
func TestPDFChromeCMaps(t *testing.T) {
	checkPDFFixture(t, "chrome_table.pdf", map[inspect.Detector]int{inspect.ResidentID: 12, inspect.Mobile: 12, inspect.Name: 12, inspect.Address: 12})
}

// glyphPDF writes rows under header as two pages of a PDF such as Word or
// LibreOffice export (the header on the first page only): every character
// a two-byte glyph code of one Type0 Identity-H font, each row a line of
// cells placed by Tm (names a little higher than numbers, as fonts of
// another height sit), kerned TJ arrays for the numbers; the pages first,
// then their /Resources, font dictionary, font, descendant font with its
// /W array, and the ToUnicode CMap last.
func glyphPDF(tb testing.TB, header []string, rows [][]string, objStm bool) []byte {
	return glyphPDFWith(tb, header, rows, glyphOptions{objStm: objStm})
}

// glyphOptions vary glyphPDF: the dictionaries in an object stream; UCS-2
// codes of a font whose /Encoding is UniGB-UCS2-H, with no ToUnicode CMap
// (iText's and JasperReports' CJK fonts); each row's cells drawn right to
// left under a header drawn left to right; a sidebar of words drawn first,
// left of the table, on its rows' baselines.
type glyphOptions struct{ objStm, ucs2, reversed, sidebar bool }

// glyphPDFWith is glyphPDF with options.
func glyphPDFWith(tb testing.TB, header []string, rows [][]string, opt glyphOptions) []byte {
	tb.Helper()
	g := &glyphCodes{}
	if opt.ucs2 {
		g.pick = func(r rune, _ int) uint16 { return uint16(r) }
	}
	hex := g.hex
	var pages [2]strings.Builder // the rows over two pages, the header on the first only
	page := &pages[0]
	line := func(y int, cells []string, reversed bool) {
		for n := range cells {
			i := n
			if reversed { // a report that draws a row's cells right to left
				i = len(cells) - 1 - n
			}
			c := cells[i]
			dy := 0
			if i == 0 {
				dy = 1
			}
			fmt.Fprintf(page, "BT /F1 10 Tf 1 0 0 1 %d %d Tm ", 40+120*i, y+dy)
			if len(c) > 4 && c[0] >= '0' && c[0] <= '9' {
				fmt.Fprintf(page, "[%s -12 %s] TJ ET\n", hex(c[:4]), hex(c[4:]))
			} else {
				fmt.Fprintf(page, "%s Tj ET\n", hex(c))
			}
		}
	}
	if opt.sidebar {
		// A sidebar of short words, drawn before the table and left of
		// it, one on each row's baseline (a page's navigation).
		words := []string{"方案", "文档", "江山", "金山", "白云", "高铁"}
		for i := range rows[:len(rows)/2] {
			fmt.Fprintf(page, "BT /F1 10 Tf 1 0 0 1 4 %d Tm %s Tj ET\n", 780-14*i, hex(words[i%len(words)]))
		}
	}
	line(800, header, false)
	for i, row := range rows {
		if i == len(rows)/2 {
			page = &pages[1]
		}
		line(780-14*(i%(len(rows)/2+1)), row, opt.reversed)
	}
	cmap := toUnicodeCMap(g.codes, g.runes)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	stream := func(num int, data string) { writeFlateObject(tb, &b, num, data) }
	stream(4, pages[0].String())
	stream(12, pages[1].String())
	font := "<</Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 9 0 R>>"
	if opt.ucs2 {
		font = "<</Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [8 0 R]>>"
	}
	objects := []struct {
		num  int
		text string
	}{
		{3, "<</Type /Page /Parent 2 0 R /Resources 5 0 R /MediaBox [0 0 595 842] /Contents 4 0 R>>"},
		{13, "<</Type /Page /Parent 2 0 R /Resources 5 0 R /MediaBox [0 0 595 842] /Contents [12 0 R]>>"},
		{2, "<</Type /Pages /Kids [3 0 R 13 0 R] /Count 2>>"},
		{5, "<</ProcSet [/PDF /Text] /Font 6 0 R>>"},
		{6, "<</F1 7 0 R>>"},
		{7, font},
		{8, "<</Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /DW 1000 /W 10 0 R /CIDToGIDMap /Identity>>"},
		{10, "[16 25 500]"},
	}
	if opt.objStm {
		// As Word writes them: the dictionaries in an object stream.
		var head, data strings.Builder
		for _, o := range objects {
			fmt.Fprintf(&head, "%d %d ", o.num, data.Len())
			data.WriteString(o.text + "\n")
		}
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		_, _ = w.Write([]byte(head.String() + data.String()))
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "11 0 obj\n<</Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d>>\nstream\n", len(objects), head.Len(), z.Len())
		b.Write(z.Bytes())
		b.WriteString("\nendstream\nendobj\n")
	} else {
		for _, o := range objects {
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.num, o.text)
		}
	}
	if !opt.ucs2 {
		stream(9, cmap)
	}
	b.WriteString("1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\ntrailer\n<</Size 14 /Root 1 0 R>>\n%%EOF\n")
	return b.Bytes()
}

// glyphRows returns n records as table rows, and the header over them.
func glyphRows(seed uint64, n int) ([]string, [][]string) {
	var rows [][]string
	for _, r := range corpus.Records(seed, n) {
		rows = append(rows, []string{r.Name, r.ResidentID, r.Mobile, r.Address})
	}
	return []string{"姓名", "身份证号", "手机号", "住址"}, rows
}

// TestPDFGlyphCodes: a Word-style PDF whose text is two-byte glyph codes
// counted nothing; read through its ToUnicode CMap (written after the
// pages, reached through an indirect /Resources and /Font, the
// dictionaries as objects or in an object stream) its 60 rows count in
// every column, in any chunking: also on the second page, which does not
// repeat the header row (the pages are one part). So do UCS-2 strings of a
// UniGB-UCS2-H font, which the lexer reads as they come, but which only
// the replay carries over to the second page (30 names and addresses
// before); cells drawn right to left, put back in the order of where they
// start; and a sidebar drawn before the table, kept out of its rows.
func TestPDFGlyphCodes(t *testing.T) {
	header, rows := glyphRows(41, 60)
	e := newTestEngine(t)
	for _, opt := range []glyphOptions{{}, {objStm: true}, {ucs2: true}, {reversed: true}, {sidebar: true}} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			body := glyphPDFWith(t, header, rows, opt)
			for _, chunk := range []int{0, 1, 777} {
				got := extract(t, e, body, "", Limits{}, chunk)
				for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.Name, inspect.Address} {
					if got.counts[d] != 60 {
						t.Errorf("chunk %d: %d %s values, want 60", chunk, got.counts[d], d)
					}
				}
				if len(got.reasons) > 0 {
					t.Errorf("chunk %d: reasons %v, want none", chunk, got.reasons)
				}
			}
			checkLeakBudget(t, e, body, "", Limits{}, 4096, len(body)/8)
		})
	}
}

// TestPDFGlyphCodesOverHold: what a PDF holds for its CMaps counts
// against Limits.Hold; past it the logs are dropped and, as the dropped
// page's font has a CMap, the message is over_limit rather than silently
// short of its text.
func TestPDFGlyphCodesOverHold(t *testing.T) {
	header, rows := glyphRows(43, 60)
	body := glyphPDF(t, header, rows, false)
	e := newTestEngine(t)
	got := extract(t, e, body, "", Limits{Hold: 2 << 10}, 0)
	if !slices.Contains(got.reasons, ReasonOverLimit) {
		t.Errorf("reasons %v, want %s", got.reasons, ReasonOverLimit)
	}
	if got.counts[inspect.Name] != 0 {
		t.Errorf("%d names, want 0 (the text was dropped)", got.counts[inspect.Name])
	}
}

// TestParseCMap: the sections of a ToUnicode CMap, and the codes a string
// of them decodes to.
func TestParseCMap(t *testing.T) {
	tests := []struct {
		name, cmap string
		give       []byte
		want       string
	}{
		{"two-byte bfchar and bfrange", "1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0003> <59D3> <0004><540D> endbfchar 1 beginbfrange <0010> <0019> <0030> endbfrange",
			[]byte{0, 3, 0, 4, 0, 0x11, 0, 0x13, 0, 0x18}, "姓名138"},
		{"one-byte Type3", "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <D4> <5BA2> endbfchar", []byte{0xD4, 0xD4, 0x01}, "客客"},
		{"bfrange to an array", "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <01> <03> [<5F20> <4F1F> <0031>] endbfrange", []byte{3, 2, 1}, "1伟张"},
		{"Kangxi radicals read as ideographs", "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <01> <2F9D> endbfchar 1 beginbfrange <02> <02> <2F3F> endbfrange", []byte{1, 2}, "身手"},
		{"surrogate pair", "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfchar <0001> <D840DC0B> endbfchar", []byte{0, 1}, "\U0002000B"},
		{"bfchar over a bfrange", "1 beginbfrange <0001> <0005> <0041> endbfrange 1 beginbfchar <0003> <0058> endbfchar 1 begincodespacerange <0000> <FFFF> endcodespacerange", []byte{0, 1, 0, 3, 0, 5}, "ACE"},
		{"mixed widths", "2 begincodespacerange <00> <7F> <8140> <FEFE> endcodespacerange 1 beginbfchar <41> <0041> endbfchar 1 beginbfchar <8140> <3000> endbfchar", []byte{0x41, 0x81, 0x40, 0x41}, "A\u3000A"},
		{"unmapped codes", "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfchar <0001> <0031> endbfchar", []byte{0, 2, 0, 1, 0}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseCMap([]byte("/CIDInit /ProcSet findresource begin 12 dict begin begincmap " + tt.cmap + " endcmap end end"))
			if c == nil {
				t.Fatal("no CMap")
			}
			if got := string(c.decode(nil, tt.give)); got != tt.want {
				t.Errorf("decode %x: %q, want %q", tt.give, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "begincmap endcmap", "1 beginbfchar <zz> <0031> endbfchar", "1 beginbfrange <0005> <0001> <0030> endbfrange", "1 beginbfchar <0001>"} {
		if c := parseCMap([]byte(bad)); c != nil {
			t.Errorf("parseCMap(%q) = %v, want nil", bad, c.ranges)
		}
	}
}

// FuzzCMap: any CMap text parses without a panic, and any string decodes
// through it.
func FuzzCMap(f *testing.F) {
	f.Add([]byte("1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0010> <0019> <0030> endbfrange 1 beginbfchar <0003> <59D3> endbfchar"), []byte{0, 3, 0, 0x11})
	f.Add([]byte("2 begincodespacerange <00> <7F> <8140> <FEFE> endcodespacerange 1 beginbfrange <01> <03> [<5F20> <4F1F> <0031>] endbfrange"), []byte{0x81, 0x40, 1})
	f.Fuzz(func(t *testing.T, text, s []byte) {
		if c := parseCMap(text); c != nil {
			c.decode(nil, s)
		}
	})
}

// toUnicodeCMap writes the ToUnicode CMap of codes: a bfrange for the
// digits at 0x10-0x19, a bfchar for each other rune.
func toUnicodeCMap(codes map[rune]uint16, runes []rune) string {
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	cmap.WriteString("1 beginbfrange\n<0010> <0019> <0030>\nendbfrange\n")
	var chars []string
	for _, r := range runes {
		if r < '0' || r > '9' {
			chars = append(chars, fmt.Sprintf("<%04X> <%04X>", codes[r], r))
		}
	}
	for len(chars) > 0 {
		n := min(100, len(chars))
		fmt.Fprintf(&cmap, "%d beginbfchar\n%s\nendbfchar\n", n, strings.Join(chars[:n], "\n"))
		chars = chars[n:]
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return cmap.String()
}

// writeFlateObject writes stream object num of data, zlib compressed.
func writeFlateObject(tb testing.TB, b *bytes.Buffer, num int, data string) {
	tb.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write([]byte(data))
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(b, "%d 0 obj\n<</Filter /FlateDecode /Length %d>>\nstream\n", num, z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
}

// glyphCodes gives the runes of a test PDF two-byte glyph codes, as a
// subset font numbers its glyphs: the digits 0x10-0x19 (one bfrange),
// other runes 0x100 on in the order they come, unless pick gives one
// (non-zero).
type glyphCodes struct {
	codes map[rune]uint16
	runes []rune
	pick  func(r rune, n int) uint16
}

// code returns the code of r.
func (g *glyphCodes) code(r rune) uint16 {
	if c, ok := g.codes[r]; ok {
		return c
	}
	c := uint16(0x100 + len(g.runes))
	if r >= '0' && r <= '9' {
		c = uint16(0x10 + r - '0')
	}
	if g.pick != nil {
		if p := g.pick(r, len(g.runes)); p != 0 {
			c = p
		}
	}
	if g.codes == nil {
		g.codes = map[rune]uint16{}
	}
	g.codes[r] = c
	g.runes = append(g.runes, r)
	return c
}

// hex returns s as a hex string of its codes.
func (g *glyphCodes) hex(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "%04X", g.code(r))
	}
	return "<" + b.String() + ">"
}
