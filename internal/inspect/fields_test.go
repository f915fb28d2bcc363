package inspect

import (
	"bytes"
	"testing"
)

// lowerBytewise is the reference for lowerInPlace: lowerASCII byte by byte.
func lowerBytewise(v []byte) []byte {
	out := make([]byte, len(v))
	for i, c := range v {
		out[i] = lowerASCII(c)
	}
	return out
}

func TestLowerInPlace(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", "", ""},
		{"short tail only", "AbC", "abc"},
		{"one word", "ZHANG.LI", "zhang.li"},
		{"word and tail", "Zhang.Li5@SOHU.com", "zhang.li5@sohu.com"},
		{"letter edges", "@AZ[`az{", "@az[`az{"},
		// Non-ASCII bytes whose low seven bits spell 'A' and 'Z' stay.
		{"non-ASCII look-alikes", "\xc1\xdaAZ\xc1\xdaAZ\xc1", "\xc1\xdaaz\xc1\xdaaz\xc1"},
		{"UTF-8 text", "ＡＢ张三ABCDEFGH", "ＡＢ张三abcdefgh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := []byte(tt.give)
			lowerInPlace(v)
			if string(v) != tt.want {
				t.Errorf("lowerInPlace(%q) = %q, want %q", tt.give, v, tt.want)
			}
		})
	}
}

// TestLowerASCII8EveryByte puts every byte value in every lane of a word,
// next to neighbours that are letters, edges and non-ASCII bytes.
func TestLowerASCII8EveryByte(t *testing.T) {
	for _, fill := range []byte{'A', 'Z', 'a', '@', '[', 0x00, 0x7F, 0x80, 0xC1, 0xFF} {
		for lane := range 8 {
			for c := range 256 {
				v := bytes.Repeat([]byte{fill}, 8)
				v[lane] = byte(c)
				want := lowerBytewise(v)
				lowerInPlace(v)
				if !bytes.Equal(v, want) {
					t.Fatalf("byte %#x in lane %d among %#x: got % x, want % x", c, lane, fill, v, want)
				}
			}
		}
	}
}
