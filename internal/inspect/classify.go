package inspect

// Byte flags of a stop table, one byte per byte value, in the bit order the
// vector kernel reads them: the top bit first, then each bit shifted up.
const (
	flagClass = 1 << 7 // a class byte: a stop by itself
	flagDigit = 1 << 6 // a digit: a stop at the fourth of a run
	flagPair  = 1 << 5 // a pair byte: a stop right after another
)

// stopTable classifies the bytes of a 64-byte block into three masks: class
// bytes, digits and pair bytes (see newStopTable). It holds the same
// classification twice: as byte flags for the vector kernel, and as planes
// for the portable loop.
//
// A plane entry gives, per position k of a byte in an eight-byte word and
// per byte value, bit k for a class byte, bit 16+k for a digit and bit 32+k
// for a pair byte, so that the OR of the entries of a word's eight bytes is
// all of its masks: one lookup and one OR per byte, and each plane has room
// for two words, so the planes are gathered once per 16 bytes.
type stopTable struct {
	flags  [256]byte
	planes [8][256]uint64
}

// textStops and csvStops are the stop tables of byteClass and csvClass.
var textStops, csvStops = newStopTable(&byteClass), newStopTable(&csvClass)

// newStopTable returns the stop table of the class table cls. A pair byte
// is a stop only right after another pair byte: 't' after '<', the last
// byte of 为 or 是 after its middle byte. Alone, each is too common to stop
// at (English text, any CJK text); two pair bytes in a row that are no such
// pair (tt, 为为) stop at a no-op.
func newStopTable(cls *[256]uint8) *stopTable {
	t := new(stopTable)
	for c := range 256 {
		switch cls[c] {
		case clsNone:
		case clsDigit:
			t.flags[c] = flagDigit
		case clsVerb, clsTag, clsPair:
			t.flags[c] = flagPair
		default:
			t.flags[c] = flagClass
		}
		for k := range 8 {
			var plane uint64
			if t.flags[c]&flagClass != 0 {
				plane |= 1 << k
			}
			if t.flags[c]&flagDigit != 0 {
				plane |= 1 << (16 + k)
			}
			if t.flags[c]&flagPair != 0 {
				plane |= 1 << (32 + k)
			}
			t.planes[k][c] = plane
		}
	}
	return t
}

// batchBlocks is how many 64-byte blocks the block search classifies at once.
const batchBlocks = 8

// blockMasks holds the masks of up to batchBlocks consecutive blocks, bit k
// of entry j for byte 64j+k. classifyVector writes it by offset: keep the
// layout in step with classify_amd64.s.
type blockMasks struct {
	class, digit, pair [batchBlocks]uint64
}

// classify fills out with the masks of the n blocks of src (n <= batchBlocks,
// len(src) >= 64n), with the vector kernel when simd is set.
func (t *stopTable) classify(src []byte, n int, out *blockMasks, simd bool) {
	_ = src[64*n-1]
	if simd {
		classifyVector(&t.flags, &src[0], n, out)
		return
	}
	for j := range n {
		out.class[j], out.digit[j], out.pair[j] = t.classifyPortable((*[64]byte)(src[64*j:]))
	}
}

// classifyPortable returns the class, digit and pair masks of one block
// without vector instructions.
func (t *stopTable) classifyPortable(blk *[64]byte) (class, digit, pair uint64) {
	p := &t.planes
	for k := 0; k <= 48; k += 16 {
		w := p[0][blk[k]] | p[1][blk[k+1]] | p[2][blk[k+2]] | p[3][blk[k+3]] |
			p[4][blk[k+4]] | p[5][blk[k+5]] | p[6][blk[k+6]] | p[7][blk[k+7]] |
			(p[0][blk[k+8]]|p[1][blk[k+9]]|p[2][blk[k+10]]|p[3][blk[k+11]]|
				p[4][blk[k+12]]|p[5][blk[k+13]]|p[6][blk[k+14]]|p[7][blk[k+15]])<<8
		class |= (w & 0xFFFF) << k
		digit |= (w >> 16 & 0xFFFF) << k
		pair |= (w >> 32 & 0xFFFF) << k
	}
	return class, digit, pair
}
