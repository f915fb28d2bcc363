package lzmadec

import (
	"encoding/binary"
	"math"
)

// prob is an adaptive binary probability: the chance, out of 1<<11, that
// the next bit is 0.
type prob uint16

// probInit is the probability every model starts from: even odds.
const probInit prob = 1 << 10

// rangeDecoder reads bits from a range-coded byte slice. Reading past the
// slice yields zero bytes and sets short, so corrupt input never panics and
// the caller can tell truncated data from a clean end.
type rangeDecoder struct {
	rng, code uint32
	in        []byte
	pos       int
	stop      int  // decode starts no packet past this input position
	watch     bool // decode stops at a boundary (see boundary)
	short     bool
}

// init starts decoding in: a zero byte and the first four code bytes.
func (rc *rangeDecoder) init(in []byte) bool {
	rc.in, rc.rng, rc.short, rc.stop = in, 0xffffffff, false, math.MaxInt
	if len(in) < 5 || in[0] != 0 {
		rc.pos, rc.code = len(in), 0
		return false
	}
	rc.code = binary.BigEndian.Uint32(in[1:5])
	rc.pos = 5
	return true
}

// normalize shifts in the next byte once the range has narrowed.
func (rc *rangeDecoder) normalize() {
	if rc.rng < 1<<24 {
		rc.rng, rc.code = rc.pull(rc.rng, rc.code)
	}
}

// pull shifts the next input byte into code and widens rng to match.
func (rc *rangeDecoder) pull(rng, code uint32) (uint32, uint32) {
	if rc.pos < len(rc.in) {
		code = code<<8 | uint32(rc.in[rc.pos])
		rc.pos++
	} else {
		code <<= 8
		rc.short = true
	}
	return rng << 8, code
}

// step decodes one bit with probability p from a normalized range and
// returns the new range, code and probability and the bit. The loops below
// keep the range and code in locals and call it inline.
func step(rng, code uint32, p prob) (uint32, uint32, prob, uint32) {
	bound := (rng >> 11) * uint32(p)
	if code < bound {
		return bound, code, p + (1<<11-p)>>5, 0
	}
	return rng - bound, code - bound, p - p>>5, 1
}

// bit decodes one bit with probability p and adapts p.
func (rc *rangeDecoder) bit(p *prob) uint32 {
	rng, code := rc.rng, rc.code
	if rng < 1<<24 {
		rng, code = rc.pull(rng, code)
	}
	var b uint32
	rc.rng, rc.code, *p, b = step(rng, code, *p)
	return b
}

// tree decodes a bits-wide symbol, most significant bit first, with the
// models probs[1:1<<bits].
func (rc *rangeDecoder) tree(probs []prob, bits uint) uint32 {
	rng, code := rc.rng, rc.code
	m := uint32(1)
	for range bits {
		if rng < 1<<24 {
			rng, code = rc.pull(rng, code)
		}
		var b uint32
		rng, code, probs[m], b = step(rng, code, probs[m])
		m = m<<1 | b
	}
	rc.rng, rc.code = rng, code
	return m - 1<<bits
}

// reverse decodes a bits-wide symbol, least significant bit first, with the
// models probs[1:1<<bits].
func (rc *rangeDecoder) reverse(probs []prob, bits uint) uint32 {
	rng, code := rc.rng, rc.code
	m, sym := uint32(1), uint32(0)
	for i := range bits {
		if rng < 1<<24 {
			rng, code = rc.pull(rng, code)
		}
		var b uint32
		rng, code, probs[m], b = step(rng, code, probs[m])
		m = m<<1 | b
		sym |= b << i
	}
	rc.rng, rc.code = rng, code
	return sym
}

// literal decodes a byte with the literal models probs (0x300 of them).
// Its loop spells out step's bit: literals are most of the decoding, and
// with step's four results the loop ran at 47 MB/s against 57 written out
// (BenchmarkDecode).
func (rc *rangeDecoder) literal(probs []prob) byte {
	probs = probs[:0x100]
	rng, code := rc.rng, rc.code
	sym := uint32(1)
	for sym < 0x100 {
		if rng < 1<<24 {
			rng, code = rc.pull(rng, code)
		}
		p := uint32(probs[sym])
		bound := (rng >> 11) * p
		if code < bound {
			rng = bound
			probs[sym] = prob(p + (1<<11-p)>>5)
			sym <<= 1
		} else {
			rng -= bound
			code -= bound
			probs[sym] = prob(p - p>>5)
			sym = sym<<1 | 1
		}
	}
	rc.rng, rc.code = rng, code
	return byte(sym)
}

// matchedLiteral decodes a byte after a match, whose models also depend on
// the bits of match, the byte at the last distance, until they differ.
func (rc *rangeDecoder) matchedLiteral(probs []prob, match uint32) byte {
	probs = probs[:0x300]
	rng, code := rc.rng, rc.code
	sym, offset := uint32(1), uint32(0x100)
	for sym < 0x100 {
		if rng < 1<<24 {
			rng, code = rc.pull(rng, code)
		}
		match <<= 1
		matchBit := match & offset
		i := offset + matchBit + sym
		var b uint32
		rng, code, probs[i], b = step(rng, code, probs[i])
		sym = sym<<1 | b
		if b != 0 {
			offset = matchBit
		} else {
			offset &^= matchBit
		}
	}
	rc.rng, rc.code = rng, code
	return byte(sym)
}

// direct decodes bits bits of even odds (the middle of a long distance).
func (rc *rangeDecoder) direct(bits uint32) uint32 {
	var v uint32
	for range bits {
		rc.normalize()
		rc.rng >>= 1
		rc.code -= rc.rng
		t := 0 - rc.code>>31 // all ones when the bit is 0
		rc.code += rc.rng & t
		v = v<<1 + t + 1
	}
	return v
}

// flushed returns where the input stands after the normalization owed to
// the last bit, and whether the coder is there where an encoder's flush
// leaves it: a zero code. It does not move the coder.
func (rc *rangeDecoder) flushed() (pos int, ok bool) {
	code, pos := rc.code, rc.pos
	if rc.rng < 1<<24 {
		if pos == len(rc.in) {
			return pos, false
		}
		code, pos = code<<8|uint32(rc.in[pos]), pos+1
	}
	return pos, code == 0
}

// boundary reports whether a stream of unknown size may end here: the
// coder stands where a flush leaves it and the input ends or goes on with
// a zero byte, the first byte of a next stream. Zero literals that read no
// input look the same until they are decoded, so a stream that ends in
// some is taken to end before them.
func (rc *rangeDecoder) boundary() bool {
	pos, ok := rc.flushed()
	return ok && (pos == len(rc.in) || rc.in[pos] == 0)
}

// finished reports whether the coder ended where its encoder's flush did:
// after the normalization owed to the last bit, all input read, none
// missing, and a zero code.
func (rc *rangeDecoder) finished() bool {
	pos, ok := rc.flushed()
	return ok && !rc.short && pos == len(rc.in)
}
