package extract

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf16"

	"github.com/dlpproxy/dlpproxy/internal/lzmadec"
)

// 7-Zip archives (.7z). A 7z archive keeps its header (files, sizes,
// coders) after the packed data, so it is held, up to what is left of the
// hold budget, and read from its end. The header is parsed here (the
// format: 7-Zip's DOC/7zFormat.txt); folders coded by Copy, LZMA, LZMA2
// (internal/lzmadec), Deflate or BZip2 alone are decoded,
// which covers what 7-Zip writes for documents at any level.

// sevenZipMagic starts a 7z archive.
var sevenZipMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}

// isSevenZip reports whether head starts a 7z archive.
func isSevenZip(head []byte) bool { return bytes.HasPrefix(head, sevenZipMagic) }

const (
	// sevenZipMaxDict is the largest dictionary accepted, as for xz:
	// 7-Zip's ultra level uses 64 MiB.
	sevenZipMaxDict = 64 << 20
	// sevenZipMaxHeader bounds a packed header's unpacked size: a header
	// of MaxEntries files takes well under 2 MiB.
	sevenZipMaxHeader = 16 << 20
)

// Codec ids of the coders a folder may use.
const (
	coderCopy    = 0x00
	coderLZMA2   = 0x21
	coderLZMA    = 0x030101
	coderDeflate = 0x040108
	coderBZip2   = 0x040202
	coderAES     = 0x06f10701
)

// Property ids of the header, named as in 7zFormat.txt.
const (
	kEnd                   = 0x00
	kHeader                = 0x01
	kArchiveProperties     = 0x02
	kAdditionalStreamsInfo = 0x03
	kMainStreamsInfo       = 0x04
	kFilesInfo             = 0x05
	kPackInfo              = 0x06
	kUnpackInfo            = 0x07
	kSubStreamsInfo        = 0x08
	kSize                  = 0x09
	kCRC                   = 0x0a
	kFolder                = 0x0b
	kCodersUnpackSize      = 0x0c
	kNumUnpackStream       = 0x0d
	kEmptyStream           = 0x0e
	kName                  = 0x11
	kEncodedHeader         = 0x17
)

// Errors of a 7z archive that cannot be read; anything else is a decode
// error.
var (
	errSevenZipFormat    = errors.New("7z: malformed header")
	errSevenZipEncrypted = errors.New("7z: encrypted")
	errSevenZipCoder     = errors.New("7z: coder without a decoder here")
	errSevenZipLimit     = errors.New("7z: over a limit")
	// errSevenZipStreamed reports a packed stream that was decoded as it
	// streamed (see sevenZipStream): its files are named, not read again.
	errSevenZipStreamed = errors.New("7z: streamed")
)

// sevenZip inspects a 7z archive: each file a part of its own after a line
// with its name (see memberName), counted against MaxEntries, MaxTotal,
// MaxRatio and MaxDepth; what follows the archive is content of its own.
// An archive larger than the hold budget, a dictionary over 64 MiB or
// over MaxTotal is over the limit; encrypted data or headers (7z -p,
// -mhe) are encrypted; a folder of other coders (BCJ filters of
// executables, PPMd) is unsupported_encoding; an archive whose header
// does not parse is a decode error, its bytes read as text.
func (x *Extractor) sevenZip(r io.Reader, depth int) error {
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
	if !whole {
		return x.sevenZipStream(f, data, r, depth)
	}
	a, end, err := x.readSevenZip(data, 0)
	if err != nil {
		x.fail(sevenZipReason(err))
		return x.asText(bytes.NewReader(data), data, depth)
	}
	if err := x.sevenZipFiles(a, data, depth); err != nil {
		return err
	}
	return x.outside(bytes.NewReader(data[end:]), depth)
}

