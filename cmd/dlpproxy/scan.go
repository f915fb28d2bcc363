package main

import (
	"fmt"
	"io"
)

// runScan is a placeholder until the scan subcommand lands.
func runScan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dlpproxy: scan: not implemented yet")
	return exitError
}
