package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		wantLine int
		wantMsg  string
	}{
		{"flow sequence left open", "a: 1\nb: [x,\n  y\nc: 2\n", 2, "did not find expected ',' or ']'"},
		{"flow mapping left open", "a: 1\nb:\n  c: {d: 1\n  e: 2\n", 3, "did not find expected ',' or '}'"},
		{"key indented wrongly in a list", "a: 1\nb:\n  - x\n  - y\n  z: 1\n", 5, "did not find expected '-' indicator"},
		{"after a flow list over two lines", "a: [1,\n  2]\nb:\n  - x\n  y: 2\n", 5, "did not find expected '-' indicator"},
		{"no newline at the end", "a:\n  - x\n  y: 2", 3, "did not find expected '-' indicator"},
		{"open bracket at the end", "a:\n  - b: [\n", 2, "did not find expected node content"},
		{"tab (a scanner error: line as reported)", "a: 1\n\tb: 2\n", 2, "found a tab character that violates indentation"},
		{"flow sequence left open on the first line", "a: [1, 2\nb: 3\n", 1, "did not find expected ',' or ']'"},
		{"flow mapping left open on the first line", "a: {b: 1\n" + strings.Repeat("c: 2\n", 30), 1, "did not find expected ',' or '}'"},
		{"flow sequence from the first line on", "a: [1,\n 2\nb: 3\n", 1, "did not find expected ',' or ']'"},
		{"flow sequence left open, CRLF", "a: 1\r\nb: [x,\r\n  y\r\nc: 2\r\n", 2, "did not find expected ',' or ']'"},
		{"quote left open on the first line", "a: 'b\nc: 1\n", 1, "found unexpected end of stream"},
		{"quote left open later", "x: 0\na: \"b\nc: 1\n", 2, "found unexpected end of stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.give), &n)
			if err == nil {
				t.Fatal("no error")
			}
			line, msg, ok := SyntaxError([]byte(tt.give), err)
			if !ok || line != tt.wantLine || msg != tt.wantMsg {
				t.Errorf("got line %d %q (%v), want line %d %q; yaml.v3 said %v", line, msg, ok, tt.wantLine, tt.wantMsg, err)
			}
		})
	}
	if _, _, ok := SyntaxError(nil, errors.New("yaml: unmarshal errors:\n  line 3: field x not found")); ok {
		t.Error("a type error was taken for a syntax error")
	}
}

// TestSyntaxErrorCost: the line that breaks a collection is found with a
// few parses of a large file, not one per line (a 1 MB file with a key
// indented wrongly 150 lines into a list took 9-10 s).
func TestSyntaxErrorCost(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "key%07d: value\n", i)
	}
	b.WriteString("list:\n")
	want := strings.Count(b.String(), "\n") + 151 // the line of z
	b.WriteString(strings.Repeat("  - x\n", 150) + "  z: 1\n" + strings.Repeat("  - y\n", 100))
	data := []byte(b.String())
	// The cost is counted in parses of the whole file (the fastest of
	// three), so a busy machine slows both sides alike: a search of one
	// parse per line takes about 150 here, the bisection about 10.
	var err error
	parse := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		var n yaml.Node
		err = yaml.Unmarshal(data, &n)
		parse = min(parse, time.Since(start))
	}
	if err == nil {
		t.Fatal("no error")
	}
	start := time.Now()
	line, _, _ := SyntaxError(data, err)
	if took := time.Since(start); line != want || took > 40*parse {
		t.Errorf("line %d in %v (%.0f parses), want line %d in under 40 parses (%v)", line, took, float64(took)/float64(parse), want, err)
	}
}

// FuzzSyntaxError: whatever the input, the line named is one of its lines.
func FuzzSyntaxError(f *testing.F) {
	for _, s := range []string{"a: [1,\n2\n", "a:\n  - x\n  y: 1\n", "{a: 1\n", "a: 1\n\tb: 2\n", "- [\n- {\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var n yaml.Node
		err := yaml.Unmarshal(data, &n)
		if err == nil {
			return
		}
		line, _, ok := SyntaxError(data, err)
		if !ok || bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
			return // after a UTF-16 byte order mark, yaml.v3 counts the decoded text's lines
		}
		// yaml.v3 counts lines at every break: LF, CR, NEL, LS and PS.
		lines := 1
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(data, []byte(br))
		}
		if line < 1 || line > lines {
			t.Fatalf("line %d of %d (yaml.v3 said %v)", line, lines, err)
		}
	})
}
