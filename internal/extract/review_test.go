package extract

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestHexRunRandomChunking: random texts of hex digits in one or both
// cases, base64 characters and their escapes, in runs around MinBase64
// and maxMinBase64 characters, then a mobile, count the same whole and
// cut at sizes around the run and read buffer lengths. It fails on the
// skip ahead before 38f44fa, which judged a run by the bytes it had read.
func TestHexRunRandomChunking(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"0123456789", "0123456789", "0123456789", "abcdef", "abcdef", "ABCDEF", "\\/", "%2B", "%2f", "+", "/", "=", "g", "Z", ".", " ", "\n", "-", "_"}
	n := 300
	if testing.Short() {
		n = 30
	}
	for range n {
		var b strings.Builder
		b.WriteString(strings.Repeat("a line of text\n", 40))
		for b.Len() < 600+r.IntN(4500) {
			p := pieces[r.IntN(len(pieces))]
			k := 1 + r.IntN(70)
			switch {
			case r.IntN(4) == 0:
				k = 60 + r.IntN(10)
			case r.IntN(20) == 0:
				k = maxMinBase64 - 6 + r.IntN(12)
			}
			for range k {
				b.WriteByte(p[r.IntN(len(p))])
			}
			if r.IntN(4) == 0 {
				b.WriteString(".13800138000")
			}
		}
		b.WriteString(".13800138000\n")
		body := []byte(b.String())
		want := extract(t, e, body, "", Limits{}, 0).counts
		for _, c := range []int{1, 7, 63, 64, 65, 511, 4095, 4097, 1 + r.IntN(300)} {
			if got := extract(t, e, body, "", Limits{}, c).counts; got != want {
				t.Fatalf("chunk %d: %v, whole %v: %q", c, got, want, body[600:])
			}
		}
	}
}
