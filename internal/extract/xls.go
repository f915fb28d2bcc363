package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Legacy Excel workbooks (.xls, BIFF8: Excel 97 to 2003, and what Excel,
// WPS and LibreOffice still write in that format) are read cell by cell
// from the Workbook stream of the OLE file: each worksheet a part of its
// own, its rows as lines of tab-separated cells, as an xlsx sheet is, so a
// header row labels its columns; numbers (a mobile typed into a cell is a
// number) are written as their digits. The format: MS-XLS.

// BIFF record types read.
const (
	biffFormula  = 0x0006
	biffEOF      = 0x000a
	biffFilePass = 0x002f // the workbook is encrypted (a password to open)
	biffContinue = 0x003c
	biffMulRK    = 0x00bd
	biffSST      = 0x00fc
	biffLabelSST = 0x00fd
	biffNumber   = 0x0203
	biffLabel    = 0x0204
	biffRK       = 0x027e
	biffString   = 0x0207
	biffBOF      = 0x0809
)

// biffWorksheet is a BOF's substream type for a worksheet.
const biffWorksheet = 0x0010

// errBIFF reports a Workbook stream that does not parse.
var errBIFF = errors.New("xls: malformed workbook")

// errBIFFEncrypted reports a workbook saved with a password to open: its
// records after FILEPASS are encrypted.
var errBIFFEncrypted = errors.New("xls: encrypted workbook")

// oleFile inspects an OLE compound file. It is held, up to what is left of
// the hold budget: an Office document encrypted with a password to open
// (an EncryptedPackage stream) is encrypted; an Excel workbook (a Workbook
// stream) is read cell by
// cell (see xls); any other (Word, PowerPoint, an Outlook .msg) stream by
// stream (see oleStreams); a workbook over the budget or one that does not
// parse (a decode error) is read for its string runs as it streams (see
// ole).
func (x *Extractor) oleFile(r io.Reader, depth int) error {
	fr := x.push(&frame{fixed: infinite})
	defer x.pop()
	data, whole, err := x.hold(r)
	defer x.unhold(data)
	if err != nil {
		return err
	}
	// runs reads the string runs from the held bytes on, as they stream:
	// only what is still held in data is not settled.
	runs := func() error {
		held := bytes.NewReader(data)
		fr.fixed, fr.held = 0, func() int64 { return int64(held.Len()) }
		return x.ole(io.MultiReader(held, r))
	}
	if !whole {
		return runs()
	}
	f, err := openCFB(data)
	if err != nil {
		x.fail(ReasonDecodeError)
		return runs()
	}
	if encryptedPackage(f) {
		// An xlsx, docx or pptx saved with a password to open (Office's
		// "Encrypt with Password", WPS's document encryption): the
		// document is the encrypted stream, its other streams only say
		// how it was encrypted. Nothing in it can be read.
		x.fail(ReasonEncrypted)
		return nil
	}
	wb, ok, err := f.stream("Workbook")
	switch {
	case !ok:
		if err := x.oleStreams(f, depth); !errors.Is(err, errCFB) {
			return err
		}
		x.fail(ReasonDecodeError)
		return runs()
	case err == nil:
		err = x.xls(wb)
	}
	switch {
	case errors.Is(err, errBIFFEncrypted):
		x.fail(ReasonEncrypted) // the string runs of encrypted records are noise
	case err != nil:
		x.fail(ReasonDecodeError)
		return runs()
	}
	return nil
}

// encryptedPackage reports whether f is an encrypted Office Open XML
// document: an EncryptedPackage stream and no document stream of its own
// (an xls, doc or ppt may embed an object holding one: its own streams
// are still read).
func encryptedPackage(f *cfb) bool {
	if _, ok, _ := f.stream("EncryptedPackage"); !ok {
		return false
	}
	for _, doc := range []string{"Workbook", "Book", "WordDocument", "PowerPoint Document"} {
		if _, ok, _ := f.stream(doc); ok {
			return false
		}
	}
	return true
}

// embeddedStreams name the streams of an OLE file that carry a file of
// their own: an Outlook message's attachment data, its HTML body (in the
// message's code page, which the string runs do not read: a table of
// Chinese names in it counted none) and its rich-text body, and the
// package of an Office document embedded in a Word, Excel or PowerPoint
// file.
var embeddedStreams = []string{"__substg1.0_37010102", "__substg1.0_10130102", rtfCompressedStream, "Package"}

// rtfCompressedStream is an Outlook message's rich-text body
// (PR_RTF_COMPRESSED): compressed RTF (see decompressRTF), then read as
// RTF (a table's rows as lines of cells).
const rtfCompressedStream = "__substg1.0_10090102"

// oleStreams inspects the streams of an OLE file that is no workbook.
// The files it carries (see embeddedStreams) are content of their own
// (sniffed: an xlsx, a zip, a CSV, a PDF, HTML, RTF): their bytes are
// compressed or in a code page, so the string runs read nothing of them (a
// .msg with the customer list attached as xlsx counted nothing). The
// other streams are read for their string runs. A stream whose chain does
// not parse is errCFB (the caller reads the whole file's runs).
func (x *Extractor) oleStreams(f *cfb, depth int) error {
	for e := range f.streams() {
		data, err := f.content(e)
		if err != nil {
			return err
		}
		name := entryName(e)
		if !slices.ContainsFunc(embeddedStreams, func(n string) bool { return strings.EqualFold(name, n) }) {
			// Streams may share sectors (directory entries pointing at one
			// chain): what they read counts against MaxTotal.
			if !x.wrote(len(data)) {
				return nil
			}
			if err := x.ole(bytes.NewReader(data)); err != nil {
				return err
			}
			continue
		}
		if strings.EqualFold(name, rtfCompressedStream) {
			if data, err = x.rtfBody(data); err != nil {
				return err
			}
		}
		m := x.member(bytes.NewReader(data), func() int64 { return int64(len(data)) })
		if err := x.entry(m, "", &office{}, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// rtfBody decompresses an Outlook message's rich-text body, held within
// what is left of the hold budget (it decompresses up to about 8.5 times
// its size): past it the rest is over the limit, and a body that does not
// decompress is a decode error; what was decompressed is still read. The
// caller reads it before the next stream, so it is held only meanwhile.
func (x *Extractor) rtfBody(data []byte) ([]byte, error) {
	limit := max(min(x.lim.Hold-x.held, x.lim.MaxTotal-x.total), 0)
	out, err := decompressRTF(data, int(limit))
	switch {
	case err != nil:
		x.fail(ReasonDecodeError)
	case int64(len(out)) >= limit && rtfRawSize(data) > len(out):
		x.fail(ReasonOverLimit)
	}
	return out, nil
}

// xls writes the worksheets of a BIFF8 Workbook stream.
func (x *Extractor) xls(wb []byte) error {
	var sst [][]byte
	var sheet *xlsSheet
	pendingRow, pendingCol := -1, 0 // a formula whose string comes in the next STRING record
	for len(wb) >= 4 {
		typ, n := binary.LittleEndian.Uint16(wb), int(binary.LittleEndian.Uint16(wb[2:]))
		if 4+n > len(wb) {
			return errBIFF
		}
		rec := wb[4 : 4+n]
		wb = wb[4+n:]
		if typ == biffFilePass {
			return errBIFFEncrypted
		}
		if typ == biffSST {
			segs := [][]byte{rec}
			for len(wb) >= 4 && binary.LittleEndian.Uint16(wb) == biffContinue {
				m := int(binary.LittleEndian.Uint16(wb[2:]))
				if 4+m > len(wb) {
					return errBIFF
				}
				segs = append(segs, wb[4:4+m])
				wb = wb[4+m:]
			}
			var err error
			if sst, err = readSST(segs); err != nil {
				return err
			}
			continue
		}
		if typ == biffBOF {
			if len(rec) >= 4 && binary.LittleEndian.Uint16(rec[2:]) == biffWorksheet {
				sheet = &xlsSheet{x: x, row: -1}
			}
			continue
		}
		if sheet == nil {
			continue
		}
		row, col := 0, 0
		if len(rec) >= 4 {
			row, col = int(binary.LittleEndian.Uint16(rec)), int(binary.LittleEndian.Uint16(rec[2:]))
		}
		switch typ {
		case biffEOF:
			sheet.end()
			sheet = nil
			continue
		case biffLabelSST:
			if len(rec) >= 10 {
				if i := int(binary.LittleEndian.Uint32(rec[6:])); i < len(sst) {
					sheet.cell(row, col, sst[i])
				}
			}
		case biffLabel:
			if len(rec) >= 6 {
				if s, _, ok := xlsString(rec[6:], 2); ok {
					sheet.cell(row, col, s)
				}
			}
		case biffNumber:
			if len(rec) >= 14 {
				sheet.number(row, col, math.Float64frombits(binary.LittleEndian.Uint64(rec[6:])))
			}
		case biffRK:
			if len(rec) >= 10 {
				sheet.number(row, col, rkValue(binary.LittleEndian.Uint32(rec[6:])))
			}
		case biffMulRK:
			for i := 4; i+6 <= len(rec)-2; i += 6 {
				sheet.number(row, col, rkValue(binary.LittleEndian.Uint32(rec[i+2:])))
				col++
			}
		case biffFormula:
			if len(rec) < 14 {
				break
			}
			if res := rec[6:14]; res[6] != 0xff || res[7] != 0xff {
				sheet.number(row, col, math.Float64frombits(binary.LittleEndian.Uint64(res)))
			} else if res[0] == 0 {
				pendingRow, pendingCol = row, col
				continue
			}
		case biffString:
			if pendingRow >= 0 {
				if s, _, ok := xlsString(rec, 2); ok {
					sheet.cell(pendingRow, pendingCol, s)
				}
			}
		default:
			continue // a record between a formula and its string (SHRFMLA, ARRAY) keeps it pending
		}
		pendingRow = -1
		if x.total > x.lim.MaxTotal { // see xlsSheet.cell; the reason is recorded
			break
		}
	}
	if sheet != nil {
		sheet.end()
	}
	return nil
}

// rkValue decodes an RK number: a 30-bit integer or the high 30 bits of
// a double, divided by 100 when its lowest bit is set.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&^3) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

// xlsSheet writes the cells of a worksheet in order: a line per row, a
// tab before each column.
type xlsSheet struct {
	x        *Extractor
	row      int // the row being written; -1 before the first cell
	tabs     int // tabs written in the row
	num      []byte
	anything bool
}

func (s *xlsSheet) cell(row, col int, text []byte) {
	if !s.anything {
		s.x.boundary()
		s.anything = true
	}
	if row != s.row {
		if s.row >= 0 {
			s.x.emitByte('\n')
		}
		s.row, s.tabs = row, 0
	}
	// The text written counts against MaxTotal as a member's does: a
	// LABELSST record of 14 bytes writes a string of up to 64 KiB, a
	// record far right up to 16,384 tabs.
	col = min(col, maxColumn)
	s.x.wrote(max(col-s.tabs, 0) + len(text))
	for ; s.tabs < col; s.tabs++ {
		s.x.emitByte('\t')
	}
	s.x.emitCell(text)
}

// number writes a number cell as its digits (an integer as an integer).
func (s *xlsSheet) number(row, col int, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.num = strconv.AppendFloat(s.num[:0], v, 'f', -1, 64)
	s.cell(row, col, s.num)
}

// end ends the worksheet's part.
func (s *xlsSheet) end() {
	if s.anything {
		s.x.emitByte('\n')
		s.x.boundary()
	}
}

// xlsString decodes an XLUnicodeString at the start of b whose character
// count takes cchSize bytes (2; 1 in some records), then a flags byte:
// the characters are UTF-16LE or, compressed, Latin-1. It returns the
// text as UTF-8 and the bytes it took.
func xlsString(b []byte, cchSize int) ([]byte, int, bool) {
	if len(b) < cchSize+1 {
		return nil, 0, false
	}
	cch := int(b[0])
	if cchSize == 2 {
		cch = int(binary.LittleEndian.Uint16(b))
	}
	flags := b[cchSize]
	at := cchSize + 1
	width := 1 + int(flags&1)
	if at+cch*width > len(b) {
		return nil, 0, false
	}
	out := appendChars(nil, b[at:at+cch*width], width)
	return out, at + cch*width, true
}

// appendChars appends to out the characters of b, UTF-16LE (width 2) or
// Latin-1 (width 1), as UTF-8; a surrogate pair split by the caller is
// written as U+FFFD.
func appendChars(out, b []byte, width int) []byte {
	if width == 1 {
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return out
	}
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.LittleEndian.Uint16(b[i:])
		if utf16.IsSurrogate(rune(u)) && i+3 < len(b) {
			if r := utf16.DecodeRune(rune(u), rune(binary.LittleEndian.Uint16(b[i+2:]))); r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
				i += 2
				continue
			}
		}
		out = utf8.AppendRune(out, rune(u))
	}
	return out
}

// sstReader reads the shared string table across its CONTINUE records.
type sstReader struct {
	segs [][]byte
	cur  []byte
	bad  bool
}

// next moves to the next segment; false at the end.
func (r *sstReader) next() bool {
	if len(r.segs) == 0 {
		r.bad = true
		return false
	}
	r.cur, r.segs = r.segs[0], r.segs[1:]
	return true
}

// take returns the next n bytes, which may span segments (structure
// fields and formatting data do, without a flags byte).
func (r *sstReader) take(n int, buf []byte) []byte {
	buf = buf[:0]
	for n > 0 {
		if len(r.cur) == 0 && !r.next() {
			return nil
		}
		k := min(n, len(r.cur))
		buf = append(buf, r.cur[:k]...)
		r.cur, n = r.cur[k:], n-k
	}
	return buf
}

// skip skips n bytes across segments.
func (r *sstReader) skip(n int) {
	for n > 0 {
		if len(r.cur) == 0 && !r.next() {
			return
		}
		k := min(n, len(r.cur))
		r.cur, n = r.cur[k:], n-k
	}
}

// readSST reads the strings of an SST record and its CONTINUE records
// (MS-XLS 2.4.265; XLUnicodeRichExtendedString). A string's characters
// may go on in the next record, which then opens with a flags byte of its
// own (compressed or not).
func readSST(segs [][]byte) ([][]byte, error) {
	r := &sstReader{cur: segs[0], segs: segs[1:]}
	var tmp [8]byte
	head := r.take(8, tmp[:])
	if head == nil {
		return nil, errBIFF
	}
	unique := int(binary.LittleEndian.Uint32(head[4:]))
	total := 0
	for _, s := range segs {
		total += len(s)
	}
	if unique > total { // each string takes three bytes at least
		return nil, errBIFF
	}
	out := make([][]byte, 0, unique)
	for range unique {
		h := r.take(3, tmp[:])
		if h == nil {
			break
		}
		cch, flags := int(binary.LittleEndian.Uint16(h)), h[2]
		runs, ext := 0, 0
		if flags&0x08 != 0 {
			b := r.take(2, tmp[:])
			if b == nil {
				break
			}
			runs = int(binary.LittleEndian.Uint16(b))
		}
		if flags&0x04 != 0 {
			b := r.take(4, tmp[:])
			if b == nil {
				break
			}
			ext = int(binary.LittleEndian.Uint32(b))
		}
		width := 1 + int(flags&1)
		var s []byte
		for cch > 0 {
			if len(r.cur) == 0 {
				if !r.next() || len(r.cur) == 0 {
					break
				}
				width = 1 + int(r.cur[0]&1) // the continuation's own flags
				r.cur = r.cur[1:]
			}
			k := min(cch, len(r.cur)/width)
			if k == 0 {
				r.bad = true
				break
			}
			s = appendChars(s, r.cur[:k*width], width)
			r.cur, cch = r.cur[k*width:], cch-k
		}
		if r.bad {
			break
		}
		r.skip(4*runs + ext)
		out = append(out, s)
	}
	return out, nil
}
