package inspect

import (
	"regexp"
	"testing"

	"github.com/cloudflare/ahocorasick"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// benchChunk is the chunk size the proxy feeds the scanner.
const benchChunk = 32 << 10

// benchCorpora builds the three benchmark bodies (8 MiB each) with the
// project's corpus generator: clean web traffic (HTML, JS, JSON; Chinese and
// ASCII; many numbers, no PI), PI-dense CSV and binary bytes.
func benchCorpora() map[string][]byte {
	const size = 8 << 20
	return map[string][]byte{
		"clean":  corpus.CleanWeb(1, size).Data,
		"pi_csv": corpus.PIDenseCSV(1, size).Data,
		"binary": corpus.Binary(1, size).Data,
	}
}

var corpora = benchCorpora()

// BenchmarkScan is the engine: every detector, 32 KiB chunks.
func BenchmarkScan(b *testing.B) {
	e := newTestEngine(b)
	for _, name := range []string{"clean", "pi_csv", "binary"} {
		body := corpora[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			s := e.NewScanner()
			defer s.Release()
			for b.Loop() {
				s.Reset()
				for off := 0; off < len(body); off += benchChunk {
					s.Write(body[off:min(off+benchChunk, len(body))])
				}
				s.Close()
			}
		})
	}
}

// BenchmarkBaselineAhoCorasick is a bare cloudflare/ahocorasick Match pass
// over the same bytes with every label form: the floor the engine is held to.
func BenchmarkBaselineAhoCorasick(b *testing.B) {
	m := ahocorasick.NewStringMatcher(LabelForms())
	for _, name := range []string{"clean", "pi_csv", "binary"} {
		body := corpora[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				for off := 0; off < len(body); off += benchChunk {
					m.Match(body[off:min(off+benchChunk, len(body))])
				}
			}
		})
	}
}

// BenchmarkBaselineRegexp is the naive approach: one regexp over the body.
func BenchmarkBaselineRegexp(b *testing.B) {
	re := regexp.MustCompile(`\d{17}[\dXx]|1[3-9]\d{9}`)
	for _, name := range []string{"clean", "pi_csv", "binary"} {
		body := corpora[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				for off := 0; off < len(body); off += benchChunk {
					re.FindAllIndex(body[off:min(off+benchChunk, len(body))], -1)
				}
			}
		})
	}
}

func TestBenchCorporaCounts(t *testing.T) {
	e := newTestEngine(t)
	for _, name := range []string{"clean", "binary"} {
		if got := scanAll(e, corpora[name]); got != ([NumDetectors]int{}) {
			t.Errorf("%s corpus: found %v, want nothing", name, got)
		}
	}
	want := wantCounts(t, corpus.PIDenseCSV(1, 8<<20).Want)
	if got := scanAll(e, corpora["pi_csv"]); got != want {
		t.Errorf("pi corpus: got %v, want %v", got, want)
	}
}
