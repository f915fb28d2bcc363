package areacode

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect/areacode/internal/gen"
)

func TestValid(t *testing.T) {
	tests := []struct {
		name string
		give int
		want bool
	}{
		{"in use county", 110101, true},
		{"retired 1993", 440524, true},
		{"retired 2000", 362324, true},
		{"in use district", 110105, true},
		{"hong kong permit", 810000, true},
		{"macau permit", 820000, true},
		{"taiwan permit, unlisted", 830000, true},
		{"changed code", 440113, true},
		{"created 2016", 500154, true},
		{"province", 440000, true},
		{"prefecture", 440100, true},
		{"placeholder xxyy01 of listed prefecture", 130101, true},
		{"municipality 市辖区 placeholder", 110100, true},
		{"municipality 县 placeholder", 110200, true},
		{"no placeholder under municipality 县", 110201, false},
		{"no placeholder under province", 440001, false},
		{"invalid", 111111, false},
		{"invalid province", 990426, false},
		{"zero", 0, false},
		{"digits in order", 123456, false},
		{"negative", -110101, false},
		{"seven digits", 1101010, false},
		{"max", 999999, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.give); got != tt.want {
				t.Errorf("Valid(%06d) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestValidDigits(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"110101", true},
		{"830000", true},
		{"000000", false},
		{"123456", false},
		{"11010", false},
		{"1101011", false},
		{"11010X", false},
		{"+10101", false},
		{"１１０１０１", false}, // full-width digits
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := ValidDigits([]byte(tt.give)); got != tt.want {
				t.Errorf("ValidDigits(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

// TestTableMatchesData catches drift: table.go must be exactly what the
// generator makes of data/result.csv.
func TestTableMatchesData(t *testing.T) {
	csv, err := os.Open("data/result.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer csv.Close()
	want, err := gen.Generate(csv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("table.go differs from data/result.csv; run go generate ./internal/inspect/areacode")
	}
}

// TestValidMatchesCodes checks every code the generator lists, and only
// those, is valid.
func TestValidMatchesCodes(t *testing.T) {
	csv, err := os.Open("data/result.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer csv.Close()
	codes, err := gen.Codes(csv)
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[int]bool, len(codes))
	for _, c := range codes {
		want[c] = true
	}
	if len(want) != numCodes {
		t.Fatalf("generator lists %d codes, table has %d", len(want), numCodes)
	}
	for c := range numCodesMax {
		if Valid(c) != want[c] {
			t.Fatalf("Valid(%06d) = %v, want %v", c, Valid(c), want[c])
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []int
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"blank lines", "\n \n", nil, false},
		{"one line", "1101 00 05\n", []int{110100, 110105}, false},
		{"duplicates counted once", "1101 05 05\n1101 05", []int{110105}, false},
		{"prefix without suffixes", "1101\n", nil, true},
		{"short prefix", "110 01\n", nil, true},
		{"long suffix", "1101 001\n", nil, true},
		{"non-digit", "11a1 01\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bits, n, err := decode(tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decode(%q) error = %v, wantErr %v", tt.give, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if n != len(tt.want) {
				t.Errorf("decode(%q) n = %d, want %d", tt.give, n, len(tt.want))
			}
			for _, c := range tt.want {
				if bits[c>>6]>>(c&63)&1 == 0 {
					t.Errorf("decode(%q): %06d not set", tt.give, c)
				}
			}
		})
	}
}

func FuzzValidDigits(f *testing.F) {
	for _, s := range []string{"110101", "830000", "000000", "99999", "11010X", "１１０"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := ValidDigits(b)
		code, err := strconv.Atoi(string(b))
		want := len(b) == 6 && err == nil && b[0] != '+' && b[0] != '-' && Valid(code)
		if got != want {
			t.Fatalf("ValidDigits(%q) = %v, want %v", b, got, want)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "1101 00 05\n", "1101\n", "9999 99\n0000 00", "11a1 01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bits, n, err := decode(s)
		if err != nil {
			return
		}
		set := 0
		for _, w := range bits {
			for ; w != 0; w &= w - 1 {
				set++
			}
		}
		if set != n {
			t.Fatalf("decode(%q) reports %d codes, sets %d bits", s, n, set)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	codes := []int{110101, 440524, 111111, 990426, 830000, 500154, 123456, 362324}
	Valid(0) // build the table outside the timer
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if Valid(codes[i&7]) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no valid codes")
	}
}

func BenchmarkValidDigits(b *testing.B) {
	codes := [][]byte{[]byte("110101"), []byte("111111"), []byte("830000"), []byte("12345x")}
	Valid(0)
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if ValidDigits(codes[i&3]) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no valid codes")
	}
}
