package accesslog

import (
	"strings"
	"testing"
)

func TestMaskPath(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{name: "plain path kept", give: "/api/users/orders", want: "/api/users/orders"},
		{name: "short numbers kept", give: "/v1/items/12345", want: "/v1/items/12345"},
		{name: "resident id", give: "/api/users/11010519491231002X/orders", want: "/api/users/*/orders"},
		{name: "phone with hyphens", give: "/u/138-0013-8000", want: "/u/*"},
		{name: "phone with spaces", give: "/u/138 0013 8000/x", want: "/u/*/x"},
		{name: "digits split by letters", give: "/u/138a001b38000", want: "/u/*"},
		{name: "email", give: "/to/zhang.wei@example.com", want: "/to/*"},
		{name: "chinese name", give: "/people/张伟/profile", want: "/people/*/profile"},
		{name: "percent encoded", give: "/q/%E5%BC%A0", want: "/q/*"},
		{name: "control character", give: "/a/b\x00c", want: "/a/*"},
		{name: "empty", give: "", want: ""},
	}
	for _, tt := range tests {
		if got := MaskPath(tt.give); got != tt.want {
			t.Errorf("%s: MaskPath(%q) = %q, want %q", tt.name, tt.give, got, tt.want)
		}
	}
}

func TestMaskField(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{give: "file", want: "file"},
		{give: "id_11010519491231002X", want: "id_*****************X"},
		{give: "姓名", want: "**"},
		{give: "a@b", want: "a*b"},
	}
	for _, tt := range tests {
		if got := MaskField(tt.give); got != tt.want {
			t.Errorf("MaskField(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestMediaType(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{give: "text/csv", want: "text/csv"},
		{give: "Text/CSV; charset=utf-8", want: "text/csv"},
		{give: `text/plain; name="11010519491231002X"`, want: "text/plain"},
		{give: "text/plain; x=\"unterminated", want: "text/plain"},
		{give: "", want: ""},
		{give: "11010519491231002X", want: ""},
		{give: "张伟/x", want: ""},
	}
	for _, tt := range tests {
		if got := MediaType(tt.give); got != tt.want {
			t.Errorf("MediaType(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// FuzzMaskPath checks MaskPath's promises on any input: the segment count
// is kept and no kept segment holds a digit run long enough for a value or
// a character outside printable ASCII.
func FuzzMaskPath(f *testing.F) {
	for _, s := range []string{"/api/users/11010519491231002X/orders", "/u/138-0013-8000", "/张伟", "/%41", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got := MaskPath(path)
		if strings.Count(got, "/") != strings.Count(path, "/") {
			t.Fatalf("MaskPath(%q) = %q: segment count changed", path, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg != "*" && (countDigits(seg) >= minPathDigits || strings.ContainsFunc(seg, isSuspectRune)) {
				t.Fatalf("MaskPath(%q) kept segment %q", path, seg)
			}
		}
	})
}
