package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// reviewPDF is a Word-style PDF (see glyphPDF) with knobs: the glyph code
// of each rune, a marked-content /ActualText around every cell (as
// Chromium writes one), the page split into streams, and the descendant
// font's /W array.
type reviewPDF struct {
	code       func(r rune, i int) uint16 // i: runes seen before
	actualText bool
	streams    int    // content streams of the page; 0: 1
	w          string // the /W array; "": [16 25 500]
	pad        int    // bytes of an object between the page and its fonts
}

func (o reviewPDF) build(tb testing.TB, header []string, rows [][]string) []byte {
	tb.Helper()
	g := &glyphCodes{}
	if o.code != nil {
		g.pick = func(r rune, n int) uint16 {
			if r >= '0' && r <= '9' {
				return 0
			}
			return o.code(r, n)
		}
	}
	hex := g.hex
	var page strings.Builder
	line := func(y int, cells []string) {
		for i, c := range cells {
			if o.actualText {
				var u strings.Builder
				for _, v := range utf16.Encode([]rune(c)) {
					fmt.Fprintf(&u, "%04X", v)
				}
				fmt.Fprintf(&page, "/Span <</ActualText <FEFF%s>>> BDC ", u.String())
			}
			fmt.Fprintf(&page, "BT /F1 10 Tf 1 0 0 1 %d %d Tm %s Tj ET", 40+120*i, y, hex(c))
			if o.actualText {
				page.WriteString(" EMC")
			}
			page.WriteString("\n")
		}
	}
	line(800, header)
	for i, row := range rows {
		line(780-14*i, row)
	}
	cmap := toUnicodeCMap(g.codes, g.runes)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	stream := func(num int, data string) { writeFlateObject(tb, &b, num, data) }
	// The page's content split into streams at line ends, numbered from 100.
	parts := max(o.streams, 1)
	lines := strings.SplitAfter(page.String(), "\n")
	var refs []string
	for k := range parts {
		from, to := k*len(lines)/parts, (k+1)*len(lines)/parts
		stream(100+k, strings.Join(lines[from:to], ""))
		refs = append(refs, fmt.Sprintf("%d 0 R", 100+k))
	}
	if o.pad > 0 {
		fmt.Fprintf(&b, "20 0 obj\n(%s)\nendobj\n", strings.Repeat("padding ", o.pad/8))
	}
	w := o.w
	if w == "" {
		w = "[16 25 500]"
	}
	for _, obj := range []struct {
		num  int
		text string
	}{
		{3, "<</Type /Page /Parent 2 0 R /Resources 5 0 R /MediaBox [0 0 595 842] /Contents [" + strings.Join(refs, " ") + "]>>"},
		{2, "<</Type /Pages /Kids [3 0 R] /Count 1>>"},
		{5, "<</ProcSet [/PDF /Text] /Font 6 0 R>>"},
		{6, "<</F1 7 0 R>>"},
		{7, "<</Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 9 0 R>>"},
		{8, "<</Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /DW 1000 /W 10 0 R /CIDToGIDMap /Identity>>"},
		{10, w},
	} {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", obj.num, obj.text)
	}
	stream(9, cmap)
	b.WriteString("1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\ntrailer\n<</Size 11 /Root 1 0 R>>\n%%EOF\n")
	return b.Bytes()
}

// checkReviewCounts extracts body in several chunkings and wants of each
// of the four columns what the table of header and rows counts as text,
// and no reason.
func checkReviewCounts(t *testing.T, body []byte, header []string, rows [][]string) {
	t.Helper()
	e := newTestEngine(t)
	var tsv strings.Builder
	for _, r := range append([][]string{header}, rows...) {
		tsv.WriteString(strings.Join(r, "\t") + "\n")
	}
	want := scanPlain(e, []byte(tsv.String()))
	for _, chunk := range []int{0, 1, 997} {
		got := extract(t, e, body, "", Limits{}, chunk)
		for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.Name, inspect.Address} {
			if got.counts[d] != want[d] || want[d] < len(rows)*9/10 {
				t.Errorf("chunk %d: %d %s values, want %d", chunk, got.counts[d], d, want[d])
			}
		}
		if len(got.reasons) > 0 {
			t.Errorf("chunk %d: reasons %v, want none", chunk, got.reasons)
		}
	}
	checkLeakBudget(t, e, body, "", Limits{}, 4096, len(body)/8)
}

