package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/dlpproxy/dlpproxy/internal/lzmadec"
)

// xz files (customers.csv.xz, a .tar.xz) are inspected as what they
// decompress to. The container (streams, blocks, index, padding) is read
// here, so that a block's dictionary is known and bounded before it is
// allocated; each block's LZMA2 data is decoded by internal/lzmadec. The
// format: https://tukaani.org/xz/xz-file-format.txt.

// xzMagic starts an xz stream; xzFooterMagic ends one.
var (
	xzMagic       = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	xzFooterMagic = []byte("YZ")
)

const (
	// xzMaxDict is the largest LZMA2 dictionary accepted: xz -9's (and
	// 7-Zip's "ultra"). A block that needs more is over the limit.
	xzMaxDict = 64 << 20
	// xzOverhead bounds the container bytes (block headers, checks,
	// padding, index, LZMA2 chunk headers) that yield no content, beyond
	// one byte per 16 of content: real files hold a few dozen bytes per
	// block of megabytes. A file of empty blocks or one-byte chunks
	// (whose input would settle far behind its content) is over the limit.
	xzOverhead = 64 << 10
	// xzLag bounds the input the decoder holds beyond what the read in
	// progress consumed (see unxz): its range coder's look-ahead and the
	// end of a match not yet handed out.
	xzLag = 4 << 10
	// xzScale bounds the compressed bytes one decompressed byte stands
	// for: an LZMA symbol is at most 16 probability-coded decisions (a
	// decision at the lowest probability, 31/2048, costs about 6 bits)
	// and 26 direct bits, for a literal (one byte) or a match of two or
	// more, so at most about 8 bytes per byte; container bytes add at
	// most one per 16.
	xzScale = 9
)

