package inspect

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudflare/ahocorasick"
)

// benchChunk is the chunk size the proxy feeds the scanner.
const benchChunk = 32 << 10

// benchCorpora builds the three benchmark bodies (8 MiB each): clean web
// traffic, PI-dense CSV and compressed bytes.
func benchCorpora() map[string][]byte {
	const size = 8 << 20
	rng := rand.New(rand.NewPCG(7, 11))
	var clean bytes.Buffer
	for clean.Len() < size {
		fmt.Fprintf(&clean, `<div class="item" data-id="%d"><a href="/news/%d.html">新闻标题：城市发展报告第%d期</a><span class="price">¥%d.%02d</span><time>2024-%02d-%02d</time></div>`+"\n",
			rng.IntN(1e6), rng.IntN(1e9), rng.IntN(100), rng.IntN(10000), rng.IntN(100), rng.IntN(12)+1, rng.IntN(28)+1)
		fmt.Fprintf(&clean, `{"id":%d,"name":"product-%d","tags":["a","b"],"stock":%d,"updated":"2024-03-%02dT10:%02d:00Z","sha":"%016x"}`+"\n",
			rng.IntN(1e7), rng.IntN(1e5), rng.IntN(500), rng.IntN(28)+1, rng.IntN(60), rng.Uint64())
		clean.WriteString("function render(items){for(var i=0;i<items.length;i++){var el=document.createElement('li');el.textContent=items[i].title;list.appendChild(el);}}\n")
		clean.WriteString("<p>今天的天气很好，我们一起去公园散步。会议将于下午三点在二号会议室举行，请各位准时参加。The quarterly report shows revenue grew 12.5% year over year.</p>\n")
	}
	var csv bytes.Buffer
	csv.WriteString("姓名,身份证号,手机号,银行卡号,邮箱,住址\n")
	for i := 0; csv.Len() < size; i++ {
		fmt.Fprintf(&csv, "王%s,%s,1%d%08d,%s,user%d@example.com,北京市朝阳区建国路%d号\n",
			[]string{"伟", "芳", "小明", "丽"}[i%4], benchID(rng), []int{38, 39, 58, 86}[i%4], rng.IntN(1e8), benchCard(rng), i, i%999+1)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for gz.Len() < size {
		zw.Write(clean.Bytes()[:1<<20])
		zw.Write([]byte(fmt.Sprint(rng.Uint64())))
	}
	zw.Close()
	return map[string][]byte{"clean": clean.Bytes()[:size], "pi_csv": csv.Bytes()[:size], "binary": gz.Bytes()[:size]}
}

func benchID(rng *rand.Rand) string {
	d := []byte(fmt.Sprintf("110105%04d%02d%02d%03d", 1950+rng.IntN(50), rng.IntN(12)+1, rng.IntN(28)+1, rng.IntN(1000)))
	return string(append(d, idCheck(d)))
}

func benchCard(rng *rand.Rand) string {
	d := []byte(fmt.Sprintf("622202%012d", rng.Int64N(1e12)))
	for c := byte('0'); c <= '9'; c++ {
		if luhnValid(append(d, c)) {
			return string(append(d, c))
		}
	}
	return ""
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
	var dict []string
	for _, words := range keywords {
		dict = append(dict, keywordForms(words)...)
	}
	m := ahocorasick.NewStringMatcher(dict)
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
	if got := scanAll(e, corpora["clean"]); got != ([NumDetectors]int{}) {
		t.Errorf("clean corpus: found %v, want nothing", got)
	}
	rows := strings.Count(string(corpora["pi_csv"]), "\n") - 1
	got := scanAll(e, corpora["pi_csv"])
	if got[ResidentID] < rows/2 || got[Email] < rows-1 {
		t.Errorf("pi corpus of %d rows: got %v", rows, got)
	}
}
