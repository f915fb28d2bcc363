// Command gencorpus writes the synthetic corpora of internal/corpus to a
// directory, for the benchmarks and for dlpproxy scan demos:
//
//	go run ./bench/gencorpus -out DIR -size 8MiB
//
// It writes clean.html, pi.csv and binary.bin of the given size; the 1,000-row
// customer renderings (customers.csv, customers_en.csv, customers.json,
// customers_escaped.json, customers.txt, grouped.txt, fullwidth.txt, form.txt,
// entities.html); the negative corpora (neg_*); and expected.json, which maps
// every file to its distinct count per detector id.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

// run parses args, generates the corpora and writes them, reporting each file
// on stdout.
func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gencorpus", flag.ContinueOnError)
	out := fs.String("out", "", "output directory (created if missing)")
	sizeFlag := fs.String("size", "8MiB", "size of clean.html, pi.csv and binary.bin")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same bytes")
	rows := fs.Int("rows", 1000, "records in the customer renderings")
	neg := fs.Int("neg", 1000, "lines in each negative corpus")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: gencorpus -out DIR [-size 8MiB] [-seed N] [-rows N] [-neg N]")
	}
	if *rows < 0 || *neg < 0 {
		return fmt.Errorf("-rows and -neg must not be negative")
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}

	docs := []corpus.Doc{
		corpus.CleanWeb(*seed, size),
		corpus.PIDenseCSV(*seed, size),
		corpus.Binary(*seed, size),
		corpus.ChatRequests(*seed, size),
	}
	docs = append(docs, corpus.Renderings(corpus.Records(*seed, *rows))...)
	docs = append(docs, corpus.Negatives(*seed, *neg)...)

	want := make(map[string]corpus.Expected, len(docs))
	for _, d := range docs {
		if err := os.WriteFile(filepath.Join(*out, d.Name), d.Data, 0o644); err != nil {
			return fmt.Errorf("write corpus: %w", err)
		}
		want[d.Name] = d.Want
		fmt.Fprintf(stdout, "%-24s %10d bytes %7d values\n", d.Name, len(d.Data), d.Want.Total())
	}
	manifest, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		return fmt.Errorf("encode expected counts: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(manifest, '\n'), 0o644); err != nil {
		return fmt.Errorf("write expected counts: %w", err)
	}
	return nil
}
