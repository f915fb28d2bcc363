// Package yamlpos names the line of a YAML syntax error, for messages
// that say where to fix a file. yaml.v3 reports its parser's errors (a
// bracket left open, a key indented wrongly) at the line, counted from 0,
// before the collection around the problem; its scanner's errors (a tab in
// the indentation) at the line itself.
package yamlpos

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlLine finds the line number in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// SyntaxError returns the line (from 1) to fix for a yaml.v3 syntax error
// err on data, and its message without the "yaml: line N: " prefix; ok is
// false for an error that names no line (type errors carry their own).
func SyntaxError(data []byte, err error) (line int, msg string, ok bool) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, "", false
	}
	line, _ = strconv.Atoi(m[1])
	msg = strings.TrimPrefix(err.Error(), m[0])
	switch parserProblems[msg] {
	case openedAt:
		line = min(line, lastLine(data)) + 1
	case foundAt:
		line = problemLine(data, err.Error(), line)
	}
	return line, msg, true
}

// A parserProblem says which line to name for one of yaml.v3's parser
// errors. yaml.v3 reports them at the line, counted from 0, where the
// collection around the problem starts (or of the problem when there is
// none): "line 3" for a bracket left open on line 4, "line 2" for a key
// indented wrongly on line 5 of a list that starts on line 3.
type parserProblem uint8

const (
	// openedAt: the collection's first line, where its bracket is left
	// open.
	openedAt parserProblem = iota + 1
	// foundAt: the line that breaks the collection, searched for.
	foundAt
)

// parserProblems are the messages of yaml.v3's parser (not its scanner).
var parserProblems = map[string]parserProblem{
	"did not find expected ',' or ']'":       openedAt,
	"did not find expected ',' or '}'":       openedAt,
	"did not find expected '-' indicator":    foundAt,
	"did not find expected <document start>": foundAt,
	"did not find expected key":              foundAt,
	"did not find expected node content":     foundAt,
	"found undefined tag handle":             foundAt,
}

// lastLine returns the number, counted from 0, of the last line of data:
// at the end of data yaml.v3 may name the line after it.
func lastLine(data []byte) int {
	return bytes.Count(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// problemLine returns the line (from 1) of a yaml.v3 parser error with
// message msg on the whole of data, reported at line reported: the first
// line whose end makes the document fail with the same message at the same
// reported line. The search starts at the collection's first line, after
// the one reported, and tries maxProblemLines lines at most; past them,
// the collection's first line is the answer.
func problemLine(data []byte, msg string, reported int) int {
	const maxProblemLines = 200
	reported = min(reported, lastLine(data))
	end := 0
	for range reported { // skip to the end of line reported
		end += bytes.IndexByte(data[end:], '\n') + 1
	}
	for line := reported + 1; end < len(data) && line <= reported+maxProblemLines; line++ {
		if k := bytes.IndexByte(data[end:], '\n'); k >= 0 {
			end += k + 1
		} else {
			end = len(data)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(data[:end], &n); err != nil && err.Error() == msg {
			return line
		}
	}
	return reported + 1
}
