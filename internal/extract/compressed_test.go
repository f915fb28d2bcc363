package extract

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// The bzip2 fixtures in testdata/compressed were made once (Go has no
// bzip2 writer; xz: xz_test.go) from the lists compressedLists returns, written
// to list.csv, first.csv and second.csv:
//
//	bzip2 -9 -c list.csv > list.csv.bz2       (bzip2 1.0.8)
//	bzip2 -9 -c first.csv > first.csv.bz2
//	bzip2 -9 -c second.csv > second.csv.bz2
//	head -c 8388608 /dev/zero | bzip2 -9 > zeros.bz2
//	: | bzip2 -9 > empty.bz2
//	printf '姓名,手机号,身份证号\n张三,13800138000,110101199003078515\n' | bzip2 -9 > tiny.bz2
//
// TestCompressedFixtures checks that they still hold those lists.

// compressedLists returns the 60-row list and its two halves, each under
// the header row.
func compressedLists() (list, first, second []byte) {
	rows := csvRows(corpus.Records(31, 60))
	return csvBytes(rows), csvBytes(rows[:31]), csvBytes(append([][]string{rows[0]}, rows[31:]...))
}

// fixture reads a file of testdata/compressed.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "compressed", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// zst compresses data as one zstd frame, as the zstd command writes it
// (with a checksum), with the encoder options opts.
func zst(tb testing.TB, data []byte, opts ...zstd.EOption) []byte {
	tb.Helper()
	return encodeWith(tb, data, func(w io.Writer) io.WriteCloser {
		zw, err := zstd.NewWriter(w, opts...)
		if err != nil {
			tb.Fatal(err)
		}
		return zw
	})
}

// skippable wraps data in a zstd skippable frame.
func skippable(data []byte) []byte {
	h := []byte{0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(h[4:], uint32(len(data)))
	return cat(h, data)
}

// corrupted returns b with 16 bytes from the middle on inverted.
func corrupted(b []byte) []byte {
	out := bytes.Clone(b)
	for i := len(out) / 2; i < len(out)/2+16; i++ {
		out[i] ^= 0xff
	}
	return out
}

// TestCompressedFixtures: the committed fixtures still decompress (by
// compress/bzip2, or the xz package's own reader, which checks every CRC)
// to the lists the tests compare them with; x86.csv.xz is not read by the
// xz package (its BCJ filter).
func TestCompressedFixtures(t *testing.T) {
	list, first, second := compressedLists()
	bz := func(b []byte) (io.Reader, error) { return bzip2.NewReader(bytes.NewReader(b)), nil }
	xzr := func(b []byte) (io.Reader, error) { return xz.NewReader(bytes.NewReader(b)) }
	for _, tt := range []struct {
		name   string
		want   []byte
		decode func([]byte) (io.Reader, error)
	}{
		{"list.csv.bz2", list, bz},
		{"first.csv.bz2", first, bz},
		{"second.csv.bz2", second, bz},
		{"zeros.bz2", make([]byte, 8<<20), bz},
		{"empty.bz2", nil, bz},
		{"tiny.bz2", []byte("姓名,手机号,身份证号\n张三,13800138000,110101199003078515\n"), bz},
		{"list.csv.xz", list, xzr},
		{"first.csv.xz", first, xzr},
		{"second.csv.xz", second, xzr},
		{"none.csv.xz", list, xzr},
		{"sha256.csv.xz", list, xzr},
		{"blocks.csv.xz", list, xzr},
		{"blocks1.csv.xz", list, xzr},
		{"zeros.xz", make([]byte, 8<<20), xzr},
		{"empty.xz", nil, xzr},
	} {
		r, err := tt.decode(fixture(t, tt.name))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: %d bytes (%v), want %d: remake it as the comments say", tt.name, len(got), err, len(tt.want))
		}
	}
}

