package extract

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"github.com/klauspost/compress/flate"
)

// ratioFloor is the decompressed size of a member below which MaxRatio is
// not enforced: small repetitive files legitimately compress very well.
const ratioFloor = 1 << 20

// streamLag bounds what a streamed archive holds: the 4 KiB read-ahead in
// front of the inflater, the inflater's own look-ahead (see internal/decode:
// 72 KiB) and an XML reader's buffer (encoding/xml: 4 KiB; xmlBuf: 8 KiB),
// with margin.
const streamLag = 96 << 10

// Zip record signatures.
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigDescriptor = 0x08074b50
)

// zip inspects an archive. It holds the archive, up to what is left of the
// hold budget, to read its central directory; a larger (or truncated)
// archive is read from its local headers as it streams.
func (x *Extractor) zip(r io.Reader, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	f := x.push(&frame{fixed: infinite})
	defer x.pop()
	budget := max(x.lim.Hold-x.held, 0)
	data, err := readAtMost(r, budget+1)
	if err != nil {
		return err
	}
	x.held += int64(cap(data))
	defer func() { x.held -= int64(cap(data)) }()
	if int64(len(data)) <= budget {
		if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			zr.RegisterDecompressor(zip.Deflate, newInflater)
			return x.zipFiles(zr.File, depth)
		}
	}
	br := bytes.NewReader(data)
	f.fixed, f.held = streamLag, func() int64 { return int64(br.Len()) }
	return x.zipStream(io.MultiReader(br, r), depth)
}

// newInflater reads a deflate stream: klauspost's inflater, a faster
// fork of compress/flate's with the same behaviour.
func newInflater(r io.Reader) io.ReadCloser { return flate.NewReader(r) }

// readAtMost reads r to its end or to n bytes, whichever comes first.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 64<<10))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// zipFiles inspects the members of an archive read whole.
func (x *Extractor) zipFiles(files []*zip.File, depth int) error {
	if len(files) > x.lim.MaxEntries {
		x.fail(ReasonOverLimit)
		files = files[:x.lim.MaxEntries]
	}
	doc := &office{}
	for _, f := range files {
		doc.see(f.Name)
	}
	if doc.on {
		for _, f := range files {
			if f.Name == sharedStringsPart {
				if err := x.loadShared(f, doc); err != nil {
					return err
				}
			}
		}
		defer func() { x.held -= doc.size }()
	}
	for _, f := range files {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if err := x.zipFile(f, doc, depth); err != nil {
			return err
		}
	}
	return nil
}

// open opens a member after the checks its header allows, recording why
// it cannot be read; nil means skip it.
func (x *Extractor) open(f *zip.File) io.ReadCloser {
	if f.Flags&1 != 0 {
		x.fail(ReasonEncrypted)
		return nil
	}
	if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(x.lim.MaxRatio) {
		x.fail(ReasonOverLimit)
		return nil
	}
	rc, err := f.Open()
	switch {
	case errors.Is(err, zip.ErrAlgorithm):
		x.fail(ReasonUnsupportedEncoding)
		return nil
	case err != nil:
		x.fail(ReasonDecodeError)
		return nil
	}
	return rc
}

// zipFile inspects one member of an archive read whole.
func (x *Extractor) zipFile(f *zip.File, doc *office, depth int) error {
	if doc.kind(f.Name) == partSkip {
		return nil
	}
	rc := x.open(f)
	if rc == nil {
		return nil
	}
	defer rc.Close()
	m := x.member(rc, func() int64 { return int64(f.CompressedSize64) })
	return x.entry(m, f.Name, doc, depth)
}

// member counts what a member decompresses to against MaxTotal and
// MaxRatio; in reports the compressed bytes read so far.
type member struct {
	x   *Extractor
	r   io.Reader
	in  func() int64
	n   int64
	hit bool
}

func (x *Extractor) member(r io.Reader, in func() int64) *member {
	return &member{x: x, r: r, in: in}
}

