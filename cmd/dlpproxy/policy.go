package main

import (
	"fmt"
	"io"

	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// runPolicy runs "dlpproxy policy check FILE": it compiles the file with
// the same policy.Compile serve uses, prints warnings and a summary, and
// exits 0 when the file is valid (warnings included) and 1 when it is not,
// each error naming file, line and field.
func runPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: dlpproxy policy check FILE")
		return exitUsage
	}
	if err := policy.Check(stdout, args[1]); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitError
	}
	return exitOK // warnings alone do not fail the check
}
