package extract

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Compressed files other than gzip. A bzip2 or zstd file (customers.csv.bz2,
// a .tar.zst) is inspected as what it decompresses to, as a gzip file is
// (xz: xz.go; RAR: rar.go; 7-Zip: sevenzip.go).

// bzip2 stream magics: "BZh", the block size '1'-'9', then the first
// block's magic (the BCD digits of pi) or, for an empty stream, the
// end-of-stream magic (those of sqrt(pi)).
var (
	bzip2Magic      = []byte("BZh")
	bzip2BlockMagic = []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}
	bzip2EndMagic   = []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90}
)

// bzip2Lag bounds the input compress/bzip2 holds before a block's first
// byte comes out: it reads a whole block first, at most 900,000 bytes of
// at most 20 bits each (the longest Huffman code it accepts), plus the
// block's tables and selectors (under 32 KiB).
const bzip2Lag = 900_000*20/8 + 32<<10

// bzip2Scale bounds the compressed bytes one decompressed byte stands for:
// every symbol but a block's end decodes to at least one byte, and takes
// at most 20 bits.
const bzip2Scale = 3

// errBzip2After is what compress/bzip2 returns when the two bytes after a
// stream's end are not "BZ", the start of another stream: the stream was
// whole, and the bytes belong to what follows it.
var errBzip2After = bzip2.StructuralError("bad magic value in continuation file")

// isBzip2 reports whether head starts a bzip2 stream.
func isBzip2(head []byte) bool {
	if len(head) < 10 || !bytes.HasPrefix(head, bzip2Magic) || head[3] < '1' || head[3] > '9' {
		return false
	}
	return bytes.Equal(head[4:10], bzip2BlockMagic) || bytes.Equal(head[4:10], bzip2EndMagic)
}

// bunzip2 inspects a bzip2 file as the content it decompresses to, as
// gunzip does a gzip file: a part of its own, counted against MaxTotal and
// MaxRatio. Concatenated streams (pbzip2, cat a.bz2 b.bz2) decode as one
// part. A stream that does not decode is a decode error; whatever the
// decoder left unread (bytes appended after the last stream, the rest of a
// corrupt stream) is read as content of its own. One stream is decoded at
// a time, in about 3.6 MB (compress/bzip2's block of 900,000 entries),
// which counts against MaxTotal (see charge).
func (x *Extractor) bunzip2(r io.Reader, depth int) error {
	cr := x.decodingOnce(r, depth, "bzip2", bzip2Lag, bzip2Scale)
	if cr == nil {
		return nil
	}
	defer x.pop()
	// The block's 4-byte entries, 100,000 per level digit: allocated
	// whether or not the stream holds a block.
	if h, _ := cr.r.Peek(4); len(h) < 4 || !x.charge(int64(h[3]-'0')*100_000*4) {
		return nil
	}
	in := &bzip2Input{cr: cr}
	d := &bzip2Stream{r: bzip2.NewReader(in)}
	if err := x.inflated(d, cr, cr.n, depth); err != nil {
		return err
	}
	if d.after {
		return x.outside(io.MultiReader(bytes.NewReader(in.last[:]), cr), depth)
	}
	return x.outside(cr, depth)
}

// bzip2Input hands compress/bzip2 the stream a byte at a time (it reads
// an io.ByteReader no further than it needs) and keeps the last two bytes
// read: those after a stream's end, once it turns out they start no other.
type bzip2Input struct {
	cr   *countReader
	last [2]byte
}

func (b *bzip2Input) ReadByte() (byte, error) {
	c, err := b.cr.ReadByte()
	if err == nil {
		b.last[0], b.last[1] = b.last[1], c
	}
	return c, err
}

func (b *bzip2Input) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := b.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}

// bzip2Stream is the decompressed content: it ends at bytes after a
// stream that start no other (after), where compress/bzip2 reports an
// error.
type bzip2Stream struct {
	r     io.Reader
	after bool
}