func (m *member) Read(p []byte) (int, error) {
	if m.hit {
		return 0, errLimit
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	m.x.total += int64(n)
	if m.x.total > m.x.lim.MaxTotal || (m.n > ratioFloor && m.n > int64(m.x.lim.MaxRatio)*max(m.in(), 1)) {
		m.x.fail(ReasonOverLimit)
		m.hit = true
		return 0, errLimit
	}
	return n, err
}

// entry inspects a member as what its name and content say it is, as a
// part of its own.
func (x *Extractor) entry(m *member, name string, doc *office, depth int) error {
	x.boundary()
	var err error
	switch doc.kind(name) {
	case partSkip:
	case partSheet:
		err = x.sheet(m, &doc.shared)
	case partXML:
		err = x.xmlText(m)
	default:
		err = x.content(m, "", depth)
	}
	x.boundary()
	switch {
	case err == nil, errors.Is(err, errLimit):
		return nil
	case errors.Is(err, errStopped):
		return err
	}
	x.fail(ReasonDecodeError)
	return nil
}

// countReader counts the bytes read through it; it is an io.ByteReader so
// an inflater reads no further than its stream.
type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// skip discards n bytes.
func (c *countReader) skip(n int64) error {
	_, err := io.CopyN(io.Discard, c, n)
	return err
}

// zipStream reads an archive from its local headers, member by member.
// Shared strings of a spreadsheet are not resolved this way (Excel stores
// them after the sheets): they are scanned as lines of their own.
func (x *Extractor) zipStream(r io.Reader, depth int) error {
	cr := &countReader{r: bufio.NewReaderSize(r, 4<<10)}
	doc := &office{}
	for n := 0; ; n++ {
		var h [30]byte
		if _, err := io.ReadFull(cr, h[:4]); err != nil {
			return x.streamErr(err)
		}
		switch binary.LittleEndian.Uint32(h[:4]) {
		case sigCentral, sigEnd:
			return nil
		case sigLocal:
		default:
			x.fail(ReasonDecodeError)
			return nil
		}
		if _, err := io.ReadFull(cr, h[4:]); err != nil {
			return x.streamErr(err)
		}
		flags, method := binary.LittleEndian.Uint16(h[6:]), binary.LittleEndian.Uint16(h[8:])
		csize := int64(binary.LittleEndian.Uint32(h[18:]))
		name := make([]byte, binary.LittleEndian.Uint16(h[26:]))
		if _, err := io.ReadFull(cr, name); err != nil {
			return x.streamErr(err)
		}
		if err := cr.skip(int64(binary.LittleEndian.Uint16(h[28:]))); err != nil {
			return x.streamErr(err)
		}
		if n >= x.lim.MaxEntries {
			x.fail(ReasonOverLimit)
			return nil
		}
		desc := flags&8 != 0
		if csize == 0xFFFFFFFF { // zip64 sizes live in the extra field
			x.fail(ReasonDecodeError)
			return nil
		}
		doc.see(string(name))
		var body io.Reader
		switch {
		case flags&1 != 0:
			x.fail(ReasonEncrypted)
		case method == zip.Store && !desc:
			body = io.LimitReader(cr, csize)
		case method == zip.Deflate:
			body = newInflater(cr)
		default:
			x.fail(ReasonUnsupportedEncoding)
		}
		if body == nil {
			if desc { // the size is unknown: the next header cannot be found
				return nil
			}
			if err := cr.skip(csize); err != nil {
				return x.streamErr(err)
			}
			continue
		}
		start := cr.n
		m := x.member(body, func() int64 { return cr.n - start })
		if err := x.entry(m, string(name), doc, depth); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, m); err != nil {
			if m.hit {
				return nil
			}
			return x.streamErr(err)
		}
		if !desc {
			if err := cr.skip(csize - (cr.n - start)); err != nil {
				return x.streamErr(err)
			}
			continue
		}
		if err := x.skipDescriptor(cr); err != nil {
			return err
		}
	}
}

// skipDescriptor skips a data descriptor: an optional signature, the CRC
// and two 4-byte sizes.
func (x *Extractor) skipDescriptor(cr *countReader) error {
	var d [4]byte
	if _, err := io.ReadFull(cr, d[:]); err != nil {
		return x.streamErr(err)
	}
	n := int64(8)
	if binary.LittleEndian.Uint32(d[:]) == sigDescriptor {
		n = 12
	}
	if err := cr.skip(n); err != nil {
		return x.streamErr(err)
	}
	return nil
}

// streamErr records a read error of a streamed archive: a truncated
// archive is a decode error; a stop is passed up.
func (x *Extractor) streamErr(err error) error {
	if errors.Is(err, errStopped) {
		return err
	}
	x.fail(ReasonDecodeError)
	return nil
}
