package inspect

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestLuhnValid(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"4111111111111111", true},
		{"4111111111111112", false},
		{"6222021234567890128", true},
		{"6222021234567890121", false},
		{"79927398713", true},
		{"79927398710", false},
		{"0", true},
		{"", true},
	}
	for _, tt := range tests {
		if got := luhnValid([]byte(tt.give)); got != tt.want {
			t.Errorf("luhnValid(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

// TestLuhnValidRandom checks luhnValid against the check-digit definition:
// the number is valid when its last digit is the one that completes the
// others.
func TestLuhnValidRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 19))
	for range 100_000 {
		n := 16 + rng.IntN(4)
		d := make([]byte, 0, n)
		for range n - 1 {
			d = append(d, byte('0'+rng.IntN(10)))
		}
		// The check digit: doubled from the right, starting next to it.
		sum := 0
		for i := len(d) - 1; i >= 0; i-- {
			v := int(d[i] - '0')
			if (len(d)-1-i)%2 == 0 {
				v = v*2%10 + v*2/10
			}
			sum += v
		}
		check := (10 - sum%10) % 10
		for c := range 10 {
			num := append(d[:len(d):len(d)], byte('0'+c))
			if got, want := luhnValid(num), c == check; got != want {
				t.Fatalf("luhnValid(%s) = %v, want %v (check digit %s)", num, got, want, strconv.Itoa(check))
			}
		}
	}
}
