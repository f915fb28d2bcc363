package deploycheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeYAML parses every document of a (possibly multi-document) YAML
// stream and returns their root nodes. Empty documents are skipped.
func DecodeYAML(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		if len(n.Content) > 0 {
			docs = append(docs, &n)
		}
	}
}

// LintYAML parses data as a YAML stream and reports the first problem:
// a syntax error, a tab in a line's indentation, or a key repeated in one
// mapping (which YAML parsers resolve silently, last one wins).
func LintYAML(data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			return fmt.Errorf("line %d: tab in indentation", i+1)
		}
	}
	docs, err := DecodeYAML(data)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := checkDuplicateKeys(d); err != nil {
			return err
		}
	}
	return nil
}

// checkDuplicateKeys walks n and fails on a mapping that repeats a key.
func checkDuplicateKeys(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
				if first, dup := seen[k.Value]; dup {
					return fmt.Errorf("line %d: key %q repeats the key of line %d", k.Line, k.Value, first)
				}
				seen[k.Value] = k.Line
			}
		}
	}
	for _, c := range n.Content {
		if err := checkDuplicateKeys(c); err != nil {
			return err
		}
	}
	return nil
}
