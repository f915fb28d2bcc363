package extract

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestPDFOperandsAndStrings: numbers that are operands (colours, matrices,
// paths, leading) next to strings count nothing; strings count however
// they are delimited (glued operators, unbalanced closers, nested
// dictionaries), whole and in writes of 1 to 64 bytes.
func TestPDFOperandsAndStrings(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name   string
		stream string
		want   int // mobiles counted
	}{
		{name: "colour operands around strings", stream: "BT /F1 12 Tf 1 0 0 1 72 700 Tm (Name) Tj 138 1234 5678 rg (x) Tj ET"},
		{name: "leading and array numbers", stream: "BT 0.138 0.1234 0.5678 rg 13800138000 TL [(A) 13800138000 (B)] TJ ET"},
		{name: "matrix and path", stream: "q 138 0 0 1234 5678 0 cm 1 0 0 RG 138 1234 m 5678 13800 l S Q (abc) Tj"},
		{name: "number glued to a string", stream: "(1380013800)0 Tj(0)Tj"},
		{name: "wide kerning groups", stream: "BT [(138)-300(1234)-300(5678)] TJ ET", want: 1},
		{name: "narrow kerning joins", stream: "BT [(138)-199(0013)-150(8000)] TJ ET", want: 1},
		{name: "strings glued to operators", stream: "(13800138000)Tj(13900139000)Tj", want: 2},
		{name: "arrays glued", stream: "[(13800138000)]TJ[(13900139000)]TJ", want: 2},
		{name: "hex strings glued", stream: "<3133383030313338303030>Tj<3133393030313339303030>Tj", want: 2},
		{name: "deep nesting", stream: "((((((((((13800138000)))))))))) Tj", want: 1},
		{name: "stray closers", stream: "(13800138000) Tj )))) (13900139000) Tj", want: 2},
		{name: "unbalanced brackets", stream: "] ] ] (13800138000) Tj [ [ (13900139000) Tj", want: 2},
		{name: "ID without data ends nothing visible", stream: "BI ID (13800138000) Tj"},
		{name: "comment ended by CR", stream: "%comment\r(13800138000) Tj", want: 1},
		{name: "nested dictionaries", stream: "<</A<</B(13800138000)>>>> (13900139000) Tj", want: 2},
		{name: "empty hex string", stream: "<FEFF> Tj (13800138000) Tj", want: 1},
		{name: "UCS-2 font then a simple one", stream: "/F1 1 Tf <00310033003800300030003100330038003000300030> Tj /F2 1 Tf (13900139000) Tj", want: 2},
		{name: "UCS-2 anchored by a CJK character", stream: "/F1 1 Tf <4E2D00310033003800300030003100330038003000300030> Tj", want: 1},
		{name: "escaped CR then a raw CR", stream: "(13800\\\r\r138000) Tj"},
		{name: "separate Tj on one line", stream: "BT (138) Tj 20 0 Td (00138000) Tj ET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := pdfFile(t, pdfStream{data: []byte(tt.stream)})
			for _, chunk := range []int{0, 1, 2, 3, 5, 7, 64} {
				if got := extract(t, e, give, "", Limits{}, chunk).counts[inspect.Mobile]; got != tt.want {
					t.Errorf("chunk %d: %d mobiles, want %d", chunk, got, tt.want)
				}
			}
		})
	}
}

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
