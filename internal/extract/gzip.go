package extract

import (
	"bufio"
	"bytes"
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzipMagic starts a gzip member that uses deflate, the only method RFC
// 1952 defines: an exported customers.csv.gz, a database dump (.sql.gz), a
// .tar.gz.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// gzipScale bounds the compressed bytes one decompressed byte stands for:
// a deflate literal takes at most 15 bits, a stored block 5 bytes of
// header per 64 KiB.
const gzipScale = 2

// gunzip inspects a gzip file as the content it decompresses to, sniffed
// like an archive member (a .tar.gz is the tar's text, a gzipped xlsx is
// unpacked) and counted against MaxTotal and MaxRatio the same way. Each
// member of a concatenated file (cat a.gz b.gz) is a part of its own. A
// member that does not decode is a decode error; whatever the decoder
// left unread (bytes appended after the last member, zero padding, the
// rest of a corrupt stream) is read as content of its own.
func (x *Extractor) gunzip(r io.Reader, depth int) error {
	cr := x.inflating(r, depth)
	if cr == nil {
		return nil
	}
	defer x.pop()
	var zr gzip.Reader
	for {
		start := cr.n
		if err := zr.Reset(cr); err != nil {
			if err = stopped(err); err != nil {
				return err
			}
			x.fail(ReasonDecodeError)
			break
		}
		zr.Multistream(false)
		if err := x.inflated(&zr, cr, start, depth); err != nil {
			return err
		}
		if next, _ := cr.r.Peek(len(gzipMagic)); !bytes.Equal(next, gzipMagic) {
			break
		}
	}
	return x.outside(cr, depth)
}

// inflating starts a layer that inflates deflate streams from r as it
// reads them, and returns its reader; the caller pops its frame. Past
// MaxDepth it returns nil (ReasonOverLimit).
func (x *Extractor) inflating(r io.Reader, depth int) *countReader {
	// The inflater's look-ahead is bounded as in a streamed archive.
	return x.decoding(r, depth, "gzip", streamLag, gzipScale)
}

// decoding is inflating for the decompressor codec, which reads up to lag
// bytes ahead of what it has returned, and at most scale input bytes per
// byte it returns.
func (x *Extractor) decoding(r io.Reader, depth int, codec string, lag, scale int64) *countReader {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	cr := &countReader{r: bufio.NewReaderSize(r, 4<<10)}
	x.push(&frame{fixed: lag, held: func() int64 { return int64(cr.r.Buffered()) }, scale: scale, codec: codec})
	return cr
}

// readingHeld starts a layer that reads r through a countReader and holds
// its read-ahead, and everything read from *from on while *from is not -1
// (a header or a title read whole before its text is written); the caller
// pops the frame.
func (x *Extractor) readingHeld(r io.Reader) (cr *countReader, from *int64) {
	cr, from = &countReader{r: bufio.NewReaderSize(r, 4<<10)}, new(int64)
	*from = -1
	x.push(&frame{held: func() int64 {
		h := int64(cr.r.Buffered())
		if *from >= 0 {
			h += cr.n - *from
		}
		return h
	}})
	return cr, from
}

// inflated inspects what the decompressor d of a stream in cr (that
// started at cr offset start) yields, as an archive member: a part of its
// own, counted against MaxTotal and MaxRatio.
func (x *Extractor) inflated(d io.Reader, cr *countReader, start int64, depth int) error {
	return x.entry(x.member(d, func() int64 { return cr.n - start }), "", &office{}, depth)
}