// sevenZipStream reads an archive larger than the hold budget, whose
// header (at its end) is out of reach. 7-Zip writes the packed streams
// first, from byte 32 on, one per folder. Its default coder is LZMA2,
// whose chunks carry their own properties: so LZMA2 packed streams are
// decoded one after another as they stream, into one part. A first stream
// that starts as LZMA does (7-Zip's default before LZMA2, and 7z a
// -m0=LZMA) is decoded with the properties 7-Zip always writes (lc=3,
// lp=0, pb=2) up to where the header starts, which the signature header
// gives: one folder, as 7-Zip writes a solid archive. The files' names, in
// the header, come at the end (see sevenZipTail), and the header then
// tells whether the streams were what they were decoded as. A first stream
// that is neither (PPMd, stored, encrypted), or one that fails to decode,
// is over the limit, as every archive over the hold was before, and the
// rest is read as text.
func (x *Extractor) sevenZipStream(f *frame, data []byte, r io.Reader, depth int) error {
	br := bytes.NewReader(data)
	cr := &countReader{r: bufio.NewReaderSize(io.MultiReader(br, r), 4<<10)}
	s := &szStream{x: x, cr: cr}
	// Read as it is (as a zip's stream): what is buffered is held, and
	// the bytes of tail not read yet.
	tail := bytes.NewReader(nil)
	plain := func() {
		f.fixed, f.scale = streamLag, 1
		f.held = func() int64 { return int64(br.Len() + cr.r.Buffered() + tail.Len()) }
	}
	plain()
	if err := cr.skip(32); err != nil || !s.open(data) || !x.charge(sevenZipMaxDict) {
		x.fail(ReasonOverLimit)
		return x.peekText(cr, cr, depth)
	}
	// As unxz: the input of the read in progress is held, what the
	// decoder read ahead, and its look-ahead; one output byte stands for
	// at most xzScale input bytes.
	f.fixed, f.scale = xzLag, xzScale
	f.held = func() int64 { return int64(br.Len()+cr.r.Buffered()+len(s.kept())) + cr.n - s.from }
	if err := x.inflated(s, cr, cr.n, depth); err != nil {
		return err
	}
	if s.failed {
		tail.Reset(s.kept()) // read as text, before what follows
		plain()
		return x.asText(io.MultiReader(tail, cr), peekAfter(tail, cr), depth)
	}
	f.fixed = infinite // the tail is held whole while it is read
	rest := s.rest()   // what the LZMA decoder read past its stream
	view, a, err := x.sevenZipTail(data, io.MultiReader(bytes.NewReader(rest), cr), cr.n-int64(len(rest)))
	x.held += int64(cap(view))
	defer func() { x.held -= int64(cap(view)) }()
	if err == nil {
		a.streamedAs, a.streamedOut = s.coder, s.out
		err = x.sevenZipFiles(a, view, depth)
		plain()
		if err != nil {
			return err
		}
		return x.outside(cr, depth)
	}
	x.fail(sevenZipReason(err))
	tail.Reset(rest) // read as text: what the tail read of it, or all of it
	if len(view) > 32 {
		tail.Reset(view[32:])
	}
	plain()
	return x.asText(io.MultiReader(tail, cr), peekAfter(tail, cr), depth)
}

// peekAfter returns the head of what tail and then cr hold, for the
// charset: tail's bytes when it has any.
func peekAfter(tail *bytes.Reader, cr *countReader) []byte {
	if tail.Len() > 0 {
		head := make([]byte, min(tail.Len(), sniffLen))
		_, _ = tail.ReadAt(head, 0)
		return head
	}
	head, _ := cr.r.Peek(sniffLen)
	return head
}

// sevenZipTail reads what follows the streams decoded of an archive over
// the hold (r goes on from there, the archive's offset streamed): the
// packed streams left (folders of other coders: 7z u -m0=LZMA adds one;
// a packed header) and the header, held whole within an eighth of the
// hold budget, 64 KiB at least (data, the archive's start, was read
// through).
// It returns them behind the archive's signature header, moved to point at
// the header, and the archive the header describes: its files are then
// named, and the folders left decoded, as in a held archive (or reported
// encrypted, unsupported or over the limit). A tail over the budget is
// errSevenZipLimit; one that does not parse is returned as far as read,
// with the error.
func (x *Extractor) sevenZipTail(data []byte, r io.Reader, streamed int64) ([]byte, *szArchive, error) {
	off := binary.LittleEndian.Uint64(data[12:])
	size := binary.LittleEndian.Uint64(data[20:])
	if off > 1<<48 || size > 1<<48 || 32+int64(off) < streamed {
		return nil, nil, errSevenZipFormat
	}
	n := 32 + int64(off+size) - streamed
	if n > min(x.lim.Hold-(x.held-int64(cap(data))), max(x.lim.Hold/8, 64<<10)) {
		return nil, nil, errSevenZipLimit
	}
	view := make([]byte, 32+n)
	copy(view, data[:32])
	binary.LittleEndian.PutUint64(view[12:], uint64(32+int64(off)-streamed)) // the header's place in view
	if k, err := io.ReadFull(r, view[32:]); err != nil {
		return view[:32+k], nil, errors.Join(errSevenZipFormat, err)
	}
	a, _, err := x.readSevenZip(view, streamed-32)
	return view, a, err
}

