package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"slices"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// gz compresses data as one gzip member, as gzip(1) and Go write it.
func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// tarOf writes a tar archive of one file holding data.
func tarOf(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	if err := w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))}); err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestGzip: a gzip file (a customers.csv.gz export, a .tar.gz, a
// database dump) is inspected as what it decompresses to, wherever it is:
// the whole body, a multipart part, an archive member. Before, its
// compressed bytes were scanned as text: nothing counted, nothing reported.
func TestGzip(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(11, 600))
	list := csvBytes(rows)
	first, second := csvBytes(rows[:300]), csvBytes(append([][]string{rows[0]}, rows[300:]...))
	tarball := tarOf(t, "export/customers.csv", list)
	form, formType := buildMultipart(t,
		filePart{field: "note", data: []byte("月度导出")},
		filePart{field: "file", file: "customers.csv.gz", ctype: "application/gzip", data: gz(t, list)},
	)
	bomb := gz(t, make([]byte, 8<<20))
	tests := []struct {
		name  string
		give  []byte
		ctype string
		lim   Limits
		same  []byte // bytes whose bare scan gives the counts
		want  []string
	}{
		{name: "csv.gz", give: gz(t, list), same: list},
		{name: "csv.gz declared", give: gz(t, list), ctype: "application/gzip", same: list},
		{name: "csv.gz as octet-stream", give: gz(t, list), ctype: "application/octet-stream", same: list},
		{name: "tar.gz", give: gz(t, tarball), same: tarball},
		{name: "multipart part", give: form, ctype: formType, same: list},
		{name: "zip member", give: buildZip(t, zfile{name: "customers.csv.gz", data: gz(t, list), store: true}), same: list},
		{name: "gzip of a zip", give: gz(t, buildZip(t, zfile{name: "c.csv", data: list})), same: list},
		{name: "gzip of gzip", give: gz(t, gz(t, list)), same: list},
		{name: "concatenated members", give: cat(gz(t, first), gz(t, second)), same: cat(first, second)},
		{name: "list appended", give: cat(gz(t, []byte("hello\n")), list), same: list},
		{name: "zero padding", give: cat(gz(t, list), make([]byte, 512)), same: list},
		{name: "bomb", give: bomb, want: []string{ReasonOverLimit}},
		{name: "too deep", give: gz(t, gz(t, gz(t, list))), lim: Limits{MaxDepth: 2}, want: []string{ReasonOverLimit}},
		{name: "truncated header", give: []byte{0x1f, 0x8b, 0x08, 0}, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := scanPlain(e, tt.same)
			for _, chunk := range []int{0, 1000} {
				got := extract(t, e, tt.give, tt.ctype, tt.lim, chunk)
				if got.counts != want {
					t.Errorf("chunk %d: counts\n got %v\nwant %v", chunk, got.counts, want)
				}
				if !slices.Equal(got.reasons, tt.want) {
					t.Errorf("chunk %d: reasons %v, want %v", chunk, got.reasons, tt.want)
				}
			}
			checkLeakBudget(t, e, tt.give, tt.ctype, tt.lim, 4096, len(tt.give)/8)
		})
	}
}

// TestGzipSettles: a compressed list large enough to stream is released
// as it is inspected, never ahead of the values it holds.
func TestGzipSettles(t *testing.T) {
	e := newTestEngine(t)
	body := gz(t, csvBytes(csvRows(corpus.Records(12, 20000))))
	for _, chunk := range []int{4096, benchChunk} {
		checkLeakBudget(t, e, body, "application/gzip", Limits{}, chunk, len(body)/16)
	}
	s := e.NewScanner()
	defer s.Release()
	x := New(s, "application/gzip", Limits{})
	defer x.Stop()
	_, _ = x.Write(body[:len(body)/2])
	if st := x.Settled(); st == 0 {
		t.Errorf("nothing settled after half of a %d-byte gzip stream", len(body))
	}
}