// xzCheckSize is the size of a block's check, by the stream's check type.
var xzCheckSize = [16]int64{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// errXzFormat reports an xz container that does not parse.
var errXzFormat = errors.New("xz: malformed container")

// isXz reports whether head starts an xz stream.
func isXz(head []byte) bool { return bytes.HasPrefix(head, xzMagic) }

// unxz inspects an xz file as the content it decompresses to, as gunzip
// does a gzip file: one part for all its blocks and concatenated streams
// (xz writes a big file in blocks of a few MiB that may split a row),
// counted against MaxTotal and MaxRatio. Each block's dictionary counts
// against MaxTotal (see charge); a block whose dictionary is over 64 MiB
// is over the limit, one with a filter other than LZMA2 alone (the BCJ
// filters of executables, delta) is unsupported_encoding. What the
// decoder leaves unread (bytes appended, the rest of a corrupt or
// unsupported block) is read as content of its own.
func (x *Extractor) unxz(r io.Reader, depth int) error {
	cr := x.decodingOnce(r, depth, "xz", xzLag, xzScale)
	if cr == nil {
		return nil
	}
	defer x.pop()
	d := &xzReader{x: x, cr: cr}
	d.chunks = lzma2Chunks{d: d}
	// All the input of the read in progress (or the last) is held: a read
	// of LZMA2 data may take more than xzLag before it returns.
	f := x.frames[len(x.frames)-1]
	f.held = func() int64 { return int64(cr.r.Buffered()) + cr.n - d.from }
	if err := x.inflated(d, cr, cr.n, depth); err != nil {
		return err
	}
	// What follows is read as it comes: only the read-ahead is held (the
	// read in progress no longer moves d.from).
	f.held = func() int64 { return int64(cr.r.Buffered()) }
	return x.outside(cr, depth)
}

// xzReader is the content of the xz streams in cr, block after block.
type xzReader struct {
	x      *Extractor
	cr     *countReader
	chunks lzma2Chunks      // the block's LZMA2 data
	block  *lzmadec.Reader2 // the block being decoded; nil between blocks
	start  int64            // cr offset of the block's header (or the index)
	mark   int64            // cr offset up to which container bytes are counted
	check  int64            // size of each block's check in this stream
	inside bool             // a stream's header was read, its index not yet
	out    int64            // content bytes handed out
	from   int64            // cr offset where the read in progress (or the last) began
	head   [1024]byte       // a block header
	err    error            // what ended the content
	// overhead counts the container bytes read (see xzOverhead).
	overhead int64
	hit      bool // overhead went over its bound
}

func (d *xzReader) Read(p []byte) (int, error) {
	d.from = d.cr.n
	for d.err == nil {
		if d.block == nil {
			d.err = d.next()
			continue
		}
		n, err := d.block.Read(p)
		d.out += int64(n)
		if d.hit { // whatever the decoder made of the chunk reader's error
			err = errLimit
		}
		if errors.Is(err, io.EOF) {
			d.block = nil
			err = d.endBlock()
		}
		if err != nil {
			d.err = err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, d.err
}

// next reads up to the next block's data and starts its decoder: a
// stream's header, the index and footer of a stream, padding between
// streams. At the end of the last stream it is io.EOF.
func (d *xzReader) next() error {
	if !d.inside {
		if err := d.streamHeader(); err != nil {
			return err
		}
	}
	d.start = d.cr.n
	size, err := d.cr.ReadByte()
	if err != nil {
		return xzShort(err)
	}
	if size == 0 { // the index indicator
		return d.index()
	}
	h := d.head[:int(size)*4+4]
	h[0] = size
	if _, err := io.ReadFull(d.cr, h[1:]); err != nil {
		return xzShort(err)
	}
	if err := d.container(); err != nil {
		return err
	}
	dict, err := blockDict(h)
	if errors.Is(err, errXzUnsupported) {
		d.x.fail(ReasonUnsupportedEncoding)
		return errLimit
	}
	if err != nil {
		return err
	}
	if dict > xzMaxDict || !d.x.charge(int64(dict)) {
		d.x.fail(ReasonOverLimit)
		return errLimit
	}
	d.chunks.ended = false
	d.block = lzmadec.NewReader2(&d.chunks, dict)
	return nil
}

// streamHeader reads a stream's 12-byte header.
func (d *xzReader) streamHeader() error {
	var h [12]byte
	if _, err := io.ReadFull(d.cr, h[:]); err != nil {
		return xzShort(err)
	}
	if !bytes.Equal(h[:6], xzMagic) || h[6] != 0 || h[7] > 15 {
		return errXzFormat
	}
	d.check, d.inside = xzCheckSize[h[7]], true
	return d.container()
}

// blockDict returns the dictionary a block header h needs: its LZMA2
// filter's, at most the block's uncompressed size when the header gives it
// (xz -T writes it) and at least lzmadec.MinDict. A header with another
// filter or filter chain is unsupported_encoding.
func blockDict(h []byte) (int, error) {
	flags := h[1]
	if flags&0x3c != 0 {
		return 0, errXzFormat
	}
	in := h[2 : len(h)-4] // the CRC32 ends the header
	var size uint64 = 1 << 63
	if flags&0x40 != 0 { // compressed size
		if _, in = vli(in); in == nil {
			return 0, errXzFormat
		}
	}
	if flags&0x80 != 0 { // uncompressed size
		if size, in = vli(in); in == nil {
			return 0, errXzFormat
		}
	}
	id, in := vli(in)
	props, in := vli(in)
	if in == nil {
		return 0, errXzFormat
	}
	if flags&3 != 0 || id != 0x21 || props != 1 || len(in) < 1 {
		return 0, errXzUnsupported
	}
	p := in[0]
	if p > 40 {
		return 0, errXzFormat
	}
	dict := uint64(0xffffffff)
	if p < 40 {
		dict = uint64(2|p&1) << (p/2 + 11)
	}
	return int(max(min(dict, size), lzmadec.MinDict)), nil
}

// errXzUnsupported reports a block whose filters have no decoder here.
var errXzUnsupported = errors.New("xz: filter chain other than LZMA2")

// vli decodes a variable-length integer at the start of b and returns
// it and the rest of b; the rest is nil if b holds none.
func vli(b []byte) (uint64, []byte) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, b[i+1:]
		}
	}
	return 0, nil
}

