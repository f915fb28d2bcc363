package main

import (
	"fmt"
	"io"
)

// runCA is a placeholder until the subcommand lands.
func runCA(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dlpproxy: ca: not implemented yet")
	return exitError
}
