package inspect

import (
	"slices"
	"strings"
)

// Byte flags of a stop table, one byte per byte value, in the bit order the
// vector kernel reads them: the top bit first, then each bit shifted up.
const (
	flagClass = 1 << 7 // a class byte: a stop by itself
	flagDigit = 1 << 6 // a digit: a stop at the fourth of a run
	flagPair  = 1 << 5 // a pair byte: a stop right after another

	// The VBMI kernel also drops a guarded byte (':', '=' or '[' of free
	// text) from the class mask when the byte after it, in the same
	// block, starts no value: its handler would step over it at once, and
	// no walk back of the scan loop crosses a ':', '=', '[', '|' or tab,
	// so the stops it never makes change nothing. The other kernels keep
	// every class byte.
	flagGuarded    = 1 << 4 // ':', '=' and '[' of free text
	flagValueStart = 1 << 3 // a byte that may start a labelled value or a row of an array of rows (not quiet)

	// It drops a guarded bar ('|' of free text outside a table) after a
	// byte of the block that cannot come before the first bar of a
	// table's header row (textHeader): its handler would step over it at
	// once, and no walk back of the scan loop crosses a '|'.
	flagGuardedBar = 1 << 2 // '|' of free text outside a table
	flagRowStart   = 1 << 1 // a line end, the n of \n, a quote, a space

	// And it drops a guarded tab (stopTable.tab: a tab of free text
	// outside a table of tab-separated rows) unless cell bytes stand on
	// both sides of it in the block: the first tab of a header row ends a
	// label and starts one (tabMayOpen); indentation, alignment after a
	// space and binary bytes make no stop.
	flagCell = 1 << 0 // a letter, '"', ')', '.', a Han lead byte or a continuation byte
)

// cellByte reports whether c has flagCell: a byte that may end a header
// cell before its row's first tab or start the cell after it.
func cellByte(c byte) bool {
	return isLetter(c) || c == '"' || c == ')' || c == '.' || c >= 0x80 && c <= 0xBF || c >= 0xE4 && c <= 0xE9
}

// kernel names a way to classify blocks: the portable loop, or a vector
// kernel the CPU has.
type kernel uint8

const (
	kernelPortable kernel = iota
	kernelAVX2            // nibble table lookups (VPSHUFB), two passes of eight flag bits
	kernelVBMI            // AVX-512 byte permutes: the whole 256-byte table at once
)

// BlockClassifier names the kernel the block search runs on this CPU:
// "avx512vbmi", "avx2" or "portable". GODEBUG=cpu.avx512vbmi=off (and
// cpu.avx2=off) make it pick a slower one, for comparison or if a kernel
// were ever suspected.
func BlockClassifier() string { return bestKernel.String() }

// String returns the kernel's name.
func (k kernel) String() string {
	switch k {
	case kernelVBMI:
		return "avx512vbmi"
	case kernelAVX2:
		return "avx2"
	}
	return "portable"
}

// stopTable classifies the bytes of a 64-byte block into three masks: class
// bytes, digits and pair bytes (see newStopTable). It holds the same
// classification three times: as byte flags for the VBMI kernel, as nibble
// tables for the AVX2 kernel, and as planes for the portable loop.
//
// A plane entry gives, per position k of a byte in an eight-byte word and
// per byte value, bit k for a class byte, bit 16+k for a digit and bit 32+k
// for a pair byte, so that the OR of the entries of a word's eight bytes is
// all of its masks: one lookup and one OR per byte, and each plane has room
// for two words, so the planes are gathered once per 16 bytes.
type stopTable struct {
	flags   [256]byte
	tab     byte // '\t' when tabs are guarded (flagCell), else 0
	nibbles nibbleTables
	planes  [8][256]uint64
}

// nibbleTables classify a byte by its two nibbles, as the AVX2 kernel does:
// in pass p, bit b of lo[p][c&15] & hi[p][c>>4] set means c has the flag
// whose selector sel[f][p] has bit b. Each bit stands for one set of high
// nibbles that share their set of low nibbles for one flag (digits: high
// nibble 3, low 0-9), so a flag takes as many bits as it has distinct
// low-nibble sets; two passes give sixteen bits.
type nibbleTables struct {
	lo, hi [2][16]byte
	sel    [3][2]byte // class, digit, pair
}

