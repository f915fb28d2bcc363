package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestBase64RunPlacement: a base64 run is found wherever it sits in the
// text layer's buffer and whatever surrounds it, and a run one character
// shorter than MinBase64 is left as text.
func TestBase64RunPlacement(t *testing.T) {
	e := newTestEngine(t)
	payload := csvBytes(csvRows(corpus.Records(8, 6)))
	run := base64.StdEncoding.EncodeToString(payload)
	escaped := strings.ReplaceAll(run, "/", `\/`)
	pad := func(n int, s string) string { return strings.Repeat(s, n)[:n] }
	// 48 bytes, 64 characters of base64: one labelled resident ID.
	id := corpus.Records(9, 1)[0].ResidentID
	shortPayload := []byte(pad(48-len(id)-1, "resident id: ") + " " + id)
	short := base64.StdEncoding.EncodeToString(shortPayload)
	decoded, decodedShort, none := scanPlain(e, payload), scanPlain(e, shortPayload), [inspect.NumDetectors]int{}
	if decodedShort == none {
		t.Fatal("the short payload counts nothing")
	}
	tests := []struct {
		name string
		give string
		lim  Limits
		want [inspect.NumDetectors]int
	}{
		{name: "alone", give: run, want: decoded},
		{name: "after words", give: "see the file " + run + " attached", want: decoded},
		{name: "after a stretch of letters", give: pad(100, "abc def ") + " " + run, want: decoded},
		{name: "across the first buffer end", give: pad(textBuf-40, "lorem ipsum ") + " " + run, want: decoded},
		{name: "across a later buffer end", give: pad(3*textBuf-100, "dolor sit ") + " " + run + " end", want: decoded},
		{name: "after chinese text", give: strings.Repeat("客户名单，请查收。", 40) + run, want: decoded},
		{name: "json escaped slashes", give: `{"f":"` + escaped + `"}`, want: decoded},
		{name: "min length exactly", give: "x " + short + " y", lim: Limits{MinBase64: 64}, want: decodedShort},
		{name: "one short of min", give: "x " + short + " y", lim: Limits{MinBase64: 65}, want: none},
		{name: "min above run length", give: run, lim: Limits{MinBase64: len(run) + 1}, want: none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 61, 4096, benchChunk + 7} {
				if got := extract(t, e, []byte(tt.give), "", tt.lim, chunk); got.counts != tt.want {
					t.Errorf("chunk %d: counts %v, want %v", chunk, got.counts, tt.want)
				}
			}
		})
	}
}

// TestHexDigestIsText: a hex digest (SHA-256, 64 hex digits) is text, not
// a base64 run; a run that starts like hex and goes on in base64 is still
// decoded. Decoding is seen through MaxDepth: base64 inside base64 is one
// level too deep.
func TestHexDigestIsText(t *testing.T) {
	e := newTestEngine(t)
	digest := "9f86d081884c7d659a2fea0aa5a06dc1e3f2f0a6b7c8d9e0f1a2b3c4d5e6f708"
	upper := strings.ToUpper(digest)
	long := strings.Repeat(digest, 80) // a hex dump longer than the longest run kept
	notHex := digest[:60] + "QmFzZTY0IGZvbGxvd3M="
	tests := []struct {
		name string
		give string
		want []string
	}{
		{name: "lower-case digest", give: "sha256: " + digest + ".\n"},
		{name: "upper-case digest", give: "SHA256=" + upper + "\n"},
		{name: "digest in json", give: `{"hash":"` + digest + `","n":1}`},
		{name: "long hex dump", give: "dump " + long + " end"},
		{name: "hex then base64", give: "x " + notHex + " y", want: []string{ReasonOverLimit}},
		{name: "mixed case is base64", give: "x " + digest[:32] + upper[32:] + " y", want: []string{ReasonOverLimit}},
		{name: "letters only is base64", give: "x " + strings.Repeat("A", 64) + " y", want: []string{ReasonOverLimit}},
		{name: "digits then letters is base64", give: "x " + strings.Repeat("4", 64) + "d444 y", want: []string{ReasonOverLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outer := []byte(base64.StdEncoding.EncodeToString([]byte(tt.give)))
			for _, chunk := range []int{0, 7, 1000} {
				got := extract(t, e, outer, "", Limits{MaxDepth: 1}, chunk)
				if !slices.Equal(got.reasons, tt.want) {
					t.Errorf("chunk %d: reasons %v, want %v", chunk, got.reasons, tt.want)
				}
			}
		})
	}
}

