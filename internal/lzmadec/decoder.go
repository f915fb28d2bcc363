// Package lzmadec decodes LZMA and LZMA2, the coders of xz and 7-Zip, into a
// sliding dictionary. It decodes into the dictionary and hands out what it
// decoded, so steady-state decoding allocates nothing: the decoder it
// replaces (github.com/ulikunitz/xz/lzma) allocated on every literal and
// match and ran at about a quarter of the speed.
//
// The format: the LZMA SDK's lzma-specification.txt and XZ Utils' LZMA2
// chunk format (xz-file-format.txt names it; liblzma defines it).
package lzmadec

import (
	"errors"
	"io"
)

// ErrCorrupt reports data that is not a valid LZMA or LZMA2 stream.
var ErrCorrupt = errors.New("lzma: corrupt data")

// MinDict is the smallest dictionary a decoder allocates.
const MinDict = 1 << 12

const (
	numStates      = 12
	maxPosBits     = 4
	matchLenMin    = 2
	distStates     = 4
	distSlotBits   = 6
	distModelStart = 4
	distModelEnd   = 14
	fullDistances  = 1 << (distModelEnd >> 1)
	alignBits      = 4
	literalCoders  = 0x300
	endMarker      = 0xffffffff
)

// stateAfter* give the state after each kind of packet (LZMA's 12 states
// remember the kinds of the last few packets).
var stateAfterLiteral = [numStates]uint8{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}

func stateAfterMatch(s uint8) uint8    { return 7 + 3*min(s/7, 1) }
func stateAfterRep(s uint8) uint8      { return 8 + 3*min(s/7, 1) }
func stateAfterShortRep(s uint8) uint8 { return 9 + 2*min(s/7, 1) }

// lengthDecoder decodes match lengths: 2-9, 10-17 or 18-273.
type lengthDecoder struct {
	choice, choice2 prob
	low, mid        [1 << maxPosBits][1 << 3]prob
	high            [1 << 8]prob
}

func (l *lengthDecoder) reset() {
	l.choice, l.choice2 = probInit, probInit
	for i := range l.low {
		fill(l.low[i][:])
		fill(l.mid[i][:])
	}
	fill(l.high[:])
}

func (l *lengthDecoder) decode(rc *rangeDecoder, posState uint32) uint32 {
	if rc.bit(&l.choice) == 0 {
		return matchLenMin + rc.tree(l.low[posState][:], 3)
	}
	if rc.bit(&l.choice2) == 0 {
		return matchLenMin + 8 + rc.tree(l.mid[posState][:], 3)
	}
	return matchLenMin + 16 + rc.tree(l.high[:], 8)
}

func fill(p []prob) {
	for i := range p {
		p[i] = probInit
	}
}

// decoder is the LZMA state shared by the LZMA and LZMA2 readers: the
// models, the last four distances and the dictionary.
type decoder struct {
	rc rangeDecoder

	lc, lp         uint
	lpMask, pbMask uint32

	state uint8
	rep   [4]uint32

	isMatch     [numStates << maxPosBits]prob
	isRep       [numStates]prob
	isRepG0     [numStates]prob
	isRepG1     [numStates]prob
	isRepG2     [numStates]prob
	isRep0Long  [numStates << maxPosBits]prob
	distSlot    [distStates][1 << distSlotBits]prob
	distSpecial [fullDistances - distModelEnd + 1]prob // [0] unused: see distance
	align       [1 << alignBits]prob
	matchLen    lengthDecoder
	repLen      lengthDecoder
	literal     []prob

	dict []byte // grows up to max bytes, then wraps
	max  int    // the dictionary's size
	out  int    // dict bytes before out (from the last wrap) are handed out
	pos  int    // where the next byte goes in dict
	full int    // bytes of dict that hold history (distances must stay inside)
	base uint32 // position of dict[0] in the stream since the last dictionary reset
	rem  int    // bytes of the current match still to copy
}

// setProps sets lc, lp and pb from LZMA's properties byte and sizes the
// literal models for them.
func (d *decoder) setProps(props byte) error {
	if props >= 9*5*5 {
		return ErrCorrupt
	}
	lc, lp, pb := uint(props%9), uint(props/9%5), uint(props/45)
	d.lc, d.lp = lc, lp
	d.lpMask, d.pbMask = 1<<lp-1, 1<<pb-1
	n := literalCoders << (lc + lp)
	if cap(d.literal) < n {
		d.literal = make([]prob, n)
	}
	d.literal = d.literal[:n]
	return nil
}

// resetState restores every model to even odds and forgets the distances.
func (d *decoder) resetState() {
	d.state, d.rep, d.rem = 0, [4]uint32{}, 0
	fill(d.isMatch[:])
	fill(d.isRep[:])
	fill(d.isRepG0[:])
	fill(d.isRepG1[:])
	fill(d.isRepG2[:])
	fill(d.isRep0Long[:])
	for i := range d.distSlot {
		fill(d.distSlot[i][:])
	}
	fill(d.distSpecial[:])
	fill(d.align[:])
	d.matchLen.reset()
	d.repLen.reset()
	fill(d.literal)
}

// resetDict empties the dictionary; the caller has handed out its bytes.
func (d *decoder) resetDict() {
	d.out, d.pos, d.full, d.base, d.rem = 0, 0, 0, 0, 0
}

// wrap moves the write position back to the dictionary's start once it is
// full and its bytes are handed out.
func (d *decoder) wrap() {
	if d.pos == len(d.dict) {
		d.base += uint32(len(d.dict))
		d.out, d.pos = 0, 0
	}
}

// errEnd reports LZMA's end-of-stream marker.
var errEnd = errors.New("lzma: end marker")

