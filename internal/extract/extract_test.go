package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// leakShape is one way of sending the customer list.
type leakShape struct {
	name  string
	body  []byte
	ctype string
}

// leakShapes renders recs in every shape of the issue.
func leakShapes(tb testing.TB, recs []corpus.Record) []leakShape {
	tb.Helper()
	rows := csvRows(recs)
	plain := csvBytes(rows)
	third := len(rows) / 3
	zipOfCSVs := buildZip(tb,
		zfile{name: "a.csv", data: csvBytes(rows[:third])},
		zfile{name: "b/b.csv", data: csvBytes(append([][]string{rows[0]}, rows[third:2*third]...))},
		zfile{name: "c.txt", data: csvBytes(append([][]string{rows[0]}, rows[2*third:]...)), store: true},
	)
	xlsx := buildXLSX(tb, rows)
	form, formType := buildMultipart(tb,
		filePart{field: "note", data: []byte("客户名单，请查收")},
		filePart{field: "file", file: "客户.xlsx", ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: xlsx},
	)
	splitForm, splitType := buildMultipart(tb,
		filePart{field: "a", file: "a.csv", ctype: "text/csv", data: csvBytes(rows[:third])},
		filePart{field: "b", file: "b.csv", ctype: "text/csv; charset=gbk", data: encodeText(tb, gbk, csvBytes(append([][]string{rows[0]}, rows[third:]...)))},
	)
	return append([]leakShape{
		{name: "plain csv", body: plain, ctype: "text/csv"},
		{name: "xlsx", body: xlsx},
		{name: "docx table", body: buildDOCX(tb, rows)},
		{name: "zip of csvs", body: zipOfCSVs, ctype: "application/zip"},
		{name: "nested zip", body: buildZip(tb, zfile{name: "inner.zip", data: zipOfCSVs}, zfile{name: "x.xlsx", data: xlsx})},
		{name: "multipart xlsx", body: form, ctype: formType},
		{name: "multipart split csv and gbk", body: splitForm, ctype: splitType},
		{name: "multipart sniffed", body: form},
		{name: "base64 json", body: []byte(`{"name":"export","file":"` + base64.StdEncoding.EncodeToString(plain) + `"}`), ctype: "application/json"},
		{name: "base64 json escaped slashes", body: []byte(`{"file":"` + strings.ReplaceAll(base64.StdEncoding.EncodeToString(plain), "/", `\/`) + `"}`)},
		{name: "base64 json wrapped", body: []byte(`{"file":"` + wrapped(plain, `\n`) + `"}`)},
		{name: "base64 mime wrapped text", body: []byte("attachment:\r\n" + wrapped(plain, "\r\n") + "\r\n")},
		{name: "base64 url-safe", body: []byte(`{"f":"` + base64.RawURLEncoding.EncodeToString(plain) + `"}`)},
		{name: "base64 xlsx data uri", body: []byte(`{"f":"data:application/octet-stream;base64,` + base64.StdEncoding.EncodeToString(xlsx) + `"}`)},
		{name: "base64 of base64", body: []byte(`{"f":"` + base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString(plain))) + `"}`)},
		{name: "gbk csv declared", body: encodeText(tb, gbk, plain), ctype: "text/csv; charset=GBK"},
		{name: "gbk csv detected", body: encodeText(tb, gbk, plain)},
		{name: "gb18030 csv detected", body: encodeText(tb, corpusGB18030, plain)},
		{name: "utf-16le csv with bom", body: encodeText(tb, utf16LE, plain)},
		{name: "utf-16be csv without bom", body: encodeText(tb, utf16BE, plain)},
		{name: "utf-16le declared", body: encodeText(tb, utf16LE, plain), ctype: "text/csv; charset=utf-16le"},
	}, emlShapes(tb, recs)...)
}

