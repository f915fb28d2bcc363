package extract

import (
	"encoding/binary"
	"errors"
)

// Compressed RTF (MS-OXRTFCP): how Outlook keeps a rich-text message body
// (PR_RTF_COMPRESSED in a .msg). An LZ77 variant over a 4 KiB dictionary
// that starts filled with common RTF.

// lzfuDict is the dictionary's initial content.
const lzfuDict = `{\rtf1\ansi\mac\deff0\deftab720{\fonttbl;}{\f0\fnil \froman \fswiss \fmodern \fscript \fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\colortbl\red0\green0\blue0` + "\r\n" + `\par \pard\plain\f0\fs20\b\i\u\tab\tx`

// Compression types of the header.
const (
	lzfuCompressed   = 0x75465a4c // "LZFu"
	lzfuUncompressed = 0x414c454d // "MELA"
)

// errLZFu reports compressed RTF that does not decode.
var errLZFu = errors.New("rtf: malformed compressed RTF")

// rtfRawSize is the decompressed size the header of compressed RTF b
// gives.
func rtfRawSize(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	return int(binary.LittleEndian.Uint32(b[4:]))
}

// decompressRTF returns the RTF of compressed RTF b, at most limit bytes
// (and at most the size its header gives).
func decompressRTF(b []byte, limit int) ([]byte, error) {
	if len(b) < 16 {
		return nil, errLZFu
	}
	le := binary.LittleEndian
	raw, typ := int(min(le.Uint32(b[4:]), uint32(limit))), le.Uint32(b[8:])
	data := b[16:]
	switch typ {
	case lzfuUncompressed:
		return data[:min(raw, len(data))], nil
	case lzfuCompressed:
	default:
		return nil, errLZFu
	}
	var dict [4096]byte
	w := copy(dict[:], lzfuDict)
	out := make([]byte, 0, min(raw, 4*len(data)))
	for len(out) < raw {
		if len(data) == 0 {
			return out, errLZFu
		}
		ctl := data[0]
		data = data[1:]
		for bit := 0; bit < 8 && len(out) < raw; bit++ {
			if ctl&(1<<bit) == 0 { // a literal
				if len(data) == 0 {
					return out, errLZFu
				}
				dict[w] = data[0]
				out = append(out, data[0])
				w = (w + 1) % len(dict)
				data = data[1:]
				continue
			}
			if len(data) < 2 { // a reference: 12 bits of offset, 4 of length
				return out, errLZFu
			}
			ref := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			off, n := ref>>4, ref&0xf+2
			if off == w {
				return out, nil // the end
			}
			for i := 0; i < n && len(out) < raw; i++ {
				c := dict[(off+i)%len(dict)]
				dict[w] = c
				out = append(out, c)
				w = (w + 1) % len(dict)
			}
		}
	}
	return out, nil
}
