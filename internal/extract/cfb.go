package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"iter"
	"strings"
	"unicode/utf16"
)

// OLE compound files (MS-CFB): the container of legacy Office files. Only
// what is needed to take one stream out of a file held in memory is read:
// the header, the FAT (through the DIFAT), the directory, and the mini
// FAT and mini stream for streams under the cutoff.

// errCFB reports a compound file that does not parse.
var errCFB = errors.New("ole: malformed compound file")

// CFB sector numbers with a meaning of their own.
const (
	cfbEndOfChain = 0xfffffffe
	cfbMaxRegular = 0xfffffffa
)

// cfb is a compound file held in data.
type cfb struct {
	data      []byte
	shift     uint // sector size is 1 << shift
	fat       []uint32
	miniFAT   []uint32
	mini      []byte // the mini stream
	miniShift uint
	cutoff    uint64
	dir       []byte // the directory's entries, 128 bytes each
}

// openCFB parses the structures of the compound file in data.
func openCFB(data []byte) (*cfb, error) {
	if len(data) < 512 || !bytes.HasPrefix(data, oleMagic) {
		return nil, errCFB
	}
	le := binary.LittleEndian
	f := &cfb{data: data, shift: uint(le.Uint16(data[0x1e:])), miniShift: uint(le.Uint16(data[0x20:])), cutoff: uint64(le.Uint32(data[0x38:]))}
	if (f.shift != 9 && f.shift != 12) || f.miniShift != 6 {
		return nil, errCFB
	}
	// The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
	nFAT := int(le.Uint32(data[0x2c:]))
	if nFAT > len(data)>>f.shift {
		return nil, errCFB
	}
	var fatSectors []uint32
	for i := 0; i < 109 && len(fatSectors) < nFAT; i++ {
		fatSectors = append(fatSectors, le.Uint32(data[0x4c+4*i:]))
	}
	per := 1<<(f.shift-2) - 1 // FAT sector numbers in a DIFAT sector
	for s, n := le.Uint32(data[0x44:]), 0; len(fatSectors) < nFAT && s <= cfbMaxRegular; n++ {
		sec, ok := f.sector(s)
		if !ok || n > nFAT {
			return nil, errCFB
		}
		for i := 0; i < per && len(fatSectors) < nFAT; i++ {
			fatSectors = append(fatSectors, le.Uint32(sec[4*i:]))
		}
		s = le.Uint32(sec[4*per:])
	}
	f.fat = make([]uint32, 0, len(fatSectors)<<(f.shift-2))
	for _, s := range fatSectors {
		sec, ok := f.sector(s)
		if !ok {
			return nil, errCFB
		}
		for i := 0; i < len(sec); i += 4 {
			f.fat = append(f.fat, le.Uint32(sec[i:]))
		}
	}
	dir, err := f.chain(f.fat, le.Uint32(data[0x30:]), f.shift, nil)
	if f.dir = dir; err != nil {
		return nil, err
	}
	if len(f.dir) < 128 {
		return nil, errCFB
	}
	mf, err := f.chain(f.fat, le.Uint32(data[0x3c:]), f.shift, nil)
	if err != nil {
		return nil, err
	}
	for i := 0; i+4 <= len(mf); i += 4 {
		f.miniFAT = append(f.miniFAT, le.Uint32(mf[i:]))
	}
	// The root entry's stream is the mini stream.
	root := f.dir[:128]
	if f.mini, err = f.chain(f.fat, le.Uint32(root[0x74:]), f.shift, nil); err != nil {
		return nil, err
	}
	return f, nil
}

// sector returns regular sector s.
func (f *cfb) sector(s uint32) ([]byte, bool) {
	if s > cfbMaxRegular {
		return nil, false
	}
	start := (int64(s) + 1) << f.shift
	end := start + 1<<f.shift
	if end > int64(len(f.data)) {
		return nil, false
	}
	return f.data[start:end], true
}

// miniSector returns mini sector s of the mini stream.
func (f *cfb) miniSector(s uint32) ([]byte, bool) {
	start := int64(s) << f.miniShift
	end := start + 1<<f.miniShift
	if s > cfbMaxRegular || end > int64(len(f.mini)) {
		return nil, false
	}
	return f.mini[start:end], true
}

// chain appends to out the sectors of the chain from start in table
// (the FAT, or the mini FAT when shift is the mini shift). A chain longer
// than the table or than the sectors there are (it goes round: a FAT may
// list one sector many times), or through a sector that does not exist,
// is malformed.
func (f *cfb) chain(table []uint32, start uint32, shift uint, out []byte) ([]byte, error) {
	sectors := len(f.data) >> f.shift
	if shift != f.shift {
		sectors = len(f.mini) >> f.miniShift
	}
	for s, n := start, 0; s != cfbEndOfChain; n++ {
		if n > len(table) || n > sectors || int(s) >= len(table) {
			return nil, errCFB
		}
		var sec []byte
		var ok bool
		if shift == f.shift {
			sec, ok = f.sector(s)
		} else {
			sec, ok = f.miniSector(s)
		}
		if !ok {
			return nil, errCFB
		}
		out = append(out, sec...)
		s = table[s]
	}
	return out, nil
}

// stream returns the content of the first stream named name (in any
// letter case), and whether there is one.
func (f *cfb) stream(name string) ([]byte, bool, error) {
	for e := range f.streams() {
		if strings.EqualFold(entryName(e), name) {
			data, err := f.content(e)
			return data, true, err
		}
	}
	return nil, false, nil
}

// streams yields the directory entries of the file's streams.
func (f *cfb) streams() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for e := 0; e+128 <= len(f.dir); e += 128 {
			if entry := f.dir[e : e+128]; entry[0x42] == 2 && !yield(entry) {
				return
			}
		}
	}
}

// entryName is the name of a directory entry.
func entryName(entry []byte) string {
	n := int(binary.LittleEndian.Uint16(entry[0x40:]))/2 - 1 // UTF-16 units, without the NUL
	if n < 0 || n > 31 {
		return ""
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(entry[2*i:])
	}
	return string(utf16.Decode(u))
}

// content returns the content of a stream's directory entry.
func (f *cfb) content(entry []byte) ([]byte, error) {
	le := binary.LittleEndian
	size := le.Uint64(entry[0x78:])
	if f.shift == 9 {
		size &= 0xffffffff // version 3 files may leave garbage in the high half
	}
	var out []byte
	var err error
	if size < f.cutoff {
		out, err = f.chain(f.miniFAT, le.Uint32(entry[0x74:]), f.miniShift, nil)
	} else {
		out, err = f.chain(f.fat, le.Uint32(entry[0x74:]), f.shift, nil)
	}
	if err != nil {
		return nil, err
	}
	if size > uint64(len(out)) {
		return nil, errCFB
	}
	return out[:size], nil
}
