package inspect

import (
	"regexp"
	"sync"
	"testing"

	"github.com/cloudflare/ahocorasick"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// benchChunk is the chunk size the proxy feeds the scanner.
const benchChunk = 32 << 10

// benchCorpora builds the benchmark bodies (8 MiB each) with the project's
// corpus generator: clean web traffic (HTML, JS, JSON; Chinese and ASCII;
// many numbers, no PI), PI-dense CSV, binary bytes and LLM chat requests
// (prose and code in JSON strings, an escaped line break every few dozen
// bytes; no PI).
func benchCorpora() map[string][]byte {
	const size = 8 << 20
	return map[string][]byte{
		"clean":  corpus.CleanWeb(1, size).Data,
		"pi_csv": corpus.PIDenseCSV(1, size).Data,
		"binary": corpus.Binary(1, size).Data,
		"chat":   corpus.ChatRequests(1, size).Data,
	}
}

// corpora builds the benchmark bodies once, on first use.
var corpora = sync.OnceValue(benchCorpora)

// benchEach runs pass over every corpus in 32 KiB chunks (the proxy's read
// size) as one sub-benchmark per corpus.
func benchEach(b *testing.B, pass func(chunk []byte), reset func()) {
	for _, name := range []string{"clean", "pi_csv", "binary", "chat"} {
		body := corpora()[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				reset()
				for off := 0; off < len(body); off += benchChunk {
					pass(body[off:min(off+benchChunk, len(body))])
				}
			}
		})
	}
}

// BenchmarkScan is the engine: every detector, 32 KiB chunks.
func BenchmarkScan(b *testing.B) {
	s := newTestEngine(b).NewScanner()
	defer s.Release()
	benchEach(b, func(chunk []byte) { s.Write(chunk) }, func() { s.Close(); s.Reset() })
}

// BenchmarkBaselineAhoCorasick is a bare cloudflare/ahocorasick Match pass
// over the same bytes with every label form: the floor the engine is held to.
func BenchmarkBaselineAhoCorasick(b *testing.B) {
	m := ahocorasick.NewStringMatcher(LabelForms())
	benchEach(b, func(chunk []byte) { m.Match(chunk) }, func() {})
}

// BenchmarkBaselineRegexp is the naive approach: one regexp over the body.
func BenchmarkBaselineRegexp(b *testing.B) {
	re := regexp.MustCompile(`\d{17}[\dXx]|1[3-9]\d{9}`)
	benchEach(b, func(chunk []byte) { re.FindAllIndex(chunk, -1) }, func() {})
}

func TestBenchCorporaCounts(t *testing.T) {
	e := newTestEngine(t)
	for _, name := range []string{"clean", "binary", "chat"} {
		if got := scanAll(e, corpora()[name]); got != ([NumDetectors]int{}) {
			t.Errorf("%s corpus: found %v, want nothing", name, got)
		}
	}
	want := wantCounts(t, corpus.PIDenseCSV(1, 8<<20).Want)
	if got := scanAll(e, corpora()["pi_csv"]); got != want {
		t.Errorf("pi corpus: got %v, want %v", got, want)
	}
}

// BenchmarkNewEngine is the cost of building an engine: once at startup
// (dlpproxy scan) and on every policy reload.
func BenchmarkNewEngine(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewEngine(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
