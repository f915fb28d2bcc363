package inspect

import (
	"math/rand/v2"
	"testing"
)

// TestIDCheck checks idCheck against the definition of GB 11643: digit i
// (from 0) weighs 2^(17-i) mod 11, and the check character is "10X98765432"
// at the weighted sum mod 11.
func TestIDCheck(t *testing.T) {
	tests := []struct {
		give string
		want byte
	}{
		{"11010519491231002", 'X'},
		{"44030419900101001", '1'},
	}
	for _, tt := range tests {
		if got := idCheck([]byte(tt.give)); got != tt.want {
			t.Errorf("idCheck(%s) = %c, want %c", tt.give, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(11643, 1999))
	d := make([]byte, 17)
	for range 100_000 {
		sum := 0
		for i := range d {
			d[i] = byte('0' + rng.IntN(10))
			sum += int(d[i]-'0') * (1 << (17 - i) % 11)
		}
		if got, want := idCheck(d), "10X98765432"[sum%11]; got != want {
			t.Fatalf("idCheck(%s) = %c, want %c", d, got, want)
		}
	}
}