func TestHexOf(t *testing.T) {
	tests := []struct {
		give string
		want hexCase
	}{
		{give: "0123abcdef", want: hexLower},
		{give: "0123ABCDEF", want: hexUpper},
		{give: "0123abcDEF", want: hexNone},
		{give: "0123456789", want: hexNone},
		{give: "abcdefabcd", want: hexNone},
		{give: "0123abcdeg", want: hexNone},
		{give: "0123+/abcd", want: hexNone},
		{give: "", want: hexNone},
	}
	for _, tt := range tests {
		if got := hexOf([]byte(tt.give)); got != tt.want {
			t.Errorf("hexOf(%q) = %d, want %d", tt.give, got, tt.want)
		}
	}
}

// TestHexRunChunking: whether a run is a hex digest (text) or base64 is
// decided from its first MinBase64 characters, however the body is cut.
// The skip ahead judged the whole stretch of run bytes it had read
// instead, so 64 digits and then a letter were text when the whole run
// was in one write and base64 when a write ended inside it: the mobile
// after the run counted in 7-byte writes (the run's text replaced, the
// number stands alone) and not in one (glued to the run by the full
// stop). The fuzzer found it in a binary body (FuzzPDF).
func TestHexRunChunking(t *testing.T) {
	e := newTestEngine(t)
	digest := "9f86d081884c7d659a2fea0aa5a06dc1e3f2f0a6b7c8d9e0f1a2b3c4d5e6f708"
	// Past the 512 bytes sniffed, the text is read as it is written: the
	// run comes in the bytes read to decide the head's last ones, or in a
	// later write read in place.
	fillers := []string{strings.Repeat("a line of text\n", 40), strings.Repeat("a line of text\n", 100)}
	mobile := [inspect.NumDetectors]int{inspect.Mobile: 1}
	tests := []struct {
		name string
		give string
		want [inspect.NumDetectors]int
	}{
		{name: "digits then a letter", give: strings.Repeat("4", 64) + "d444.13800138000", want: mobile},
		{name: "letters then digits", give: strings.Repeat("d", 64) + "4444.13800138000", want: mobile},
		{name: "a digest", give: digest + ".13800138000"},
		{name: "a digest then other case", give: digest + "ABC444.13800138000", want: mobile},
		{name: "digits after a dump cut at 4096", give: strings.Repeat(digest, maxMinBase64/len(digest)) + strings.Repeat("4", 64) + "d444.13800138000", want: mobile},
		{name: "a dump longer than 4096", give: strings.Repeat(digest, maxMinBase64/len(digest)+1) + ".13800138000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, filler := range fillers {
				body := []byte(filler + tt.give)
				for chunk := range 65 {
					if got := extract(t, e, body, "", Limits{}, chunk); got.counts != tt.want {
						t.Errorf("%d bytes before, chunk %d: counts %v, want %v", len(filler), chunk, got.counts, tt.want)
					}
				}
			}
		})
	}
}

func TestFirstHigh(t *testing.T) {
	tests := []struct {
		give []byte
		want int
	}{
		{give: nil, want: -1},
		{give: []byte("plain ascii text, longer than one word"), want: -1},
		{give: []byte("abcdefg中"), want: 7},
		{give: []byte("abcdefgh中"), want: 8},
		{give: append(bytes.Repeat([]byte("a"), 17), 0x80), want: 17},
		{give: []byte{0xFF}, want: 0},
	}
	for _, tt := range tests {
		if got := firstHigh(tt.give); got != tt.want {
			t.Errorf("firstHigh(%q) = %d, want %d", tt.give, got, tt.want)
		}
	}
}

