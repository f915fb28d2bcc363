package extract

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/ulikunitz/xz/lzma"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/lzmadec"
)

// review10Decodable returns how much of want a receiver decodes from the
// LZMA2 bytes packed (a 7z's packed streams, cut where a release ends):
// the cut chunk padded with zeros, as any LZMA decoder reads a range
// coder's input in order.
func review10Decodable(packed, want []byte) int {
	padded := append(append([]byte(nil), packed...), make([]byte, 70<<10)...)
	got, _ := io.ReadAll(lzmadec.NewReader2(bytes.NewReader(padded), 64<<20))
	n := 0
	for n < len(got) && n < len(want) && got[n] == want[n] {
		n++
	}
	return n
}

// TestReview10SevenZipStreamSettlesDecodable checks the leak budget of a 7z
// streamed over the hold against what a receiver decodes from the released
// bytes, a cut chunk included (an LZMA decoder reads its range coder's
// input in order, so a chunk's first bytes decode to its first text):
// checkLeakBudget extracts each released prefix with this package, which
// drops a cut chunk, so it cannot see a release inside a chunk.
// lzmadec.Reader2 reads a chunk whole and szStream.from moves on at every
// Read, but a chunk's text is all written before the coroutine waits for
// input, so it holds (passing).
func TestReview10SevenZipStreamSettlesDecodable(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(12, 20000)))
	body := sevenZipLZMA2(t, szTestFile{name: "a.csv", data: list})
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "", Limits{Hold: 64 << 10})
	defer x.Stop()
	worst, last := 0, 0
	for off := 0; off < len(body); off += 4096 {
		_, _ = x.Write(body[off:min(off+4096, len(body))])
		st := int(x.Settled())
		if st <= 32 || st-last < 32<<10 {
			continue
		}
		last = st
		n := review10Decodable(body[32:st], list)
		released := scanPlain(e, list[:bytes.LastIndexByte(list[:n], '\n')+1])[inspect.ResidentID]
		counted := s.Tally().Counts[inspect.ResidentID]
		if released-counted > worst {
			worst = released - counted
			t.Logf("after %d bytes: released %d (decodes to %d bytes of text, %d IDs), %d IDs counted", off+4096, st, n, released, counted)
		}
	}
	_ = x.Close()
	if worst > 0 {
		t.Errorf("released bytes decoded to up to %d IDs more than were counted", worst)
	}
}

// TestReview10SevenZipStreamLaterFolderNotLZMA2 shows that a 7z over the
// hold whose first folder is LZMA2 and a later one another coder (7-Zip
// writes such an archive when "7zz u -m0=LZMA" adds a file to an LZMA2
// archive) has the later folder's packed bytes read as plain content with
// no reason: sevenZipStream treats the first stream that does not start
// like LZMA2 as the header. A list of 1,000 IDs packed with LZMA after a
// small LZMA2 file counts none of them and reports nothing, where an
// archive of the LZMA folder alone is over_limit (a fail-closed policy
// blocks it).
func TestReview10SevenZipStreamLaterFolderNotLZMA2(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(21, 1000)))
	lzma2, lzma1 := packLZMA2(t), packLZMA(t, lzma.Properties{LC: 3, PB: 2}, false)
	calls := 0
	mixed := sevenZipWith(func(data []byte) ([]byte, []byte) {
		calls++
		if calls == 1 {
			return lzma2(data)
		}
		return lzma1(data)
	}, szTestFile{name: "readme.txt", data: []byte("quarterly notes, nothing personal\n")}, szTestFile{name: "c.csv", data: list})
	alone := sevenZipWith(lzma1, szTestFile{name: "c.csv", data: list})
	lim := Limits{Hold: 1 << 10}
	want := scanPlain(e, list)[inspect.ResidentID]
	// Since the LZMA follow-up, a first LZMA stream is decoded too.
	if got := extract(t, e, alone, "", lim, 0); got.counts[inspect.ResidentID] != want || len(got.reasons) > 0 {
		t.Fatalf("the LZMA folder alone: %d of %d IDs, reasons %v", got.counts[inspect.ResidentID], want, got.reasons)
	}
	for _, chunk := range []int{0, 4096} {
		got := extract(t, e, mixed, "", lim, chunk)
		if ids := got.counts[inspect.ResidentID]; ids < want && !slices.Contains(got.reasons, ReasonOverLimit) {
			t.Errorf("chunk %d: LZMA folder after an LZMA2 one: %d of %d IDs counted, reasons %v: neither counted nor over_limit", chunk, ids, want, got.reasons)
		}
	}
}