// TestLeakShapes is the "done when": a 1,000-row customer list
// gives the plain CSV's counts in every shape.
func TestLeakShapes(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(42, 1000)
	want := scanPlain(e, csvBytes(csvRows(recs)))
	if doc := corpus.CSV(recs, corpus.CSVOptions{}); want != wantCounts(t, doc.Want) {
		t.Fatalf("plain csv baseline %v, corpus says %v", want, wantCounts(t, doc.Want))
	}
	for _, sh := range leakShapes(t, recs) {
		t.Run(sh.name, func(t *testing.T) {
			got := extract(t, e, sh.body, sh.ctype, Limits{}, 32<<10)
			if got.counts != want {
				t.Errorf("counts\n got %v\nwant %v", got.counts, want)
			}
			if len(got.reasons) > 0 {
				t.Errorf("uninspectable %v", got.reasons)
			}
			snap := policy.Default()
			if d := snap.Scope(policy.Message{Direction: policy.Request, Host: "upload.example.com", Method: "POST"}).Decide(&inspect.Tally{Counts: got.counts}); d.Action != policy.Block {
				t.Errorf("default policy: %v, want block", d.Action)
			}
		})
	}
}

// TestChunkInvariance: the same body cut anywhere gives the same counts.
func TestChunkInvariance(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(5, 60)
	for _, sh := range append(leakShapes(t, recs), sseShapes(t, recs)...) {
		want := extract(t, e, sh.body, sh.ctype, Limits{}, 0)
		for _, chunk := range []int{1, 3, 511, 4096} {
			if got := extract(t, e, sh.body, sh.ctype, Limits{}, chunk); got.counts != want.counts || !slices.Equal(got.reasons, want.reasons) {
				t.Errorf("%s at chunk %d: got %v %v, want %v %v", sh.name, chunk, got.counts, got.reasons, want.counts, want.reasons)
			}
		}
	}
}

// TestSettledLeakBudget: whatever raw prefix Settled releases, the
// extractor has already counted everything that prefix holds.
func TestSettledLeakBudget(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(9, 300)
	for _, sh := range append(leakShapes(t, recs), sseShapes(t, recs)...) {
		t.Run(sh.name, func(t *testing.T) {
			for _, chunk := range []int{4096, benchChunk} { // the proxy's chunks: plain text is read in place
				checkLeakBudget(t, e, sh.body, sh.ctype, Limits{}, chunk, 0)
			}
		})
	}
}

// checkLeakBudget writes body in chunks of the given size and checks that
// the raw prefixes Settled releases hold no more values than were counted:
// every one, or with stride > 0 one after at least stride more bytes (and
// the last).
func checkLeakBudget(t *testing.T, e *inspect.Engine, body []byte, ctype string, lim Limits, chunk, stride int) {
	t.Helper()
	checkLeakBudgetWith(t, e, body, chunk, stride, func(s *inspect.Scanner) *Extractor { return New(s, ctype, lim) })
}

// checkLeakBudgetWith is checkLeakBudget with the extractors newX makes.
func checkLeakBudgetWith(t *testing.T, e *inspect.Engine, body []byte, chunk, stride int, newX func(*inspect.Scanner) *Extractor) {
	t.Helper()
	s := e.NewScanner()
	defer s.Release()
	x := newX(s)
	defer x.Stop()
	released := 0
	for off := 0; off < len(body); off += chunk {
		_, _ = x.Write(body[off:min(off+chunk, len(body))])
		st := int(x.Settled())
		if st == released || (st-released < stride && st < len(body)) {
			continue
		}
		released = st
		prefix := extractWith(t, e, body[:st], 0, newX).counts
		for d, n := range prefix {
			if n > s.Tally().Counts[d] {
				t.Fatalf("chunk %d: released %d bytes holding %d %s values, only %d counted", chunk, st, n, inspect.Detector(d), s.Tally().Counts[d])
			}
		}
	}
	_ = x.Close()
}

