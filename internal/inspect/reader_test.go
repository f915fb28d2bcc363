package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// blockAt returns a check that blocks once n distinct resident IDs are seen.
func blockAt(n int) func(*Tally) error {
	return func(t *Tally) error {
		if t.Counts[ResidentID] >= n {
			return fmt.Errorf("%d ids: %w", t.Counts[ResidentID], ErrBlocked)
		}
		return nil
	}
}

func TestReaderLeakBudget(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(5, 2000)
	var body bytes.Buffer
	body.WriteString("id,note\n")
	for _, r := range recs {
		fmt.Fprintf(&body, "%s,%s\n", r.ResidentID, "x")
	}
	wraps := []struct {
		name string
		give func(io.Reader) io.Reader
	}{
		{"whole reads", func(r io.Reader) io.Reader { return r }},
		{"one byte", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, w := range wraps {
		t.Run(w.name, func(t *testing.T) {
			s := e.NewScanner()
			defer s.Release()
			out, err := io.ReadAll(NewReader(w.give(bytes.NewReader(body.Bytes())), s, blockAt(50)))
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("read error %v, want ErrBlocked", err)
			}
			// What was released is all a recipient ever saw: fewer than 50.
			if got := scanAll(e, out)[ResidentID]; got >= 50 {
				t.Errorf("released %d bytes holding %d distinct IDs, want < 50", len(out), got)
			}
		})
	}
}

func TestReaderPassesCleanBodyUnchanged(t *testing.T) {
	e := newTestEngine(t)
	body := corpus.CleanWeb(3, 300<<10).Data
	s := e.NewScanner()
	defer s.Release()
	out, err := io.ReadAll(NewReader(iotest.HalfReader(bytes.NewReader(body)), s, blockAt(1)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(out, body) {
		t.Fatalf("released %d bytes, want the %d bytes of the body unchanged", len(out), len(body))
	}
	if s.Tally().Bytes != int64(len(body)) {
		t.Errorf("scanned %d bytes, want %d", s.Tally().Bytes, len(body))
	}
}

// readSizes records the size of every read asked of it.
type readSizes struct {
	r     io.Reader
	sizes []int
}

func (r *readSizes) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.r.Read(p)
}

// TestReaderGrowsForBulkSources: a source that fills every read is read in
// bulk chunks after the first; one that delivers less (a TLS record at a
// time, a trickle) keeps the first size. Either way every byte passes. A
// read asks for the buffer less what the scanner holds back.
func TestReaderGrowsForBulkSources(t *testing.T) {
	e := newTestEngine(t)
	body := corpus.CleanWeb(4, 1<<20).Data
	for _, tt := range []struct {
		name string
		wrap func(io.Reader) io.Reader
		size int // the size asked from the second read on, give or take the holdback
	}{
		{"bulk", func(r io.Reader) io.Reader { return r }, bulkChunk},
		{"records", func(r io.Reader) io.Reader { return &recordReader{r: r, max: 16 << 10} }, readChunk},
		{"trickle", iotest.HalfReader, readChunk},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := &readSizes{r: tt.wrap(bytes.NewReader(body))}
			s := e.NewScanner()
			defer s.Release()
			out, err := io.ReadAll(NewReader(src, s, blockAt(1)))
			if err != nil || !bytes.Equal(out, body) {
				t.Fatalf("released %d bytes (err %v), want the %d bytes of the body", len(out), err, len(body))
			}
			for i, n := range src.sizes[1 : len(src.sizes)-1] {
				if n > tt.size || n < tt.size-2*holdback {
					t.Fatalf("read %d asked for %d bytes, want about %d (sizes %v)", i+1, n, tt.size, src.sizes[:min(8, len(src.sizes))])
				}
			}
		})
	}
}

// recordReader returns at most max bytes per read, as a TLS connection
// returns one record.
type recordReader struct {
	r   io.Reader
	max int
}

func (r *recordReader) Read(p []byte) (int, error) { return r.r.Read(p[:min(len(p), r.max)]) }

func TestDetectorIDsAreUniqueAndLabelled(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range AllDetectors() {
		id := d.String()
		if seen[id] || id == "unknown" {
			t.Errorf("detector %d: id %q repeated or missing", d, id)
		}
		seen[id] = true
		if back, ok := ParseDetector(id); !ok || back != d {
			t.Errorf("ParseDetector(%q) = %v, %v", id, back, ok)
		}
		if len(keywords[d]) == 0 {
			t.Errorf("detector %s has no labels", id)
		}
	}
}
