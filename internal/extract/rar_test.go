package extract

import (
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// rarFile is a member of a test RAR archive, stored (as rar a -m0 stores
// it: WinRAR also stores what does not compress).
type rarFile struct {
	name      string
	data      []byte
	encrypted bool   // RAR 4 only: the header's "encrypted" flag
	info      uint64 // RAR 5 only: the compression information (0: stored)
	size      int    // RAR 5 only: the unpacked size, if not len(data)
	packed    []byte // RAR 5 only: the data as stored, if not data itself
}

// compressed is a RAR 5 member of data compressed (method 3, a 128 KiB
// dictionary; see rar5Compressed).
func compressed(name string, data []byte) rarFile {
	return rarFile{name: name, data: data, info: 3 << 7, packed: rar5Compressed(data)}
}

// rar4 writes a RAR 4 archive: the marker block, the archive header, a
// file header with its name and its data per file, the end block.
func rar4(files ...rarFile) []byte {
	block := func(typ byte, flags uint16, body []byte) []byte {
		h := []byte{0, 0, typ, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(h[3:], flags)
		binary.LittleEndian.PutUint16(h[5:], uint16(7+len(body)))
		h = cat(h, body)
		binary.LittleEndian.PutUint16(h, uint16(crc32.ChecksumIEEE(h[2:])))
		return h
	}
	out := cat(rar4Magic, block(0x73, 0, make([]byte, 6)))
	for _, f := range files {
		file := make([]byte, 25)
		binary.LittleEndian.PutUint32(file[0:], uint32(len(f.data))) // packed size
		binary.LittleEndian.PutUint32(file[4:], uint32(len(f.data))) // unpacked size
		file[8] = 3                                                  // Unix
		binary.LittleEndian.PutUint32(file[9:], crc32.ChecksumIEEE(f.data))
		file[17], file[18] = 20, 0x30 // version, store
		binary.LittleEndian.PutUint16(file[19:], uint16(len(f.name)))
		flags := uint16(0x8000 | 0x0200) // data follows; 64 KiB dictionary
		if f.encrypted {
			flags |= 0x0004
		}
		out = cat(out, block(0x74, flags, cat(file, []byte(f.name))), f.data)
	}
	return cat(out, block(0x7b, 0x4000, nil))
}

// rar5 writes a RAR 5 archive: the signature, the main header, a file
// header and its data per file, the end header.
func rar5(files ...rarFile) []byte {
	fields := func(fs ...uint64) []byte {
		var b []byte
		for _, f := range fs {
			b = binary.AppendUvarint(b, f)
		}
		return b
	}
	header := func(body []byte) []byte {
		h := cat(fields(uint64(len(body))), body)
		return cat(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(h)), h)
	}
	out := cat(rar5Magic, header(fields(1, 0, 0)))
	for _, f := range files {
		size := cmp.Or(f.size, len(f.data))
		packed := f.data
		if f.packed != nil {
			packed = f.packed
		}
		// type 2 (file), flags 2 (data area), data size; file flags 4
		// (CRC), unpacked size, attributes, CRC, compression information,
		// host OS 1 (Unix).
		file := cat(fields(2, 2, uint64(len(packed)), 4, uint64(size), 0o644),
			binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(f.data)), fields(f.info, 1, uint64(len(f.name))), []byte(f.name))
		out = cat(out, header(file), packed)
	}
	return cat(out, header(fields(5, 0, 0)))
}