// szStream is the content of the packed streams of a 7z archive read
// without its header (see sevenZipStream): LZMA2 streams one after
// another, or one LZMA stream.
type szStream struct {
	x      *Extractor
	cr     *countReader
	d      io.Reader
	lzma   *lzmadec.StreamReader // d, when the stream is LZMA
	coder  uint64                // coderLZMA2 or coderLZMA
	from   int64                 // cr offset where the read in progress (or the last) began
	out    int64                 // bytes decoded
	failed bool                  // a stream did not decode: over the limit
}

// szLZMAProps is the properties byte 7-Zip's LZMA coder always writes:
// lc=3, lp=0, pb=2.
const szLZMAProps = (2*5+0)*9 + 3

// open starts decoding the first packed stream (cr is at byte 32 of the
// archive, whose first 32 bytes are in data): LZMA2, or LZMA up to where
// the header starts. It reports false for any other stream.
func (s *szStream) open(data []byte) bool {
	if s.starts() {
		s.coder, s.d = coderLZMA2, lzmadec.NewReader2(s.cr, sevenZipMaxDict)
		return true
	}
	off := binary.LittleEndian.Uint64(data[12:])
	if h, _ := s.cr.r.Peek(1); len(h) == 0 || h[0] != 0 || off < 5 || off > 1<<48 {
		return false
	}
	z, err := lzmadec.NewStreamReader(io.LimitReader(s.cr, int64(off)), szLZMAProps, sevenZipMaxDict)
	if err != nil {
		return false
	}
	s.coder, s.d, s.lzma = coderLZMA, z, z
	return true
}

// rest returns the input the decoder read and did not take: after the
// LZMA stream's end, the bytes that follow it.
func (s *szStream) rest() []byte {
	if s.lzma == nil {
		return nil
	}
	return s.lzma.Rest()
}

// kept returns the input the decoder holds: all it read while it still
// holds that whole (should the stream fail, it is read as text from
// there: a stored file whose first byte is 0 starts like LZMA), then what
// it did not take.
func (s *szStream) kept() []byte {
	if s.lzma != nil && s.lzma.Head() != nil {
		return s.lzma.Head()
	}
	return s.rest()
}

func (s *szStream) Read(p []byte) (int, error) {
	s.from = s.cr.n
	for {
		n, err := s.d.Read(p)
		s.out += int64(n)
		switch {
		case errors.Is(err, io.EOF) && s.coder == coderLZMA2 && s.starts():
			s.d.(*lzmadec.Reader2).Reset(s.cr) // the next folder
			if n == 0 {
				continue
			}
			err = nil
		case errors.Is(err, lzmadec.ErrCorrupt), errors.Is(err, io.ErrUnexpectedEOF):
			// Not LZMA2 or LZMA after all (the streams of another
			// coder can start like one): what the hold kept from
			// being read is over the limit, not a decode error.
			s.x.fail(ReasonOverLimit)
			s.failed = true
			err = errLimit
		}
		return n, err
	}
}

// starts reports whether an LZMA2 stream starts at the reader: a chunk
// that resets the dictionary, stored (1) or LZMA (0xe0 and more) with
// properties LZMA2 allows and a range coder's first byte, 0. A plain
// header after the last stream starts with 1 too, then kMainStreamsInfo
// and kPackInfo (a stored chunk of 1,031 bytes would start so).
func (s *szStream) starts() bool {
	h, _ := s.cr.r.Peek(7)
	switch {
	case len(h) >= 3 && h[0] == 1:
		return h[1] != kMainStreamsInfo || h[2] != kPackInfo
	case len(h) == 7 && h[0] >= 0xe0:
		props := h[5]
		return props < 9*5*5 && props%9+props/9%5 <= 4 && h[6] == 0
	}
	return false
}

