package extract

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestInMemory: a section of the held archive is read in place; any other
// reader is left as it is.
func TestInMemory(t *testing.T) {
	data := []byte("0123456789abcdef")
	held := bytes.NewReader(data)
	other := bytes.NewReader(bytes.Clone(data))
	tests := []struct {
		name     string
		give     io.Reader
		want     string
		inMemory bool
	}{
		{name: "member section", give: io.NewSectionReader(held, 4, 6), want: "456789", inMemory: true},
		{name: "empty section", give: io.NewSectionReader(held, 16, 0), want: "", inMemory: true},
		{name: "section past the end", give: io.NewSectionReader(held, 10, 20), want: "abcdef"},
		{name: "section of another reader", give: io.NewSectionReader(other, 0, 3), want: "012"},
		{name: "not a section", give: strings.NewReader("xyz"), want: "xyz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := inMemory(tt.give, held, data)
			if _, ok := r.(*bytes.Reader); ok != tt.inMemory {
				t.Errorf("in memory: %v, want %v", ok, tt.inMemory)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tt.want {
				t.Errorf("read %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