// endBlock reads a block's padding and check after its data.
func (d *xzReader) endBlock() error {
	d.mark = d.cr.n // the data's chunk headers are counted by lzma2Chunks
	if err := d.cr.skip((4-(d.cr.n-d.start)%4)%4 + d.check); err != nil {
		return xzShort(err)
	}
	return d.container()
}

// index reads a stream's index (its indicator byte read) and footer, and
// the stream padding after it; it is io.EOF unless another stream follows.
func (d *xzReader) index() error {
	records, err := binary.ReadUvarint(d.cr)
	if err != nil || records > 1<<40 {
		return xzShort(err)
	}
	for range 2 * records {
		if _, err := binary.ReadUvarint(d.cr); err != nil {
			return xzShort(err)
		}
		if err := d.container(); err != nil {
			return err
		}
	}
	// Padding to four bytes, the index's CRC32, then the 12-byte footer.
	n := (4-(d.cr.n-d.start)%4)%4 + 4
	if err := d.cr.skip(n); err != nil {
		return xzShort(err)
	}
	var foot [12]byte
	if _, err := io.ReadFull(d.cr, foot[:]); err != nil {
		return xzShort(err)
	}
	if !bytes.Equal(foot[10:], xzFooterMagic) {
		return errXzFormat
	}
	d.inside = false
	for {
		pad, _ := d.cr.r.Peek(len(xzMagic))
		switch {
		case len(pad) >= 4 && binary.LittleEndian.Uint32(pad) == 0:
			if err := d.cr.skip(4); err != nil {
				return err
			}
		case bytes.Equal(pad, xzMagic):
			return d.container()
		default:
			return io.EOF
		}
	}
}

// container counts the bytes read since the last count as container
// bytes.
func (d *xzReader) container() error {
	n := d.cr.n - d.mark
	d.mark = d.cr.n
	return d.account(n)
}

// account counts n container bytes: past xzOverhead plus one byte per 16
// of content, the file is over the limit (see xzOverhead).
func (d *xzReader) account(n int64) error {
	d.overhead += n
	if d.overhead > xzOverhead+d.out/16 {
		d.hit = true
		d.x.fail(ReasonOverLimit)
		return errLimit
	}
	return nil
}

// xzShort is a read error inside the container: a stream cut short is
// malformed.
func xzShort(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// lzma2Chunks hands a block's LZMA2 chunks to the decoder and no more:
// it follows the chunks' headers, counting them (and the range coder's
// first bytes) as container bytes, and ends after the end-of-data chunk,
// so that what follows the block (its padding and check) is read by the
// container. A chunk cut short ends where the stream ends: the decoder
// reports the truncation.
type lzma2Chunks struct {
	d     *xzReader
	left  int  // bytes of the chunk not yet read
	ended bool // the end chunk was read
}

func (c *lzma2Chunks) Read(p []byte) (int, error) {
	if c.left == 0 {
		if c.ended {
			return 0, io.EOF
		}
		cr := c.d.cr
		h, err := cr.r.Peek(6)
		if len(h) == 0 {
			return 0, xzShort(err)
		}
		head, data, coder := 1, 0, 0
		switch ctl := h[0]; {
		case ctl == 0: // end of data
			c.ended = true
		case ctl == 1 || ctl == 2: // uncompressed
			head = 3
			if len(h) >= 3 {
				data = int(binary.BigEndian.Uint16(h[1:])) + 1
			}
		case ctl >= 0x80: // LZMA; new properties from 0xc0 on
			head = 5
			if ctl >= 0xc0 {
				head = 6
			}
			if len(h) >= 5 {
				data = int(binary.BigEndian.Uint16(h[3:])) + 1
			}
			coder = min(data, 5) // the range coder's first bytes
		}
		if err := c.d.account(int64(head + coder)); err != nil {
			return 0, err
		}
		c.left = head + data
	}
	n, err := c.d.cr.Read(p[:min(len(p), c.left)])
	c.left -= n
	return n, err
}