// TestHeldArchiveSettles: an archive is held whole; nothing is released
// before its central directory has been read.
func TestHeldArchiveSettles(t *testing.T) {
	e := newTestEngine(t)
	body := buildXLSX(t, csvRows(corpus.Records(1, 200)))
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "", Limits{})
	defer x.Stop()
	for off := 0; off < len(body); off += 1000 {
		_, _ = x.Write(body[off:min(off+1000, len(body))])
		if st := x.Settled(); st != 0 {
			t.Fatalf("settled %d of a held archive before its end", st)
		}
	}
	_ = x.Close()
	if st := x.Settled(); st != int64(len(body)) {
		t.Fatalf("settled %d after close, want %d", st, len(body))
	}
}

func TestMultipartParts(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(3, 100))
	body, ctype := buildMultipart(t,
		filePart{field: "title", data: []byte("hello")},
		filePart{field: "upload", file: "list.csv", ctype: "text/csv", data: csvBytes(rows[:51])},
		filePart{field: "again", file: "same.csv", ctype: "text/csv", data: csvBytes(rows[:51])},
	)
	got := extract(t, e, body, ctype, Limits{}, 1000)
	want := []Part{
		{Field: "title"},
		{Field: "upload", File: "list.csv", ContentType: "text/csv", Found: 50 * 7},
		{Field: "again", File: "same.csv", ContentType: "text/csv"},
	}
	if !slices.Equal(got.parts, want) {
		t.Errorf("parts\n got %+v\nwant %+v", got.parts, want)
	}
}

// TestUninspectable covers bombs, encrypted and broken archives: each is
// reported with its policy reason, and inspection stops quickly.
func TestUninspectable(t *testing.T) {
	e := newTestEngine(t)
	csvData := csvBytes(csvRows(corpus.Records(4, 50)))
	zeros := make([]byte, 64<<20)
	bomb := buildZip(t, zfile{name: "zeros.txt", data: zeros})
	deep := csvData
	for range 8 {
		deep = buildZip(t, zfile{name: "in.zip", data: deep})
	}
	var many []zfile
	for i := range 30 {
		many = append(many, zfile{name: fmt.Sprintf("f%d.txt", i), data: []byte("x")})
	}
	enc := buildZip(t, zfile{name: "secret.csv", data: csvData, flags: 1}, zfile{name: "open.csv", data: csvData})
	plain := buildZip(t, zfile{name: "a.csv", data: csvData})
	tests := []struct {
		name string
		give []byte
		lim  Limits
		want []string
	}{
		{name: "ratio bomb", give: bomb, want: []string{ReasonOverLimit}},
		{name: "total size", give: buildZip(t, zfile{name: "a.csv", data: bytes.Repeat(csvData, 40)}), lim: Limits{MaxTotal: 256 << 10}, want: []string{ReasonOverLimit}},
		{name: "too deep", give: deep, want: []string{ReasonOverLimit}},
		{name: "too many entries", give: buildZip(t, many...), lim: Limits{MaxEntries: 10}, want: []string{ReasonOverLimit}},
		{name: "encrypted member", give: enc, want: []string{ReasonEncrypted}},
		{name: "truncated", give: plain[:len(plain)/2], want: []string{ReasonDecodeError}},
		{name: "garbage after magic", give: append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xAB}, 100)...), want: []string{ReasonDecodeError}},
		{name: "streamed encrypted", give: enc, lim: Limits{Hold: 100}, want: []string{ReasonEncrypted}},
		{name: "streamed bomb", give: bomb, lim: Limits{Hold: 1000}, want: []string{ReasonOverLimit}},
		{name: "deep base64", give: nestBase64(csvData, 7), want: []string{ReasonOverLimit}},
		{name: "bad multipart", give: []byte("--b\r\nContent-Disposition: form-data\r\n\r\nunterminated"), want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, e, tt.give, "", tt.lim, 64<<10)
			if !slices.Equal(got.reasons, tt.want) {
				t.Errorf("reasons %v, want %v", got.reasons, tt.want)
			}
		})
	}
}

