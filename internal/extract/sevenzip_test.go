package extract

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
	"unicode/utf16"

	"github.com/ulikunitz/xz/lzma"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// The 7z fixtures in testdata/compressed were made with 7-Zip 26.02
// (Debian's 7zip, 7zz) from the lists compressedLists returns (see
// compressed_test.go):
//
//	7zz a list.7z list.csv                 (LZMA2, packed header)
//	7zz a -m0=LZMA lzma.7z list.csv
//	7zz a -mx0 copy.7z list.csv
//	7zz a -ms=on solid.7z first.csv second.csv
//	7zz a -ms=off -mhc=off nosolid.7z first.csv second.csv
//	7zz a -m0=Deflate deflate.7z list.csv; 7zz a -m0=BZip2 bzip2.7z list.csv
//	7zz a -m0=PPMd ppmd.7z list.csv; 7zz a -mf=BCJ bcj.7z list.csv
//	7zz a -pSecret enc.7z list.csv; 7zz a -pSecret -mhe=on enchdr.7z list.csv
//	7zz a dirs.7z dir                      (dir/sub/first.csv, dir/empty.txt)
//	7zz a cn.7z 客户名单.csv

// TestSevenZip: a 7z archive is read file by file, each file a part of
// its own after its name. Before, it was unsupported_encoding and its
// bytes were read as text: the 60-row list counted nothing (its packed
// LZMA2 bytes), and the default policy (uninspectable: allow) let it pass.
func TestSevenZip(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	x7 := fixture(t, "list.7z")
	people := corpus.Records(32, 20)
	var names []byte
	photos := make([]szTestFile, len(people))
	for i, r := range people {
		photos[i] = szTestFile{name: "身份证/" + photoName(r), data: photo}
		names = append(names, photoName(r)+"\n"...)
	}
	form, formType := buildMultipart(t, filePart{field: "file", file: "customers.7z", ctype: "application/x-7z-compressed", data: x7})
	tests := []shapeTest{
		{name: "LZMA2, packed header", give: x7, same: list},
		{name: "declared", give: x7, ctype: "application/x-7z-compressed", same: list},
		{name: "LZMA", give: fixture(t, "lzma.7z"), same: list},
		{name: "stored", give: fixture(t, "copy.7z"), same: list},
		{name: "Deflate", give: fixture(t, "deflate.7z"), same: list},
		{name: "BZip2", give: fixture(t, "bzip2.7z"), same: list},
		{name: "solid, two files", give: fixture(t, "solid.7z"), same: list},
		{name: "two folders, plain header", give: fixture(t, "nosolid.7z"), same: list},
		{name: "directories and an empty file", give: fixture(t, "dirs.7z"), same: first},
		{name: "Chinese file name", give: fixture(t, "cn.7z"), same: list},
		{name: "named ID photos", give: sevenZipOf(photos...), same: names},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "c.7z", data: x7, store: true}), same: list},
		{name: "gzip of 7z", give: gz(t, x7), same: list},
		{name: "list appended", give: cat(fixture(t, "lzma.7z"), []byte("\n"), second), same: cat(list, []byte("\n"), second)},
		{name: "PPMd", give: fixture(t, "ppmd.7z"), same: []byte("list.csv\n"), want: []string{ReasonUnsupportedEncoding}},
		{name: "BCJ filter", give: fixture(t, "bcj.7z"), same: []byte("list.csv\n"), want: []string{ReasonUnsupportedEncoding}},
		{name: "encrypted", give: fixture(t, "enc.7z"), same: []byte("list.csv\n"), want: []string{ReasonEncrypted}},
		{name: "encrypted header", give: fixture(t, "enchdr.7z"), same: fixture(t, "enchdr.7z"), want: []string{ReasonEncrypted}},
		{name: "truncated", give: x7[:len(x7)-40], same: x7[:len(x7)-40], want: []string{ReasonDecodeError}},
		// Stored (not LZMA2): read as text after the signature header,
		// whose binary bytes no longer glue to the header row.
		{name: "over the hold", give: fixture(t, "copy.7z"), lim: Limits{Hold: 4 << 10}, same: list, want: []string{ReasonOverLimit}},
		// Over the hold, LZMA2 streams are decoded without the header.
		{name: "over the hold, LZMA2 streamed", give: x7, lim: Limits{Hold: 1 << 10}, same: list},
		{name: "over the hold, solid", give: fixture(t, "solid.7z"), lim: Limits{Hold: 1 << 10}, same: list},
		{name: "over the hold, two folders", give: fixture(t, "nosolid.7z"), lim: Limits{Hold: 1 << 10}, same: list},
		{name: "LZMA2, three folders", give: sevenZipLZMA2(t, szTestFile{"a.csv", first}, szTestFile{"b.jpg", photo}, szTestFile{"c.csv", second}), same: list},
		{name: "over the hold, three folders", give: sevenZipLZMA2(t, szTestFile{"a.csv", first}, szTestFile{"b.jpg", photo}, szTestFile{"c.csv", second}), lim: Limits{Hold: 1 << 10}, same: list},
		// LZMA (7-Zip's default before LZMA2, and -m0=LZMA) is decoded
		// with 7-Zip's properties up to the header, one folder; the
		// header then tells whether that was right.
		{name: "over the hold, LZMA", give: fixture(t, "lzma.7z"), lim: Limits{Hold: 1 << 10}, same: list},
		{name: "over the hold, LZMA with an end marker", give: sevenZipWith(packLZMA(t, lzma.Properties{LC: 3, PB: 2}, true), szTestFile{"a.csv", list}), lim: Limits{Hold: 1 << 10}, same: cat([]byte("a.csv\n"), list)},
		{name: "over the hold, LZMA lc=4", give: sevenZipWith(packLZMA(t, lzma.Properties{LC: 4}, false), szTestFile{"a.csv", list}), lim: Limits{Hold: 1 << 10}, same: []byte("a.csv\n"), want: []string{ReasonOverLimit}},
		{name: "over the hold, two LZMA folders", give: sevenZipWith(packLZMA(t, lzma.Properties{LC: 3, PB: 2}, false), szTestFile{"a.csv", first}, szTestFile{"b.csv", second}), lim: Limits{Hold: 1 << 10}, same: cat([]byte("a.csv\nb.csv\n"), first), want: []string{ReasonOverLimit}},
		{name: "over the hold, PPMd", give: fixture(t, "ppmd.7z"), lim: Limits{Hold: 1 << 10}, want: []string{ReasonOverLimit}},
		{name: "over the hold, encrypted", give: fixture(t, "enc.7z"), lim: Limits{Hold: 1 << 10}, same: fixture(t, "enc.7z"), want: []string{ReasonOverLimit}},
		{name: "past MaxEntries", give: sevenZipOf(photos...), lim: Limits{MaxEntries: 5}, same: sevenZipOf(photos...), want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, x7)), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "text that opens like 7z", give: cat([]byte("7z "), list), same: cat([]byte("7z "), list)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// FuzzSevenZip: a mutated 7z archive (a corrupt header, sizes or coder