// TestPDFReviewRadicalSupplement: Chromium's ToUnicode CMaps name the
// CJK radicals supplement for the simplified characters a CJK font draws
// with one glyph (⻢ U+2EE2 for 马, ⻜ 飞, ⻄ 西, ⻘ 青, ⻛ 风, ⻬ 齐),
// which NFKC leaves as they are: a 60-row Chromium print of a table
// counted 35 names and 14 addresses, names such as 马伟 and 吕飞 and every
// address in 西/青/风/齐 missing (37 and 31 now; the rest are cells the
// table wraps). They read as their unified ideographs: here 0 of 55 names
// (马X, 司马X) and 40 of 60 addresses counted before.
func TestPDFReviewRadicalSupplement(t *testing.T) {
	c := parseCMap([]byte("1 begincodespacerange <00> <FF> endcodespacerange 6 beginbfchar <01> <2EE2> <02> <2EDC> <03> <2EC4> <04> <2ED8> <05> <2EDB> <06> <2EEC> endbfchar 1 beginbfchar <07> <2E9F> endbfchar"))
	if got := string(c.decode(nil, []byte{1, 2, 3, 4, 5, 6, 7})); got != "马飞西青风齐母" {
		t.Errorf("decoded %q, want 马飞西青风齐母", got)
	}
	header, rows := glyphRows(51, 60)
	radical := map[rune]uint16{'马': 0x2EE2, '飞': 0x2EDC, '西': 0x2EC4, '青': 0x2ED8, '风': 0x2EDB, '齐': 0x2EEC, '长': 0x2ED3, '门': 0x2ED4}
	for i := range rows {
		name := []rune(rows[i][0])
		rows[i][0] = []string{"马", "司马"}[i%2] + string(name[len(name)-1])
	}
	body := reviewPDF{}.build(t, header, rows)
	// The CMap names the radicals: rewrite its destinations.
	for r, rad := range radical {
		body = replaceCMapDest(t, body, r, rad)
	}
	checkReviewCounts(t, body, header, rows)
}

// replaceCMapDest rewrites the destination of rune r in the (last,
// zlib) stream of body, the CMap, to rad.
func replaceCMapDest(t *testing.T, body []byte, r rune, rad uint16) []byte {
	t.Helper()
	k := bytes.LastIndex(body, []byte("9 0 obj"))
	s := bytes.Index(body[k:], []byte("stream\n")) + k + len("stream\n")
	e := bytes.Index(body[s:], []byte("\nendstream")) + s
	zr, err := zlib.NewReader(bytes.NewReader(body[s:e]))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	_, _ = plain.ReadFrom(zr)
	text := strings.ReplaceAll(plain.String(), fmt.Sprintf("> <%04X>", r), fmt.Sprintf("> <%04X>", rad))
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	head := bytes.Replace(body[k:s], fmt.Appendf(nil, "/Length %d", e-s), fmt.Appendf(nil, "/Length %d", z.Len()), 1)
	return slices.Concat(body[:k], head, z.Bytes(), body[e:])
}

// TestPDFReviewActualText: Chromium wraps glyphs in marked content with
// an /ActualText string (<FEFF...>, UTF-16BE). That string is no text
// shown: logged as one in the current font it decoded through the font's
// CMap into characters of the cell, doubled or stray (鸡西 read 鸡鹿西,
// 江苏省 江苏省省 in a Chromium print). Here codes equal the code points,
// so every cell read twice: 0 IDs, mobiles, names, addresses; now 60.
func TestPDFReviewActualText(t *testing.T) {
	header, rows := glyphRows(53, 60)
	o := reviewPDF{actualText: true, code: func(r rune, _ int) uint16 { return uint16(r) }}
	checkReviewCounts(t, o.build(t, header, rows), header, rows)
}

// TestPDFReviewPlainLookingCodes: a glyph code may read as printable
// ASCII (a CJK font's glyph numbers 0x2121 to 0x7E7E, a Type3 font's
// one-byte codes 0x20 to 0x7E: Chromium's 员 of a title). The strings
// before the PDF's first one that is no plain text were never logged, so
// their text was lost: here the header row, and with it every name and
// address under it (0 before, 60 now).
func TestPDFReviewPlainLookingCodes(t *testing.T) {
	header, rows := glyphRows(55, 60)
	o := reviewPDF{code: func(_ rune, i int) uint16 { return uint16(0x21+i/94)<<8 | uint16(0x21+i%94) }}
	checkReviewCounts(t, o.build(t, header, rows), header, rows)
}

