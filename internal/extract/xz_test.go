package extract

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"

	"github.com/ulikunitz/xz"
)

// The xz fixtures in testdata/compressed were made with XZ Utils 5.4.1
// from the lists compressedLists returns (see compressed_test.go):
//
//	xz -9 -c list.csv > list.csv.xz
//	xz -c first.csv > first.csv.xz; xz -c second.csv > second.csv.xz
//	xz -C none -c list.csv > none.csv.xz; xz -C sha256 -c list.csv > sha256.csv.xz
//	xz -T2 --block-size=1500 -c list.csv > blocks.csv.xz   (sizes in the block headers)
//	xz -T1 --block-size=1500 -c list.csv > blocks1.csv.xz  (no sizes)
//	xz --x86 --lzma2 -c list.csv > x86.csv.xz
//	head -c 8388608 /dev/zero | xz -9 > zeros.xz
//	: | xz > empty.xz
//
// TestCompressedFixtures checks that they still hold those lists.

// TestXz: an xz file (customers.csv.xz, a .tar.xz) is inspected as what
// it decompresses to, wherever it is. Before, it was unsupported_encoding
// and its compressed bytes were read as text: the 60-row list counted
// nothing, and the default policy (uninspectable: allow) let it pass.
func TestXz(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	x9, firstXz, secondXz := fixture(t, "list.csv.xz"), fixture(t, "first.csv.xz"), fixture(t, "second.csv.xz")
	form, formType := buildMultipart(t,
		filePart{field: "note", data: []byte("月度导出")},
		filePart{field: "file", file: "customers.csv.xz", ctype: "application/x-xz", data: x9},
	)
	x86 := fixture(t, "x86.csv.xz")
	tar := tarOf(t, "export/customers.csv", list)
	tests := []shapeTest{
		{name: "csv.xz", give: x9, same: list},
		{name: "declared", give: x9, ctype: "application/x-xz", same: list},
		{name: "no check", give: fixture(t, "none.csv.xz"), same: list},
		{name: "sha256 check", give: fixture(t, "sha256.csv.xz"), same: list},
		{name: "blocks splitting rows, sizes in headers", give: fixture(t, "blocks.csv.xz"), same: list},
		{name: "blocks splitting rows, no sizes", give: fixture(t, "blocks1.csv.xz"), same: list},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "customers.csv.xz", data: x9, store: true}), same: list},
		{name: "gzip of xz", give: gz(t, x9), same: list},
		{name: "xz of a zip", give: xzOf(t, buildZip(t, zfile{name: "c.csv", data: list})), same: list},
		{name: "tar.xz", give: xzOf(t, tar), same: list},
		{name: "concatenated streams", give: cat(firstXz, secondXz), same: cat(first, second)},
		{name: "stream padding between", give: cat(firstXz, make([]byte, 8), secondXz), same: cat(first, second)},
		{name: "list appended", give: cat(firstXz, second), same: cat(first, second)},
		{name: "zero padding", give: cat(x9, make([]byte, 512)), same: list},
		{name: "empty stream", give: fixture(t, "empty.xz")},
		{name: "empty stream, list appended", give: cat(fixture(t, "empty.xz"), list), same: list},
		{name: "uncompressed chunks", give: xzStream(uncompressedChunks(list, 1000)), same: list},
		{name: "x86 filter", give: x86, same: x86[12+int(x86[12]+1)*4:], want: []string{ReasonUnsupportedEncoding}},
		{name: "bomb", give: fixture(t, "zeros.xz"), want: []string{ReasonOverLimit}},
		{name: "bomb under MaxTotal", give: fixture(t, "zeros.xz"), lim: Limits{MaxTotal: 1 << 20, MaxRatio: 1 << 30}, want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, x9)), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "xz in xz", give: xzOf(t, x9), want: []string{ReasonOverLimit}},
		{name: "truncated", give: cat(firstXz, secondXz[:len(secondXz)/2]), same: first, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// TestXzBounded: what an xz file makes the decoder allocate or hold is
// bounded. A block's dictionary counts against MaxTotal before it is
// allocated, and one over 64 MiB is refused; a file of empty blocks or
// one-byte chunks, whose bytes yield (almost) no content, is over the
// limit after 64 KiB of them rather than read to its end.
func TestXzBounded(t *testing.T) {
	e := newTestEngine(t)
	list, _, _ := compressedLists()
	chunks := uncompressedChunks(list, 1000)
	empties := make([][]byte, 10_000)
	for i := range empties {
		empties[i] = []byte{0}
	}
	tests := []shapeTest{
		// A block refused is read as the bytes it is (as any container
		// that does not decode): here the chunks' content, split by their
		// headers every 1000 bytes.
		{name: "4 GiB dictionary", give: xzStreamDict(40, chunks), same: chunks, want: []string{ReasonOverLimit}},
		{name: "128 MiB dictionary", give: xzStreamDict(30, chunks), same: chunks, want: []string{ReasonOverLimit}},
		{name: "64 MiB dictionary", give: xzStreamDict(28, chunks), same: list},
		{name: "64 MiB dictionaries over MaxTotal", give: xzStreamDict(28, chunks, []byte{0}, []byte{0}, []byte{0}, []byte{0}), same: list, want: []string{ReasonOverLimit}},
		{name: "empty blocks", give: xzStreamDict(0, empties...), want: []string{ReasonOverLimit}},
		{name: "one-byte chunks", give: xzStream(uncompressedChunks(bytes.Repeat([]byte("行 "), 30_000), 1)), want: []string{ReasonOverLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkShape(t, e, tt) })
	}
}

// xzOf compresses data as the xz package writes it (one block, CRC64).
func xzOf(tb testing.TB, data []byte) []byte {
	tb.Helper()
	return encodeWith(tb, data, func(w io.Writer) io.WriteCloser {
		zw, err := xz.NewWriter(w)
		if err != nil {
			tb.Fatal(err)
		}
		return zw
	})
}

// uncompressedChunks is data as LZMA2 uncompressed chunks of n bytes at
// most, the first resetting the dictionary, then the end chunk.
func uncompressedChunks(data []byte, n int) []byte {
	var out []byte
	for ctl := byte(1); len(data) > 0; ctl = 2 {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		out = append(out, ctl, byte((len(c)-1)>>8), byte(len(c)-1))
		out = append(out, c...)
	}
	return append(out, 0)
}

// xzStream is an xz stream (no check) of one block per LZMA2 chunk
// sequence, each with an 8 MiB dictionary.
func xzStream(blocks ...[]byte) []byte { return xzStreamDict(22, blocks...) }

// xzStreamDict is xzStream with the dictionary given by its LZMA2
// property byte (22: 8 MiB; 28: 64 MiB; 40: 4 GiB). The headers' CRCs
// are right; the index records no sizes (the reader does not check it).
func xzStreamDict(dict byte, blocks ...[]byte) []byte {
	withCRC := func(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)) }
	out := cat(xzMagic, withCRC([]byte{0, 0}))
	for _, data := range blocks {
		// Size 2 (12 bytes), flags 0 (one filter, no sizes), LZMA2 with
		// one property byte, padding, CRC32.
		out = append(out, withCRC([]byte{2, 0, 0x21, 1, dict, 0, 0, 0})...)
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	index := binary.AppendUvarint([]byte{0}, uint64(len(blocks)))
	for range blocks {
		index = append(index, 4, 1) // sizes the reader does not check
	}
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	out = append(out, withCRC(index)...)
	tail := binary.LittleEndian.AppendUint32(nil, uint32(len(index)/4)) // backward size: (index+CRC)/4 - 1
	tail = append(tail, 0, 0)
	return cat(out, binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(tail)), tail, xzFooterMagic)
}

// FuzzXz: a mutated xz file (a corrupt header or index, a bad LZMA2
// chunk, concatenated streams, appended bytes) settles at Close and
// counts the same whole and in 7-byte chunks.
func FuzzXz(f *testing.F) {
	list, _, _ := compressedLists()
	f.Add(fixture(f, "first.csv.xz"))
	f.Add(fixture(f, "blocks.csv.xz"))
	f.Add(cat(fixture(f, "empty.xz"), make([]byte, 4), xzOf(f, []byte("13800138000\n"))))
	f.Add(xzStream(uncompressedChunks(list[:600], 100), []byte{0}))
	f.Add(cat(xzOf(f, []byte("x")), []byte("\n110101199003078515")))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}
