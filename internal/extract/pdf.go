package extract

import (
	"bytes"
	"io"

	"github.com/klauspost/compress/zlib"
)

// PDF: no parser. The text of a page is in content streams that are
// nearly always FlateDecode (zlib), so a list exported or printed to PDF
// is compressed. Every stream that starts with a zlib header is inflated.
// A page's content stream (its dictionary has neither /Type nor /Subtype,
// or is a /Form) is read for the strings it shows (pdf_text.go): the
// strings of a TJ array joined, hex and UCS-2 strings decoded, operators
// and coordinates dropped. Any other inflated stream (object streams,
// embedded files, metadata, images) is inspected as content of its own,
// and everything else (the objects, and streams in other filters) is read
// as text. See "Known gaps" in docs/extract.md for what it does not read.

// pdfMagic starts a PDF file.
var pdfMagic = []byte("%PDF-")

// streamKey opens the data of a PDF stream; an end of line follows it.
var streamKey = []byte("stream")

// pdf inspects a PDF file, inflating its zlib streams as it goes.
func (x *Extractor) pdf(r io.Reader, depth int) error {
	cr := x.inflating(r, depth)
	if cr == nil {
		return nil
	}
	defer x.pop()
	var tail []byte
	for {
		seg := &pdfSegment{cr: cr, tail: tail[:0]}
		x.boundary()
		err := x.text(seg, charset{}, depth, records{})
		x.boundary()
		tail = seg.tail
		if err != nil || !seg.found {
			return err
		}
		if h, _ := cr.r.Peek(2); !isZlibHeader(h) {
			continue
		}
		start := cr.n
		zr, err := zlib.NewReader(cr)
		if err != nil {
			if err = stopped(err); err != nil {
				return err
			}
			continue // the bytes read are its header: text of no interest
		}
		if isContentDict(seg.tail) {
			err = x.pdfContent(x.member(zr, func() int64 { return cr.n - start }))
		} else {
			err = x.inflated(zr, cr, start, depth)
		}
		if err != nil {
			return err
		}
	}
}

// isZlibHeader reports whether h starts with a zlib header: deflate with a
// window of at most 32 KiB and a valid check value.
func isZlibHeader(h []byte) bool {
	return len(h) >= 2 && h[0]&0x0f == 8 && h[0]>>4 <= 7 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0
}

// pdfDictMax is how many of the last bytes before a "stream" keyword are
// kept to read the stream's dictionary from.
const pdfDictMax = 1 << 10

// isContentDict reports whether the end of a PDF segment, up to its
// "stream" keyword, holds the dictionary of a content stream: that of a
// page, which has neither /Type nor /Subtype, or of a form XObject
// (/Subtype /Form). An image, a font file with a subtype, an object
// stream, an embedded file or metadata has one of them; so does a
// dictionary too long to be kept (its "obj" is not in tail).
func isContentDict(tail []byte) bool {
	k := bytes.LastIndex(tail, []byte("obj"))
	if k < 0 {
		return false
	}
	dict := tail[k+len("obj"):]
	for rest := dict; ; {
		_, after, ok := bytes.Cut(rest, []byte("/Subtype"))
		if !ok {
			break
		}
		if bytes.HasPrefix(bytes.TrimLeft(after, " \t\r\n\f\x00"), []byte("/Form")) {
			return true
		}
		rest = after
	}
	return !bytes.Contains(dict, []byte("/Subtype")) && !bytes.Contains(dict, []byte("/Type"))
}

// pdfSegment reads a PDF up to and including the next "stream" keyword
// and its end of line (not "endstream"), or to the end; found reports
// that it stopped at a keyword.
type pdfSegment struct {
	cr    *countReader
	found bool
	left  int    // bytes of the segment not yet handed out, once found
	tail  []byte // the last pdfDictMax bytes handed out
}

func (s *pdfSegment) Read(p []byte) (int, error) {
	br := s.cr.r
	if s.found && s.left == 0 {
		return 0, io.EOF
	}
	// The last bytes are kept back: a keyword may start in them, with
	// "end" before it and "\r\n" after it.
	const keep = len("end") + len("stream") + len("\r\n")
	b, err := br.Peek(max(br.Buffered(), 2*keep))
	if len(b) == 0 {
		return 0, err
	}
	n := len(b)
	switch {
	case s.found:
		n = s.left
	case err == nil:
		if k := streamStart(b); k >= 0 {
			s.found, s.left, n = true, k, k
		} else {
			n = len(b) - keep
		}
	default: // the end: what is left holds no whole keyword that counts
		if k := streamStart(b); k >= 0 {
			s.found, s.left, n = true, k, k
		}
	}
	n = copy(p, b[:n])
	if s.found {
		s.left -= n
	}
	if drop := len(s.tail) + n - pdfDictMax; drop > 0 {
		s.tail = s.tail[:copy(s.tail, s.tail[min(drop, len(s.tail)):])]
	}
	s.tail = append(s.tail, p[max(n-pdfDictMax, 0):n]...)
	_, _ = br.Discard(n)
	s.cr.n += int64(n)
	return n, nil
}

// streamStart returns the index after the first "stream" keyword in b
// and its end of line, or -1. "endstream" does not count, nor a keyword
// whose end of line is not in b.
func streamStart(b []byte) int {
	for from := 0; ; {
		k := bytes.Index(b[from:], streamKey)
		if k < 0 {
			return -1
		}
		k += from
		from = k + len(streamKey)
		end := k + len(streamKey)
		switch {
		case k >= 3 && string(b[k-3:k]) == "end":
			continue
		case end+1 < len(b) && b[end] == '\r' && b[end+1] == '\n':
			return end + 2
		case end < len(b) && b[end] == '\n':
			return end + 1
		}
	}
}
