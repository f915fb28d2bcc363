package main

import (
	"fmt"
	"io"
)

// runPolicy is a placeholder until the subcommand lands.
func runPolicy(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "dlpproxy: policy: not implemented yet")
	return exitError
}
