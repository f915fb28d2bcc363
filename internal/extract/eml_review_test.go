package extract

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestEMLNestingBounded: messages nested or chained far past MaxDepth are
// cut at MaxDepth (over_limit), their rest read as text, in bounded memory
// and time. A message/rfc822 body was a message again at any depth, and a
// body past MaxDepth (or one that did not decode) was sniffed again at the
// same depth, where it was the next message of the chain: each level took
// a 32 KiB reader and a few frames (2,000 levels of 30 bytes took 66 MB),
// and nested quoted-printable bodies took time exponential in the levels
// (30 levels: 52 s).
func TestEMLNestingBounded(t *testing.T) {
	const tail = "13800138000 13900139000\n"
	cases := []struct {
		name, level, ctype string
		n                  int
		reasons            []string
	}{
		{"declared", "Content-Type: message/rfc822\n\n", "message/rfc822", 2000, []string{ReasonOverLimit}},
		{"sniffed", "From: a\nTo: b\n\n", "", 2000, []string{ReasonOverLimit}},
		{"quoted-printable", "Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n", "message/rfc822", 40, []string{ReasonOverLimit}},
		{"base64 that does not decode", "From: a\nTo: b\nContent-Transfer-Encoding: base64\n\n!!\n", "", 2000, []string{ReasonDecodeError}},
		{"quoted-printable that does not decode", "From: a\nTo: b\nContent-Transfer-Encoding: quoted-printable\n\n\x00\n", "", 2000, []string{ReasonDecodeError}},
	}
	e := newTestEngine(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(strings.Repeat(c.level, c.n) + tail)
			for _, chunk := range []int{0, 1, 4096} {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				got := extract(t, e, body, c.ctype, Limits{}, chunk)
				runtime.ReadMemStats(&after)
				if got.counts[inspect.Mobile] != 2 || !slices.Equal(got.reasons, c.reasons) {
					t.Errorf("chunk %d: %d mobiles %v, want 2 %v", chunk, got.counts[inspect.Mobile], got.reasons, c.reasons)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
					t.Errorf("chunk %d: %d levels of %d bytes allocated %d KiB", chunk, c.n, len(c.level), alloc>>10)
				}
			}
		})
	}
}