// sevenZipReason is the reason an error of readSevenZip gives.
func sevenZipReason(err error) string {
	switch {
	case errors.Is(err, errSevenZipEncrypted):
		return ReasonEncrypted
	case errors.Is(err, errSevenZipCoder):
		return ReasonUnsupportedEncoding
	case errors.Is(err, errSevenZipLimit):
		return ReasonOverLimit
	}
	return ReasonDecodeError
}

// szArchive is what the header of a 7z archive says.
type szArchive struct {
	packPos  int64   // offset of the first packed stream after the signature header
	shift    int64   // packed bytes streamed before the data held (see readSevenZip)
	packs    []int64 // sizes of the packed streams
	folders  []szFolder
	files    []szFile // files in order; those with a stream take the folders' streams in order
	streamed int      // files with a stream

	// Of an archive over the hold: the coder its first packed streams
	// were decoded as before the header was read, and what they decoded
	// to (see sevenZipStream).
	streamedAs  uint64
	streamedOut int64
}

// szFolder is a folder: one coder (the only kind read) and the streams it
// unpacks to, one per file (several in a solid block).
type szFolder struct {
	coder   uint64 // codec id
	props   []byte
	unpack  int64   // size of the folder's output
	streams []int64 // sizes of its files' streams; one stream of unpack when not given
	packed  int     // packed streams it reads
	crc     bool    // its output's CRC is given
	other   bool    // more than one coder, or a coder of several streams
	aes     bool    // a coder is AES
}

// szFile is a file of the archive.
type szFile struct {
	name  string
	empty bool // no stream: an empty file or a directory
}

// readSevenZip parses the archive in data and returns it and where it
// ends. data holds the archive's signature header, then its bytes from
// offset 32+shift on (shift > 0: the packed streams before that were
// streamed, see sevenZipTail).
func (x *Extractor) readSevenZip(data []byte, shift int64) (*szArchive, int, error) {
	if len(data) < 32 || data[6] != 0 {
		return nil, 0, errSevenZipFormat
	}
	off := binary.LittleEndian.Uint64(data[12:])
	size := binary.LittleEndian.Uint64(data[20:])
	if off > uint64(len(data)) || size > uint64(len(data))-off || 32+off+size > uint64(len(data)) {
		return nil, 0, errSevenZipFormat
	}
	end := int(32 + off + size)
	header := data[32+off : end]
	if size == 0 { // an empty archive
		return &szArchive{}, end, nil
	}
	for range 4 { // a packed header, at most a few times over
		h := &szReader{b: header, max: 4 * x.lim.MaxEntries}
		switch h.byte() {
		case kHeader:
			a, err := h.header(x.lim.MaxEntries)
			if a != nil {
				a.shift = shift
			}
			return a, end, err
		case kEncodedHeader:
			a := &szArchive{shift: shift}
			if err := h.streamsInfo(a); err != nil {
				return nil, 0, err
			}
			if len(a.folders) != 1 || a.folders[0].unpack > sevenZipMaxHeader {
				return nil, 0, errSevenZipLimit
			}
			if err := x.szCharge(a.folders[0].unpack); err != nil { // the header, unpacked
				return nil, 0, err
			}
			packed, err := a.packed(data, 0)
			if err != nil {
				return nil, 0, err
			}
			r, err := x.szDecoder(a.folders[0], packed)
			if err != nil {
				return nil, 0, err
			}
			header, err = io.ReadAll(io.LimitReader(r, a.folders[0].unpack))
			if err != nil {
				return nil, 0, errors.Join(errSevenZipFormat, err)
			}
		default:
			return nil, 0, errSevenZipFormat
		}
	}
	return nil, 0, errSevenZipFormat
}