func (s *bzip2Stream) Read(p []byte) (int, error) {
	if s.after {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if errors.Is(err, errBzip2After) {
		s.after = true
		err = io.EOF
	}
	return n, err
}

// zstd frame magics: a frame, and a skippable frame (0x184D2A50 to
// 0x184D2A5F, little-endian), whose content the decoder ignores.
var (
	zstdMagic     = []byte{0x28, 0xb5, 0x2f, 0xfd}
	zstdSkipMagic = []byte{0x2a, 0x4d, 0x18} // after the low byte 0x5?
)

// zstdMaxWindow is the largest zstd window accepted, the bound
// internal/decode sets for a zstd Content-Encoding: RFC 8878 section
// 3.1.1.1.2 asks decoders to support 8 MB and allows them to refuse more.
// A frame that needs more is over the limit.
const zstdMaxWindow = 8 << 20

// zstdLag bounds the input the zstd decoder holds before a block's first
// byte comes out: it reads a whole block (at most 128 KiB and its 3-byte
// header) first, after the frame's header (at most 18 bytes).
const zstdLag = 132 << 10

// zstdScale bounds the compressed bytes one decompressed byte stands for:
// a sequence yields at least 3 bytes (the shortest match) from at most
// about 90 bits of codes and extra bits.
const zstdScale = 4

// isZstd reports whether head starts a zstd frame or a skippable frame.
func isZstd(head []byte) bool {
	return bytes.HasPrefix(head, zstdMagic) || isZstdSkip(head)
}

// isZstdSkip reports whether head starts a skippable frame.
func isZstdSkip(head []byte) bool {
	return len(head) >= 4 && head[0]&0xf0 == 0x50 && bytes.Equal(head[1:4], zstdSkipMagic)
}

// unzstd inspects a zstd file as the content it decompresses to, as
// gunzip does a gzip file. Each frame is a part of its own, counted
// against MaxTotal and MaxRatio; the content of a skippable frame (which
// the decoder ignores: pzstd writes its sizes there, anyone may write a
// list) is inspected as content of its own. A frame that does not decode
// is a decode error, one whose window is over 8 MiB over the limit; what
// the decoder left unread (bytes appended, the rest of a corrupt frame) is
// read as content of its own. The window the decoder allocates counts
// against MaxTotal (see charge), once per layer: its frames reuse it.
func (x *Extractor) unzstd(r io.Reader, depth int) error {
	cr := x.decodingOnce(r, depth, "zstd", zstdLag, zstdScale)
	if cr == nil {
		return nil
	}
	defer x.pop()
	zr, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1), // synchronous: no goroutines
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return fmt.Errorf("zstd decoder: %w", err)
	}
	defer zr.Close()
	var window int64 // the largest window charged for this decoder
	for {
		head, err := cr.r.Peek(8)
		if err = stopped(err); err != nil {
			return err
		}
		switch {
		case bytes.HasPrefix(head, zstdMagic):
			h, _ := cr.r.Peek(zstdMaxHeader)
			if w := zstdWindow(h); w > window {
				if !x.charge(w - window) {
					return nil
				}
				window = w
			}
			start := cr.n
			if err := zr.Reset(&zstdFrame{cr: cr}); err != nil {
				return fmt.Errorf("zstd reset: %w", err)
			}
			if err := x.inflated(&zstdLimited{x: x, d: zr}, cr, start, depth); err != nil {
				return err
			}
		case isZstdSkip(head) && len(head) == 8:
			if err := cr.skip(8); err != nil {
				return stopped(err)
			}
			size := int64(binary.LittleEndian.Uint32(head[4:]))
			if err := x.outside(io.LimitReader(cr, size), depth); err != nil {
				return err
			}
		default:
			return x.outside(cr, depth)
		}
	}
}

// zstdMaxHeader is the longest frame header: magic, descriptor, window
// descriptor, a 4-byte dictionary ID and an 8-byte content size.
const zstdMaxHeader = 18

// zstdWindow is the window the frame header h declares (RFC 8878 section
// 3.1.1.1.2; the content size for a single-segment frame), at most one
// byte over zstdMaxWindow (the decoder refuses more before allocating);
// 0 if h is cut short.
func zstdWindow(h []byte) int64 {
	if len(h) < 6 {
		return 0
	}
	fhd := h[4]
	if fhd&0x20 == 0 { // Window_Descriptor
		exp, mant := int64(h[5]>>3), int64(h[5]&7)
		base := int64(1) << min(10+exp, 40)
		return min(base+base/8*mant, zstdMaxWindow+1)
	}
	at := 5 + [4]int{0, 1, 2, 4}[fhd&3]
	size := [4]int{1, 2, 4, 8}[fhd>>6]
	if len(h) < at+size {
		return 0
	}
	var fcs uint64
	for i := size - 1; i >= 0; i-- {
		fcs = fcs<<8 | uint64(h[at+i])
	}
	if size == 2 {
		fcs += 256
	}
	return int64(min(fcs, zstdMaxWindow+1))
}

