package extract

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"os"
	"path/filepath"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// ascii85Stream is a stream object whose data is ASCII85-encoded (after
// zlib compression when flate), under the filter names given, wrapped in
// lines of 72 characters and ended by the "~>" marker unless cut.
func ascii85Stream(tb testing.TB, data []byte, filter string, flate, cut bool) pdfStream {
	tb.Helper()
	if flate {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		_, _ = w.Write(data)
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		data = z.Bytes()
	}
	var enc bytes.Buffer
	w := ascii85.NewEncoder(&enc)
	_, _ = w.Write(data)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for b := enc.Bytes(); len(b) > 0; {
		n := min(72, len(b))
		out = append(append(out, b[:n]...), '\n')
		b = b[n:]
	}
	if !cut {
		out = append(out, "~>"...)
	}
	return pdfStream{dict: "/Filter " + filter + " ", data: out, raw: true}
}

// TestPDFASCII85: a stream whose first filter is ASCII85Decode is decoded,
// and inflated when FlateDecode follows (ReportLab writes its pages so);
// the streams after it are read as before. A 60-row list in such a page
// counted nothing.
func TestPDFASCII85(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(31, 60)
	var page, second bytes.Buffer
	for _, r := range recs[:30] {
		page.WriteString("BT /F1 9 Tf 1 0 0 1 36 800 Tm (" + r.ResidentID + " " + r.Mobile + ") Tj T* ET\n")
	}
	for _, r := range recs[30:] {
		second.WriteString("BT /F1 9 Tf 1 0 0 1 36 800 Tm (" + r.ResidentID + " " + r.Mobile + ") Tj T* ET\n")
	}
	next := pdfStream{data: second.Bytes()} // a zlib stream after it
	all := map[inspect.Detector]int{inspect.ResidentID: 60, inspect.Mobile: 60}
	tests := []struct {
		name   string
		stream pdfStream
		want   map[inspect.Detector]int
	}{
		{"ASCII85 and Flate", ascii85Stream(t, page.Bytes(), "[/ASCII85Decode /FlateDecode]", true, false), all},
		{"abbreviated names", ascii85Stream(t, page.Bytes(), "[/A85/Fl]", true, false), all},
		{"ASCII85 alone", ascii85Stream(t, page.Bytes(), "/ASCII85Decode", false, false), all},
		// No "~>": the data ends at endstream, its last group is lost; the
		// stream after it is still read.
		{"no end marker", ascii85Stream(t, page.Bytes(), "[/ASCII85Decode /FlateDecode]", true, true), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := pdfFile(t, tt.stream, next)
			for _, chunk := range []int{0, 1, 1000} {
				got := extract(t, e, body, "", Limits{}, chunk).counts
				for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile} {
					want := tt.want[d]
					if tt.want == nil {
						want = 30 // the stream after it; the cut one may give some
						if got[d] < want {
							t.Errorf("chunk %d: %d %s values, want at least %d", chunk, got[d], d, want)
						}
						continue
					}
					if got[d] != want {
						t.Errorf("chunk %d: %d %s values, want %d", chunk, got[d], d, want)
					}
				}
			}
		})
	}
}

// TestPDFReportLab reads a list drawn by ReportLab 3.6.12 (Debian's
// python3-reportlab; a title line, a header row and 40 rows of synthetic
// names, ID numbers and mobiles, cell by cell with drawString) from
// testdata/pdf: its page is [/ASCII85Decode /FlateDecode] and every cell
// a Tm, a string and a T* on its row's baseline. It counted nothing: now
// its IDs and mobiles count, and its names under the header row's 姓名.
func TestPDFReportLab(t *testing.T) {
	checkPDFFixture(t, "reportlab_list.pdf", map[inspect.Detector]int{inspect.ResidentID: 40, inspect.Mobile: 40, inspect.Name: 40})
}

// checkPDFFixture extracts a PDF of testdata/pdf whole, in 1-byte and in
// 1000-byte writes: it must count want, with no reason, and release no
// byte before its text is scanned.
func checkPDFFixture(t *testing.T, name string, want map[inspect.Detector]int) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t)
	for _, chunk := range []int{0, 1, 1000} {
		got := extract(t, e, body, "application/pdf", Limits{}, chunk)
		for d, n := range want {
			if got.counts[d] != n {
				t.Errorf("chunk %d: %d %s values, want %d", chunk, got.counts[d], d, n)
			}
		}
		if len(got.reasons) > 0 {
			t.Errorf("chunk %d: reasons %v, want none", chunk, got.reasons)
		}
	}
	checkLeakBudget(t, e, body, "application/pdf", Limits{}, 4096, len(body)/8)
}