// packed returns the bytes of the i-th packed stream.
func (a *szArchive) packed(data []byte, i int) ([]byte, error) {
	if i >= len(a.packs) {
		return nil, errSevenZipFormat
	}
	start := 32 + a.packPos - a.shift
	for _, n := range a.packs[:i] {
		start += n
	}
	switch {
	case a.shift > 0 && start < 32 && start >= 32-a.shift:
		return nil, errSevenZipStreamed
	case start < 32 || start > int64(len(data)) || a.packs[i] > int64(len(data))-start:
		return nil, errSevenZipFormat
	}
	return data[start : start+a.packs[i]], nil
}

// sevenZipFiles inspects the files of a, folder by folder.
func (x *Extractor) sevenZipFiles(a *szArchive, data []byte, depth int) error {
	files := a.files
	// next reads the names of the files up to the next with a stream,
	// and returns its name ("" when the names ran out).
	next := func() (string, error) {
		for len(files) > 0 {
			f := files[0]
			files = files[1:]
			if err := x.memberName(f.name, depth); err != nil || !f.empty {
				return f.name, err
			}
		}
		return "", nil
	}
	pack := 0 // the first packed stream of the folder
	var streamed []szFolder
	for _, folder := range a.folders {
		packed, err := a.packed(data, pack)
		pack += folder.packed
		var r io.Reader
		if err == nil {
			r, err = x.szDecoder(folder, packed)
		}
		switch {
		case errors.Is(err, errSevenZipStreamed):
			streamed = append(streamed, folder)
		case err != nil:
			x.fail(sevenZipReason(err))
		}
		for _, size := range folder.streams {
			name, nerr := next()
			if nerr != nil {
				return nerr
			}
			if err != nil {
				continue // named, not read
			}
			lr := &io.LimitedReader{R: r, N: size}
			m := x.member(lr, func() int64 { return int64(len(packed)) })
			if err := x.entry(m, name, &office{}, depth); err != nil {
				return err
			}
			if lr.N > 0 {
				// Not read to its end (a limit): the folder's next file
				// would start in the middle of this one. Its files are
				// named, not read.
				err = errSevenZipLimit
			}
		}
	}
	for len(files) > 0 { // empty files and directories after the last stream
		if _, err := next(); err != nil {
			return err
		}
	}
	if err := a.checkStreamed(streamed, data); err != nil {
		x.fail(sevenZipReason(err))
	}
	return nil
}

// checkStreamed checks the folders whose packed streams were decoded
// before the header was read (see sevenZipStream; data is the tail held
// after them, behind the signature header) against what the header says
// of them: their coder, LZMA2 (any properties) or LZMA with 7-Zip's
// properties and then one folder only, whose packed stream is what the
// decoder took; and their output's size. An LZMA stream read without its
// size ends where its range coder could have been flushed: before the
// last zero literals, if it ends in some (see lzmadec.StreamReader), and
// before its last bytes, if they are zero bytes that could have started
// the next stream; both are allowed, up to szZeroTail. Folders that were
// something else (a PPMd or encrypted stream can start like LZMA) were
// not read: the error says why (encrypted, a coder without a decoder, or
// over the limit).
func (a *szArchive) checkStreamed(folders []szFolder, data []byte) error {
	var out int64
	for _, f := range folders {
		out += f.unpack
		switch {
		case f.aes:
			return errSevenZipEncrypted
		case f.other || !szDecodes(f.coder):
			return errSevenZipCoder
		case f.coder != a.streamedAs,
			f.coder == coderLZMA && (len(folders) > 1 || len(f.props) == 0 || f.props[0] != szLZMAProps || !a.zeroLag(data)):
			return errSevenZipLimit
		}
	}
	switch {
	case a.streamedAs == coderLZMA && out >= a.streamedOut && out-a.streamedOut <= szZeroTail:
	case out != a.streamedOut:
		return errSevenZipLimit
	}
	return nil
}

// zeroLag reports whether the first packed stream, decoded as LZMA, ended
// where the header says, or at most szZeroTail zero bytes before it (they
// start data's tail).
func (a *szArchive) zeroLag(data []byte) bool {
	if len(a.packs) == 0 {
		return false
	}
	lag := a.packs[0] - a.shift
	return lag >= 0 && lag <= szZeroTail && 32+lag <= int64(len(data)) && bytes.Count(data[32:32+lag], []byte{0}) == int(lag)
}

