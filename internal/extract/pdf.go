package extract

import (
	"bufio"
	"bytes"
	"encoding/ascii85"
	"io"

	"github.com/klauspost/compress/zlib"
)

// PDF: no parser. The text of a page is in content streams that are
// nearly always FlateDecode (zlib), so a list exported or printed to PDF
// is compressed. Every stream that starts with a zlib header is inflated,
// and every stream whose first filter is ASCII85Decode is decoded (and
// inflated when FlateDecode follows, as ReportLab writes its pages).
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
	// The text behind ToUnicode CMaps is emitted at the end (pdf_fonts.go):
	// the raw bytes from the first stream it logs are held till then.
	held := newPDFHeld(x, func() int64 { return cr.n })
	defer held.release() // on every return (replay releases too)
	frame := x.frames[len(x.frames)-1]
	buffered := frame.held
	frame.held = func() int64 { return buffered() + held.lag() }
	var tail []byte
	for {
		seg := &pdfSegment{cr: cr, tail: tail[:0], tap: &held.tap}
		x.boundary()
		err := x.text(seg, charset{}, depth, records{})
		x.boundary()
		tail = seg.tail
		if err != nil || !seg.found {
			if err == nil {
				held.replay()
			} else {
				held.release()
			}
			return err
		}
		obj, dict := held.tap.end()
		start := cr.n
		var data io.Reader = cr
		ascii, flate := streamFilters(seg.tail)
		switch {
		case ascii:
			// ASCII85 first (ReportLab's default: [/ASCII85Decode
			// /FlateDecode]): decoded up to its end marker, then inflated
			// when Flate follows.
			data = ascii85.NewDecoder(&ascii85Data{cr: cr})
		case !isZlibHeader(peek(cr.r, 2)):
			continue
		default:
			flate = true
		}
		if flate {
			zr, err := zlib.NewReader(data)
			if err != nil {
				if err = stopped(err); err != nil {
					return err
				}
				continue // the bytes read are its header: text of no interest
			}
			data = zr
		}
		// A ToUnicode CMap has a content stream's dictionary: any stream
		// may be one.
		c := &cmapCapture{r: data}
		if isContentDict(seg.tail) {
			held.startStream(obj, dict, start)
			err = x.pdfContent(x.member(c, func() int64 { return cr.n - start }), held)
			held.endStream()
		} else {
			// An object stream holds objects (page and font
			// dictionaries among them) the CMaps are reached through.
			objs := held.objectStream(c, dict)
			err = x.inflated(objs, cr, start, depth)
			held.keepObjectStream(objs)
		}
		held.addCMap(obj, c.cmap())
		if err != nil {
			held.release()
			return err
		}
	}
}

// peek returns up to the next n bytes of br without reading them.
func peek(br *bufio.Reader, n int) []byte {
	b, _ := br.Peek(n)
	return b
}

// streamFilters reads the /Filter of the stream dictionary at the end of
// tail (up to its "stream" keyword): whether its first filter is
// ASCII85Decode (A85), and whether FlateDecode (Fl) follows it.
func streamFilters(tail []byte) (ascii85, flate bool) {
	k := bytes.LastIndex(tail, []byte("obj"))
	if k < 0 {
		return false, false
	}
	_, f, ok := bytes.Cut(tail[k:], []byte("/Filter"))
	if !ok {
		return false, false
	}
	f = bytes.TrimLeft(f, pdfSpace)
	if len(f) > 0 && f[0] == '[' {
		f, _, _ = bytes.Cut(f[1:], []byte("]"))
	} else if end := bytes.IndexAny(f, " \t\r\n\f\x00>"); end >= 0 {
		f = f[:end] // one name
	}
	names := bytes.Fields(bytes.ReplaceAll(f, []byte("/"), []byte(" /")))
	if len(names) == 0 || (string(names[0]) != "/ASCII85Decode" && string(names[0]) != "/A85") {
		return false, false
	}
	return true, len(names) > 1 && (string(names[1]) == "/FlateDecode" || string(names[1]) == "/Fl")
}

// pdfSpace is PDF's white space.
const pdfSpace = " \t\r\n\f\x00"

// ascii85Data reads the data of an ASCII85-encoded stream up to its end
// marker "~>", which it consumes, or up to an "endstream" keyword (a
// stream without the marker), which it leaves: the decoder never reads
// past the stream's data, so the PDF goes on after it.
type ascii85Data struct {
	cr   *countReader
	done bool
}

func (a *ascii85Data) Read(p []byte) (int, error) {
	br := a.cr.r
	if a.done || len(p) == 0 {
		return 0, io.EOF
	}
	b, err := br.Peek(max(br.Buffered(), len("endstream")+1))
	if len(b) == 0 {
		return 0, err
	}
	n := len(b)
	if k := bytes.IndexByte(b, '~'); k >= 0 {
		n = k
		if k == 0 {
			a.done = true
			if len(b) > 1 && b[1] == '>' {
				a.skip(2)
			}
			return 0, io.EOF
		}
	}
	if k := bytes.Index(b[:n], []byte("endstream")); k >= 0 {
		n, a.done = k, true
	} else if err == nil && n == len(b) {
		n -= len("endstream") // a keyword may start in the last bytes
	}
	n = copy(p, b[:n])
	a.skip(n)
	if n == 0 && a.done {
		return 0, io.EOF
	}
	return n, nil
}

// skip consumes n bytes of the PDF.
func (a *ascii85Data) skip(n int) {
	_, _ = a.cr.r.Discard(n)
	a.cr.n += int64(n)
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
	tap   *objTap // sees every byte handed out
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
	if s.tap != nil {
		s.tap.feed(p[:n])
	}
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
