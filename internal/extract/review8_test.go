package extract

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestReview8SevenZipNoPackedStream: a folder whose one coder takes no
// input stream and gives two (so it reads -1 packed streams) moved the
// next folder's packed stream index to -1, and slicing the pack sizes
// with it panicked. It is a malformed header: a decode error, the
// archive read as text.
func TestReview8SevenZipNoPackedStream(t *testing.T) {
	e := newTestEngine(t)
	data := []byte("110101199003078515\n")
	hdr := cat([]byte{kHeader, kMainStreamsInfo, kPackInfo, 0, 1, kSize, byte(len(data)), kEnd,
		kUnpackInfo, kFolder, 2, 0,
		1, 0x11, 0x00, 0, 2, 0, 0, // one complex coder: 0 in, 2 out; a bind pair
		1, 0x01, 0x00, // Copy
		kCodersUnpackSize, 1, 1, byte(len(data)), kEnd,
		kEnd,
		kEnd})
	body := sevenZipRaw(data, hdr)
	got := extract(t, e, body, "", Limits{}, 0)
	if want := scanPlain(e, body); got.counts != want {
		t.Errorf("counts %v, want %v (the archive as text)", got.counts, want)
	}
	if len(got.reasons) != 1 || got.reasons[0] != ReasonDecodeError {
		t.Errorf("reasons %v, want [%s]", got.reasons, ReasonDecodeError)
	}
}

// TestReview8TarBadHeaderRead: a header archive/tar reads and rejects (a
// checksum that does not hold) was dropped: its 512 bytes were neither
// counted nor kept, and settled with the rest. An ID in such a block
// after a valid member counted 0; the block is now read as text with
// what follows it.
func TestReview8TarBadHeaderRead(t *testing.T) {
	e := newTestEngine(t)
	when := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	valid := tarEntries(t, file("a.txt", []byte("hello\n"), when, tar.FormatUSTAR))
	valid = valid[:len(valid)-1024] // less the end's two zero blocks
	block := make([]byte, 512)
	copy(block, "张三,110101199003078515,13812345678\n")
	body := cat(valid, block, []byte("tail\n"))
	got := extract(t, e, body, "", Limits{}, 0)
	want := scanPlain(e, block)
	for d, n := range want {
		if got.counts[d] < n {
			t.Errorf("%s: counted %d, want %d (the rejected header's bytes)", inspect.Detector(d), got.counts[d], n)
		}
	}
	if len(got.reasons) != 1 || got.reasons[0] != ReasonDecodeError {
		t.Errorf("reasons %v, want [%s]", got.reasons, ReasonDecodeError)
	}
	checkLeakBudget(t, e, body, "", Limits{}, 100, 0)
}

// TestReview8TarHeaderText: of a tar header only the name was counted,
// then the header settled: a PAX record (a comment, an extended
// attribute) or a symlink's target holding IDs counted 0 (read as text
// before tar members were read, they counted). They are now read as
// lines after the name.
func TestReview8TarHeaderText(t *testing.T) {
	e := newTestEngine(t)
	when := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	note := "张三,110101199003078515,13812345678"
	link := "李四_11010119900307299X"
	f := file("a.txt", []byte("hello\n"), when, tar.FormatPAX)
	f.hdr.PAXRecords = map[string]string{"comment": note, "SCHILY.xattr.user.note": "王五 13912345678"}
	body := tarEntries(t, f, tarEntry{hdr: tar.Header{Name: "b", Typeflag: tar.TypeSymlink, Linkname: link, ModTime: when, Format: tar.FormatPAX}})
	got := extract(t, e, body, "", Limits{}, 0)
	want := scanPlain(e, []byte(note+"\n"+link+"\n王五 13912345678\n"))
	for d, n := range want {
		if got.counts[d] < n {
			t.Errorf("%s: counted %d, want %d", inspect.Detector(d), got.counts[d], n)
		}
	}
	checkLeakBudget(t, e, body, "", Limits{}, 100, 0)
}

// loopedCFB returns an OLE file of n bytes, header and zeros but for a
// DIFAT sector that chains to itself: every FAT sector is sector 0,
// every FAT entry 0, so the directory, mini FAT and mini stream chains
// all go round sector 0.
func loopedCFB(n int) []byte {
	le := binary.LittleEndian
	b := make([]byte, n)
	copy(b, oleMagic)
	le.PutUint16(b[0x1e:], 9)
	le.PutUint16(b[0x20:], 6)
	le.PutUint32(b[0x38:], 4096)
	le.PutUint32(b[0x2c:], uint32(n>>9))
	le.PutUint32(b[0x44:], 1)     // the DIFAT: sector 1, ...
	le.PutUint32(b[1024+508:], 1) // ... whose next is itself
	return b
}

// TestReview8CFBChainLoop: a chain was bounded by the length of its table
// only, and a FAT may list the same sector over and over: a sector chain
// going round one sector took 128 times the file's size (the FAT's
// entries times 512 bytes), three times over (directory, mini FAT, mini
// stream). A chain longer than the sectors the file has is malformed.
func TestReview8CFBChainLoop(t *testing.T) {
	e := newTestEngine(t)
	body := loopedCFB(256 << 10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := extract(t, e, body, "", Limits{}, 0)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a %d KiB file", alloc>>10, len(body)>>10)
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB for a %d KiB file", alloc>>20, len(body)>>10)
	}
	if !slices.Contains(got.reasons, ReasonDecodeError) {
		t.Errorf("reasons %v, want %s", got.reasons, ReasonDecodeError)
	}
}