// decodingOnce is decoding for a decompressor that may not be nested in
// itself: when a layer of codec is already open (bzip2 in bzip2, zstd in
// zstd, which no tool writes) it is ReasonOverLimit and nil. Each layer's
// block or window stays allocated while the layers inside it decode: five
// nested zstd frames declaring 8 MiB windows (a 9 KB upload) held 41 MB,
// eight such uploads at once 333 MB. One layer of each at most holds about
// 12 MB.
func (x *Extractor) decodingOnce(r io.Reader, depth int, codec string, lag, scale int64) *countReader {
	for _, f := range x.frames {
		if f.codec == codec {
			x.fail(ReasonOverLimit)
			return nil
		}
	}
	return x.decoding(r, depth, codec, lag, scale)
}

// charge counts n bytes a decoder allocates against MaxTotal, as if they
// were decompressed: a zip of 2,000 tiny zstd frames each declaring an 8
// MiB window (186 KB) allocated 16.5 GB in 7.4 s, one of 2,000 empty bzip2
// streams 6.9 GB in 3.1 s. It reports whether the total is still within
// the limit; past it, it is ReasonOverLimit and the layer reads nothing.
func (x *Extractor) charge(n int64) bool {
	x.total += n
	if x.total > x.lim.MaxTotal {
		x.fail(ReasonOverLimit)
		return false
	}
	return true
}

// wrote counts n bytes of text a layer writes beyond what it read (a
// sheet's column tabs, a shared string written per cell) against
// MaxTotal, as a member's output is; past it, it is ReasonOverLimit and
// false: the layer stops.
func (x *Extractor) wrote(n int) bool {
	x.total += int64(n)
	if x.total > x.lim.MaxTotal {
		x.fail(ReasonOverLimit)
		return false
	}
	return true
}

// zstdLimited is the decoder's content; a frame whose window is over
// zstdMaxWindow is a limit hit, not a decode error.
type zstdLimited struct {
	x *Extractor
	d *zstd.Decoder
}

func (z *zstdLimited) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		z.x.fail(ReasonOverLimit)
		return n, errLimit
	}
	return n, err
}

// Pieces of a zstd frame, in order.
const (
	zstdHeader = iota
	zstdBlock
	zstdChecksum
	zstdEnd
)

// zstdFrame reads one zstd frame from cr, then ends (io.EOF). It follows
// the frame's header and block headers, not the blocks' content: the
// decoder reads no further than its frame, and what follows it is sniffed
// again (another frame, a skippable frame, appended bytes). A frame cut
// short by the end of the stream ends where the stream ends: the decoder
// reports the truncation.
type zstdFrame struct {
	cr   *countReader
	at   int  // the piece being read
	left int  // its bytes not yet read
	sum  bool // the frame ends with a 4-byte checksum
}

func (f *zstdFrame) Read(p []byte) (int, error) {
	for f.left == 0 {
		if f.at == zstdEnd {
			return 0, io.EOF
		}
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n, err := f.cr.Read(p[:min(len(p), f.left)])
	f.left -= n
	return n, err
}

// next measures the piece after the one read (RFC 8878 section 3.1.1).
func (f *zstdFrame) next() error {
	switch f.at {
	case zstdHeader:
		h, err := f.cr.r.Peek(5)
		if len(h) < 5 {
			return f.short(h, err)
		}
		fhd := h[4] // Frame_Header_Descriptor
		single := fhd&0x20 != 0
		fcs := [4]int{0, 2, 4, 8}[fhd>>6]
		if fcs == 0 && single {
			fcs = 1
		}
		f.left = 5 + fcs + [4]int{0, 1, 2, 4}[fhd&3]
		if !single {
			f.left++ // Window_Descriptor
		}
		f.sum, f.at = fhd&0x04 != 0, zstdBlock
	case zstdBlock:
		h, err := f.cr.r.Peek(3)
		if len(h) < 3 {
			return f.short(h, err)
		}
		bh := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
		size := bh >> 3
		if bh>>1&3 == 1 { // RLE_Block: one byte, repeated size times
			size = 1
		}
		f.left = 3 + size
		if bh&1 != 0 { // Last_Block
			f.at = zstdEnd
			if f.sum {
				f.at = zstdChecksum
			}
		}
	case zstdChecksum:
		f.left, f.at = 4, zstdEnd
	}
	return nil
}

// short handles a piece cut off by the end of the stream: the bytes left
// are the frame's last, or, if there are none, it ends with err.
func (f *zstdFrame) short(h []byte, err error) error {
	if len(h) == 0 {
		return err
	}
	f.left, f.at = len(h), zstdEnd
	return nil
}