// szZeroTail bounds the zero bytes an LZMA stream read without its size
// may end before (see checkStreamed): one or two in 7-Zip's output.
const szZeroTail = 64

// szDecodes reports whether szDecoder has a decoder for coder.
func szDecodes(coder uint64) bool {
	switch coder {
	case coderCopy, coderLZMA, coderLZMA2, coderDeflate, coderBZip2:
		return true
	}
	return false
}

// szDecoder returns the reader of a folder's output from its packed
// bytes, after counting its dictionary against MaxTotal.
func (x *Extractor) szDecoder(f szFolder, packed []byte) (io.Reader, error) {
	switch {
	case f.aes:
		return nil, errSevenZipEncrypted
	case f.other:
		return nil, errSevenZipCoder
	}
	in := bytes.NewReader(packed)
	switch f.coder {
	case coderCopy:
		return in, nil
	case coderLZMA:
		if len(f.props) != 5 || f.props[0] >= 9*5*5 {
			return nil, errSevenZipFormat
		}
		dict := min(int64(binary.LittleEndian.Uint32(f.props[1:])), max(f.unpack, lzmadec.MinDict))
		if err := x.szCharge(dict); err != nil {
			return nil, err
		}
		return lzmadec.NewReader(packed, f.props[0], int(dict), f.unpack)
	case coderLZMA2:
		if len(f.props) != 1 || f.props[0] > 40 {
			return nil, errSevenZipFormat
		}
		p := f.props[0]
		dict := int64(0xffffffff)
		if p < 40 {
			dict = int64(2|p&1) << (p/2 + 11)
		}
		dict = max(min(dict, f.unpack), lzmadec.MinDict)
		if err := x.szCharge(dict); err != nil {
			return nil, err
		}
		return lzmadec.NewReader2(in, int(dict)), nil
	case coderDeflate:
		return x.inflate(in), nil
	case coderBZip2:
		if err := x.szCharge(900_000 * 4); err != nil {
			return nil, err
		}
		return bzip2.NewReader(in), nil
	}
	return nil, errSevenZipCoder
}

// szCharge counts a dictionary against MaxTotal (see charge); over 64 MiB
// or past MaxTotal it is errSevenZipLimit.
func (x *Extractor) szCharge(dict int64) error {
	if dict > sevenZipMaxDict {
		return errSevenZipLimit
	}
	x.total += dict
	if x.total > x.lim.MaxTotal {
		return errSevenZipLimit
	}
	return nil
}

// szReader reads the properties of a 7z header. A read past the end
// yields zeros and marks it failed (bad); a count over max (files,
// folders, streams, coders: four per entry at most) yields 0 and marks it
// over the limit.
type szReader struct {
	b    []byte
	max  int
	bad  bool
	over bool
}

func (r *szReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes returns the next n bytes.
func (r *szReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad = true
		r.b = nil
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

// number reads a 7z NUMBER: the first byte's leading ones count the
// little-endian bytes that follow, its other bits are the high part.
func (r *szReader) number() uint64 {
	first := r.byte()
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i)
		}
		v |= uint64(r.byte()) << (8 * i)
		mask >>= 1
	}
	return v
}

// count reads a NUMBER that counts items of at least one byte each in
// what is left of the header: more is malformed, more than max over the
// limit (either would allocate and loop for nothing).
func (r *szReader) count() int {
	n := r.number()
	switch {
	case n > uint64(len(r.b)):
		r.bad = true
	case n > uint64(r.max):
		r.over = true
	default:
		return int(n)
	}
	return 0
}

// size reads a NUMBER that is a size.
func (r *szReader) size() int64 {
	n := r.number()
	if n > 1<<50 {
		r.bad = true
		return 0
	}
	return int64(n)
}

// bits reads a vector of n bits, the first in the high bit.
func (r *szReader) bits(n int) []bool {
	v := make([]bool, n)
	var c byte
	for i := range v {
		if i%8 == 0 {
			c = r.byte()
		}
		v[i] = c&(0x80>>(i%8)) != 0
	}
	return v
}

