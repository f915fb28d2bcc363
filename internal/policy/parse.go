package policy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dlpproxy/dlpproxy/internal/yamlpos"
)

// parser walks the yaml.Node tree of one policy file. Every problem it
// finds is collected with its position, so one run reports them all.
type parser struct {
	file  string
	errs  []error
	warns []Warning
}

// errorf records an Error at node n for the field at path.
func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{
		File:  p.file,
		Line:  n.Line,
		Col:   n.Column,
		Field: path,
		Msg:   fmt.Sprintf(format, args...),
	})
}

// warnf records a Warning at line for rule (or field) name.
func (p *parser) warnf(line int, name, format string, args ...any) {
	p.warns = append(p.warns, Warning{File: p.file, Line: line, Rule: name, Message: fmt.Sprintf(format, args...)})
}

// document parses data into its root mapping node, or records why it
// cannot. Positions of bytes yaml.v3 rejects without a line are found
// here first, so every syntax error carries a line.
func (p *parser) document(data []byte) *yaml.Node {
	if line, col, msg, ok := badByte(data); ok {
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Msg: msg})
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := &Error{File: p.file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		if line, msg, ok := yamlpos.SyntaxError(data, err); ok {
			e.Line, e.Msg = line, "invalid YAML: "+msg
		}
		p.errs = append(p.errs, e)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errs = append(p.errs, &Error{File: p.file, Line: 1, Col: 1, Msg: "found an empty file, expected a policy mapping"})
		return nil
	}
	p.noAnchors(&doc)
	return doc.Content[0]
}

// noAnchors reports every anchor (&name) under n: anchors and aliases are
// not supported (an alias is reported where a value is read), so a policy
// reads the same to anyone who reads it top to bottom.
func (p *parser) noAnchors(n *yaml.Node) {
	if n.Anchor != "" {
		p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Col: n.Column, Msg: "found an anchor (&" + n.Anchor + "), anchors and aliases are not supported"})
	}
	for _, c := range n.Content {
		p.noAnchors(c)
	}
}

// badByte locates the first byte that is not valid UTF-8 or is a control
// character YAML forbids.
func badByte(data []byte) (line, col int, msg string, ok bool) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			return line, col, fmt.Sprintf("found byte 0x%02x, expected UTF-8 text", data[0]), true
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return line, col, fmt.Sprintf("found control character %U, expected text", r), true
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		data = data[size:]
	}
	return 0, 0, "", false
}

// field joins a parent path and a key.
func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// item joins a list path and an index.
func item(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// found describes node n for a "found X, expected Y" message.
func found(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return show(n.Value)
	}
	return "an unexpected node"
}

// mapping checks that n is a mapping with distinct keys drawn from keys,
// and calls each for every known key in file order.
func (p *parser) mapping(n *yaml.Node, path string, keys []string, each func(key string, k, v *yaml.Node, path string)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "found %s, expected a mapping", found(n))
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "found %s as a key, expected a field name", found(k))
			continue
		}
		fp := field(path, k.Value)
		switch {
		case seen[k.Value]:
			p.errorf(k, fp, "found the field a second time, expected it once")
		case !slices.Contains(keys, k.Value):
			p.errorf(k, path, "found unknown field %s, expected one of %s", show(k.Value), strings.Join(keys, ", "))
		default:
			seen[k.Value] = true
			each(k.Value, k, v, fp)
		}
	}
}

// list checks that n is a list and calls each for every element.
func (p *parser) list(n *yaml.Node, path string, each func(i int, v *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "found %s, expected a list", found(n))
		return
	}
	for i, v := range n.Content {
		each(i, v, item(path, i))
	}
}

// scalar checks that n is a non-null scalar and returns its text.
func (p *parser) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "found %s, expected %s", found(n), want)
		return "", false
	}
	return n.Value, true
}

// str returns a non-empty string scalar.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	s, ok := p.scalar(n, path, "a string")
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, path, "found an empty string, expected text")
		return "", false
	}
	return s, ok
}

// maxTextLen bounds the free text a policy shows to employees (a rule's
// message, the contact), in characters.
const maxTextLen = 500

// text returns a non-empty string for people to read, trimmed, of at most
// maxTextLen characters.
func (p *parser) text(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	if c := utf8.RuneCountInString(s); c > maxTextLen {
		p.errorf(n, path, "found %d characters, expected at most %d", c, maxTextLen)
		return "", false
	}
	return strings.TrimSpace(s), true
}

// enum returns the index in choices of the scalar at n.
func (p *parser) enum(n *yaml.Node, path string, choices ...string) (int, bool) {
	want := "one of " + strings.Join(choices, ", ")
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	i := slices.Index(choices, strings.ToLower(s))
	if i < 0 {
		p.errorf(n, path, "found %s, expected %s", show(s), want)
		return 0, false
	}
	return i, true
}

// maxCount bounds count thresholds; larger values can never be reached.
const maxCount = 1 << 30

// count returns a non-negative integer scalar.
func (p *parser) count(n *yaml.Node, path string) (int, bool) {
	const want = "a non-negative integer"
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if n.Tag != "!!int" || err != nil || v < 0 || v > maxCount {
		p.errorf(n, path, "found %s, expected %s", found(n), want)
		return 0, false
	}
	return int(v), true
}

// score returns a non-negative finite number scalar.
func (p *parser) score(n *yaml.Node, path string) (float64, bool) {
	const want = "a non-negative number such as 0.1"
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		p.errorf(n, path, "found %s, expected %s", found(n), want)
		return 0, false
	}
	return v, true
}

// boolean returns a true/false scalar.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	i, ok := p.enum(n, path, "false", "true")
	return i == 1, ok
}

// size returns a byte size scalar.
func (p *parser) size(n *yaml.Node, path string) (int64, bool) {
	const want = "a size such as 1MiB, 64MB or 1048576"
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	v, err := ParseSize(s)
	if err != nil {
		p.errorf(n, path, "found %s, expected %s", show(s), want)
		return 0, false
	}
	return v, true
}

// strList walks a list of non-empty string scalars with their nodes.
func (p *parser) strList(n *yaml.Node, path string, each func(s string, v *yaml.Node, path string)) {
	p.list(n, path, func(_ int, v *yaml.Node, path string) {
		if s, ok := p.str(v, path); ok {
			each(strings.TrimSpace(s), v, path)
		}
	})
}
