package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dlpproxy/dlpproxy/internal/config"
)

// runPasswd runs "dlpproxy passwd [--iterations N] NAME": it reads a
// password (twice, without echo, from a terminal; else the first line of
// stdin) and prints the config users entry holding its PBKDF2 hash.
func runPasswd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	iterations := fl.Int("iterations", config.DefaultIterations, "PBKDF2-SHA256 iterations (at least 1000)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: dlpproxy passwd [--iterations N] NAME  (password from the terminal or the first line of stdin)")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return exitUsage
	}
	if fl.NArg() != 1 || *iterations < 1000 {
		fl.Usage()
		return exitUsage
	}
	name := fl.Arg(0)
	if name == "" || strings.ContainsAny(name, ":\r\n") {
		fmt.Fprintln(stderr, "dlpproxy: passwd: the user name must be non-empty and hold no ':' or line break")
		return exitUsage
	}
	password, err := readPassword(stdin, stderr, name)
	if err != nil {
		fmt.Fprintf(stderr, "dlpproxy: passwd: %v\n", err)
		return exitError
	}
	hash, err := config.HashPassword(password, *iterations)
	if err != nil {
		fmt.Fprintf(stderr, "dlpproxy: passwd: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "# add under users: in the serve configuration\n- name: %q\n  password: %q\n", name, hash)
	return exitOK
}

// readPassword prompts twice without echo when stdin is a terminal, and
// otherwise reads the first line of stdin.
func readPassword(stdin io.Reader, prompt io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(prompt, "password for %s: ", name)
		first, err := readNoEcho(f)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "again: ")
		second, err := readNoEcho(f)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if first != second {
			return "", errors.New("the passwords differ")
		}
		return nonEmpty(first)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return nonEmpty(strings.TrimRight(line, "\r\n"))
}

func nonEmpty(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password")
	}
	return password, nil
}

// readLine reads one line from f byte by byte (no buffering past the line,
// so a second prompt reads the next line).
func readLine(f *os.File) (string, error) {
	var b strings.Builder
	var one [1]byte
	for {
		n, err := f.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return strings.TrimRight(b.String(), "\r"), nil
			}
			b.WriteByte(one[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && b.Len() > 0 {
				return b.String(), nil
			}
			return "", err
		}
	}
}