// digests skips a list of n CRCs and returns which are given.
func (r *szReader) digests(n int) []bool {
	if n > len(r.b)*8+8 {
		r.bad = true
		return nil
	}
	var defined []bool
	if r.byte() == 0 {
		defined = r.bits(n)
	} else {
		defined = make([]bool, n)
		for i := range defined {
			defined[i] = true
		}
	}
	for _, d := range defined {
		if d {
			r.bytes(4)
		}
	}
	return defined
}

// err is errSevenZipLimit if a count was over max, errSevenZipFormat if
// a read failed.
func (r *szReader) err() error {
	switch {
	case r.over:
		return errSevenZipLimit
	case r.bad:
		return errSevenZipFormat
	}
	return nil
}

// failed reports whether a read failed or a count was over max: loops
// stop.
func (r *szReader) failed() bool { return r.bad || r.over }

// header reads a Header (after its id).
func (r *szReader) header(maxFiles int) (*szArchive, error) {
	a := &szArchive{}
	for {
		switch id := r.byte(); id {
		case kEnd:
			if a.streamed > a.streamCount() {
				return nil, errSevenZipFormat
			}
			return a, r.err()
		case kArchiveProperties:
			for r.byte() != kEnd && !r.failed() {
				r.bytes(r.number())
			}
		case kAdditionalStreamsInfo:
			if err := r.streamsInfo(&szArchive{}); err != nil {
				return nil, err
			}
		case kMainStreamsInfo:
			if err := r.streamsInfo(a); err != nil {
				return nil, err
			}
		case kFilesInfo:
			if err := r.filesInfo(a, maxFiles); err != nil {
				return nil, err
			}
		default:
			return nil, errSevenZipFormat
		}
		if r.failed() {
			return nil, r.err()
		}
	}
}

// streamCount is the number of file streams the folders hold.
func (a *szArchive) streamCount() int {
	n := 0
	for _, f := range a.folders {
		n += len(f.streams)
	}
	return n
}

// streamsInfo reads a StreamsInfo (after its id) into a.
func (r *szReader) streamsInfo(a *szArchive) error {
	for {
		switch id := r.byte(); id {
		case kEnd:
			for i := range a.folders {
				if a.folders[i].streams == nil {
					a.folders[i].streams = []int64{a.folders[i].unpack}
				}
			}
			return r.err()
		case kPackInfo:
			a.packPos = r.size()
			a.packs = make([]int64, r.count())
			for id := r.byte(); id != kEnd && !r.failed(); id = r.byte() {
				switch id {
				case kSize:
					for i := range a.packs {
						a.packs[i] = r.size()
					}
				case kCRC:
					r.digests(len(a.packs))
				default:
					return errSevenZipFormat
				}
			}
		case kUnpackInfo:
			if err := r.unpackInfo(a); err != nil {
				return err
			}
		case kSubStreamsInfo:
			if err := r.subStreamsInfo(a); err != nil {
				return err
			}
		default:
			return errSevenZipFormat
		}
		if r.failed() {
			return r.err()
		}
	}
}

// unpackInfo reads the folders (after the UnpackInfo id).
func (r *szReader) unpackInfo(a *szArchive) error {
	if r.byte() != kFolder {
		return errSevenZipFormat
	}
	a.folders = make([]szFolder, r.count())
	if r.byte() != 0 { // folders kept in another stream
		return errSevenZipFormat
	}
	outs := make([]int, len(a.folders))
	total := 0
	for i := range a.folders {
		outs[i] = r.folder(&a.folders[i])
		if total += outs[i]; total > r.max {
			r.over = true
		}
		if r.failed() {
			return r.err()
		}
	}
	if r.byte() != kCodersUnpackSize {
		return errSevenZipFormat
	}
	for i := range a.folders {
		// The folder's output is its last coder's; a folder of one
		// coder has one.
		for range outs[i] {
			a.folders[i].unpack = r.size()
		}
	}
	for id := r.byte(); id != kEnd && !r.failed(); id = r.byte() {
		if id != kCRC {
			return errSevenZipFormat
		}
		for i, d := range r.digests(len(a.folders)) {
			a.folders[i].crc = d
		}
	}
	return r.err()
}

