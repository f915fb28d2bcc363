package extract

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// The xls fixtures in testdata/xls hold xlsList, written to people.csv:
//
//	python3 mk_xlwt.py people.csv people_xlwt.xls   (python3-xlwt 1.3.0:
//	    mobiles written as numbers, a second sheet "说明" of one cell)
//	head -4 people.csv > tiny.csv; python3 mk_xlwt.py tiny.csv tiny.xls
//	soffice --headless --infilter="CSV:44,34,76,1,1/2/2/2/3/1/4/2/5/2/6/2/7/2" \
//	    --convert-to xls:"MS Excel 97" people.csv   (LibreOffice 7.4 Calc:
//	    the mobile column imported as numbers, the others as text)
//
// Both keep the shared strings in an SST record and its CONTINUE records
// (a string split between them), mobiles in NUMBER or RK records.

// xlsList is the 300-row list of the xls fixtures.
func xlsList() []byte { return csvBytes(csvRows(corpus.Records(33, 300))) }

// xlsFixture reads a file of testdata/xls.
func xlsFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "xls", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestXLS: a legacy Excel workbook is read cell by cell, each worksheet
// a part of its own with its header row. Before, its string runs were
// read without columns and its numbers not at all: the 300-row list as
// .xls counted its IDs, cards and e-mail but no mobiles (typed into
// cells, they are numbers), names, addresses or passports, and a few IDs
// and cards split across SST records were lost (297-299 of 300).
func TestXLS(t *testing.T) {
	e := newTestEngine(t)
	list := xlsList()
	lo, xlwt := xlsFixture(t, "people_lo.xls"), xlsFixture(t, "people_xlwt.xls")
	form, formType := buildMultipart(t, filePart{field: "file", file: "客户.xls", ctype: "application/vnd.ms-excel", data: lo})
	tests := []shapeTest{
		{name: "LibreOffice", give: lo, same: list},
		{name: "xlwt, two sheets", give: xlwt, same: list},
		{name: "declared", give: lo, ctype: "application/vnd.ms-excel", same: list},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "客户.xls", data: xlwt}), same: list},
		{name: "gzip of xls", give: gz(t, lo), same: list},
		// A workbook stream under 4 KiB is kept in the mini stream.
		{name: "three rows, mini stream", give: xlsFixture(t, "tiny.xls"), same: csvBytes(csvRows(corpus.Records(33, 300))[:4])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// TestOLEWithoutWorkbook: an OLE file with no Workbook stream (a Word or
// PowerPoint file), one over the hold budget, and one whose workbook does
// not parse are read for their string runs, as before.
func TestOLEWithoutWorkbook(t *testing.T) {
	e := newTestEngine(t)
	lo := xlsFixture(t, "people_lo.xls")
	renamed := renameStream(t, lo, "Workbook", "Workbooc")
	corrupt := bytes.Clone(lo)
	wb := bytes.Index(corrupt, []byte{0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00}) // the first BOF
	binary.LittleEndian.PutUint16(corrupt[wb+2:], 0xfff0)                              // its length: past the stream's end
	for _, tt := range []struct {
		name   string
		body   []byte
		lim    Limits
		reason []string
	}{
		{name: "no Workbook stream", body: renamed},
		{name: "over the hold budget", body: lo, lim: Limits{Hold: 16 << 10}},
		{name: "workbook that does not parse", body: corrupt, reason: []string{ReasonDecodeError}},
		{name: "truncated", body: lo[:len(lo)/2], reason: []string{ReasonDecodeError}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := oleRunsOf(t, e, tt.body)
			if want[inspect.ResidentID] < 100 || want[inspect.Name] != 0 {
				t.Fatalf("string runs count %v: want the IDs and no names", want)
			}
			for _, chunk := range []int{0, 1000} {
				got := extract(t, e, tt.body, "", tt.lim, chunk)
				if got.counts != want || !slices.Equal(got.reasons, tt.reason) {
					t.Errorf("chunk %d: %v %v, want the string runs' %v and %v", chunk, got.counts, got.reasons, want, tt.reason)
				}
			}
		})
	}
}

// oleRunsOf is what the string runs of an OLE file count (the counts
// before workbooks were read): those of the file with its Workbook stream
// renamed, which only changes that name's letters.
func oleRunsOf(tb testing.TB, e *inspect.Engine, body []byte) [inspect.NumDetectors]int {
	tb.Helper()
	if bytes.Contains(body, utf16le("Workbook")) {
		body = renameStream(tb, body, "Workbook", "Workbooc")
	}
	return extract(tb, e, body, "", Limits{}, 0).counts
}

// utf16le is s in UTF-16LE.
func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// renameStream returns body with the directory entry named from renamed
// to (same length).
func renameStream(tb testing.TB, body []byte, from, to string) []byte {
	tb.Helper()
	i := bytes.Index(body, utf16le(from))
	if i < 0 {
		tb.Fatalf("no %q entry", from)
	}
	out := bytes.Clone(body)
	copy(out[i:], utf16le(to))
	return out
}

// FuzzXLS: a mutated workbook (its FAT, directory, SST or cell records)
// counts the same whole and in 7-byte chunks.
func FuzzXLS(f *testing.F) {
	f.Add(xlsFixture(f, "tiny.xls"))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// TestOLESettles: an OLE file over the hold budget is read for its string
// runs as it streams, released as they are counted (not held to its
// end); a workbook within the budget is held until it has been read.
func TestOLESettles(t *testing.T) {
	e := newTestEngine(t)
	lo := xlsFixture(t, "people_lo.xls")
	lim := Limits{Hold: 16 << 10}
	for _, chunk := range []int{4096, benchChunk} {
		checkLeakBudget(t, e, lo, "", lim, chunk, len(lo)/16)
	}
	for _, tt := range []struct {
		lim    Limits
		stream bool
	}{{lim, true}, {Limits{}, false}} {
		s := e.NewScanner()
		x := New(s, "", tt.lim)
		_, _ = x.Write(lo[:len(lo)*3/4])
		if st := x.Settled(); (st > 0) != tt.stream {
			t.Errorf("hold %d: settled %d after three quarters of %d bytes", tt.lim.Hold, st, len(lo))
		}
		x.Stop()
		s.Release()
	}
}
