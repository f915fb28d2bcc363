// Command engine measures the inspection engine's throughput on one core
// against two baselines over the same bytes, in one run, so the ratios hold
// across machines: a bare cloudflare/ahocorasick Match pass with the
// engine's label dictionary, and the naive Go regexp
// `\d{17}[\dXx]|1[3-9]\d{9}`.
//
// Each measurement is the thread CPU time of one pass over a corpus in
// 32 KiB chunks (the proxy's read size), with the goroutine locked to its
// thread; the engine and Aho-Corasick passes take turns, and the table
// reports the median of -runs passes of each and ratios of medians. CPU time rather than wall time keeps the figures steady on a
// shared machine.
//
// With -cpuprofile the engine passes (not the baselines, not the corpus
// generation) are profiled into the given file, for go tool pprof.
//
//	go run ./bench/engine [-size 8MiB] [-runs 7] [-md] [-corpus name] [-cpuprofile file]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudflare/ahocorasick"
	"golang.org/x/sys/unix"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

const chunk = 32 << 10

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("engine", flag.ContinueOnError)
	sizeMiB := fs.Int("size", 8, "corpus size in MiB")
	runs := fs.Int("runs", 7, "passes per measurement; the median is reported")
	md := fs.Bool("md", false, "print a Markdown table")
	skipRegexp := fs.Bool("no-regexp", false, "skip the (slow) regexp baseline")
	only := fs.String("corpus", "", "measure only the corpora whose name contains this")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the engine passes to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	size := *sizeMiB << 20
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// The automaton first: where its 18 MB trie lands in the heap moves its
	// speed by up to a quarter, so it should not depend on the engine's size.
	matcher := ahocorasick.NewStringMatcher(inspect.LabelForms())
	engine, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		return fmt.Errorf("build engine: %w", err)
	}
	re := regexp.MustCompile(`\d{17}[\dXx]|1[3-9]\d{9}`)
	corpora := []struct {
		name string
		data []byte
	}{
		{"clean web API (HTML, JS, JSON; 28% digits; no PI)", corpus.CleanWeb(1, size).Data},
		{"clean web pages (Chinese and English prose; no PI)", pages(size)},
		{"PI-dense CSV", corpus.PIDenseCSV(1, size).Data},
		{"binary", corpus.Binary(1, size).Data},
		{"clean LLM chat requests (prose and code in JSON strings; no PI)", corpus.ChatRequests(1, size).Data},
	}

	// Generating the corpora leaves garbage whose collection would run on
	// the other core during the first measurements, and the first passes
	// fault in the scanner's buffers and sets: collect now, and give each
	// corpus one untimed round (below).
	runtime.GC()

	prof, err := newProfiler(*profile)
	if err != nil {
		return err
	}
	defer prof.close()

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	if *md {
		fmt.Fprintln(out, "| corpus | engine MB/s | Aho-Corasick MB/s | regexp MB/s | engine / AC | engine / regexp |")
		fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: |")
	} else {
		fmt.Fprintln(tw, "corpus\tengine MB/s\tAC MB/s\tregexp MB/s\tengine/AC\tengine/regexp\t")
	}
	for _, c := range corpora {
		if !strings.Contains(c.name, *only) {
			continue
		}
		s := engine.NewScanner()
		passes := []func(){func() {
			prof.resume()
			s.Reset()
			for off := 0; off < len(c.data); off += chunk {
				s.Write(c.data[off:min(off+chunk, len(c.data))])
			}
			s.Close()
			prof.pause()
		}, func() {
			for off := 0; off < len(c.data); off += chunk {
				matcher.Match(c.data[off:min(off+chunk, len(c.data))])
			}
		}}
		interleaved(1, len(c.data), passes...) // warm-up, not reported
		rates := interleaved(*runs, len(c.data), passes...)
		s.Release()
		eng, ac := rates[0], rates[1]
		rx := 0.0
		if !*skipRegexp {
			rx = median(max(1, *runs/3), len(c.data), func() {
				for off := 0; off < len(c.data); off += chunk {
					re.FindAllIndex(c.data[off:min(off+chunk, len(c.data))], -1)
				}
			})
		}
		if *md {
			fmt.Fprintf(out, "| %s | %.0f | %.0f | %.1f | %.2f | %.0f |\n", c.name, eng, ac, rx, eng/ac, eng/rx)
		} else {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.1f\t%.2f\t%.0f\t\n", c.name, eng, ac, rx, eng/ac, eng/rx)
		}
	}
	return tw.Flush()
}

// profiler collects one CPU profile over the engine passes only. Go has
// one profile per process, so it is started once and its samples are kept
// only while resumed (pprof labels mark the engine passes; the rest is
// filtered out with -tagfocus=pass=engine).
type profiler struct {
	f   *os.File
	ctx context.Context
}

func newProfiler(path string) (*profiler, error) {
	if path == "" {
		return &profiler{}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return &profiler{f: f, ctx: context.Background()}, nil
}

func (p *profiler) resume() {
	if p.f != nil {
		pprof.SetGoroutineLabels(pprof.WithLabels(p.ctx, pprof.Labels("pass", "engine")))
	}
}

func (p *profiler) pause() {
	if p.f != nil {
		pprof.SetGoroutineLabels(p.ctx)
	}
}

func (p *profiler) close() {
	if p.f != nil {
		pprof.StopCPUProfile()
		p.f.Close()
	}
}

// pages returns size bytes of Chinese and English web pages.
func pages(size int) []byte {
	var out []byte
	for seed := uint64(1); len(out) < size; seed++ {
		out = append(out, corpus.NegChinesePage(seed, 200).Data...)
		out = append(out, corpus.NegEnglishPage(seed, 200).Data...)
	}
	return out[:size]
}

// median runs f n times and returns the median throughput in MB/s of
// bytes processed per thread CPU second.
func median(n, bytes int, f func()) float64 {
	return interleaved(n, bytes, f)[0]
}

// interleaved runs each of fs n times, taking turns (f0, f1, f0, f1 ...) so
// that a busy spell of the machine slows all of them alike, and returns the
// median throughput of each in MB/s of bytes processed per thread CPU
// second.
func interleaved(n, bytes int, fs ...func()) []float64 {
	rates := make([][]float64, len(fs))
	for range n {
		for k, f := range fs {
			t0 := threadCPU()
			f()
			rates[k] = append(rates[k], float64(bytes)/(threadCPU()-t0).Seconds()/1e6)
		}
	}
	medians := make([]float64, len(fs))
	for k, r := range rates {
		slices.Sort(r)
		medians[k] = r[n/2]
	}
	return medians
}

// threadCPU returns the CPU time the calling thread has used, with
// nanosecond resolution (getrusage counts in scheduler ticks).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