// errBoundary reports where a stream of unknown size ends (see
// rangeDecoder.boundary).
var errBoundary = errors.New("lzma: stream boundary")

// decode decodes packets into dict until pos reaches limit (at most
// len(dict)) or the input reaches rc.stop. A match that crosses limit is
// finished by the next call. It returns errEnd at an end marker,
// errBoundary at a boundary when rc.watch is set, ErrCorrupt at a
// distance outside the dictionary and io.ErrUnexpectedEOF when the input
// ends inside a packet.
func (d *decoder) decode(limit int) error {
	if d.rem > 0 {
		d.copyMatch(limit)
	}
	rc := &d.rc
	pos, full := d.pos, d.full
	for d.pos < limit && !rc.short && rc.pos <= rc.stop {
		if rc.watch && rc.code&0xffffff == 0 && rc.boundary() { // a zero code after the owed normalization: rare
			return errBoundary
		}
		pos, full = d.pos, d.full
		at := d.base + uint32(pos)
		posState := at & d.pbMask
		state := uint32(d.state)
		if rc.bit(&d.isMatch[state<<maxPosBits|posState]) == 0 {
			d.literalAt(pos, at)
			continue
		}
		var n uint32
		if rc.bit(&d.isRep[state]) == 0 {
			n = d.matchLen.decode(rc, posState)
			dist, err := d.distance(n)
			if rc.short {
				break // an end marker or distance read from past the input
			}
			if err != nil {
				return err
			}
			d.rep = [4]uint32{dist, d.rep[0], d.rep[1], d.rep[2]}
			d.state = stateAfterMatch(d.state)
		} else {
			n = d.repeat(state, posState)
		}
		if rc.short {
			break
		}
		if uint64(d.rep[0]) >= uint64(d.full) { // uint64: int is 32 bits on some platforms
			return ErrCorrupt
		}
		d.rem = int(n)
		d.copyMatch(limit)
	}
	if rc.short {
		// The input ended inside the last packet: it is not output.
		d.pos, d.full, d.rem = pos, full, 0
		return io.ErrUnexpectedEOF
	}
	return nil
}

// literalAt decodes one literal into dict[pos]; at is its stream position.
func (d *decoder) literalAt(pos int, at uint32) {
	dict := d.dict
	var prev uint32
	if d.full > 0 {
		prev = uint32(dict[d.back(0)])
	}
	i := (at&d.lpMask)<<d.lc + prev>>(8-d.lc)
	probs := d.literal[literalCoders*i : literalCoders*(i+1)]
	var b byte
	if d.state < 7 {
		b = d.rc.literal(probs)
	} else {
		b = d.rc.matchedLiteral(probs, uint32(dict[d.back(d.rep[0])]))
	}
	dict[pos] = b
	d.pos = pos + 1
	if d.full < len(dict) {
		d.full++
	}
	d.state = stateAfterLiteral[d.state]
}

// back returns the index of the byte dist+1 bytes before pos. The caller
// has checked that the history holds it.
func (d *decoder) back(dist uint32) int {
	i := d.pos - int(dist) - 1
	if i < 0 {
		i += len(d.dict)
	}
	return i
}

// distance decodes a new match's distance for a match of length n.
func (d *decoder) distance(n uint32) (uint32, error) {
	rc := &d.rc
	slot := rc.tree(d.distSlot[min(n-matchLenMin, distStates-1)][:], distSlotBits)
	if slot < distModelStart {
		return slot, nil
	}
	bits := slot>>1 - 1
	dist := (2 | slot&1) << bits
	if slot < distModelEnd {
		// The specification's models for this slot start at
		// dist-slot-1 and are indexed from 1 (-1 for slot 4): one leading
		// model more keeps the index in range.
		return dist + rc.reverse(d.distSpecial[dist-slot:], uint(bits)), nil
	}
	dist += rc.direct(bits-alignBits) << alignBits
	dist += rc.reverse(d.align[:], alignBits)
	if dist == endMarker {
		return 0, errEnd
	}
	return dist, nil
}

// repeat decodes a repeated match (one of the last four distances, or a
// one-byte "short rep" of the last) and returns its length.
func (d *decoder) repeat(state, posState uint32) uint32 {
	rc := &d.rc
	if rc.bit(&d.isRepG0[state]) == 0 {
		if rc.bit(&d.isRep0Long[state<<maxPosBits|posState]) == 0 {
			d.state = stateAfterShortRep(d.state)
			return 1
		}
	} else {
		var dist uint32
		if rc.bit(&d.isRepG1[state]) == 0 {
			dist = d.rep[1]
		} else {
			if rc.bit(&d.isRepG2[state]) == 0 {
				dist = d.rep[2]
			} else {
				dist = d.rep[3]
				d.rep[3] = d.rep[2]
			}
			d.rep[2] = d.rep[1]
		}
		d.rep[1] = d.rep[0]
		d.rep[0] = dist
	}
	d.state = stateAfterRep(d.state)
	return d.repLen.decode(rc, posState)
}

// copyMatch copies the current match (rem bytes from distance rep[0]) up
// to limit.
func (d *decoder) copyMatch(limit int) {
	dict := d.dict
	n := min(d.rem, limit-d.pos)
	d.rem -= n
	pos, src := d.pos, d.back(d.rep[0])
	d.pos += n
	d.full = min(d.full+n, len(dict))
	if src < pos && src+n <= pos {
		copy(dict[pos:pos+n], dict[src:src+n])
		return
	}
	for ; n > 0; n-- {
		dict[pos] = dict[src]
		pos++
		if src++; src == len(dict) {
			src = 0
		}
	}
}
