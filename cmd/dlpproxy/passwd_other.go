//go:build !linux

package main

import "os"

// isTerminal reports false: on this system the password is read as the
// first line of stdin (pipe it in; an interactive terminal would echo it).
func isTerminal(*os.File) bool { return false }

// readNoEcho is not used where isTerminal is false.
func readNoEcho(f *os.File) (string, error) { return readLine(f) }
