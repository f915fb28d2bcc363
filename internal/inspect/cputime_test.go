package inspect

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/cloudflare/ahocorasick"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTimeRatio(t *testing.T) {
	if testing.Short() || true {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	e := newTestEngine(t)
	var dict []string
	for _, words := range keywords {
		dict = append(dict, keywordForms(words)...)
	}
	m := ahocorasick.NewStringMatcher(dict)
	s := e.NewScanner()
	for _, name := range []string{"clean", "pi_csv", "binary"} {
		body := corpora[name]
		measure := func(f func()) float64 {
			best := time.Hour
			for range 5 {
				t0 := threadCPU()
				f()
				best = min(best, threadCPU()-t0)
			}
			return float64(len(body)) / best.Seconds() / 1e6
		}
		eng := measure(func() {
			s.Reset()
			for off := 0; off < len(body); off += benchChunk {
				s.Write(body[off:min(off+benchChunk, len(body))])
			}
			s.Close()
		})
		ac := measure(func() {
			for off := 0; off < len(body); off += benchChunk {
				m.Match(body[off:min(off+benchChunk, len(body))])
			}
		})
		t.Logf("%s: engine %.0f MB/s, AC %.0f MB/s, ratio %.2f", name, eng, ac, eng/ac)
	}
}
