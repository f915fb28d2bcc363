package main

import (
	"fmt"
	"io"
)

// runServe is a placeholder until the subcommand lands.
func runServe(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dlpproxy: serve: not implemented yet")
	return exitError
}
