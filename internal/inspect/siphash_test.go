package inspect

import "testing"

// TestSipHashVectors checks the reference vectors of the SipHash paper
// (key 00..0f, messages 00, 00 01, ...).
func TestSipHashVectors(t *testing.T) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	k := newSipKey(key[:])
	tests := []struct {
		give int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{1, 0x74f839c593dc67fd},
		{8, 0x93f5f5799a932462},
		{15, 0xa129ca6149be45e5},
	}
	for _, tt := range tests {
		msg := make([]byte, tt.give)
		for i := range msg {
			msg[i] = byte(i)
		}
		if got := k.sum64(msg); got != tt.want {
			t.Errorf("SipHash of %d bytes = %#x, want %#x", tt.give, got, tt.want)
		}
	}
}
