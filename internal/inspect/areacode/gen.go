//go:build ignore

// Command gen regenerates table.go from data/result.csv:
//
//	go generate ./internal/inspect/areacode
package main

import (
	"fmt"
	"os"

	"github.com/dlpproxy/dlpproxy/internal/inspect/areacode/internal/gen"
)

func main() {
	if err := run("data/result.csv", "table.go"); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("open table: %w", err)
	}
	defer f.Close()
	src, err := gen.Generate(f)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
