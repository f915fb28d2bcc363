package extract

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"io"
	"slices"
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
// archive is read from its local headers as it streams. Bytes outside its
// members are read as text: a prefix, gaps between members, the central
// directory, the comment and anything appended. An archive that does not
// parse was only sniffed from four bytes: it is a decode error, and its
// bytes are read as text too.
func (x *Extractor) zip(r io.Reader, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	f := x.push(&frame{fixed: infinite})
	defer x.pop()
	data, whole, err := x.hold(r)
	defer x.unhold(data)
	if err != nil {
		return err
	}
	if whole {
		held := bytes.NewReader(data)
		if zr, err := zip.NewReader(held, int64(len(data))); err == nil {
			zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return x.inflate(inMemory(r, held, data)) })
			return x.zipFiles(zr, data, depth)
		}
	}
	br := bytes.NewReader(data)
	cr := &countReader{r: bufio.NewReaderSize(io.MultiReader(br, r), 4<<10)}
	f.fixed, f.held = streamLag, func() int64 { return int64(br.Len() + cr.r.Buffered()) }
	err = x.zipStream(cr, depth)
	switch {
	case errors.Is(err, errCorrupt) && whole:
		x.fail(ReasonDecodeError)
		return x.asText(bytes.NewReader(data), data, depth)
	case errors.Is(err, errCorrupt):
		x.fail(ReasonDecodeError)
		return x.peekText(cr, cr, depth)
	case err != nil:
		return err
	}
	return x.outside(cr, depth)
}

// hold reads r into memory up to what is left of the hold budget, and
// one byte more to tell whether r ends within it (whole); what it holds
// counts against the budget until unhold hands it back.
func (x *Extractor) hold(r io.Reader) (data []byte, whole bool, err error) {
	budget := max(x.lim.Hold-x.held, 0)
	data, err = readAtMost(r, budget+1)
	x.held += int64(cap(data))
	return data, int64(len(data)) <= budget, err
}

// unhold hands back what hold held.
func (x *Extractor) unhold(data []byte) { x.held -= int64(cap(data)) }

// errCorrupt reports an archive whose local headers do not parse.
var errCorrupt = errors.New("extract: corrupt archive")

// inflate returns a reader of the deflate stream r: klauspost's inflater,
// a faster fork of compress/flate's with the same behaviour. One a closed
// member handed back is reused, window and tables (40 KiB) included.
func (x *Extractor) inflate(r io.Reader) io.ReadCloser {
	if n := len(x.inflaters); n > 0 {
		rc := x.inflaters[n-1]
		x.inflaters = x.inflaters[:n-1]
		if rc.(flate.Resetter).Reset(r, nil) == nil {
			return &inflater{rc: rc, x: x}
		}
	}
	return &inflater{rc: flate.NewReader(r), x: x}
}

// inMemory returns the bytes of r, a member's section of the held archive
// data (read through held), as a *bytes.Reader: the inflater then reads
// them in place, where it copies any other reader through a bufio.Reader
// and reads it byte by byte through an interface (about a fifth of the
// time of inflating a sheet). Any other r is returned as it is.
func inMemory(r io.Reader, held *bytes.Reader, data []byte) io.Reader {
	sr, ok := r.(*io.SectionReader)
	if !ok {
		return r
	}
	outer, off, n := sr.Outer()
	if outer != io.ReaderAt(held) || off < 0 || n < 0 || off+n > int64(len(data)) {
		return r
	}
	return bytes.NewReader(data[off : off+n])
}

// inflater is a deflate reader that Close hands back to its extractor.
type inflater struct {
	rc io.ReadCloser
	x  *Extractor
}

func (f *inflater) Read(p []byte) (int, error) { return f.rc.Read(p) }

func (f *inflater) Close() error {
	if f.rc == nil {
		return nil
	}
	err := f.rc.Close()
	f.x.inflaters = append(f.x.inflaters, f.rc)
	f.rc = nil
	return err
}

// readAtMost reads r to its end or to n bytes, whichever comes first.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 4<<10))
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

// zipFiles inspects the members of an archive read whole, then the bytes
// outside them.
func (x *Extractor) zipFiles(zr *zip.Reader, data []byte, depth int) error {
	files := zr.File
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
	return x.zipGaps(data, zr, depth)
}