// folder reads a Folder into f and returns its number of output streams.
func (r *szReader) folder(f *szFolder) int {
	coders := r.count()
	if coders == 0 {
		r.bad = true // a folder codes its streams with one coder at least
		return 0
	}
	ins, outs := 0, 0
	for range coders {
		if r.failed() || outs > r.max {
			r.over = r.over || outs > r.max
			return 0
		}
		flags := r.byte()
		id := r.bytes(uint64(flags & 0x0f))
		var codec uint64
		for _, c := range id {
			codec = codec<<8 | uint64(c)
		}
		in, out := 1, 1
		if flags&0x10 != 0 {
			in, out = r.count(), r.count()
		}
		var props []byte
		if flags&0x20 != 0 {
			props = r.bytes(r.number())
		}
		if flags&0x80 != 0 || in != 1 || out != 1 || coders != 1 {
			f.other = true
		}
		if codec == coderAES {
			f.aes = true
		}
		f.coder, f.props = codec, props
		ins += in
		outs += out
	}
	for range outs - 1 { // bind pairs
		r.number()
		if r.number(); r.failed() {
			return 0
		}
	}
	f.packed = ins - (outs - 1)
	if f.packed < 1 { // fewer input streams than bind pairs need
		r.bad = true
		return 0
	}
	if f.packed > 1 {
		r.bytes(uint64(f.packed)) // at least a byte each: skipped as such
		f.other = true
	}
	return outs
}

// subStreamsInfo reads how the folders' outputs split into files (after
// the SubStreamsInfo id).
func (r *szReader) subStreamsInfo(a *szArchive) error {
	counts := make([]int, len(a.folders))
	for i := range counts {
		counts[i] = 1
	}
	id := r.byte()
	if id == kNumUnpackStream {
		total := 0
		for i := range counts {
			counts[i] = r.count()
			if total += counts[i]; total > r.max {
				r.over = true
			}
		}
		if r.failed() {
			return r.err()
		}
		id = r.byte()
	}
	for i := range a.folders {
		f := &a.folders[i]
		f.streams = make([]int64, counts[i])
		if counts[i] == 0 {
			continue
		}
		rest := f.unpack
		if id == kSize {
			for j := range counts[i] - 1 {
				f.streams[j] = r.size()
				rest -= f.streams[j]
			}
		}
		if rest < 0 {
			return errSevenZipFormat
		}
		f.streams[counts[i]-1] = rest
	}
	if id == kSize {
		id = r.byte()
	}
	for ; id != kEnd && !r.failed(); id = r.byte() {
		if id != kCRC {
			return errSevenZipFormat
		}
		n := 0 // the streams whose CRC the folders do not give
		for i, f := range a.folders {
			if counts[i] != 1 || !f.crc {
				n += counts[i]
			}
		}
		r.digests(n)
	}
	return r.err()
}

// filesInfo reads the files' names and which have no stream (after the
// FilesInfo id); more than maxFiles is over the limit.
func (r *szReader) filesInfo(a *szArchive, maxFiles int) error {
	n := r.count()
	if n > maxFiles || r.over {
		return errSevenZipLimit
	}
	a.files = make([]szFile, n)
	for {
		id := r.byte()
		if id == kEnd || r.failed() {
			break
		}
		prop := &szReader{b: r.bytes(r.number()), max: r.max}
		switch id {
		case kEmptyStream:
			for i, e := range prop.bits(n) {
				a.files[i].empty = e
			}
		case kName:
			if prop.byte() != 0 { // names kept in another stream
				return errSevenZipFormat
			}
			for i := range a.files {
				a.files[i].name = prop.utf16z()
			}
		}
		if prop.bad {
			return errSevenZipFormat
		}
	}
	for _, f := range a.files {
		if !f.empty {
			a.streamed++
		}
	}
	return r.err()
}

// utf16z reads a NUL-terminated UTF-16LE string.
func (r *szReader) utf16z() string {
	var u []uint16
	for len(r.b) >= 2 {
		c := binary.LittleEndian.Uint16(r.b)
		r.b = r.b[2:]
		if c == 0 {
			return string(utf16.Decode(u))
		}
		u = append(u, c)
	}
	r.bad = true
	return ""
}