// nestBase64 wraps data in n layers of base64 in JSON.
func nestBase64(data []byte, n int) []byte {
	for range n {
		data = []byte(`{"f":"` + base64.StdEncoding.EncodeToString(data) + `"}`)
	}
	return data
}

// TestStreamedArchive: an archive over the hold size is read from its
// local headers (deflated with data descriptors, and stored) with the same
// counts.
func TestStreamedArchive(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(8, 400))
	want := scanPlain(e, csvBytes(rows))
	half := len(rows) / 2
	body := buildZip(t,
		zfile{name: "a.csv", data: csvBytes(rows[:half])},
		zfile{name: "b.csv", data: csvBytes(append([][]string{rows[0]}, rows[half:]...)), store: true},
	)
	got := extract(t, e, body, "", Limits{Hold: 8 << 10}, 4096)
	if got.counts != want || len(got.reasons) > 0 {
		t.Errorf("got %v %v, want %v", got.counts, got.reasons, want)
	}
}

// TestStreamedArchiveSettles: past the hold size, an archive is released
// as it streams.
func TestStreamedArchiveSettles(t *testing.T) {
	e := newTestEngine(t)
	body := buildZip(t, zfile{name: "a.csv", data: csvBytes(csvRows(corpus.Records(8, 3000))), store: true})
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "", Limits{Hold: 64 << 10})
	defer x.Stop()
	_, _ = x.Write(body[:len(body)-1000])
	if st := x.Settled(); st == 0 || st > int64(len(body)-1000) {
		t.Errorf("settled %d of %d written", st, len(body)-1000)
	}
	_, _ = x.Write(body[len(body)-1000:])
	_ = x.Close()
}

// TestOLEStrings: a legacy file's ASCII and UTF-16LE strings are scanned.
func TestOLEStrings(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(6, 40)
	var b bytes.Buffer
	b.Write(oleMagic)
	b.Write(make([]byte, 504))
	for i, r := range recs {
		b.Write([]byte{0x12, 0x00, 0x00}) // string header of a compressed string
		b.WriteString(r.ResidentID)
		b.Write([]byte{0x0B, 0x00, 0x01}) // of a wide string
		if i%2 == 0 {
			b.WriteByte(0xFF) // the other parity
		}
		b.Write(encodeText(t, utf16LEPlain, []byte("手机"+r.Mobile)))
	}
	got := extract(t, e, b.Bytes(), "", Limits{}, 1000)
	if got.counts[inspect.ResidentID] != len(recs) || got.counts[inspect.Mobile] != len(recs) {
		t.Errorf("counts %v, want %d IDs and mobiles", got.counts, len(recs))
	}
}

// TestNumericCells: mobiles and 16-digit cards stored as numbers are
// found; an 18-digit ID that Excel turned into a float is lost (documented).
func TestNumericCells(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(2, 50)
	card := ""
	for _, r := range recs {
		if len(r.BankCard) == 16 {
			card = r.BankCard
			break
		}
	}
	tests := []struct {
		name string
		give [][]string // columns 2 and 3 are numeric cells
		want [inspect.NumDetectors]int
	}{
		{name: "mobile and card", give: [][]string{{"", "", "手机号", "银行卡号"}, {"", "", recs[0].Mobile, card}}, want: [inspect.NumDetectors]int{inspect.Mobile: 1, inspect.BankCard: 1}},
		{name: "id as float", give: [][]string{{"", "", "身份证号"}, {"", "", "1.10101199003078E+17"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := extract(t, e, buildXLSX(t, tt.give), "", Limits{}, 0); got.counts != tt.want {
				t.Errorf("counts %v, want %v", got.counts, tt.want)
			}
		})
	}
}

// TestReasonsMatchPolicy: the reason strings are the policy's.
func TestReasonsMatchPolicy(t *testing.T) {
	tests := []struct {
		give string
		want policy.Reason
	}{
		{ReasonOverLimit, policy.ReasonOverLimit},
		{ReasonDecodeError, policy.ReasonDecodeError},
		{ReasonEncrypted, policy.ReasonEncrypted},
		{ReasonUnsupportedEncoding, policy.ReasonUnsupportedEncoding},
	}
	for _, tt := range tests {
		if tt.give != tt.want.String() {
			t.Errorf("%q != policy %q", tt.give, tt.want)
		}
	}
}

// TestStopWithoutClose: a message abandoned mid-stream leaves no goroutine
// (TestMain runs goleak).
func TestStopWithoutClose(t *testing.T) {
	e := newTestEngine(t)
	body := buildXLSX(t, csvRows(corpus.Records(1, 50)))
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "", Limits{})
	_, _ = x.Write(body[:len(body)/2])
	x.Stop()
	x.Stop()
	if _, err := x.Write(body[len(body)/2:]); err != nil {
		t.Fatalf("write after stop: %v", err)
	}
}