// TestReview8ODFLongParagraph: a paragraph of an OpenDocument text was
// gathered up to maxCell (64 KiB) and the rest dropped: 5,000 IDs on the
// lines of one paragraph (Shift+Enter) counted 3,448 (read as plain XML
// before ODF tables were read, all 5,000). Outside a table a paragraph is
// written as it comes.
func TestReview8ODFLongParagraph(t *testing.T) {
	e := newTestEngine(t)
	var ids []string
	for _, r := range corpus.Records(81, 5000) {
		ids = append(ids, r.ResidentID)
	}
	body := odfZip(t, "application/vnd.oasis.opendocument.text",
		`<office:text><text:p>身份证号<text:line-break/>`+strings.Join(ids, "<text:line-break/>")+`</text:p></office:text>`)
	want := scanPlain(e, []byte("身份证号\n"+strings.Join(ids, "\n")+"\n"))
	for _, chunk := range []int{0, 1000} {
		if got := extract(t, e, body, "", Limits{}, chunk); got.counts != want {
			t.Errorf("chunk %d: counts %v, want %v", chunk, got.counts, want)
		}
	}
}

// TestReview8XLSAmplified: a workbook's cells were written whatever they
// added up to: a 1 MiB workbook of LABELSST records (14 bytes each)
// naming one string of 8,000 characters wrote about 590 MB of text
// (a 4 MiB one took 1.9 s, a workbook within the 32 MiB hold about
// 15 s). The text written counts against MaxTotal as a member's does.
func TestReview8XLSAmplified(t *testing.T) {
	e := newTestEngine(t)
	le := binary.LittleEndian
	rec := func(typ uint16, body []byte) []byte {
		return append(le.AppendUint16(le.AppendUint16(nil, typ), uint16(len(body))), body...)
	}
	s := bytes.Repeat([]byte("abcdefgh"), 1000)
	sst := cat(le.AppendUint32(le.AppendUint32(nil, 1), 1), le.AppendUint16(nil, uint16(len(s))), []byte{0}, s)
	wb := cat(rec(biffBOF, []byte{0, 6, 0x10, 0}), rec(biffSST, sst))
	for i := 0; len(wb) < 1<<20; i++ {
		wb = append(wb, rec(biffLabelSST, cat(le.AppendUint16(nil, uint16(i)), make([]byte, 8)))...)
	}
	wb = append(wb, rec(biffEOF, nil)...)
	body := cfbOf(t, []string{"Workbook"}, [][]byte{wb})
	got := extract(t, e, body, "", Limits{MaxTotal: 32 << 20}, 0)
	if !slices.Equal(got.reasons, []string{ReasonOverLimit}) {
		t.Errorf("reasons %v, want [%s]", got.reasons, ReasonOverLimit)
	}
}

// TestSheetsAmplified: text a sheet writes beyond its XML counts against
// MaxTotal, as in .xls (TestReview8XLSAmplified): an xlsx whose cells
// each name one 60 KiB shared string (30 bytes of XML a cell; 4,000 of
// them wrote 240 MB), and an ods or xlsx whose cells jump to the last
// column (16,384 tabs from a few dozen bytes) are over the limit.
func TestSheetsAmplified(t *testing.T) {
	e := newTestEngine(t)
	big := strings.Repeat("客户备注", 5_000) // 60 KiB
	var cells, far strings.Builder
	for i := range 4_000 {
		fmt.Fprintf(&cells, `<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>`, i+1, i+1)
		fmt.Fprintf(&far, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, i+1, i+1)
	}
	xlsx := func(sheet string) []byte {
		return buildZip(t,
			zfile{name: "[Content_Types].xml", data: []byte(`<Types/>`)},
			zfile{name: "xl/sharedStrings.xml", data: []byte(`<sst><si><t>` + big + `</t></si></sst>`)},
			zfile{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData>` + sheet + `</sheetData></worksheet>`)},
		)
	}
	var rows strings.Builder
	for range 4_000 {
		rows.WriteString(`<table:table-row><table:table-cell table:number-columns-repeated="1024"/>` +
			strings.Repeat(`<table:table-cell table:number-columns-repeated="1024"/>`, 15) + `<table:table-cell><text:p>x</text:p></table:table-cell></table:table-row>`)
	}
	// Stored, so that the ratio limit does not stop it first.
	ods := buildZip(t, zfile{name: "mimetype", data: []byte("application/vnd.oasis.opendocument.spreadsheet"), store: true},
		zfile{name: "content.xml", data: []byte(`<office:document-content><office:body><office:spreadsheet><table:table>` + rows.String() + `</table:table></office:spreadsheet></office:body></office:document-content>`), store: true})
	lim := Limits{MaxTotal: 16 << 20}
	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"xlsx shared string per cell", xlsx(cells.String())},
		{"xlsx last column", xlsx(far.String())},
		{"ods last column", ods},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, e, tt.body, "", lim, 0)
			if !slices.Equal(got.reasons, []string{ReasonOverLimit}) {
				t.Errorf("reasons %v, want over_limit (%d bytes in)", got.reasons, len(tt.body))
			}
		})
	}
}