// TestPDFReviewOverHoldEarly: past Limits.Hold the logs are dropped and
// the raw bytes held for them released at once, but over_limit was
// recorded only at the PDF's end, once its fonts were read: the proxy,
// which checks the reasons after every write, had forwarded the page of
// glyph codes (whose text is never scanned) before a fail-closed policy
// could block. The reason now comes with the drop, before a byte of the
// dropped page is released.
func TestPDFReviewOverHoldEarly(t *testing.T) {
	header, rows := glyphRows(57, 200)
	body := reviewPDF{pad: 256 << 10}.build(t, header, rows)
	pageEnd := bytes.Index(body, []byte("endstream"))
	e := newTestEngine(t)
	for _, chunk := range []int{4096, 32 << 10} {
		s := e.NewScanner()
		x := New(s, "", Limits{Hold: 8 << 10})
		for off := 0; off < len(body); off += chunk {
			_, _ = x.Write(body[off:min(off+chunk, len(body))])
			st := x.Settled()
			if !slices.Contains(x.Reasons(), ReasonOverLimit) && s.Tally().Counts[inspect.ResidentID] == 0 {
				if int(st) > bytes.Index(body, []byte("stream\n"))+len("stream\n") {
					t.Fatalf("chunk %d: %d bytes released (the page ends at %d), its text unscanned, and no reason yet", chunk, st, pageEnd)
				}
			}
		}
		_ = x.Close()
		if !slices.Contains(x.Reasons(), ReasonOverLimit) {
			t.Errorf("chunk %d: reasons %v, want %s", chunk, x.Reasons(), ReasonOverLimit)
		}
		x.Stop()
		s.Release()
	}
}

// TestPDFReviewWidthsBounded: a /W array of ranges (c1 c2 w) was expanded
// into a map entry per code, anew for every content stream: 60 ranges of
// 65,536 codes in a 4 KiB object and a page of 8 streams allocated about
// 2 GB and took seconds. Widths are ranges now, a font read once.
func TestPDFReviewWidthsBounded(t *testing.T) {
	var w strings.Builder
	w.WriteString("[16 25 500")
	for k := range 60 {
		fmt.Fprintf(&w, " %d %d 1000", 0x10000+k<<16, 0x10000+k<<16+0xFFFF)
	}
	w.WriteString("]")
	header, rows := glyphRows(59, 40)
	body := reviewPDF{w: w.String(), streams: 8}.build(t, header, rows)
	e := newTestEngine(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := extract(t, e, body, "", Limits{}, 0)
	runtime.ReadMemStats(&after)
	if got.counts[inspect.ResidentID] != 40 {
		t.Errorf("%d IDs, want 40", got.counts[inspect.ResidentID])
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MB for a %d KB PDF", alloc>>20, len(body)>>10)
	}
}

// TestPDFReviewTinyObjectsBounded: what the PDF keeps of its objects
// counts against Limits.Hold, map and copy included: 200,000 objects
// "N 0 obj<<>>endobj" were counted 4 bytes each (800 KB, under a 1 MiB
// hold) while they took about 60 each in memory (12 MB).
func TestPDFReviewTinyObjectsBounded(t *testing.T) {
	var b bytes.Buffer
	for k := range 200_000 {
		fmt.Fprintf(&b, "%d 0 obj<<>>endobj\n", k+1)
	}
	x := &Extractor{lim: Limits{Hold: 1 << 20}.withDefaults()}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h := newPDFHeld(x, func() int64 { return 0 })
	data := b.Bytes()
	for off := 0; off < len(data); off += 4096 {
		h.tap.feed(data[off:min(off+4096, len(data))])
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 2*x.lim.Hold {
		t.Errorf("%d objects kept, %d KB of heap for a hold of %d KB (counted %d KB)", len(h.objs), grown>>10, x.lim.Hold>>10, x.held>>10)
	}
	runtime.KeepAlive(h)
	h.release()
	if x.held != 0 {
		t.Errorf("held %d after release", x.held)
	}
}

// TestPDFReviewWidthRanges: widths read as ranges give each code the
// width of the range that holds it (the earlier of two overlapping).
func TestPDFReviewWidthRanges(t *testing.T) {
	f := &pdfFont{widths: cidWidths([]byte("[1 [500 600] 10 20 700 15 25 300 30 [900] 40 40 100 100 65635 1]"))}
	for code, want := range map[uint32]float64{1: 0.5, 2: 0.6, 10: 0.7, 15: 0.7, 20: 0.7, 21: 0.3, 25: 0.3, 30: 0.9, 40: 0.1, 100: 0.001, 65635: 0.001} {
		if got, ok := f.widthOf(code); !ok || got != want {
			t.Errorf("code %d: width %v %v, want %v", code, got, ok, want)
		}
	}
	for _, code := range []uint32{0, 3, 26, 31, 41, 99, 65636} {
		if w, ok := f.widthOf(code); ok {
			t.Errorf("code %d has a width %v", code, w)
		}
	}
}
