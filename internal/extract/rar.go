package extract

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"

	"github.com/nwaples/rardecode/v2"
)

// RAR archives (RAR 1.5 to 4 and RAR 5, as WinRAR writes them) are read
// member by member as they stream, by github.com/nwaples/rardecode/v2.

// RAR signatures: RAR 1.5-4.x and RAR 5.
var (
	rar4Magic = []byte("Rar!\x1a\x07\x00")
	rar5Magic = []byte("Rar!\x1a\x07\x01\x00")
)

const (
	// rarMaxDict is the largest dictionary accepted, as for xz: WinRAR's
	// default is 32 MiB (RAR 5) or 4 MiB (RAR 4). A member that needs
	// more is over the limit.
	rarMaxDict = 64 << 20
	// rarMinDict is the smallest window rardecode allocates.
	rarMinDict = 256 << 10
	// rarRead is how much rardecode reads ahead of what it decodes: the
	// smallest buffer it takes, so that bytes after the archive's end
	// block are in reach (see rarInput).
	rarRead = 32
	// rarLag bounds the input rardecode holds beyond what rarLayer counts:
	// its read-ahead and the bit reader's look-ahead.
	rarLag = 4 << 10
	// rarScale bounds the compressed bytes one decompressed byte stands
	// for: an LZ literal is at most a 15-bit code, a match of two or more
	// bytes at most a 15-bit length code, a 15-bit distance code and 30
	// extra bits (under 4 bytes a byte). PPMd (RAR 3) has no such bound:
	// a symbol may escape through many contexts; 16 is taken as its
	// practical bound.
	rarScale = 16
)

// isRar reports whether head starts a RAR archive.
func isRar(head []byte) bool {
	return bytes.HasPrefix(head, rar4Magic) || bytes.HasPrefix(head, rar5Magic)
}

// unrar inspects a RAR archive member by member, each a part of its own
// (as a zip's) after its name (see memberName), counted against MaxEntries, MaxTotal and MaxRatio. The
// window rardecode allocates (at most the member's size, or the
// dictionary of a solid archive) counts against MaxTotal; one over 64 MiB
// is over the limit. An encrypted member is `encrypted` and skipped; an
// archive whose headers are encrypted is `encrypted`; a member that goes
// on in another volume (a multi-volume archive sent in parts) is
// unsupported_encoding; a member that does not decode (or fails its
// checksum) is a decode error. Bytes after the archive's end block are
// read as content of their own.
func (x *Extractor) unrar(r io.Reader, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	in := &rarInput{cr: countReader{r: bufio.NewReaderSize(r, 4<<10)}}
	l := &rarLayer{x: x, in: in}
	x.push(&frame{fixed: rarLag, held: l.held, scale: rarScale})
	defer x.pop()
	rr, err := rardecode.NewReader(in, rardecode.BufferSize(rarRead), rardecode.MaxDictionarySize(rarMaxDict))
	if err != nil {
		return x.rarFailed(err, l, depth)
	}
	l.r = rr
	var window int64 // the largest window charged
	for entries := 0; ; entries++ {
		h, err := rr.Next()
		if err != nil {
			return x.rarFailed(err, l, depth)
		}
		if entries >= x.lim.MaxEntries {
			x.fail(ReasonOverLimit)
			return x.rarRest(l, depth)
		}
		if err := x.memberName(h.Name, depth); err != nil {
			return err
		}
		if h.IsDir {
			continue
		}
		if h.Encrypted {
			x.fail(ReasonEncrypted)
			continue
		}
		w := int64(rarMaxDict)
		if !h.Solid && !h.UnKnownSize {
			w = max(min(w, h.UnPackedSize), rarMinDict)
		}
		if w > window {
			if !x.charge(w - window) {
				return x.rarRest(l, depth)
			}
			window = w
		}
		start := in.cr.n
		m := x.member(l, func() int64 { return in.cr.n - start })
		if err := x.entry(m, h.Name, &office{}, depth); err != nil {
			return err
		}
	}
}

// memberName inspects the name of an archive member whose headers are
// not read as text (a zip's are, in its central directory) as a line of
// its own: 300 ID photos named 张三_110101199003078515.jpg count 300 IDs.
func (x *Extractor) memberName(name string, depth int) error {
	out := append(append(x.getBuf(len(name) + 1)[:0], name...), '\n')
	defer x.putBuf(out)
	return x.headerText(out, depth)
}

// rarRest reads the input as text from rardecode's last two reads on,
// where it stopped in the middle: a few bytes it read (a member's header)
// are read again rather than lost. As text: the bytes read again may be
// the archive's signature.
func (x *Extractor) rarRest(l *rarLayer, depth int) error {
	last := l.in.last[:l.in.n]
	l.rest = bytes.NewReader(last)
	return x.asText(io.MultiReader(l.rest, &l.in.cr), last, depth)
}

