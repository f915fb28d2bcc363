package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// scanResult is what scan reports for one input; it is also the --json form.
type scanResult struct {
	Source  string              `json:"source"`
	Bytes   int64               `json:"bytes"`
	Counts  map[string]int      `json:"counts"`
	Samples map[string][]string `json:"samples,omitempty"`
	Error   string              `json:"error,omitempty"`
}

// runScan implements `dlpproxy scan [--json] FILE... | -`.
func runScan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per input instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dlpproxy scan [--json] FILE... | -")
		fmt.Fprintln(stderr, "Inspects files (or standard input, '-') with the proxy's engine and reports")
		fmt.Fprintln(stderr, "distinct values per detector with masked samples. Exit status: 0 scanned,")
		fmt.Fprintln(stderr, "1 an input could not be read, 2 usage error.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	engine, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		fmt.Fprintf(stderr, "dlpproxy scan: %v\n", err)
		return exitError
	}
	code := exitOK
	enc := json.NewEncoder(stdout)
	for _, name := range fs.Args() {
		res := scanSource(engine, name, stdin)
		if res.Error != "" {
			fmt.Fprintf(stderr, "dlpproxy scan: %s: %s\n", res.Source, res.Error)
			code = exitError
		}
		if *asJSON {
			if err := enc.Encode(res); err != nil {
				fmt.Fprintf(stderr, "dlpproxy scan: write output: %v\n", err)
				return exitError
			}
			continue
		}
		if res.Error == "" {
			printTable(stdout, res)
		}
	}
	return code
}

// scanSource streams one input through a scanner; memory stays flat
// whatever the input size.
func scanSource(engine *inspect.Engine, name string, stdin io.Reader) scanResult {
	res := scanResult{Source: name, Counts: map[string]int{}}
	var r io.Reader = stdin
	if name == "-" {
		res.Source = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			res.Error = openError(err)
			return res
		}
		defer f.Close()
		r = f
	}
	s := engine.NewScanner()
	defer s.Release()
	if _, err := io.CopyBuffer(s, r, make([]byte, 256<<10)); err != nil {
		res.Error = fmt.Sprintf("read: %v", err)
		return res
	}
	s.Close()
	t := s.Tally()
	res.Bytes = t.Bytes
	for _, d := range inspect.AllDetectors() {
		if t.Counts[d] == 0 {
			continue
		}
		res.Counts[d.String()] = t.Counts[d]
		if res.Samples == nil {
			res.Samples = map[string][]string{}
		}
		res.Samples[d.String()] = t.Samples(d)
	}
	return res
}

// openError explains a failed open without Go's *PathError wrapping.
func openError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// printTable writes the human form of one result.
func printTable(w io.Writer, res scanResult) {
	fmt.Fprintf(w, "%s (%s)\n", res.Source, humanBytes(res.Bytes))
	if len(res.Counts) == 0 {
		fmt.Fprintln(w, "  no personal information found")
		fmt.Fprintln(w)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DETECTOR\tDISTINCT\tSAMPLES (masked)")
	for _, d := range inspect.AllDetectors() {
		n, ok := res.Counts[d.String()]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", d, n, strings.Join(res.Samples[d.String()], ", "))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// humanBytes renders a size such as 1.5 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
