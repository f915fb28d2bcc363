package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
// cells, they are numbers), names, addresses or passports, and a few
// values split across SST records were lost (298-300 IDs, 299-300 cards,
// 299 e-mail of 300).
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
	f.Add(cfbOf(f, []string{"__substg1.0_37010102"}, [][]byte{cat(buildZip(f, zfile{name: "a.csv", data: []byte("姓名,手机\n张三,13800138000\n"), store: true}), make([]byte, 4096))}))
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

// cfbOf writes an OLE compound file (version 3, 512-byte sectors) of the
// named streams, each 4096 bytes or more (so in the FAT, not the mini
// stream), all under the root: the header, the FAT, the directory, the
// streams.
func cfbOf(tb testing.TB, names []string, streams [][]byte) []byte {
	tb.Helper()
	entries := make([]cfbEntry, len(streams))
	for i, s := range streams {
		entries[i] = cfbEntry{name: names[i], data: s}
	}
	return cfbTree(tb, entries)
}

// cfbEntry is an entry of cfbTree: a stream (data set) or a storage,
// under the entry at parent (0: the root).
type cfbEntry struct {
	name   string
	parent int
	data   []byte // a stream's content, 4096 bytes or more
	store  bool
}

// cfbTree writes an OLE compound file (version 3) of entries, with
// storages: each storage's children are chained as right siblings under
// its child pointer. Entry i is directory entry i+1.
func cfbTree(tb testing.TB, entries []cfbEntry) []byte {
	tb.Helper()
	const sec = 512
	le := binary.LittleEndian
	sectors := func(n int) int { return (n + sec - 1) / sec }
	dirSecs := sectors(128 * (len(entries) + 1))
	dataSecs := 0
	for _, e := range entries {
		if !e.store && len(e.data) < 4096 {
			tb.Fatalf("stream %s of %d bytes", e.name, len(e.data))
		}
		dataSecs += sectors(len(e.data))
	}
	fatSecs := 1
	for fatSecs*sec/4 < fatSecs+dirSecs+dataSecs {
		fatSecs++
	}
	fat := make([]uint32, fatSecs*sec/4)
	for i := range fat {
		fat[i] = 0xffffffff
	}
	next := 0
	chain := func(n int) uint32 {
		start := next
		for i := range n {
			fat[next] = uint32(next + 1)
			if i == n-1 {
				fat[next] = cfbEndOfChain
			}
			next++
		}
		return uint32(start)
	}
	for range fatSecs {
		fat[next] = 0xfffffffd
		next++
	}
	dirStart := chain(dirSecs)
	dir := make([]byte, dirSecs*sec)
	entry := func(i int, name string, typ byte, start uint32, size int) {
		e := dir[128*i : 128*i+128]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[0x40:], uint16(2*len(u)+2))
		e[0x42], e[0x43] = typ, 1
		le.PutUint32(e[0x44:], 0xffffffff)
		le.PutUint32(e[0x48:], 0xffffffff)
		le.PutUint32(e[0x4c:], 0xffffffff)
		le.PutUint32(e[0x74:], start)
		le.PutUint64(e[0x78:], uint64(size))
	}
	entry(0, "Root Entry", 5, cfbEndOfChain, 0)
	last := map[int]int{} // a storage's last child so far
	var data []byte
	for i, e := range entries {
		id := i + 1
		if e.store {
			entry(id, e.name, 1, 0, 0)
		} else {
			entry(id, e.name, 2, chain(sectors(len(e.data))), len(e.data))
			data = append(data, e.data...)
			data = append(data, make([]byte, sectors(len(e.data))*sec-len(e.data))...)
		}
		if prev, ok := last[e.parent]; ok {
			le.PutUint32(dir[128*prev+0x48:], uint32(id))
		} else {
			le.PutUint32(dir[128*e.parent+0x4c:], uint32(id))
		}
		last[e.parent] = id
	}
	return cfbAssemble(fat, fatSecs, dirStart, dir, data)
}

