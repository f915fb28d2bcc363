package extract

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// tarEntry is an entry of a test tar archive: its header (Size is the
// data's) and its data.
type tarEntry struct {
	hdr  tar.Header
	data []byte
}

// tarEntries writes a tar archive of the entries, as archive/tar (and GNU
// tar) write them: a 512-byte header per entry, the data padded to 512
// bytes, two zero blocks.
func tarEntries(tb testing.TB, entries ...tarEntry) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, e := range entries {
		if err := w.WriteHeader(&e.hdr); err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// file is a regular file entry, modified at mtime, in format f.
func file(name string, data []byte, mtime time.Time, f tar.Format) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Format: f}, data: data}
}

// TestTar: a tar archive (plain, or what a .tar.gz, .tar.xz, .tar.bz2,
// .tar.zst decompresses to) is read member by member, each a part of its
// own after its name. Read as text before, its headers glued to each
// file's first line (a CSV's header row labelled nothing: names,
// addresses and passports counted 0) and their octal modification times
// read as mobile numbers: a source tarball of 300 files counted 300.
func TestTar(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	when := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	var src []tarEntry
	for i := range 300 {
		// 11 octal digits from 15 on: a mobile number each, read as text.
		src = append(src, file(fmt.Sprintf("proj/pkg%d/f%d.go", i/10, i), []byte(fmt.Sprintf("package pkg%d\n", i/10)), when.Add(time.Duration(i)*977*time.Second), tar.FormatGNU))
	}
	people := corpus.Records(32, 20)
	var photos []tarEntry
	var names []byte
	for _, r := range people {
		photos = append(photos, file("身份证/"+photoName(r), photo, when, tar.FormatPAX))
		names = append(names, photoName(r)+"\n"...)
	}
	all := tarEntries(t, photos...)
	rest := all[len(tarEntries(t, photos[:5]...))-1024:]                            // from the sixth header on (less the end's two zero blocks)
	long := "export/" + string(bytes.Repeat([]byte("客户名单/"), 20)) + "customers.csv" // over 100 bytes: a PAX or GNU long name
	plain := tarEntries(t, file("export/customers.csv", list, when, tar.FormatUSTAR))
	tests := []shapeTest{
		{name: "ustar", give: plain, same: list},
		{name: "GNU", give: tarEntries(t, file("customers.csv", list, when, tar.FormatGNU)), same: list},
		{name: "PAX long name", give: tarEntries(t, file(long, list, when, tar.FormatPAX)), same: list},
		{name: "GNU long name", give: tarEntries(t, file(long, list, when, tar.FormatGNU)), same: list},
		{name: "two files and a directory", give: tarEntries(t,
			tarEntry{hdr: tar.Header{Name: "export/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: when}},
			file("export/a.csv", first, when, tar.FormatUSTAR), file("export/b.csv", second, when, tar.FormatUSTAR)), same: list},
		{name: "source tarball", give: tarEntries(t, src...)},
		{name: "named ID photos", give: tarEntries(t, photos...), same: names},
		{name: "tar.gz", give: gz(t, plain), same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "c.tar", data: plain}), same: list},
		{name: "tar of a zip", give: tarEntries(t, file("c.zip", buildZip(t, zfile{name: "c.csv", data: list}), when, tar.FormatUSTAR)), same: list},
		{name: "list appended", give: cat(tarEntries(t, file("a.csv", first, when, tar.FormatUSTAR)), second), same: cat(first, []byte("\n"), second)},
		{name: "truncated", give: plain[:len(plain)/2], same: list[:len(plain)/2-512], want: []string{ReasonDecodeError}},
		// Past the limit the rest is read as the bytes it is, headers and
		// all (their octal times count as a mobile again).
		{name: "past MaxEntries", give: all, lim: Limits{MaxEntries: 5}, same: cat(names, rest), want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, plain)), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		// A gzip member cut by MaxTotal is over the limit, not also a
		// decode error (its layer read what the limit left as text).
		// (a changelog.gz of /usr/share/doc: its compressed bytes pass
		// the limit too).
		{name: "gzip member past MaxTotal", give: tarEntries(t, file("changelog.gz", gz(t, words(40_000)), when, tar.FormatUSTAR)),
			lim: Limits{MaxTotal: 8 << 10}, want: []string{ReasonOverLimit}},
		{name: "ustar magic, bad checksum", give: badChecksum(plain), same: badChecksum(plain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// words returns n bytes of random lower-case words, which compress to
// about two thirds.
func words(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b []byte
	for len(b) < n {
		for range 3 + rng.IntN(6) {
			b = append(b, byte('a'+rng.IntN(26)))
		}
		b = append(b, ' ')
	}
	return b[:n]
}

// badChecksum returns a tar whose first header's checksum does not hold:
// text that happens to hold "ustar" at 257 is not a tar.
func badChecksum(b []byte) []byte {
	out := bytes.Clone(b)
	out[0] ^= 1
	return out
}

// FuzzTar: a mutated tar archive (a corrupt header, a PAX record, a
// member cut short) settles at Close and counts the same whole and in
// 7-byte chunks.
func FuzzTar(f *testing.F) {
	_, first, second := compressedLists()
	when := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	f.Add(tarEntries(f, file("a.csv", first[:400], when, tar.FormatUSTAR), file("b.csv", second[:400], when, tar.FormatGNU)))
	f.Add(tarEntries(f, file(string(bytes.Repeat([]byte("x/"), 60))+"张三_110101199003078515.jpg", photo, when, tar.FormatPAX)))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

// TestStreamedArchivesSettle: a list in xz, RAR or tar large enough to
// stream is released as it is inspected, never ahead of the values it
// holds (a member's name included: ID photos); a 7z archive is held
// until its header, at its end, has been read.
func TestStreamedArchivesSettle(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(12, 20000)))
	when := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	var photos []tarEntry
	var rarPhotos []rarFile
	for i, r := range corpus.Records(13, 3000) {
		if i < 300 {
			photos = append(photos, file(photoName(r), photo, when, tar.FormatPAX))
		}
		rarPhotos = append(rarPhotos, rarFile{name: photoName(r), data: photo}) // past rarLag
	}
	for _, tt := range []struct {
		name   string
		body   []byte
		lim    Limits
		stream bool // settles before its end
	}{
		{name: "xz", body: xzOf(t, list), stream: true},
		{name: "xz blocks", body: xzStream(uncompressedChunks(list[:len(list)/2], 60_000), uncompressedChunks(list[len(list)/2:], 60_000)), stream: true},
		{name: "rar", body: rar5(rarFile{name: "a.csv", data: list}), stream: true},
		// rardecode decodes a window (256 KiB here) before handing it out.
		{name: "rar, compressed", body: rar5(compressed("a.csv", list)), stream: true},
		{name: "rar of named photos", body: rar4(rarPhotos...), stream: true},
		{name: "tar", body: tarEntries(t, file("a.csv", list, when, tar.FormatGNU)), stream: true},
		{name: "tar of named photos", body: tarEntries(t, photos...), stream: true},
		{name: "7z", body: sevenZipOf(szTestFile{name: "a.csv", data: list})},
		// Over the hold, its LZMA2 streams are decoded as they stream.
		{name: "7z over the hold", body: sevenZipLZMA2(t, szTestFile{name: "a.csv", data: list}), lim: Limits{Hold: 64 << 10}, stream: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{4096, benchChunk} {
				checkLeakBudget(t, e, tt.body, "", tt.lim, chunk, len(tt.body)/16)
			}
			s := e.NewScanner()
			defer s.Release()
			x := New(s, "", tt.lim)
			defer x.Stop()
			_, _ = x.Write(tt.body[:len(tt.body)*3/4])
			if st := x.Settled(); (st > 0) != tt.stream {
				t.Errorf("settled %d after three quarters of %d bytes", st, len(tt.body))
			}
		})
	}
}