// TestRar: a RAR archive (WinRAR's default format, RAR 4 and RAR 5) is
// read member by member, each member a part of its own after its name.
// Before, it was unsupported_encoding and its bytes were read as text: a
// stored list lost its header row (names, addresses and passports counted
// 0; a compressed one counted nothing), and the default policy
// (uninspectable: allow) let it pass.
func TestRar(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	people := corpus.Records(32, 20)
	var photos []rarFile
	var names []byte
	for _, r := range people {
		photos = append(photos, rarFile{name: "身份证/" + photoName(r), data: photo})
		names = append(names, photoName(r)+"\n"...)
	}
	rar := rar5(rarFile{name: "customers.csv", data: list})
	form, formType := buildMultipart(t, filePart{field: "file", file: "customers.rar", ctype: "application/vnd.rar", data: rar})
	tests := []shapeTest{
		{name: "rar4", give: rar4(rarFile{name: "c.csv", data: list}), same: list},
		{name: "rar5", give: rar, same: list},
		{name: "rar5, compressed", give: rar5(compressed("customers.csv", list)), same: list},
		{name: "rar5, compressed, two members", give: rar5(compressed("a.csv", first), compressed("b.csv", second)), same: list},
		{name: "declared", give: rar, ctype: "application/x-rar-compressed", same: list},
		{name: "two members", give: rar5(rarFile{name: "a.csv", data: first}, rarFile{name: "b.csv", data: second}), same: list},
		{name: "named ID photos", give: rar5(photos...), same: names},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "c.rar", data: rar}), same: list},
		{name: "gzip of rar", give: gz(t, rar), same: list},
		{name: "zip in rar", give: rar4(rarFile{name: "c.zip", data: buildZip(t, zfile{name: "c.csv", data: list})}), same: list},
		{name: "rar in rar", give: rar5(rarFile{name: "c.rar", data: rar4(rarFile{name: "c.csv", data: list})}), same: list},
		{name: "list appended (RAR 5)", give: cat(rar5(rarFile{name: "a.csv", data: first}), second), same: cat(first, []byte("\n"), second)},
		{name: "list appended (RAR 4)", give: cat(rar4(rarFile{name: "a.csv", data: first}), second), same: cat(first, []byte("\n"), second)},
		{name: "encrypted member", give: rar4(rarFile{name: "a.csv", data: first, encrypted: true}, rarFile{name: "b.csv", data: second}), same: second, want: []string{ReasonEncrypted}},
		{name: "truncated", give: rar[:len(rar)/2], same: list[:len(rar)/2-60], want: []string{ReasonDecodeError}},
		{name: "too deep", give: gz(t, gz(t, rar)), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		// Past the limit the rest is read as the bytes it is: the names
		// in its headers still count.
		{name: "past MaxEntries", give: rar5(photos...), lim: Limits{MaxEntries: 5}, same: names, want: []string{ReasonOverLimit}},
		{name: "text that opens like RAR", give: cat([]byte("Rar! "), list), same: cat([]byte("Rar! "), list)},
		// Compression method 1 (RAR 5 info bits 7-9) with a dictionary of
		// 128 KiB << 10 = 128 MiB for a member of 1 GiB: refused before the
		// window is allocated; the rest is read as the bytes it is.
		// The list's header row is glued to the member's header bytes.
		{name: "128 MiB dictionary", give: rar5(rarFile{name: "big.csv", data: first, info: 1<<7 | 10<<10, size: 1 << 30}), same: rar5(rarFile{name: "big.csv", data: first, info: 1<<7 | 10<<10, size: 1 << 30}), want: []string{ReasonOverLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// FuzzRar: a mutated RAR archive (a corrupt header, a member cut short,
// bytes appended) settles at Close and counts the same whole and in
// 7-byte chunks.
func FuzzRar(f *testing.F) {
	list, first, second := compressedLists()
	f.Add(rar5(rarFile{name: "a.csv", data: first}, rarFile{name: "b.csv", data: second}))
	f.Add(rar4(rarFile{name: "张三_110101199003078515.jpg", data: photo}, rarFile{name: "c.csv", data: list[:500]}))
	f.Add(cat(rar5(rarFile{name: "a", data: []byte("13800138000")}), []byte("\n110101199003078515")))
	f.Add(rar4(rarFile{name: "a.csv", data: first[:300], encrypted: true}))
	f.Add(rar5(compressed("a.csv", first[:300])))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// rar5Compressed is data as RAR 5 compressed data (what WinRAR writes with
// -m1 to -m5), literals only: blocks of up to 32 KiB of data, each with
// its code tables (every byte value a code of 8 bits, which is the byte
// itself; no matches), the last flagged as such. Enough for rardecode's
// decoder, its window and its batches; WinRAR itself cannot be run here.
func rar5Compressed(data []byte) []byte {
	var out []byte
	for first := true; first || len(data) > 0; first = false {
		chunk := data[:min(len(data), 32<<10)]
		data = data[len(chunk):]
		var w bitWriter
		// The 20 lengths of the code of code lengths: symbol 8 (a length
		// of 8) is "0", 18 and 19 (runs of zeros) "10" and "11".
		for i := range 20 {
			w.bits(map[int]uint64{8: 1, 18: 2, 19: 2}[i], 4)
		}
		for range 256 { // the literals: length 8 each
			w.bits(0, 1)
		}
		// Symbols 256-305 of the main code and the offset, low offset and
		// length codes (174 lengths): zeros, 138 then 36.
		w.bits(0b11, 2)
		w.bits(138-11, 7)
		w.bits(0b11, 2)
		w.bits(36-11, 7)
		for _, c := range chunk {
			w.bits(uint64(c), 8)
		}
		n, last := w.finish()
		flags := byte(0x80) | byte(last-1) | 2<<3 // tables; bits in the last byte; 3 size bytes
		if len(data) == 0 {
			flags |= 0x40
		}
		size := []byte{byte(len(n)), byte(len(n) >> 8), byte(len(n) >> 16)}
		out = append(out, flags, 0x5a^flags^size[0]^size[1]^size[2])
		out = append(append(out, size...), n...)
	}
	return out
}

// bitWriter writes bits most significant first, as RAR reads them.
type bitWriter struct {
	b []byte
	n int // bits used in the last byte
}

func (w *bitWriter) bits(v uint64, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.n == 0 || w.n == 8 {
			w.b, w.n = append(w.b, 0), 0
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (7 - w.n)
		w.n++
	}
}

// finish returns the bytes and the bits used in the last one.
func (w *bitWriter) finish() ([]byte, int) { return w.b, w.n }
