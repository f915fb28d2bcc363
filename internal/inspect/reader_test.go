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