// rarFailed records why rardecode stopped, and reads what follows: after
// the archive's end block as content of its own, or the rest of an
// archive it could not read as text (see rarRest).
func (x *Extractor) rarFailed(err error, l *rarLayer, depth int) error {
	switch {
	case errors.Is(err, io.EOF):
		l.rest = bytes.NewReader(l.in.afterEnd())
		return x.outside(io.MultiReader(l.rest, &l.in.cr), depth)
	case errors.Is(err, errStopped):
		return err
	}
	x.fail(rarReason(err))
	return x.rarRest(l, depth)
}

// rarReason is the reason a rardecode error gives.
func rarReason(err error) string {
	switch {
	case errors.Is(err, rardecode.ErrArchiveEncrypted), errors.Is(err, rardecode.ErrArchivedFileEncrypted):
		return ReasonEncrypted
	case errors.Is(err, rardecode.ErrDictionaryTooLarge), errors.Is(err, rardecode.ErrPlatformIntSize):
		return ReasonOverLimit
	case errors.Is(err, rardecode.ErrMultiVolume), errors.Is(err, rardecode.ErrUnsupportedDecoder),
		errors.Is(err, rardecode.ErrUnknownDecoder), errors.Is(err, rardecode.ErrUnknownVersion):
		return ReasonUnsupportedEncoding
	}
	return ReasonDecodeError
}

// rarLayer is the content of the member rardecode is at. rardecode
// decodes in batches (up to its window, 256 KiB at least) and hands a
// batch out before it reads on. All the input from the start of the read
// that began the batch being handed out is held: that batch's, the
// headers read since (a member's name is counted after its header is
// read), and, while a read decodes the next batch, what it has read so far.
type rarLayer struct {
	x    *Extractor
	in   *rarInput
	r    *rardecode.Reader
	from int64 // input offset where the read that began the batch being handed out began
	// rest, once set, is what is read again after the archive (see
	// rarRest, rarFailed): the rest of the input is then read as it comes.
	rest *bytes.Reader
}

// held is the layer's hold in input bytes: the read-ahead, and from the
// read that began the batch being handed out on, or, after the archive,
// the bytes read again that are not read yet.
func (l *rarLayer) held() int64 {
	h := int64(l.in.cr.r.Buffered())
	if l.rest != nil {
		return h + int64(l.rest.Len())
	}
	return h + l.in.cr.n - l.from
}

func (l *rarLayer) Read(p []byte) (int, error) {
	before := l.in.cr.n
	n, err := l.r.Read(p)
	if l.in.cr.n > before {
		l.from = before
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errStopped) {
		if reason := rarReason(err); reason != ReasonDecodeError {
			l.x.fail(reason)
			return n, errLimit // recorded: not a decode error
		}
	}
	return n, err
}

// rarInput is the archive as rardecode reads it, keeping the last two
// reads (rardecode reads rarRead bytes at a time): after the end block,
// what rardecode read beyond it is found there. Each read is filled up to
// the end of the input, so that what rardecode has read does not depend
// on how the body was cut into writes.
type rarInput struct {
	cr   countReader
	last [2 * rarRead]byte
	n    int // bytes of last in use
}

func (in *rarInput) Read(p []byte) (int, error) {
	n, err := io.ReadFull(&in.cr, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // the last bytes; io.EOF on the next read
	}
	if n >= len(in.last) {
		in.n = copy(in.last[:], p[n-len(in.last):n])
	} else if n > 0 {
		drop := max(0, in.n+n-len(in.last))
		in.n = copy(in.last[:], in.last[drop:in.n])
		in.n += copy(in.last[in.n:], p[:n])
	}
	return n, err
}

// afterEnd returns the bytes rardecode read after the archive's end
// block: those after the first end block in the last reads (its CRC must
// match), or none.
func (in *rarInput) afterEnd() []byte {
	b := in.last[:in.n]
	for i := range b {
		if end := rarEndBlock(b[i:]); end > 0 {
			return b[i+end:]
		}
	}
	return nil
}

// rarEndBlock returns the length of the end-of-archive block that b
// starts with, or 0: RAR 5's (CRC32, size, type 5, ...) or RAR 4's
// (CRC16, type 0x7b, flags, size).
func rarEndBlock(b []byte) int {
	if len(b) >= 6 && b[4] < 0x80 && b[5] == 5 && 5+int(b[4]) <= len(b) {
		end := 5 + int(b[4])
		if crc32.ChecksumIEEE(b[4:end]) == binary.LittleEndian.Uint32(b) {
			return end
		}
	}
	if len(b) >= 7 && b[2] == 0x7b {
		end := int(binary.LittleEndian.Uint16(b[5:]))
		if end >= 7 && end <= len(b) && uint16(crc32.ChecksumIEEE(b[2:end])) == binary.LittleEndian.Uint16(b) {
			return end
		}
	}
	return 0
}
