package deploycheck

import (
	"regexp"
	"slices"
	"strings"
)

// identifier matches a PromQL metric or label name, recording-rule colons
// included.
var identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// MetricNames returns the sorted, distinct metric names in a PromQL
// expression that belong to dlpproxy's registry: names starting with one of
// prefixes (e.g. "dlp_", "go_", "process_") or recording-rule names
// ("dlp:..."). It is a careful lexical scan, not a parser: quoted strings,
// label matchers inside {...} and Grafana variables ($x, ${x}, [[x]]) are
// skipped, and an identifier counts only when it is not a label name
// (followed by =, !=, =~, !~) or a grouping label (inside by/without (...)).
func MetricNames(expr string, prefixes ...string) []string {
	code := blankStrings(expr)
	var names []string
	for _, loc := range identifier.FindAllStringIndex(code, -1) {
		start, end := loc[0], loc[1]
		if notAName(code, start) {
			continue
		}
		if inBraces(code, start) || inGrouping(code, start) {
			continue
		}
		name := code[start:end]
		if !strings.Contains(name, ":") && !hasAnyPrefix(name, prefixes) {
			continue
		}
		if strings.Contains(name, ":") && !strings.HasPrefix(name, "dlp:") {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// blankStrings replaces the contents of quoted strings ("...", '...',
// `...`) with spaces, keeping every offset.
func blankStrings(s string) string {
	b := []byte(s)
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote == 0 && (c == '"' || c == '\'' || c == '`'):
			quote = c
		case quote != 0 && c == '\\' && quote != '`' && i+1 < len(b):
			b[i], b[i+1] = ' ', ' '
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b[i] = ' '
		}
	}
	return string(b)
}

// notAName reports whether the identifier at offset i is a Grafana variable
// ($var, ${var}, [[var]]) or the tail of a number or duration (1e5, 5m).
func notAName(s string, i int) bool {
	if i == 0 {
		return false
	}
	c := s[i-1]
	return c == '$' || c == '[' || c == '.' || c >= '0' && c <= '9' ||
		c == '{' && i >= 2 && s[i-2] == '$'
}

// inBraces reports whether offset i lies inside a {...} label matcher list.
func inBraces(s string, i int) bool {
	open := strings.LastIndexByte(s[:i], '{')
	return open >= 0 && open > strings.LastIndexByte(s[:i], '}') && !strings.HasSuffix(s[:open], "$")
}

// inGrouping reports whether offset i lies inside the label list of a
// by (...), without (...), on (...), ignoring (...), group_left (...) or
// group_right (...) clause.
func inGrouping(s string, i int) bool {
	open := strings.LastIndexByte(s[:i], '(')
	if open < 0 || strings.LastIndexByte(s[:i], ')') > open {
		return false
	}
	before := strings.TrimRight(s[:open], " \t\n")
	for _, kw := range []string{"by", "without", "on", "ignoring", "group_left", "group_right"} {
		if strings.HasSuffix(before, kw) {
			k := len(before) - len(kw)
			if k == 0 || !isIdentByte(before[k-1]) {
				return true
			}
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
