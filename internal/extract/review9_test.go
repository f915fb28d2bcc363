package extract

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// rtfUnicode escapes s as Word does: each non-ASCII character as \uN
// (signed 16-bit, a character past U+FFFF as its two UTF-16 halves) and
// a fallback '?'.
func rtfUnicode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		units := []rune{r}
		if r > 0xFFFF {
			r -= 0x10000
			units = []rune{0xD800 + r>>10, 0xDC00 + r&0x3FF}
		}
		for _, u := range units {
			n := int(u)
			if n > 32767 {
				n -= 65536
			}
			fmt.Fprintf(&b, `\u%d?`, n)
		}
	}
	return b.String()
}

// rtfShown is the text the RTF reader makes of a small document.
func rtfShown(body string) string {
	d := &rtfReader{x: &Extractor{}, cr: &countReader{r: bufio.NewReader(strings.NewReader(body))}, fontCP: map[int]encoding.Encoding{}}
	_ = d.run()
	d.decode()
	return string(d.out)
}

// TestReview9RTFDeepGroups: a group opened past the 1,024th ended the
// document with an error no caller recorded at the top level: a body of
// 1,100 '{' then an ID and a mobile counted nothing and reported
// nothing, and the rest of the document was never read. Deeper groups
// are now counted, not stacked: a decode error, and the text is read.
func TestReview9RTFDeepGroups(t *testing.T) {
	e := newTestEngine(t)
	text := " 110101199003078515 13812345678 "
	body := []byte(`{\rtf1 ` + strings.Repeat("{", 1100) + text + strings.Repeat("}", 1100) + text + "}")
	checkCompressed(t, e, shapeTest{give: body, same: []byte(text + "\n" + text), want: []string{ReasonDecodeError}})
}

// TestReview9RTFLeakBudget: a 20,000-row list as an RTF table (\u
// escapes) and a winmail.dat of 50 photos named after their holders and
// the list as CSV release no raw byte ahead of its values.
func TestReview9RTFLeakBudget(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(91, 20000)
	rtf := rtfTable(`\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}{\f1\fnil SimSun;}}`, csvRows(recs), rtfUnicode)
	checkLeakBudget(t, e, rtf, "", Limits{}, 4096, len(rtf)/64)
	var files []szTestFile
	for _, r := range recs[:50] {
		files = append(files, szTestFile{name: photoName(r), data: photo})
	}
	files = append(files, szTestFile{name: "list.csv", data: csvBytes(csvRows(recs))})
	dat := tnefOf("hello", files...)
	checkLeakBudget(t, e, dat, "", Limits{}, 4096, len(dat)/64)
	got := extract(t, e, dat, "", Limits{}, 4096)
	if want := extract(t, e, rtf, "", Limits{}, 0); got.counts != want.counts || len(got.reasons) > 0 {
		t.Errorf("winmail.dat counts %v %v, the RTF table %v", got.counts, got.reasons, want.counts)
	}
}

// TestReview9RTFTextBox: a Word text box keeps its text in \shptxt, a
// group inside the shape's {\*\shpinst} (whose properties are not text):
// read as part of the skipped destination, the 30-row list in a text box
// counted nothing (read as bytes before RTF was read, its IDs, mobiles,
// cards and e-mail counted). It is read as text.
func TestReview9RTFTextBox(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(93, 30))
	var box, shown strings.Builder
	box.WriteString(`{\rtf1\ansi\ansicpg1252 {\shp{\*\shpinst\shpleft0\shptop0{\sp{\sn fillColor}{\sv 13421772}}{\shptxt \pard `)
	for _, r := range rows {
		for _, c := range r {
			box.WriteString(rtfUnicode(c) + `\tab `)
			shown.WriteString(c + "\t")
		}
		box.WriteString(`\par` + "\r\n")
		shown.WriteString("\n")
	}
	box.WriteString(`}}{\shprslt{\*\do\dobxcolumn\dptxbx{\dptxbxtext x}}}}}`)
	checkCompressed(t, e, shapeTest{give: []byte(box.String()), same: []byte(shown.String())})
}

// TestReview9RTFNestedRows: a nested table's rows end with \nestrow,
// which Word writes in {\*\nesttableprops} (with a {\*\nonesttables}
// paragraph for older readers): skipped with it, the rows of a 30-row
// list in a table nested in a cell ran into one line, and its names,
// addresses and passports counted 0 of 30. A \nestrow ends a line.
func TestReview9RTFNestedRows(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(93, 30))
	var b, shown strings.Builder
	b.WriteString(`{\rtf1\ansi\ansicpg1252 \trowd\cellx9000 \pard\intbl `)
	for _, r := range rows {
		for _, c := range r {
			b.WriteString(`\pard\intbl\itap2 ` + rtfUnicode(c) + `\nestcell `)
			shown.WriteString(c + "\t")
		}
		b.WriteString(`{\*\nesttableprops\trowd\cellx2000\cellx4000\nestrow}{\*\nonesttables\par}` + "\r\n")
		shown.WriteString("\n")
	}
	b.WriteString(`\pard\intbl\cell\row}`)
	shown.WriteString("\t\n")
	checkCompressed(t, e, shapeTest{give: []byte(b.String()), same: []byte(shown.String())})
}

// TestReview9RTFSurrogates: Word writes a character past U+FFFF (a rare
// name character of CJK Extension B, 𠀀 U+20000) as its two UTF-16
// halves, \u-10176?\u-9216?: each was written as a rune of its own, two
// U+FFFD. They are one character; a half alone is still U+FFFD.
func TestReview9RTFSurrogates(t *testing.T) {
	for _, tt := range []struct{ give, want string }{
		{`{\rtf1 ` + rtfUnicode("张𠀀三") + `}`, "张𠀀三"},
		{`{\rtf1 \uc0\u-10179\u-8704 x}`, "😀x"},
		{`{\rtf1 \u-10176?x\u-9216?}`, "\uFFFDx\uFFFD"},
		{`{\rtf1 \u-10176?\u-10176?\u-9216?}`, "\uFFFD𠀀"},
		{`{\rtf1 {\u-10176?}x}`, "\uFFFDx"},
		{`{\rtf1\ansicpg936 \u-10176?\'d5\'c5}`, "\uFFFD张"}, // a half, then bytes
	} {
		if got := rtfShown(tt.give); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.give, got, tt.want)
		}
	}
}

// TestReview9RTFSymbols: the control words WordPad writes for dashes,
// quotes and bullets (\endash, \emdash, \bullet, \lquote, \rquote,
// \ldblquote, \rdblquote, and the spaces \enspace, \emspace, \qmspace)
// were dropped, running their neighbours together: two mobiles as a
// range, 13800138000\endash 13900139000, counted 0. They are their
// characters.
func TestReview9RTFSymbols(t *testing.T) {
	e := newTestEngine(t)
	body := []byte(`{\rtf1\ansi 13800138000\endash 13900139000\par 13700137000\emdash 13600136000\par\bullet 110101199003078515\enspace 11010119900307299X\par}`)
	checkCompressed(t, e, shapeTest{give: body, same: []byte("13800138000–13900139000\n13700137000—13600136000\n•110101199003078515 11010119900307299X\n")})
}