// TestOLEEmbedded: the files an OLE file carries (an Outlook message's
// attachments, an Office document embedded in a Word file) are read as
// content of their own, the message body's text as before. Before, an
// attachment's compressed bytes gave nothing to the string runs: a .msg
// with the 60-row list attached as xlsx counted 0.
func TestOLEEmbedded(t *testing.T) {
	e := newTestEngine(t)
	list, _, _ := compressedLists()
	xlsx := buildXLSX(t, csvRows(corpus.Records(31, 60)))
	body := encodeText(t, utf16LEPlain, []byte(strings.Repeat("请查收附件中的客户名单。联系电话13912345678。\n", 200)))
	msg := cfbOf(t, []string{"__substg1.0_1000001F", "__substg1.0_37010102"}, [][]byte{body, xlsx})
	doc := cfbOf(t, []string{"WordDocument", "Package"}, [][]byte{body, xlsx})
	withBody := cat(list, []byte("联系电话13912345678\n"))
	// An HTML body (PR_HTML, bytes in the message's code page) with the
	// list as a table.
	var html strings.Builder
	html.WriteString("<html><body><p>客户名单如下：</p><table>")
	for _, r := range csvRows(corpus.Records(31, 60)) {
		html.WriteString("<tr><td>" + strings.Join(r, "</td><td>") + "</td></tr>")
	}
	html.WriteString("</table></body></html>")
	htmlMsg := cfbOf(t, []string{"__substg1.0_1000001F", "__substg1.0_10130102"}, [][]byte{body, []byte(html.String())})
	// A rich-text body (PR_RTF_COMPRESSED): the list as an RTF table, in
	// Word's \u escapes.
	rows := csvRows(corpus.Records(31, 60))
	uEsc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r < 0x80 {
				b.WriteRune(r)
			} else {
				fmt.Fprintf(&b, `\u%d?`, int16(r))
			}
		}
		return b.String()
	}
	rtfMsg := cfbOf(t, []string{"__substg1.0_1000001F", rtfCompressedStream}, [][]byte{body,
		lzfu(rtfTable(`\ansi\ansicpg1252{\fonttbl{\f1\fnil SimSun;}}`, rows, uEsc))})
	tests := []shapeTest{
		{name: "msg with an xlsx attachment", give: msg, same: withBody},
		{name: "msg with a rich-text body", give: rtfMsg, same: cat(rtfText(rows), []byte("联系电话13912345678\n"))},
		{name: "msg with an HTML body", give: htmlMsg, same: withBody},
		{name: "doc with an embedded workbook", give: doc, same: withBody},
		{name: "msg in a zip", give: buildZip(t, zfile{name: "邮件.msg", data: msg}), same: withBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// TestOLEStreamsBounded: the streams of an OLE file read for their string
// runs count against MaxTotal, so directory entries pointing at one long
// chain cannot make a file be read over and over (a 32 MiB file may hold
// 262,144 entries).
func TestOLEStreamsBounded(t *testing.T) {
	e := newTestEngine(t)
	names := make([]string, 40)
	streams := make([][]byte, 40)
	for i := range streams {
		names[i] = fmt.Sprintf("s%d", i)
		streams[i] = encodeText(t, utf16LEPlain, []byte(strings.Repeat("联系电话13912345678\n", 300)))
	}
	f := cfbOf(t, names, streams)
	got := extract(t, e, f, "", Limits{MaxTotal: 64 << 10}, 0)
	if !slices.Equal(got.reasons, []string{ReasonOverLimit}) || got.counts[inspect.Mobile] != 1 {
		t.Errorf("%v %v: want the mobile and over_limit", got.counts, got.reasons)
	}
}

// cfbAssemble writes a compound file of 512-byte sectors: the header (its
// DIFAT pointing at the fatSecs FAT sectors that come first, the
// directory at sector dirStart), the FAT, the directory and the data.
func cfbAssemble(fat []uint32, fatSecs int, dirStart uint32, dir, data []byte) []byte {
	const sec = 512
	le := binary.LittleEndian
	h := make([]byte, sec)
	copy(h, oleMagic)
	le.PutUint16(h[0x18:], 0x3e)
	le.PutUint16(h[0x1a:], 3)
	le.PutUint16(h[0x1c:], 0xfffe)
	le.PutUint16(h[0x1e:], 9)
	le.PutUint16(h[0x20:], 6)
	le.PutUint32(h[0x2c:], uint32(fatSecs))
	le.PutUint32(h[0x30:], dirStart)
	le.PutUint32(h[0x38:], 4096)
	le.PutUint32(h[0x3c:], cfbEndOfChain)
	le.PutUint32(h[0x44:], cfbEndOfChain)
	for i := range 109 {
		v := uint32(0xffffffff)
		if i < fatSecs {
			v = uint32(i)
		}
		le.PutUint32(h[0x4c+4*i:], v)
	}
	fatBytes := make([]byte, 0, len(fat)*4)
	for _, v := range fat {
		fatBytes = le.AppendUint32(fatBytes, v)
	}
	return cat(h, fatBytes, dir, data)
}
