package decode

import (
	"bytes"
	"github.com/klauspost/compress/gzip"
	"io"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// BenchmarkGzip compares NewEnforcingReader, with all detectors and with
// none (the reader's own cost), against plain gzip decoding of the same
// 8 MiB of text; bytes per op are the decoded size.
func BenchmarkGzip(b *testing.B) {
	plain := piText(8 << 20)
	orig := encode(b, testCodecs[1], plain)
	buf := make([]byte, 32<<10)
	b.Run("plain-gunzip", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			zr, err := gzip.NewReader(bytes.NewReader(orig))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, zr, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	noDetectors, err := inspect.NewEngine(inspect.Config{Detectors: []inspect.Detector{}})
	if err != nil {
		b.Fatal(err)
	}
	engines := []struct {
		name string
		s    *inspect.Scanner
	}{{"enforcing-reader", newScanner(b)}, {"enforcing-reader-no-detectors", noDetectors.NewScanner()}}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				eng.s.Reset()
				er := NewEnforcingReader(bytes.NewReader(orig), []string{Gzip}, eng.s, allow, (&reasons{}).hook, Limits{})
				if _, err := io.CopyBuffer(io.Discard, er, buf); err != nil {
					b.Fatal(err)
				}
				_ = er.Close()
			}
		})
	}
}