// span is a range of an archive's bytes.
type span struct{ start, end int64 }

// zipGaps reads the bytes of an archive outside its members (local
// header and data) as content of their own, one stretch at a time: a
// prefix (an archive catenated in front is read as one), gaps between
// members, the central directory, and, from the end record's comment on,
// the comment and anything appended.
func (x *Extractor) zipGaps(data []byte, zr *zip.Reader, depth int) error {
	spans := make([]span, 0, len(zr.File)+1)
	for _, f := range zr.File {
		if off, err := f.DataOffset(); err == nil {
			spans = append(spans, span{localHeader(data, off), off + int64(f.CompressedSize64)})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	tail := endRecord(data, zr.Comment)
	at := int64(0)
	for _, s := range append(spans, span{tail, tail}, span{int64(len(data)), int64(len(data))}) {
		if s.start > at {
			if err := x.outside(bytes.NewReader(data[at:min(s.start, int64(len(data)))]), depth); err != nil {
				return err
			}
		}
		at = max(at, s.end)
	}
	return nil
}

// localHeader returns where the local header of the member whose data
// starts at off begins, or off if there is none.
func localHeader(data []byte, off int64) int64 {
	const headerLen = 30
	end := min(off-headerLen+4, int64(len(data)))
	lo := max(end-4-2*0xFFFF, 0) // a name and an extra field of at most 64 KiB each
	for end-lo >= 4 {
		i := bytes.LastIndex(data[lo:end], []byte("PK\x03\x04"))
		if i < 0 {
			break
		}
		i += int(lo)
		if int64(i+headerLen+int(binary.LittleEndian.Uint16(data[i+26:]))+int(binary.LittleEndian.Uint16(data[i+28:]))) == off {
			return int64(i)
		}
		end = int64(i + 3)
	}
	return off
}

// endRecord returns the offset of an archive's comment: the end of the
// last end-of-central-directory record whose comment is comment (as
// archive/zip finds it), or the archive's length if there is none.
func endRecord(data []byte, comment string) int64 {
	const endLen = 22
	end := len(data)
	for {
		i := bytes.LastIndex(data[:end], []byte("PK\x05\x06"))
		if i < 0 {
			return int64(len(data))
		}
		if i+endLen <= len(data) {
			n := int(binary.LittleEndian.Uint16(data[i+endLen-2:]))
			if i+endLen+n <= len(data) && string(data[i+endLen:i+endLen+n]) == comment {
				return int64(i + endLen)
			}
		}
		end = i + 3 // before this record
	}
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
	if m.x.halted { // see StopWhen: held members stop too
		return 0, errStopped
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
	case partODF:
		err = x.odfText(m)
	default:
		err = x.content(m, "", depth)
	}
	x.boundary()
	up, _ := x.partFailed(err)
	return up
}

// partFailed reports what ended a part's parser: a clean end or a limit
// (reported where it was hit) is no failure, errStopped is passed up, and
// any other error is a decode error (reported): then failed is true.
func (x *Extractor) partFailed(err error) (up error, failed bool) {
	switch {
	case err == nil, errors.Is(err, errLimit):
		return nil, false
	case errors.Is(err, errStopped):
		return err, false
	}
	x.fail(ReasonDecodeError)
	return nil, true
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

// zipStream reads an archive from its local headers, member by member,
// up to its central directory, which it skips with the end record: what
// is left in cr is the comment and anything appended. It stops early at
// a limit or a member whose end cannot be found, and returns errCorrupt
// when the headers do not parse.
// Shared strings of a spreadsheet are not resolved this way (Excel stores
// them after the sheets): they are scanned as lines of their own.
func (x *Extractor) zipStream(cr *countReader, depth int) error {
	doc := &office{}
	for n := 0; ; n++ {
		var h [30]byte
		if _, err := io.ReadFull(cr, h[:4]); err != nil {
			return streamErr(err)
		}
		switch sig := binary.LittleEndian.Uint32(h[:4]); sig {
		case sigCentral, sigEnd:
			return skipDirectory(cr, sig)
		case sigLocal:
		default:
			return errCorrupt
		}
		if _, err := io.ReadFull(cr, h[4:]); err != nil {
			return streamErr(err)
		}
		if n >= x.lim.MaxEntries {
			x.fail(ReasonOverLimit)
			return nil
		}
		flags, method := binary.LittleEndian.Uint16(h[6:]), binary.LittleEndian.Uint16(h[8:])
		csize := int64(binary.LittleEndian.Uint32(h[18:]))
		desc := flags&8 != 0
		if csize == 0xFFFFFFFF { // zip64 sizes live in the extra field
			return errCorrupt
		}
		name := make([]byte, binary.LittleEndian.Uint16(h[26:]))
		if _, err := io.ReadFull(cr, name); err != nil {
			return streamErr(err)
		}
		doc.see(string(name))
		var body io.Reader
		switch {
		case flags&1 != 0:
			x.fail(ReasonEncrypted)
		case method == zip.Store && !desc:
			body = io.LimitReader(cr, csize)
		case method == zip.Deflate:
			body = x.inflate(cr)
		default:
			x.fail(ReasonUnsupportedEncoding)
		}
		// The name and the extra field are read as text, and so is the data
		// of a member that cannot be read (to the end when its size is
		// unknown): a header that is not one (the archive was only sniffed)
		// hides nothing.
		data := io.MultiReader()
		if body == nil {
			data = io.LimitReader(cr, boolInt64(desc, 1<<62, csize))
		}
		outside := io.MultiReader(bytes.NewReader(name), io.LimitReader(cr, int64(binary.LittleEndian.Uint16(h[28:]))), data)
		if err := x.peekText(outside, cr, depth); err != nil {
			return err
		}
		switch {
		case body == nil && desc: // read to the end
			return nil
		case body == nil:
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
			return streamErr(err)
		}
		if c, ok := body.(io.Closer); ok {
			_ = c.Close() // hands the inflater back; its errors were read
		}
		if !desc {
			if err := cr.skip(csize - (cr.n - start)); err != nil {
				return streamErr(err)
			}
			continue
		}
		if err := skipDescriptor(cr); err != nil {
			return err
		}
	}
}

func boolInt64(c bool, yes, no int64) int64 {
	if c {
		return yes
	}
	return no
}

// peekText reads r, the next bytes of cr, as text.
func (x *Extractor) peekText(r io.Reader, cr *countReader, depth int) error {
	head, _ := cr.r.Peek(sniffLen) // a head for the charset, however far r goes
	return x.asText(r, head, depth)
}

// skipDirectory skips the central directory records from the one whose
// signature sig was read, and the end record up to its comment. It stops
// at anything else: whatever follows is read as text anyway.
func skipDirectory(cr *countReader, sig uint32) error {
	for {
		var h [42]byte
		switch sig {
		case sigCentral: // 46 bytes, then the name, the extra field and the comment
			if _, err := io.ReadFull(cr, h[:]); err != nil {
				return stopped(err)
			}
			n := int64(binary.LittleEndian.Uint16(h[24:])) + int64(binary.LittleEndian.Uint16(h[26:])) + int64(binary.LittleEndian.Uint16(h[28:]))
			if err := cr.skip(n); err != nil {
				return stopped(err)
			}
		case sigEnd: // 22 bytes, then the comment
			_, err := io.ReadFull(cr, h[:18])
			return stopped(err)
		default:
			return nil
		}
		var s [4]byte
		if _, err := io.ReadFull(cr, s[:]); err != nil {
			return stopped(err)
		}
		sig = binary.LittleEndian.Uint32(s[:])
	}
}

// skipDescriptor skips a data descriptor: an optional signature, the CRC
// and two 4-byte sizes.
func skipDescriptor(cr *countReader) error {
	var d [4]byte
	if _, err := io.ReadFull(cr, d[:]); err != nil {
		return streamErr(err)
	}
	n := int64(8)
	if binary.LittleEndian.Uint32(d[:]) == sigDescriptor {
		n = 12
	}
	if err := cr.skip(n); err != nil {
		return streamErr(err)
	}
	return nil
}

// streamErr classifies a read error of a streamed archive's headers: a
// truncated archive is corrupt; a stop is passed up.
func streamErr(err error) error {
	if errors.Is(err, errStopped) {
		return err
	}
	return errCorrupt
}

// stopped passes up a stop and drops any other error: past the members,
// a truncated directory is no reason to stop reading.
func stopped(err error) error {
	if errors.Is(err, errStopped) {
		return err
	}
	return nil
}
