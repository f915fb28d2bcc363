package policy

import (
	"fmt"
	"io"
)

// Check compiles the policy file at path as "dlpproxy policy check" does:
// it writes each warning and, if the file is valid, a summary line to out,
// and returns the compile error (every problem, one per line) for the
// caller to print.
func Check(out io.Writer, path string) error {
	s, warns, err := Load(path)
	for _, wn := range warns {
		fmt.Fprintf(out, "warning: %s\n", wn)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: OK: version %s, %d rules, %d warnings, sha256 %s\n", path, s.Version(), len(s.rules), len(warns), s.SHA256())
	return nil
}
