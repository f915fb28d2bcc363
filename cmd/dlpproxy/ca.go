package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/dlpproxy/dlpproxy/internal/ca"
)

// runCA runs "dlpproxy ca init --dir DIR": it writes a new interception CA
// (ca.crt 0644, ca.key 0600) and prints how to install the certificate.
func runCA(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(stderr, "usage: dlpproxy ca init --dir DIR")
		return exitUsage
	}
	fl := flag.NewFlagSet("ca init", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("dir", "", "directory for ca.crt and ca.key (created 0700 if missing)")
	if err := fl.Parse(args[1:]); err != nil || *dir == "" || fl.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: dlpproxy ca init --dir DIR")
		return exitUsage
	}
	c, err := ca.Init(*dir)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(stderr, "dlpproxy: %v (a CA already exists; remove it first to replace it)\n", err)
		} else {
			fmt.Fprintf(stderr, "dlpproxy: %v\n", err)
		}
		return exitError
	}
	certPath := filepath.Join(*dir, "ca.crt")
	fmt.Fprintf(stdout, "created %s (fingerprint %s)\n\n", certPath, c.Fingerprint())
	fmt.Fprint(stdout, ca.InstallInstructions(certPath))
	return exitOK
}
