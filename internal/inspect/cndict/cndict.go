// Package cndict holds the dictionaries behind the context-dependent
// detectors: Chinese surnames for personal names and the markers of a
// mainland street address. The tables are Go source literals; the lookup
// structures built from them are read-only, built once on first use, and
// every exported function is safe for concurrent use and allocation-free.
package cndict

import (
	"math/bits"
	"strings"
	"sync"
	"unicode/utf8"
)

// hanFirst and hanEnd bound the CJK Unified Ideographs block, the Han runes
// this package recognises.
const (
	hanFirst = 0x4E00
	hanEnd   = 0xA000
)

// isHan reports whether r is in the CJK Unified Ideographs block.
func isHan(r rune) bool {
	return r >= hanFirst && r < hanEnd
}

// runeSet is a set of Han runes.
type runeSet [(hanEnd - hanFirst) / 64]uint64

// newRuneSet returns the set of the Han runes in s; other runes are
// ignored.
func newRuneSet(s string) *runeSet {
	set := new(runeSet)
	for _, r := range s {
		set.add(r)
	}
	return set
}

// add adds r to the set if it is a Han rune.
func (s *runeSet) add(r rune) {
	if isHan(r) {
		s[(r-hanFirst)>>6] |= 1 << ((r - hanFirst) & 63)
	}
}

// has reports whether r is in the set.
func (s *runeSet) has(r rune) bool {
	return isHan(r) && s[(r-hanFirst)>>6]>>((r-hanFirst)&63)&1 != 0
}

// pairSet is a set of two-rune words: an open-addressing table of packed
// keys, and the set of first runes that rejects most lookups without a probe.
type pairSet struct {
	firsts *runeSet
	slots  []uint64 // power-of-two table; 0 marks an empty slot
	shift  uint     // 64 - log2(len(slots))
}

// pairKey packs two runes into one key (runes fit in 21 bits).
func pairKey(a, b rune) uint64 {
	return uint64(a)<<21 | uint64(b)
}

// newPairSet returns the set of the space-separated two-rune words in s.
// Longer words contribute their first two runes; the tests check that the
// tables hold two-rune words only.
func newPairSet(s string) pairSet {
	words := strings.Fields(s)
	size := uint(8)
	for size < 2*uint(len(words)) {
		size *= 2
	}
	set := pairSet{firsts: new(runeSet), slots: make([]uint64, size), shift: uint(64 - bits.TrailingZeros(size))}
	for _, w := range words {
		a, n := utf8.DecodeRuneInString(w)
		b, _ := utf8.DecodeRuneInString(w[n:])
		set.firsts.add(a)
		key := pairKey(a, b)
		i := set.slot(key)
		for set.slots[i] != 0 && set.slots[i] != key {
			i = (i + 1) & (len(set.slots) - 1)
		}
		set.slots[i] = key
	}
	return set
}

// slot is the home slot of key.
func (s *pairSet) slot(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> s.shift)
}

// has reports whether the word ab is in the set. (A pointer receiver: a
// value receiver copied the set onto the stack on every lookup, which cost
// more than the probe.)
func (s *pairSet) has(a, b rune) bool {
	if !s.firsts.has(a) {
		return false
	}
	key := pairKey(a, b)
	for i := s.slot(key); ; i = (i + 1) & (len(s.slots) - 1) {
		switch s.slots[i] {
		case key:
			return true
		case 0:
			return false
		}
	}
}

// tables holds the lookup structures built from the source literals.
type tables struct {
	surnames     *runeSet // single-character surnames
	compounds    pairSet  // compound surnames
	nameStops    pairSet  // words that start like a name but are not one
	nameFinals   *runeSet // runes that end a place or organisation, not a name
	addressStops pairSet  // common words that contain an address marker
	// addressPairs holds the two-rune markers of each kind (街道, 小区 ...);
	// the one-rune markers are in markerInfo.
	addressPairs [numMarkerKinds]pairSet
	// markerInfo holds, per Han rune, its one-rune marker kind and whether
	// it takes part in a two-rune marker or an address stop word: one
	// lookup rejects most runes of an address, and most neighbours of a
	// marker before a pair lookup.
	markerInfo [hanEnd - hanFirst]uint8
}

// Flags of tables.markerInfo.
const (
	infoKind       = 3      // mask of the one-rune marker kind; 0 for none
	infoPair       = 1 << 2 // first rune of a two-rune marker
	infoStopFirst  = 1 << 3 // first rune of an address stop word
	infoStopSecond = 1 << 4 // second rune of an address stop word
	infoPairSecond = 1 << 5 // second rune of a two-rune marker
)

// info returns the marker information of r, 0 for a rune that is not Han.
func (t *tables) info(r rune) uint8 {
	if !isHan(r) {
		return 0
	}
	return t.markerInfo[r-hanFirst]
}

// dict returns the tables, built once.
var dict = sync.OnceValue(func() *tables {
	t := &tables{
		surnames:     newRuneSet(singleSurnames),
		compounds:    newPairSet(compoundSurnames),
		nameStops:    newPairSet(nameStopWords),
		nameFinals:   newRuneSet(nameStopFinals),
		addressStops: newPairSet(addressStopWords),
	}
	t.addressPairs[adminMarker] = newPairSet(adminPairs)
	t.addressPairs[placeMarker] = newPairSet(placePairs)
	t.addressPairs[unitMarker] = newPairSet(unitPairs)
	info := func(r rune, f uint8) {
		if isHan(r) {
			t.markerInfo[r-hanFirst] |= f
		}
	}
	for kind, m := range [...]struct{ runes, pairs string }{
		adminMarker: {adminRunes, adminPairs},
		placeMarker: {placeRunes, placePairs},
		unitMarker:  {unitRunes, unitPairs},
	} {
		for _, r := range m.runes {
			info(r, uint8(kind))
		}
		for _, w := range strings.Fields(m.pairs) {
			r, n := utf8.DecodeRuneInString(w)
			info(r, infoPair)
			r, _ = utf8.DecodeRuneInString(w[n:])
			info(r, infoPairSecond)
		}
	}
	for _, w := range strings.Fields(addressStopWords) {
		a, n := utf8.DecodeRuneInString(w)
		b, _ := utf8.DecodeRuneInString(w[n:])
		info(a, infoStopFirst)
		info(b, infoStopSecond)
	}
	return t
})

// decodeRune is utf8.DecodeRune with an inlined path for the three-byte
// sequences of Han text, which the standard library sends to its slow path.
func decodeRune(s []byte) (rune, int) {
	if len(s) >= 3 && s[0]&0xF0 == 0xE0 && s[1]&0xC0 == 0x80 && s[2]&0xC0 == 0x80 {
		if r := rune(s[0]&0x0F)<<12 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F); r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
			return r, 3
		}
	}
	return utf8.DecodeRune(s)
}

// han3 decodes the three-byte rune at s[i] when its lead byte is one of
// E4-E9, which hold the Han block and its neighbours; ok is false for any
// other byte. It is small enough to be inlined, unlike decodeRune, so the
// loops over Han text call nothing per rune.
func han3(s []byte, i int) (r rune, ok bool) {
	if c := s[i]; c >= 0xE4 && c <= 0xE9 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
		return rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), true
	}
	return 0, false
}
