package extract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// rtfTable writes rows as an RTF table after a title paragraph, its
// non-ASCII text escaped as esc writes it, in a document whose header is
// head (code page, font table).
func rtfTable(head string, rows [][]string, esc func(string) string) []byte {
	var b strings.Builder
	b.WriteString(`{\rtf1` + head + `{\colortbl;\red0\green0\blue0;}{\*\generator Riched20 10.0.19041}\viewkind4\uc1` + "\r\n")
	b.WriteString(`\pard\f1 ` + esc("客户名单") + `\par` + "\r\n")
	b.WriteString(`{\pict\wmetafile8\picw100\pich100 0123456789abcdef0123456789abcdef13800138000110101199003078515}` + "\r\n")
	for _, r := range rows {
		b.WriteString(`\trowd\cellx2000\cellx4000\cellx6000`)
		for _, c := range r {
			b.WriteString(`\pard\intbl ` + esc(c) + `\cell `)
		}
		b.WriteString(`\row` + "\r\n")
	}
	b.WriteString(`\pard\par}`)
	return []byte(b.String())
}

// rtfText is what rtfTable shows: the title, then the rows, each cell
// followed by a tab.
func rtfText(rows [][]string) []byte {
	var b strings.Builder
	b.WriteString("客户名单\n")
	for _, r := range rows {
		for _, c := range r {
			b.WriteString(c + "\t")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// TestRTF: an RTF document (Word, WordPad, an Outlook rich-text body) is
// read as the text it shows, a table's rows as lines of tab-separated
// cells. Before, its bytes were read as text: Chinese escapes (\'c4\'e3,
// \u23458?) hid every label, name and address, so the 60-row list as an
// RTF table counted its IDs, mobiles, cards and e-mail but no names,
// addresses or passports.
func TestRTF(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(36, 60))
	shown := rtfText(rows)
	if got, want := scanPlain(e, shown), scanPlain(e, csvBytes(rows)); got != want {
		t.Fatalf("the table as shown counts %v, the CSV %v", got, want)
	}
	hexGBK := func(s string) string { // WordPad on a Chinese system: \'hh in code page 936
		var b strings.Builder
		for _, c := range encodeText(t, gbk, []byte(s)) {
			if c < 0x80 {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\'%02x`, c)
			}
		}
		return b.String()
	}
	unicode := func(s string) string { // Word: \uN and a fallback character
		var b strings.Builder
		for _, r := range s {
			if r < 0x80 {
				b.WriteRune(r)
				continue
			}
			n := int(r)
			if n > 32767 {
				n -= 65536
			}
			fmt.Fprintf(&b, `\u%d?`, n)
		}
		return b.String()
	}
	tests := []shapeTest{
		{name: "WordPad, code page 936", give: rtfTable(`\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 \'cb\'ce\'cc\'e5;}{\f1\fnil\fcharset134 \'cb\'ce\'cc\'e5;}}`, rows, hexGBK), same: shown},
		{name: "a GB2312 font in a code page 1252 document", give: rtfTable(`\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}{\f1\fnil\fcharset134 SimSun;}}`, rows, hexGBK), same: shown},
		{name: "Word, \\u escapes", give: rtfTable(`\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}{\f1\fnil SimSun;}}`, rows, unicode), same: shown},
		{name: "as a form upload", give: rtfTable(`\ansi\ansicpg936{\fonttbl{\f1\fnil\fcharset134 SimSun;}}`, rows, hexGBK), ctype: "application/rtf", same: shown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
	if got := scanPlain(e, shown); got[inspect.Name] != 60 || got[inspect.Address] != 60 {
		t.Errorf("the table counts %v: want 60 names and addresses", got)
	}
}

// FuzzRTF: a mutated RTF document counts the same whole and in 7-byte
// chunks.
func FuzzRTF(f *testing.F) {
	f.Add([]byte(`{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 SimSun;}}\f0 \'d0\'d5\'c3\'fb\cell \u24352?\u19977?\cell 13800138000\row{\*\objdata 0102}\bin3 abc}`))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}
