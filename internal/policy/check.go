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
	fmt.Fprintf(out, "%s: OK: version %s, %s, %s, sha256 %s\n", path, s.Version(), count(len(s.rules), "rule"), count(len(warns), "warning"), s.SHA256())
	return nil
}

// count writes n things: "1 rule", "3 rules".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
