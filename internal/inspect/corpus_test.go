package inspect

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// wantCounts converts a corpus expectation into a tally array.
func wantCounts(t *testing.T, want corpus.Expected) [NumDetectors]int {
	t.Helper()
	var c [NumDetectors]int
	for id, n := range want {
		d, ok := ParseDetector(id)
		if !ok {
			t.Fatalf("corpus names unknown detector %q", id)
		}
		c[d] = n
	}
	return c
}

func TestCorpusRenderings(t *testing.T) {
	e := newTestEngine(t)
	for _, doc := range corpus.Renderings(corpus.Records(42, 1000)) {
		t.Run(doc.Name, func(t *testing.T) {
			want := wantCounts(t, doc.Want)
			if got := scanAll(e, doc.Data); got != want {
				t.Errorf("counts:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestCorpusNegatives(t *testing.T) {
	e := newTestEngine(t)
	docs := corpus.Negatives(7, 2000)
	docs = append(docs, corpus.CleanWeb(7, 1<<20), corpus.Binary(7, 1<<20))
	for _, doc := range docs {
		t.Run(doc.Name, func(t *testing.T) {
			if got := scanAll(e, doc.Data); got != ([NumDetectors]int{}) {
				t.Errorf("negative corpus: got %v, want all zero", got)
			}
		})
	}
}

func TestCorpusChunkSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	docs := corpus.Renderings(corpus.Records(3, 60))
	docs = append(docs, corpus.Negatives(3, 100)...)
	for _, doc := range docs {
		body := doc.Data
		want := scanAll(e, body)
		for _, size := range []int{1, 5, holdback - 1, holdback, 4093} {
			var cuts []int
			for c := size; c < len(body); c += size {
				cuts = append(cuts, c)
			}
			if got := splitScan(e, body, cuts); got != want {
				t.Errorf("%s at chunk size %d: got %v, want %v", doc.Name, size, got, want)
			}
		}
	}
}
