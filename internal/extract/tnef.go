package extract

import (
	"bytes"
	"encoding/binary"
	"io"
)

// TNEF (winmail.dat, application/ms-tnef): Outlook and Exchange wrap a
// message's attachments in it when they send rich text. Read as bytes, an
// attachment inside (an xlsx, a zip: compressed) gave nothing: each
// attachment's data is now content of its own, after a line with its
// title. The format: MS-OXTNEF.

// tnefMagic starts a TNEF stream (0x223E9F78, little-endian).
var tnefMagic = []byte{0x78, 0x9f, 0x3e, 0x22}

// TNEF attributes read (the low 16 bits of an attribute's id).
const (
	tnefAttachTitle = 0x8010 // the attachment's file name
	tnefAttachData  = 0x800f // the attachment's content
	tnefLevelAttach = 2      // an attribute of an attachment
)

// isTNEF reports whether head starts a TNEF stream.
func isTNEF(head []byte) bool { return bytes.HasPrefix(head, tnefMagic) }

// tnef inspects a TNEF stream's attachments, each as content of its own
// after its title, as it streams: an attribute's data passes through as
// it is read (a 4 GiB length is only as long as the stream). Other
// attributes (the message's properties, its body, often as compressed
// RTF) are read as text, as before. An attribute cut short ends the
// stream: what was read counts, and it is a decode error.
func (x *Extractor) tnef(r io.Reader, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	// An attachment's title is held from its first byte until it is
	// counted (it is read whole first).
	cr, title := x.readingHeld(r)
	defer x.pop()
	if err := cr.skip(6); err != nil { // the signature and the legacy key
		return stopped(err)
	}
	var h [9]byte
	for entries := 0; ; entries++ {
		n, err := io.ReadFull(cr, h[:])
		if err != nil {
			if err = stopped(err); err != nil || n == 0 {
				return err // the stopped extractor, or the stream's end
			}
			x.fail(ReasonDecodeError)
			return x.asText(bytes.NewReader(h[:n]), h[:n], depth)
		}
		level, id, size := h[0], binary.LittleEndian.Uint16(h[1:]), int64(binary.LittleEndian.Uint32(h[5:]))
		if entries >= x.lim.MaxEntries {
			x.fail(ReasonOverLimit)
			return x.asText(io.MultiReader(bytes.NewReader(h[:]), cr), h[:], depth)
		}
		data := io.LimitReader(cr, size)
		switch {
		case level == tnefLevelAttach && id == tnefAttachData:
			start := cr.n
			err = x.entry(x.member(data, func() int64 { return cr.n - start }), "", &office{}, depth)
		case level == tnefLevelAttach && id == tnefAttachTitle && size <= 4<<10:
			*title = cr.n - int64(len(h))
			var name []byte
			if name, err = io.ReadAll(data); err == nil {
				err = x.memberName(string(bytes.TrimRight(name, "\x00")), depth)
			}
			*title = -1
		default:
			err = x.outside(data, depth)
		}
		if err != nil {
			return err
		}
		// Whatever the attribute's reader left (a limit), then its
		// checksum; an attribute cut short is a decode error.
		if _, err := io.Copy(io.Discard, data); err != nil {
			return stopped(err)
		}
		if err := cr.skip(2); err != nil {
			if err = stopped(err); err == nil {
				x.fail(ReasonDecodeError)
			}
			return err
		}
	}
}
