package decode

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"testing"

	"go.uber.org/goleak"

	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// zipOf returns an archive holding data as one deflated member.
func zipOf(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create(name)
	if err != nil {
		tb.Fatalf("zip create: %v", err)
	}
	if _, err := f.Write(data); err != nil {
		tb.Fatalf("zip write: %v", err)
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("zip close: %v", err)
	}
	return buf.Bytes()
}

// extractCounts runs content through an extractor of its own: the counts a
// recipient's copy of the content holds.
func extractCounts(tb testing.TB, content []byte) [inspect.NumDetectors]int {
	tb.Helper()
	s := newScanner(tb)
	x := extract.New(s, "", extract.Limits{})
	defer x.Stop()
	_, _ = x.Write(content)
	if err := x.Close(); err != nil {
		tb.Fatalf("close extractor: %v", err)
	}
	return s.Tally().Counts
}

// TestEnforcingReaderExtractor: a gzip-encoded upload goes through the
// extractor after decompression. A zip of a CSV counts as the CSV does,
// and a block leaves the recipient with content that counts less than the
// check let pass.
func TestEnforcingReaderExtractor(t *testing.T) {
	defer goleak.VerifyNone(t)
	gz := testCodecs[1]
	text := piText(2 << 20) // large enough that the block comes well past the coding's lag
	want := extractCounts(t, text)
	if want[inspect.Mobile] == 0 {
		t.Fatal("the test text holds no mobiles")
	}
	tests := []struct {
		give    string
		content []byte
		streams bool // released bytes before the block (an archive is held whole)
	}{
		{give: "csv", content: text, streams: true},
		{give: "zip of csv", content: zipOf(t, "customers.csv", text)},
	}
	for _, tt := range tests {
		t.Run(tt.give+"/allowed", func(t *testing.T) {
			orig := encode(t, gz, tt.content)
			s := newScanner(t)
			x := extract.New(s, "", extract.Limits{})
			defer x.Stop()
			er := NewEnforcingReader(bytes.NewReader(orig), gz.encodings, x, allow, (&reasons{err: errDenied}).hook, Limits{})
			defer er.Close()
			got, err := io.ReadAll(er)
			if err != nil || !bytes.Equal(got, orig) {
				t.Fatalf("read %d bytes, err %v; want the %d original bytes", len(got), err, len(orig))
			}
			if s.Tally().Counts != want || len(x.Reasons()) > 0 {
				t.Errorf("counts %v, reasons %v; want %v and none", s.Tally().Counts, x.Reasons(), want)
			}
		})
		t.Run(tt.give+"/blocked", func(t *testing.T) {
			orig := encode(t, gz, tt.content)
			limit := want[inspect.Mobile] / 2
			s := newScanner(t)
			x := extract.New(s, "", extract.Limits{})
			defer x.Stop()
			check := func(t *inspect.Tally) error {
				if t.Counts[inspect.Mobile] >= limit {
					return inspect.ErrBlocked
				}
				return nil
			}
			er := NewEnforcingReader(bytes.NewReader(orig), gz.encodings, x, check, (&reasons{err: errDenied}).hook, Limits{})
			defer er.Close()
			released, err := io.ReadAll(er)
			if !errors.Is(err, inspect.ErrBlocked) {
				t.Fatalf("error %v, want ErrBlocked", err)
			}
			n := lenientLen(t, released, gz.encodings)
			if tt.streams != (n > 0) {
				t.Errorf("released %d bytes of content, want some: %v", n, tt.streams)
			}
			if got := extractCounts(t, tt.content[:n])[inspect.Mobile]; got >= limit {
				t.Errorf("the %d released bytes decode to content with %d mobiles, the check blocks at %d", len(released), got, limit)
			}
		})
	}
}
