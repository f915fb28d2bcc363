// Package areacode validates the six-digit administrative-division code
// (GB/T 2260) at the start of a resident ID number.
//
// The table is generated from data/result.csv (yescallop/areacodes, CC0; see
// data/SOURCE.md) by gen.go and covers every code published since 1981,
// including retired and changed ones, plus the unlisted placeholders that
// IDs carry. Lookups are O(1) and allocation-free; the bitset behind them
// (125 KiB) is built on first use.
package areacode

//go:generate go run gen.go

import (
	"fmt"
	"strings"
	"sync"
)

// numCodesMax is the number of six-digit codes, 000000..999999.
const numCodesMax = 1000000

// bitset has bit c set when code c is valid.
type bitset [numCodesMax / 64]uint64

// table returns the bitset decoded from packed, built once.
var table = sync.OnceValue(func() *bitset {
	t, n, err := decode(packed)
	if err != nil || n != numCodes {
		// packed is generated and checked by the tests; a failure here is a
		// corrupted build, not bad input.
		panic(fmt.Sprintf("areacode: corrupt generated table: %d codes, %v", n, err))
	}
	return t
})

// Valid reports whether code (the number formed by the six digits, e.g.
// 110101) is a GB/T 2260 area code an ID number may carry.
func Valid(code int) bool {
	if uint(code) >= numCodesMax {
		return false
	}
	return table()[code>>6]>>(code&63)&1 != 0
}

// ValidDigits reports whether b is exactly six ASCII digits forming a valid
// area code. It does not allocate.
func ValidDigits(b []byte) bool {
	code, ok := digits(b, 6)
	return ok && Valid(code)
}

// decode parses the packed text form (see gen.Pack) into a bitset and
// returns the number of distinct codes it set.
func decode(s string) (*bitset, int, error) {
	t := new(bitset)
	n := 0
	lineNo := 0
	for line := range strings.Lines(s) {
		lineNo++
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		prefix, ok := digits(fields[0], 4)
		if !ok || len(fields) == 1 {
			return nil, 0, fmt.Errorf("line %d: found %q, expected a four-digit prefix and suffixes", lineNo, fields[0])
		}
		for _, f := range fields[1:] {
			suffix, ok := digits(f, 2)
			if !ok {
				return nil, 0, fmt.Errorf("line %d: found %q, expected a two-digit suffix", lineNo, f)
			}
			code := prefix*100 + suffix
			if t[code>>6]>>(code&63)&1 == 0 {
				t[code>>6] |= 1 << (code & 63)
				n++
			}
		}
	}
	return t, n, nil
}

// digits parses s as exactly width ASCII digits.
func digits[T string | []byte](s T, width int) (int, bool) {
	if len(s) != width {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
