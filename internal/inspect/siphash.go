package inspect

import (
	"encoding/binary"
	"math/bits"
)

// sipKey is a SipHash-2-4 key. SipHash is a keyed pseudo-random function:
// without the key its outputs cannot be tested against guessed values, so
// value hashes keyed with a shared secret may leave the process (for the
// window counts shared between replicas) without disclosing the values.
type sipKey struct{ k0, k1 uint64 }

func newSipKey(key []byte) sipKey {
	var k [16]byte
	copy(k[:], key)
	for i := 16; i < len(key); i++ { // fold longer secrets in
		k[i%16] ^= key[i]
	}
	return sipKey{binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])}
}

// sum64 returns SipHash-2-4 of m.
func (k sipKey) sum64(m []byte) uint64 {
	v0 := k.k0 ^ 0x736f6d6570736575
	v1 := k.k1 ^ 0x646f72616e646f6d
	v2 := k.k0 ^ 0x6c7967656e657261
	v3 := k.k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(m)
	for len(m) >= 8 {
		w := binary.LittleEndian.Uint64(m)
		v3 ^= w
		round()
		round()
		v0 ^= w
		m = m[8:]
	}
	var last [8]byte
	copy(last[:], m)
	last[7] = byte(n)
	w := binary.LittleEndian.Uint64(last[:])
	v3 ^= w
	round()
	round()
	v0 ^= w
	v2 ^= 0xff
	for range 4 {
		round()
	}
	return v0 ^ v1 ^ v2 ^ v3
}