// stretchRef is stretch spelled out: the maximal stretches of bytes that
// may be in a run, in order, from i. A stretch is a hex dump, passed over,
// when its first minRun bytes are hex of one case and the rest, up to
// maxMinBase64 bytes, are digits of that case; the byte loop starts a new
// run after maxMinBase64.
func stretchRef(b []byte, i, limit, minRun int, eof bool) (int, bool) {
	s := i
	for s < limit {
		if !inRun[b[s]] {
			s++
			continue
		}
		e := s
		for e < len(b) && inRun[b[e]] {
			e++
		}
		if e-s >= minRun {
			end := min(e, s+maxMinBase64)
			if h := hexOf(b[s : s+minRun]); h == hexNone || hexOf(b[s:end]) != h || (end == len(b) && !eof) {
				return s, true
			}
			s = end
			continue
		}
		if e == len(b) && !eof {
			if e-s >= minRun {
				return s, true
			}
			return s, false // may go on: the search resumes here
		}
		s = e
	}
	if limit < len(b) || eof {
		return limit, limit < len(b)
	}
	return len(b), false
}

// TestStretch compares the skip's search with stretchRef on a table of
// texts and on seeded random texts of run bytes, separators, escapes and
// non-ASCII bytes, for short and default run lengths.
func TestStretch(t *testing.T) {
	digest := "9f86d081884c7d659a2fea0aa5a06dc1e3f2f0a6b7c8d9e0f1a2b3c4d5e6f708"
	run := strings.Repeat("QmFzZTY0", 9)
	tests := []struct {
		name string
		give string
	}{
		{name: "empty"},
		{name: "words", give: "plain words, separated by spaces and commas. " + strings.Repeat("word ", 40)},
		{name: "run after words", give: "see " + run + " end"},
		{name: "run at the end", give: strings.Repeat("ab ", 30) + run},
		{name: "run at the start", give: run + " tail"},
		{name: "digest then run", give: digest + " " + run},
		{name: "digest at the end", give: "x " + digest},
		{name: "digits then a letter", give: "x " + strings.Repeat("4", 64) + "d444 y"},
		{name: "letters then a digit", give: "x " + strings.Repeat("d", 64) + "4 y"},
		{name: "digest then other case", give: "x " + digest + "ABC y"},
		{name: "long dump", give: "x " + strings.Repeat(digest, 65) + strings.Repeat("4", 70) + "d y " + run},
		{name: "short tail", give: strings.Repeat("text ", 20) + "abc123"},
		{name: "escaped run", give: `"` + strings.ReplaceAll(run, "F", `\/`) + `"`},
		{name: "non-ascii", give: strings.Repeat("客户 ", 30) + run},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aF0g9/-_+%\\ ,.\xe4")
	runBytes := []string{"aF0g9", "00a99"} // the second mostly hex of one case
	for n := range 300 {
		b := make([]byte, rng.IntN(200))
		for k := range b {
			if k > 0 && rng.IntN(8) > 0 { // runs longer than one byte
				b[k] = runBytes[n%2][rng.IntN(5)]
			} else {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		tests = append(tests, struct{ name, give string }{name: fmt.Sprint("random ", n), give: string(b)})
	}
	for _, tt := range tests {
		b := []byte(tt.give)
		for _, minRun := range []int{1, 3, 8, 16, 64} {
			for _, eof := range []bool{false, true} {
				for i := range min(len(b), 3) + 1 {
					for _, limit := range []int{len(b), i + firstHighOr(b[i:], len(b)-i)} {
						at, found := stretch(b, i, limit, minRun, eof)
						wantAt, wantFound := stretchRef(b, i, limit, minRun, eof)
						if at != wantAt || found != wantFound {
							t.Fatalf("%s: stretch(%q, %d, %d, %d, %v) = %d, %v; want %d, %v",
								tt.name, b, i, limit, minRun, eof, at, found, wantAt, wantFound)
						}
					}
				}
			}
		}
	}
}

// firstHighOr is firstHigh, or def when b is all ASCII.
func firstHighOr(b []byte, def int) int {
	if h := firstHigh(b); h >= 0 {
		return h
	}
	return def
}
