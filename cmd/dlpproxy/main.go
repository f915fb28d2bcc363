// Command dlpproxy is a streaming data-loss-prevention forward proxy that
// stops bulk leaks of Chinese citizens' personal information.
//
// Usage:
//
//	dlpproxy serve [flags]          run the proxy
//	dlpproxy scan [--json] FILE...  inspect files offline
//	dlpproxy passwd NAME            hash a proxy user's password
//	dlpproxy ca init --dir DIR      create the interception CA
//	dlpproxy policy check FILE      validate a policy file
//	dlpproxy passwd NAME            hash a proxy user's password for the config
//	dlpproxy version                print the version
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0 // success; for scan: nothing would be blocked
	exitError   = 1 // the command failed (bad input, I/O, startup)
	exitUsage   = 2 // bad command line
	exitBlocked = 3 // scan: the policy would block at least one input
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "scan":
		return runScan(args[1:], stdin, stdout, stderr)
	case "ca":
		return runCA(args[1:], stdout, stderr)
	case "policy":
		return runPolicy(args[1:], stdout, stderr)
	case "passwd":
		return runPasswd(args[1:], stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "dlpproxy %s\n", version)
		return exitOK
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "dlpproxy: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: dlpproxy <command> [flags]

commands:
  serve                      run the proxy (embedded default config and policy if no --config)
  scan [--json] [--policy F] [--jobs N] [--found-only] FILE|DIR... | -
                             inspect files offline with the same engine (exit 3: the policy would block)
  ca init --dir DIR          create the company interception CA (key written 0600)
  policy check FILE          validate a policy file; errors name file, line and field
  passwd [--iterations N] NAME
                             hash a proxy user's password (terminal or first stdin line) for users:
  version                    print the version

Run 'dlpproxy <command> -h' for the flags of a command.
`)
}