// TestPrelude: text the scanner already holds when the extractor starts (the
// proxy's request URL and headers) counts together with the body's values,
// while raw offsets still start at the body's first byte.
func TestPrelude(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(4, 60)
	var head strings.Builder
	for _, r := range recs[:40] {
		fmt.Fprintf(&head, "id %s\n", r.ResidentID)
	}
	body := csvBytes(csvRows(recs[20:])) // 20 of its 40 records are in the head too
	for _, chunk := range []int{97, 700, len(body)} {
		s := e.NewScanner()
		_, _ = s.Write([]byte(head.String()))
		s.Boundary()
		x := New(s, "text/csv", Limits{})
		for off := 0; off < len(body); off += chunk {
			end := min(off+chunk, len(body))
			_, _ = x.Write(body[off:end])
			// The body's first 20 rows repeat head records: a released
			// prefix holding n IDs holds n-20 new ones, all counted by now.
			st := x.Settled()
			prefix := extract(t, e, body[:st], "text/csv", Limits{}, 0).counts[inspect.ResidentID]
			if counted := s.Tally().Counts[inspect.ResidentID]; 40+max(prefix-20, 0) > counted {
				t.Fatalf("chunk %d: released %d body bytes holding %d IDs, only %d counted with the head's 40", chunk, st, prefix, counted)
			}
		}
		_ = x.Close()
		if got := s.Tally().Counts[inspect.ResidentID]; got != 60 {
			t.Errorf("chunk %d: %d distinct resident IDs, want 60 (40 in the head, 40 in the body, 20 in both)", chunk, got)
		}
		if st := x.Settled(); st != int64(len(body)) {
			t.Errorf("chunk %d: settled %d after close, want %d", chunk, st, len(body))
		}
		s.Release()
	}
}

// TestInPlaceTextSettlesAsScanned: plain text read in place settles as the
// scanner settles it, a holdback behind what was written, not a whole write
// behind. A caller that releases settled bytes then hands each chunk on in
// one piece and holds little.
func TestInPlaceTextSettlesAsScanned(t *testing.T) {
	e := newTestEngine(t)
	body := corpus.CleanWeb(1, 1<<20).Data
	for _, ctype := range []string{"text/html", "application/json", ""} {
		t.Run(ctype, func(t *testing.T) {
			s := e.NewScanner()
			defer s.Release()
			x := New(s, ctype, Limits{})
			defer x.Stop()
			for off := 0; off < len(body); off += benchChunk {
				end := min(off+benchChunk, len(body))
				_, _ = x.Write(body[off:end])
				if off == 0 {
					continue // the first chunk may still be sniffed
				}
				if lag := int64(end) - x.Settled(); lag > 4<<10 {
					t.Fatalf("after %d bytes settled %d: %d bytes behind", end, x.Settled(), lag)
				}
			}
			_ = x.Close()
		})
	}
}