// newNibbleTables builds the nibble tables of flags; ok is false when the
// flags need more than sixteen bits.
func newNibbleTables(flags *[256]byte) (t nibbleTables, ok bool) {
	bit := 0
	for f, flag := range []byte{flagClass, flagDigit, flagPair} {
		// The high nibbles of each low-nibble set, in order of first use.
		var sets, highs []uint16
		for h := range 16 {
			var set uint16
			for l := range 16 {
				if flags[h<<4|l]&flag != 0 {
					set |= 1 << l
				}
			}
			if set == 0 {
				continue
			}
			if k := slices.Index(sets, set); k >= 0 {
				highs[k] |= 1 << h
			} else {
				sets, highs = append(sets, set), append(highs, 1<<h)
			}
		}
		for k, set := range sets {
			if bit == 16 {
				return nibbleTables{}, false
			}
			p, b := bit/8, byte(1)<<(bit%8)
			for n := range 16 {
				if set&(1<<n) != 0 {
					t.lo[p][n] |= b
				}
				if highs[k]&(1<<n) != 0 {
					t.hi[p][n] |= b
				}
			}
			t.sel[f][p] |= b
			bit++
		}
	}
	return t, true
}

// textStops is the stop table of byteClass; tableStops is the same inside
// a '|' table, where every bar is a stop, tabTableStops inside a table of
// tab-separated rows, where every tab is, and commaTableStops (of
// commaClass) inside a table of comma-separated rows in a JSON string,
// where every comma is.
var (
	textStops       = newStopTable(&byteClass, ":=[\t|")
	tableStops      = newStopTable(&byteClass, ":=[\t")
	tabTableStops   = newStopTable(&byteClass, ":=[|")
	commaTableStops = newStopTable(&commaClass, ":=[\t|")
)

// commaClass is byteClass with the comma a cell delimiter (clsBar), for a
// table of comma-separated rows in a JSON string.
var commaClass = func() [256]uint8 {
	cls := byteClass
	cls[','] = clsBar
	return cls
}()

// csvDelims are the cell delimiters a CSV header row may use (European
// Excel exports use ';', database clients and Markdown tables '|'), in the
// order that breaks a tie between their counts in the header line.
const csvDelims = ",\t;|"

// csvTable is the class table of a CSV body with one cell delimiter, and
// its stop table.
type csvTable struct {
	delim byte
	cls   [256]uint8
	stops *stopTable
}

// csvTables holds the tables of the delimiters of csvDelims, in its order.
var csvTables = func() (t [len(csvDelims)]csvTable) {
	for k := range t {
		t[k].delim = csvDelims[k]
		t[k].cls = csvClass(csvDelims[k])
		t[k].stops = newStopTable(&t[k].cls, "")
	}
	return t
}()

// newStopTable returns the stop table of the class table cls. A pair byte
// is a stop only right after another pair byte: 't' after '<', the last
// byte of 为 or 是 after its middle byte. Alone, each is too common to stop
// at (English text, any CJK text); two pair bytes in a row that are no such
// pair (tt, 为为) stop at a no-op. guarded lists the bytes the VBMI
// kernel may drop, in free text only (the drop's condition is the free-text
// handler's): ':' and '=' before a byte that starts no value (a CSV body's
// separator handler steps over them whatever follows, its delimiter being
// none of them), a '[' before one that starts no row (see startsRow), a
// bar that opens no table, a tab between other than cell bytes.
func newStopTable(cls *[256]uint8, guarded string) *stopTable {
	t := new(stopTable)
	for c := range 256 {
		switch {
		case strings.IndexByte(guarded, byte(c)) < 0:
		case c == '|':
			t.flags[c] |= flagGuardedBar
		case c == '\t':
			t.tab = '\t'
		default:
			t.flags[c] |= flagGuarded
		}
		if mayStartValue(byte(c)) || startsRow(byte(c)) {
			t.flags[c] |= flagValueStart
		}
		if cellByte(byte(c)) {
			t.flags[c] |= flagCell
		}
		switch c {
		case '\n', '\r', 'n', '"', ' ':
			t.flags[c] |= flagRowStart
		}
		switch cls[c] {
		case clsNone:
		case clsDigit:
			t.flags[c] |= flagDigit
		case clsVerb, clsTag, clsPair:
			t.flags[c] |= flagPair
		default:
			t.flags[c] |= flagClass
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
	nibbles, ok := newNibbleTables(&t.flags)
	if !ok {
		panic("inspect: a stop table needs more than sixteen nibble bits")
	}
	t.nibbles = nibbles
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
// len(src) >= 64n) with kernel k.
func (t *stopTable) classify(src []byte, n int, out *blockMasks, k kernel) {
	_ = src[64*n-1]
	switch k {
	case kernelVBMI:
		classifyVBMI(&t.flags, uint64(t.tab), &src[0], n, out)
		return
	case kernelAVX2:
		classifyAVX2(&t.nibbles, &src[0], n, out)
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
