package extract

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// finalPDF writes a one-page PDF whose content stream draw writes, its
// strings two-byte glyph codes of one Type0 Identity-H font (every glyph
// 500 units wide) that only the ToUnicode CMap after the page maps back:
// the replay reads it.
func finalPDF(tb testing.TB, draw func(hex func(string) string) string) []byte {
	tb.Helper()
	g := &glyphCodes{}
	content := draw(g.hex)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	writeFlateObject(tb, &b, 4, content)
	for _, obj := range []struct {
		num  int
		text string
	}{
		{3, "<</Type /Page /Parent 2 0 R /Resources 5 0 R /MediaBox [0 0 595 842] /Contents 4 0 R>>"},
		{2, "<</Type /Pages /Kids [3 0 R] /Count 1>>"},
		{5, "<</ProcSet [/PDF /Text] /Font 6 0 R>>"},
		{6, "<</F1 7 0 R>>"},
		{7, "<</Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 9 0 R>>"},
		{8, "<</Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /DW 1000 /W [16 25 500] /CIDToGIDMap /Identity>>"},
	} {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", obj.num, obj.text)
	}
	writeFlateObject(tb, &b, 9, toUnicodeCMap(g.codes, g.runes))
	b.WriteString("1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\ntrailer\n<</Size 10 /Root 1 0 R>>\n%%EOF\n")
	return b.Bytes()
}

// finalCounts extracts body in several chunkings and returns the counts,
// failing unless every chunking counts the same.
func finalCounts(t *testing.T, body []byte) [inspect.NumDetectors]int {
	t.Helper()
	e := newTestEngine(t)
	var first [inspect.NumDetectors]int
	for k, chunk := range []int{0, 1, 997} {
		got := extract(t, e, body, "", Limits{}, chunk)
		if k == 0 {
			first = got.counts
		} else if got.counts != first {
			t.Errorf("chunk %d: counts %v, want %v as unchunked", chunk, got.counts, first)
		}
	}
	return first
}

// TestPDFFinalReviewDrawnFirst: the replay took which way is down from
// the page's first two lines, so a page that draws its footer or page
// number (a report's page template, drawn before the body) or a watermark
// (Word draws it from the header, behind the text) before a table read
// bottom up, its header row last: a 40-row table of glyph codes counted
// 40 IDs and mobiles but 0 names and addresses (40 each in drawing
// order, before the replay read by baseline). The way the page most often
// moves from line to line says which way is down; a page drawn in a
// flipped space (y growing down) still reads from the top.
func TestPDFFinalReviewDrawnFirst(t *testing.T) {
	header, rows := glyphRows(7, 40)
	for _, tc := range []struct {
		name  string
		first string // drawn before the table
		flip  bool
	}{
		{"plain", "", false},
		{"footer", "BT /F1 9 Tf 1 0 0 1 280 30 Tm %s Tj ET\n", false},
		{"watermark", "BT /F1 60 Tf 0.7071 0.7071 -0.7071 0.7071 150 300 Tm %s Tj ET\n", false},
		{"flipped footer", "BT /F1 9 Tf 1 0 0 -1 280 812 Tm %s Tj ET\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := finalPDF(t, func(hex func(string) string) string {
				var b strings.Builder
				if tc.flip {
					b.WriteString("1 0 0 -1 0 842 cm\n")
				}
				if tc.first != "" {
					fmt.Fprintf(&b, tc.first, hex("第1页 内部资料"))
				}
				for i, row := range append([][]string{header}, rows...) {
					for j, c := range row {
						if tc.flip {
							fmt.Fprintf(&b, "BT /F1 10 Tf 1 0 0 -1 %d %d Tm %s Tj ET\n", 40+120*j, 42+14*i, hex(c))
						} else {
							fmt.Fprintf(&b, "BT /F1 10 Tf 1 0 0 1 %d %d Tm %s Tj ET\n", 40+120*j, 800-14*i, hex(c))
						}
					}
				}
				return b.String()
			})
			c := finalCounts(t, body)
			for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.Name, inspect.Address} {
				if c[d] != len(rows) {
					t.Errorf("%d %s values, want %d", c[d], d, len(rows))
				}
			}
		})
	}
}
