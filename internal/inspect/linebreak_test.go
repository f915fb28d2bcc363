package inspect

import (
	"math/rand/v2"
	"testing"
)

// TestLastStringEndFindsFirstLines checks the shortcut of escapedLineBreak:
// wherever lineBefore finds that the line before a break is its string's
// first line, lastStringEnd, reading forward from the last break handled,
// returns the quote right before that line. (So a line is passed over when
// lastStringEnd finds no quote, or no header cells after the one it finds.)
func TestLastStringEndFindsFirstLines(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const alphabet = `ab ,\\\"nr`
	var checked, firsts int
	for range 5000 {
		b := make([]byte, 8+r.IntN(2*lookback))
		sparse := 2 + r.IntN(60) // 1 byte in sparse is not a letter
		for i := range b {
			// Mostly letters, so that some lines outgrow lookback.
			if r.IntN(sparse) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = 'a'
			}
		}
		for range 100 {
			// The last break handled ends right before k: \n, or \\n for
			// a string inside a string.
			k := 3 + r.IntN(len(b)-3)
			code := codeJSON + lineCode(r.IntN(2))
			b[k-1], b[k-2], b[k-3] = 'n', '\\', 'a'
			if code == codeJSON2 {
				b[k-3] = '\\'
			}
			e := k + r.IntN(len(b)-k+1)
			checked++
			start, first, _, ok := lineBefore(b, e, code)
			q := lastStringEnd(b, k, e, code)
			if ok && first {
				firsts++
				if q != start-1 {
					t.Fatalf("%q k=%d e=%d code=%d: the first line starts at %d, lastStringEnd = %d", b, k, e, code, start, q)
				}
			}
		}
	}
	if firsts < checked/100 {
		t.Fatalf("%d lines checked, %d first lines: the test exercises too little", checked, firsts)
	}
}
