package policy

import (
	"fmt"
	"strings"
	"unicode"
)

// Error is one problem in a policy file, located at a line and column.
// Compile returns every Error it finds, joined with errors.Join; use
// errors.As to get the first, or unwrap the join to get them all.
type Error struct {
	File  string // file name as given to Compile
	Line  int    // 1-based line; 0 when unknown
	Col   int    // 1-based column; 0 when unknown
	Field string // dotted path of the field, e.g. "rules[2].when.any.bank_card"; empty for syntax errors
	Msg   string // what was found and what was expected; never a raw PI value
}

// Error renders the problem as "file:line:col: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Warning is a problem that does not stop a policy from compiling, such as
// a duplicate rule name or a rule that can never match.
type Warning struct {
	File    string // file name as given to Compile
	Line    int    // 1-based line of the rule or field
	Rule    string // rule name, or the field path for warnings outside rules
	Message string // never a raw PI value
}

// String renders the warning as "file:line (rule): message".
func (w Warning) String() string {
	return fmt.Sprintf("%s:%d (%s): %s", w.File, w.Line, w.Rule, w.Message)
}

// maxShown bounds how much of an offending value an error message repeats.
const maxShown = 40

// show quotes a value found in the file for an error message. Values that
// could be personal information (long digit runs, anything with an @) are
// replaced by their length, so a misplaced test ID never reaches a log.
func show(s string) string {
	if mayBePI(s) {
		return fmt.Sprintf("a value of %d characters (not shown)", len([]rune(s)))
	}
	if r := []rune(s); len(r) > maxShown {
		s = string(r[:maxShown]) + "..."
	}
	return fmt.Sprintf("%q", s)
}

// mayBePI reports whether s holds six or more digits in a run (single
// spaces and hyphens between digits do not end it: 138 1234 5678) or an @.
func mayBePI(s string) bool {
	run := 0
	var prev rune
	for _, r := range s {
		switch {
		case r == '@':
			return true
		case unicode.IsDigit(r):
			run++
			if run >= 6 {
				return true
			}
		case (r == ' ' || r == '-') && unicode.IsDigit(prev):
		default:
			run = 0
		}
		prev = r
	}
	return false
}