// TestBzip2: a bzip2 file (customers.csv.bz2, a .tar.bz2) is inspected as
// what it decompresses to, wherever it is. Before, its compressed bytes
// were scanned as text: the 60-row list counted nothing, nothing was
// reported, and it passed under any policy.
func TestBzip2(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	bz, firstBz, secondBz := fixture(t, "list.csv.bz2"), fixture(t, "first.csv.bz2"), fixture(t, "second.csv.bz2")
	form, formType := buildMultipart(t,
		filePart{field: "note", data: []byte("月度导出")},
		filePart{field: "file", file: "customers.csv.bz2", ctype: "application/x-bzip2", data: bz},
	)
	tests := []shapeTest{
		{name: "csv.bz2", give: bz, same: list},
		{name: "declared", give: bz, ctype: "application/x-bzip2", same: list},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "customers.csv.bz2", data: bz, store: true}), same: list},
		{name: "gzip of bzip2", give: gz(t, bz), same: list},
		{name: "concatenated streams", give: cat(firstBz, secondBz), same: cat(first, second)},
		{name: "list appended", give: cat(firstBz, second), same: cat(first, second)},
		{name: "zero padding", give: cat(bz, make([]byte, 512)), same: list},
		{name: "empty stream", give: fixture(t, "empty.bz2")},
		{name: "empty stream, list appended", give: cat(fixture(t, "empty.bz2"), list), same: list},
		{name: "bomb", give: fixture(t, "zeros.bz2"), want: []string{ReasonOverLimit}},
		{name: "bomb under MaxTotal", give: fixture(t, "zeros.bz2"), lim: Limits{MaxTotal: 1 << 20, MaxRatio: 1 << 30}, want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, bz)), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "corrupt second stream", give: cat(firstBz, corrupted(secondBz)), same: first, want: []string{ReasonDecodeError}},
		{name: "truncated", give: cat(firstBz, secondBz[:len(secondBz)/2]), same: first, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// checkCompressed is checkShape, and the counts in 1-byte writes and in
// random cuts.
func checkCompressed(t *testing.T, e *inspect.Engine, tt shapeTest) {
	t.Helper()
	checkShape(t, e, tt)
	if tt.lim == (Limits{}) {
		checkCuts(t, e, tt.give, tt.ctype, scanPlain(e, tt.same), 31)
	}
}

// TestZstd: a zstd file (customers.csv.zst, a .tar.zst, pzstd output) is
// inspected as what it decompresses to. Before, it was scanned as random
// bytes: nothing counted, nothing reported.
func TestZstd(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	z := zst(t, list)
	form, formType := buildMultipart(t, filePart{field: "file", file: "customers.csv.zst", ctype: "application/zstd", data: z})
	bomb := zst(t, make([]byte, 8<<20))
	tests := []shapeTest{
		{name: "csv.zst", give: z, same: list},
		{name: "declared", give: z, ctype: "application/zstd", same: list},
		{name: "no checksum, fastest", give: zst(t, list, zstd.WithEncoderCRC(false), zstd.WithEncoderLevel(zstd.SpeedFastest)), same: list},
		{name: "best, small window", give: zst(t, list, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(1<<10)), same: list},
		{name: "stored blocks", give: zst(t, list, zstd.WithNoEntropyCompression(true), zstd.WithEncoderLevel(zstd.SpeedFastest)), same: list},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "c.csv.zst", data: z, store: true}), same: list},
		{name: "zstd of a zip", give: zst(t, buildZip(t, zfile{name: "c.csv", data: list})), same: list},
		{name: "zstd of gzip", give: zst(t, gz(t, list)), same: list},
		{name: "gzip of zstd", give: gz(t, z), same: list},
		{name: "tar.zst", give: zst(t, tarOf(t, "export/customers.csv", list)), same: list},
		{name: "concatenated frames", give: cat(zst(t, first), zst(t, second)), same: cat(first, second)},
		{name: "list appended", give: cat(zst(t, []byte("hello\n")), list), same: list},
		{name: "zero padding", give: cat(z, make([]byte, 512)), same: list},
		{name: "skippable frame first (pzstd)", give: cat(skippable([]byte{4, 0, 0, 0}), z), same: list},
		{name: "list in a skippable frame", give: cat(zst(t, []byte("hello\n")), skippable(list)), same: list},
		{name: "list in a leading skippable frame", give: skippable(list), same: list},
		{name: "bomb", give: bomb, want: []string{ReasonOverLimit}},
		{name: "bomb under MaxTotal", give: bomb, lim: Limits{MaxTotal: 1 << 20, MaxRatio: 1 << 30}, want: []string{ReasonOverLimit}},
		{name: "window over 8 MiB, its raw block read as text", give: rawFrame(0x70, list), same: list, want: []string{ReasonOverLimit}},
		{name: "window of 8 MiB", give: rawFrame(0x68, list), same: list},
		{name: "too deep", give: zst(t, zst(t, zst(t, list))), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "corrupt second frame", give: cat(zst(t, first), corrupted(zst(t, second))), same: first, want: []string{ReasonDecodeError}},
		{name: "truncated", give: cat(zst(t, first), zst(t, second)[:len(zst(t, second))/2]), same: first, want: []string{ReasonDecodeError}},
		{name: "header only", give: zstdMagic, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// rawFrame writes a zstd frame of one raw block of data (at most 128 KiB)
// with the Window_Descriptor wd (exponent<<3 | mantissa: 0x68 is 8 MiB,
// 0x70 16 MiB, as zstd --long=24 declares).
func rawFrame(wd byte, data []byte) []byte {
	bh := 1 | len(data)<<3 // Last_Block, Raw_Block
	return cat(zstdMagic, []byte{0x00, wd, byte(bh), byte(bh >> 8), byte(bh >> 16)}, data)
}

// TestZstdSettles: a compressed list large enough to stream is released
// as it is inspected, never ahead of the values it holds, and trailing
// what was written by little more than a block.
func TestZstdSettles(t *testing.T) {
	e := newTestEngine(t)
	body := zst(t, csvBytes(csvRows(corpus.Records(12, 20000))))
	checkLeakBudget(t, e, body, "application/zstd", Limits{}, 4096, len(body)/16)
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "application/zstd", Limits{})
	defer x.Stop()
	half := len(body) / 2
	for off := 0; off < half; off += benchChunk {
		_, _ = x.Write(body[off:min(off+benchChunk, half)])
	}
	if st := x.Settled(); st < int64(half-2*zstdLag) {
		t.Errorf("settled %d after %d bytes of a %d-byte zstd stream", st, half, len(body))
	}
}