// FuzzReview10SevenZipStream fuzzes the 7z path over the hold (a hold of
// 64 bytes: every archive streams), counts checked the same whole and in
// 7-byte writes.
func FuzzReview10SevenZipStream(f *testing.F) {
	_, first, second := compressedLists()
	f.Add(sevenZipLZMA2(f, szTestFile{name: "a.csv", data: first[:600]}, szTestFile{name: "b.csv", data: second[:600]}))
	f.Add(fixture(f, "solid.7z"))
	f.Add(fixture(f, "nosolid.7z"))
	f.Add(fixture(f, "lzma.7z"))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{Hold: 64, MaxTotal: sevenZipMaxDict + 256<<10, MaxEntries: 16} // the dictionary is charged
		whole := extract(t, e, body, "", lim, 0)
		split := extract(t, e, body, "", lim, 7)
		if whole.counts != split.counts || !slices.Equal(whole.reasons, split.reasons) {
			t.Fatalf("depends on chunking: %v %v whole, %v %v in 7-byte writes", whole.counts, whole.reasons, split.counts, split.reasons)
		}
	})
}

// TestReview10SevenZipStreamHoldsTheRest shows that a 7z over the hold
// settles nothing it reads after its LZMA2 streams (the header and
// whatever follows) or after streams that are not LZMA2, until the message
// ends: the frame's held() counts cr.n - s.from, and s.from stays where
// the last (or no) szStream.Read began while outside() or peekText() read
// on, so every byte read after it is held. The proxy keeps unsettled
// bytes in its enforcing reader's buffer, so such a body is buffered
// whole, past the 32 MiB Memory per message bound (docs/proxy.md). A zip
// streamed past the hold with the same text appended settles as it reads.
// unxz and unrar had the same flaw: an xz with text appended was held the
// same way (2,933,032 of 2,967,472 bytes unsettled), a RAR and its text
// wholly (3,029,092 bytes).
func TestReview10SevenZipStreamHoldsTheRest(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(12, 20000)))
	small := list[:100000]
	lim := Limits{Hold: 64 << 10}
	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"zip, then text (as it should)", cat(buildZip(t, zfile{name: "a.csv", data: small}), list)},
		{"LZMA2 7z, then text", cat(sevenZipLZMA2(t, szTestFile{name: "a.csv", data: small}), list)},
		{"LZMA 7z, decoded as it streams", sevenZipWith(packLZMA(t, lzma.Properties{LC: 3, PB: 2}, false), szTestFile{name: "a.csv", data: list})},
		{"xz, then text", cat(xzOf(t, small), list)},
		{"rar, then text", cat(rar5(compressed("a.csv", small)), list)},
		{"tar, then text", cat(tarOf(t, "a.csv", small), list)},
		{"gzip, then text", cat(gz(t, small), list)},
		{"zstd, then text", cat(zst(t, small), list)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := e.NewScanner()
			defer s.Release()
			x := New(s, "", lim)
			defer x.Stop()
			for off := 0; off < len(tt.body); off += 4096 {
				_, _ = x.Write(tt.body[off:min(off+4096, len(tt.body))])
			}
			if held := int64(len(tt.body)) - x.Settled(); held > 4*lim.Hold {
				t.Errorf("%d of %d bytes written still unsettled before Close (hold %d)", held, len(tt.body), lim.Hold)
			}
		})
	}
}