// properties) settles at Close and counts the same whole and in 7-byte
// chunks.
func FuzzSevenZip(f *testing.F) {
	_, first, second := compressedLists()
	f.Add(fixture(f, "solid.7z"))
	f.Add(fixture(f, "dirs.7z"))
	f.Add(fixture(f, "lzma.7z"))
	f.Add(sevenZipOf(szTestFile{name: "a.csv", data: first[:400]}, szTestFile{name: "b.csv", data: second[:400]}))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// szTestFile is a file of a test 7z archive.
type szTestFile struct {
	name string
	data []byte
}

// sevenZipOf writes a 7z archive of files stored as they are (the Copy
// coder, as 7z a -mx0 -ms=off stores them), one folder each, under a plain
// header: the signature header, the packed streams, the header.
func sevenZipOf(files ...szTestFile) []byte {
	return sevenZipWith(func(data []byte) ([]byte, []byte) {
		return data, []byte{0x01, 0x00} // id size 1, Copy
	}, files...)
}

// sevenZipLZMA2 is sevenZipOf with each file packed by ulikunitz/xz's
// LZMA2 encoder (a 1 MiB dictionary), as 7-Zip's default coder.
func sevenZipLZMA2(tb testing.TB, files ...szTestFile) []byte {
	return sevenZipWith(packLZMA2(tb), files...)
}

// packLZMA2 returns a pack function for sevenZipWith: ulikunitz/xz's LZMA2
// encoder with a 1 MiB dictionary.
func packLZMA2(tb testing.TB) func(data []byte) ([]byte, []byte) {
	return func(data []byte) ([]byte, []byte) {
		packed := encodeWith(tb, data, func(w io.Writer) io.WriteCloser {
			zw, err := lzma.Writer2Config{DictCap: 1 << 20}.NewWriter2(w)
			if err != nil {
				tb.Fatal(err)
			}
			return zw
		})
		// id size 1 with properties, LZMA2, one byte of properties: a 1
		// MiB dictionary.
		return packed, []byte{0x21, 0x21, 1, 16}
	}
}

// packLZMA returns a pack function for sevenZipWith: ulikunitz/xz's
// LZMA encoder with properties p and a 1 MiB dictionary, without an end
// marker as 7-Zip writes it, or with one.
func packLZMA(tb testing.TB, p lzma.Properties, eos bool) func(data []byte) ([]byte, []byte) {
	return func(data []byte) ([]byte, []byte) {
		packed := encodeWith(tb, data, func(w io.Writer) io.WriteCloser {
			c := lzma.WriterConfig{Properties: &p, DictCap: 1 << 20, EOSMarker: eos}
			if !eos {
				c.SizeInHeader, c.Size = true, int64(len(data))
			}
			zw, err := c.NewWriter(w)
			if err != nil {
				tb.Fatal(err)
			}
			return zw
		})
		// id size 3 with properties, LZMA, five bytes of properties.
		coder := binary.LittleEndian.AppendUint32([]byte{0x23, 3, 1, 1, 5, p.Code()}, 1<<20)
		return packed[13:], coder // without the .lzma header
	}
}

// sevenZipWith writes a 7z archive of files, one folder each, packed by
// pack, which returns the packed bytes and the folder's coder record.
func sevenZipWith(pack func(data []byte) (packed, coder []byte), files ...szTestFile) []byte {
	num := func(v uint64) []byte { // a NUMBER: 0xff and eight bytes
		return binary.LittleEndian.AppendUint64([]byte{0xff}, v)
	}
	var packed, packSizes, sizes, folders, names []byte
	for _, f := range files {
		p, coder := pack(f.data)
		packed = append(packed, p...)
		packSizes = append(packSizes, num(uint64(len(p)))...)
		sizes = append(sizes, num(uint64(len(f.data)))...)
		folders = append(append(folders, 1), coder...) // one coder
		for _, r := range utf16.Encode([]rune(f.name + "\x00")) {
			names = binary.LittleEndian.AppendUint16(names, r)
		}
	}
	n := num(uint64(len(files)))
	hdr := cat([]byte{kHeader, kMainStreamsInfo, kPackInfo}, num(0), n, []byte{kSize}, packSizes, []byte{kEnd},
		[]byte{kUnpackInfo, kFolder}, n, []byte{0}, folders, []byte{kCodersUnpackSize}, sizes, []byte{kEnd},
		[]byte{kEnd},
		[]byte{kFilesInfo}, n, []byte{kName}, num(uint64(len(names)+1)), []byte{0}, names, []byte{kEnd},
		[]byte{kEnd})
	return sevenZipRaw(packed, hdr)
}

// sevenZipRaw writes a 7z archive of the packed bytes and the header hdr
// as they are, behind a signature header that points at hdr.
func sevenZipRaw(packed, hdr []byte) []byte {
	sig := cat(sevenZipMagic, []byte{0, 4}, make([]byte, 24))
	binary.LittleEndian.PutUint64(sig[12:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(sig[20:], uint64(len(hdr)))
	binary.LittleEndian.PutUint32(sig[28:], crc32.ChecksumIEEE(hdr))
	binary.LittleEndian.PutUint32(sig[8:], crc32.ChecksumIEEE(sig[12:32]))
	return cat(sig, packed, hdr)
}
