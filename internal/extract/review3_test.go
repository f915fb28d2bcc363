package extract

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestPartHeaderDropped: a part header mime/multipart reads but does not
// return (the body ends before the blank line ending it, or a line of it
// has no colon) is still read, decoded, and so is what it read ahead. A
// form whose last part header names 300 photos after their holders'
// names and IDs counted 0 IDs, and no decode error when the body ended
// in the header.
func TestPartHeaderDropped(t *testing.T) {
	recs := corpus.Records(32, 300)
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = photoName(r)
	}
	long := strings.Join(names, "\r\n ")
	const disp = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\""
	var tiny strings.Builder
	for _, r := range recs[:299] {
		tiny.WriteString(disp + photoName(r) + "\"\r\n\r\nx\r\n")
	}
	last := disp + photoName(recs[299])
	tests := []struct {
		name, give string
		reasons    []string
	}{
		{"cut in the file name", disp + long, nil},
		{"cut before the blank line", disp + long + "\"\r\n", nil},
		{"a line with no colon", disp + long + "\"\r\nno colon here\r\n\r\nx\r\n--b--\r\n", []string{ReasonDecodeError}},
		{"a line with no colon, more parts after", disp + long + "\"\r\nno colon here\r\n\r\nx\r\n" + tiny.String() + "--b--\r\n", []string{ReasonDecodeError}},
		{"299 parts, the last header cut", tiny.String() + last, nil},
		{"299 parts, the last header cut after its line", tiny.String() + last + "\"\r\n", nil},
	}
	e := newTestEngine(t)
	const ctype = "multipart/form-data; boundary=b"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.give)
			whole := extract(t, e, body, ctype, Limits{}, 0)
			if got := whole.counts[inspect.ResidentID]; got != len(recs) || !slices.Equal(whole.reasons, tt.reasons) {
				t.Fatalf("whole: %d IDs %v, want %d %v", got, whole.reasons, len(recs), tt.reasons)
			}
			if got := extract(t, e, body, ctype, Limits{}, 1).counts; got != whole.counts {
				t.Errorf("1-byte writes: %v, whole %v", got, whole.counts)
			}
			rng := rand.New(rand.NewPCG(uint64(len(body)), 8))
			for _, most := range []int{16, 700, 9000} {
				if got := splitWriter(t, e, body, ctype, rng, most); got != whole.counts {
					t.Errorf("random cuts of up to %d bytes: %v, whole %v", most, got, whole.counts)
				}
			}
			for _, chunk := range []int{64, benchChunk} {
				checkLeakBudget(t, e, body, ctype, Limits{}, chunk, 2048)
				checkRawBudget(t, e, body, ctype, chunk)
			}
		})
	}
}
