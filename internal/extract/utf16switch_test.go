package extract

import (
	"bytes"
	"strings"
	"testing"
)

// TestUTF16AfterText: text read as bytes (ASCII, UTF-8, a form field) and
// then a UTF-16LE list with no byte order mark, as Windows tools write
// "Unicode" text (Notepad, Excel's Unicode text export, a .txt appended
// to another): the list is read as UTF-16 from its first character on.
// Before, it was read as bytes: its digits, split by zero bytes, counted
// nothing and nothing was reported.
func TestUTF16AfterText(t *testing.T) {
	e := newTestEngine(t)
	list, first, _ := compressedLists()
	list16, err := utf16LEPlain.NewEncoder().Bytes(list)
	if err != nil {
		t.Fatal(err)
	}
	first16, err := utf16LEPlain.NewEncoder().Bytes(first)
	if err != nil {
		t.Fatal(err)
	}
	numbered := cat([]byte("no,"), bytes.ReplaceAll(list, []byte("\n"), []byte("\n1,")))
	numbered = numbered[:len(numbered)-2] // no row "1," after the last line
	numbered16, err := utf16LEPlain.NewEncoder().Bytes(numbered)
	if err != nil {
		t.Fatal(err)
	}
	english := []byte(strings.Repeat("Quarterly report, nothing personal here. ", 40) + "\n")
	chinese := []byte(strings.Repeat("本季度报告，没有个人信息。", 40) + "\n")
	tests := []shapeTest{
		{name: "after ASCII text", give: cat(english, list16), same: cat(english, list)},
		// After UTF-8 Chinese; the list's first cell is ASCII (a CJK
		// character before the first ASCII one is read as bytes).
		{name: "after UTF-8 Chinese", give: cat(chinese, numbered16), same: cat(chinese, numbered)},
		// The word no longer glues to the header row.
		{name: "right after a word", give: cat([]byte("notes:"), list16), same: list},
		{name: "declared text/plain", give: cat(english, list16), ctype: "text/plain; charset=utf-8", same: cat(english, list)},
		{name: "then text again", give: cat(english, first16, english), same: cat(english, first, english)},
		// Zero bytes that are not UTF-16 text stay bytes.
		{name: "zero bytes in text", give: cat(english, bytes.Repeat([]byte("a\x00b\x00\x00\x00"), 100), list), same: cat(english, list)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}
