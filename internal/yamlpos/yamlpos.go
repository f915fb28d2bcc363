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
	line, msg, ok = reported(err)
	if !ok {
		return 0, "", false
	}
	switch kind := problems[msg]; kind {
	case foundAt:
		line = problemLine(data, err.Error(), line)
	case openedAt, quoteOpenedAt:
		shifted, ok := reportedAfterEmptyLine(data, msg)
		switch {
		case ok && kind == openedAt:
			line = shifted // from 0 in the shifted data: from 1 in data
		case ok:
			line = shifted - 1
		case kind == openedAt:
			line = min(line, lastLine(data)) + 1
		}
	}
	return line, msg, true
}

// reported returns the line yaml.v3's error err names and its message
// without the "yaml: line N: " prefix; ok is false when it names no line.
func reported(err error) (line int, msg string, ok bool) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, "", false
	}
	line, _ = strconv.Atoi(m[1])
	return line, strings.TrimPrefix(err.Error(), m[0]), true
}

// reportedAfterEmptyLine returns the line yaml.v3 names for data parsed
// after an empty line, if it fails with message msg there too. yaml.v3
// names the line of an error's context (the collection or quoted scalar
// left open), except when the context is on the first line, which it
// counts as 0: then it names the line of the problem ('[' left open on
// line 1 and missed on line 2 said "line 1", as '[' left open on line 2
// does). After an empty line no context is on line 0.
func reportedAfterEmptyLine(data []byte, msg string) (int, bool) {
	var n yaml.Node
	err := yaml.Unmarshal(append([]byte{'\n'}, data...), &n)
	if err == nil {
		return 0, false
	}
	line, shiftedMsg, ok := reported(err)
	return line, ok && shiftedMsg == msg
}

// A problem says which line to name for one of yaml.v3's errors. yaml.v3
// reports its parser's errors at the line, counted from 0, where the
// collection around the problem starts (or of the problem when there is
// none, or when the collection starts on the first line): "line 3" for a
// bracket left open on line 4, "line 2" for a key indented wrongly on
// line 5 of a list that starts on line 3. Its scanner's errors are
// reported the same way counted from 1; the line named is right for them
// but for a quoted scalar left open on the first line.
type problem uint8

const (
	// openedAt: the collection's first line, where its bracket is left
	// open.
	openedAt problem = iota + 1
	// foundAt: the line that breaks the collection, searched for.
	foundAt
	// quoteOpenedAt: a scanner error: the line of the quote left open.
	quoteOpenedAt
)

// problems are the messages of yaml.v3's parser, and of its scanner when
// the line named may not be right.
var problems = map[string]problem{
	"did not find expected ',' or ']'":       openedAt,
	"did not find expected ',' or '}'":       openedAt,
	"did not find expected '-' indicator":    foundAt,
	"did not find expected <document start>": foundAt,
	"did not find expected key":              foundAt,
	"did not find expected node content":     foundAt,
	"found undefined tag handle":             foundAt,
	"found unexpected end of stream":         quoteOpenedAt,
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
// the one reported, and looks maxProblemLines lines on at most; past them,
// the collection's first line is the answer. A prefix that fails so stays
// failing with more lines (yaml.v3 reads in order), so the search is a
// bisection: its cost is some ten parses of data at most, where a parse
// per line made a 1 MB file with a key indented wrongly 200 lines into a
// list take 9 s.
func problemLine(data []byte, msg string, reported int) int {
	const maxProblemLines = 200
	reported = min(reported, lastLine(data))
	end := 0
	for range reported { // skip to the end of line reported
		end += bytes.IndexByte(data[end:], '\n') + 1
	}
	// ends[k]: the end of line reported+1+k.
	var ends []int
	for end < len(data) && len(ends) < maxProblemLines {
		if k := bytes.IndexByte(data[end:], '\n'); k >= 0 {
			end += k + 1
		} else {
			end = len(data)
		}
		ends = append(ends, end)
	}
	fails := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(data[:ends[k]], &n)
		return err != nil && err.Error() == msg
	}
	if len(ends) == 0 || !fails(len(ends)-1) {
		return reported + 1
	}
	lo, hi := 0, len(ends)-1 // the answer is in [lo, hi]: hi fails
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return reported + 1 + lo
}