// BenchmarkCompressed reports MB/s of decompressed content (the list)
// written in the proxy's chunks as plain CSV, gzip, zstd, xz, tar, RAR 5
// (stored, and compressed as literals) and 7z (stored) (a 20,000-row
// list), and as gzip and bzip2 (the 60-row fixture: Go has no bzip2
// writer). Compare with benchstat -col /shape.
func BenchmarkCompressed(b *testing.B) {
	e := newTestEngine(b)
	big := csvBytes(csvRows(corpus.Records(11, 20000)))
	small, _, _ := compressedLists()
	for _, tt := range []struct {
		name       string
		list, body []byte
	}{
		{"list-csv", big, big},
		{"list-gz", big, gz(b, big)},
		{"list-zst", big, zst(b, big)},
		{"list-xz", big, xzOf(b, big)},
		{"list-tar", big, tarOf(b, "c.csv", big)},
		{"list-rar-stored", big, rar5(rarFile{name: "c.csv", data: big})},
		{"list-rar-literals", big, rar5(compressed("c.csv", big))},
		{"list-7z-stored", big, sevenZipOf(szTestFile{name: "c.csv", data: big})},
		{"small-csv", small, small},
		{"small-gz", small, gz(b, small)},
		{"small-bz2", small, fixture(b, "list.csv.bz2")},
	} {
		b.Run("shape="+tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.list)))
			b.ReportAllocs()
			for b.Loop() {
				extractOnce(e, benchShape{body: tt.body})
			}
		})
	}
}
