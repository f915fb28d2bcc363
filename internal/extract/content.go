package extract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
)

// sniffLen is how many leading bytes decide what a stream is.
const sniffLen = 512

// Magic numbers of the containers sniffed from content.
var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06")
	oleMagic      = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// content inspects one stream: a message, a part, a member or decoded
// base64. ctype is its declared Content-Type, if any; the rest is sniffed.
func (x *Extractor) content(r io.Reader, ctype string, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	mt, params, _ := mime.ParseMediaType(ctype)
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		return x.multipart(r, params["boundary"], depth)
	}
	if isMessageType(mt) {
		return x.message(r, "", true, depth)
	}
	// The head is held from the first byte read: its bytes have no text yet.
	head := x.getBuf(sniffLen)
	defer x.putBuf(head)
	n := 0
	var hr *bytes.Reader
	x.push(&frame{held: func() int64 {
		if hr == nil {
			return int64(n)
		}
		return int64(hr.Len())
	}})
	defer x.pop()
	// A live stream is sniffed by its first record: a live feed does not
	// wait for 512 bytes, and the bytes sniffed do not depend on how the
	// stream is cut into chunks.
	var recs records
	if x.live && depth == 0 {
		recs = recordsOf(mt, params)
	}
	sniff := -1
	var herr error // a read error ends the head: its bytes are still inspected
	for n < len(head) && sniff < 0 && herr == nil {
		var m int
		m, herr = r.Read(head[n:])
		n += m
		if recs.end != nil {
			sniff = recs.end(head[:n])
		}
	}
	if errors.Is(herr, errStopped) {
		return herr
	}
	head = head[:n]
	hr = bytes.NewReader(head)
	r = &headed{head: hr, r: r, err: herr}
	if sniff >= 0 {
		head = head[:sniff]
	}
	switch {
	case bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmptyMagic):
		return x.zip(r, depth+1)
	case bytes.HasPrefix(head, oleMagic):
		return x.oleFile(r, depth)
	case bytes.HasPrefix(head, gzipMagic):
		return x.gunzip(r, depth+1)
	case bytes.HasPrefix(head, pdfMagic):
		return x.pdf(r, depth+1)
	case isBzip2(head):
		return x.bunzip2(r, depth+1)
	case isZstd(head):
		return x.unzstd(r, depth+1)
	case isXz(head):
		return x.unxz(r, depth+1)
	case isRar(head):
		return x.unrar(r, depth+1)
	case isSevenZip(head):
		return x.sevenZip(r, depth+1)
	case isTar(head):
		return x.untar(r, depth+1)
	case isTNEF(head):
		return x.tnef(r, depth+1)
	case isRTF(head):
		return x.rtf(r)
	case isSpreadsheetML(head):
		return x.flatXML(r, x.spreadsheetML, params["charset"], depth)
	case isFlatODF(head):
		return x.flatXML(r, x.odfText, params["charset"], depth)
	}
	if b := sniffBoundary(head); b != "" {
		return x.multipart(r, b, depth)
	}
	if recs.end == nil && sniffMessage(head) {
		return x.message(r, params["charset"], false, depth)
	}
	cs := sniffCharset(head, params["charset"])
	if recs.end != nil && !cs.declared {
		cs.legacy = nil // a live stream is UTF-8 unless declared: see NewLive
	}
	return x.text(r, cs, depth, recs)
}

// headed is io.MultiReader(head, r) that lets the text layer see r: when
// r is the raw message, plain text is read from the written chunks in
// place (see textLayer.direct).
type headed struct {
	head *bytes.Reader
	r    io.Reader
	// err is what ended r (io.EOF, a decoder's error): like
	// io.MultiReader, r is not read again after io.EOF, and after an
	// error the head is read before the error is reported.
	err error
}

func (h *headed) Read(p []byte) (int, error) {
	if h.head.Len() > 0 {
		return h.head.Read(p)
	}
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	if errors.Is(err, io.EOF) {
		h.err = err
	}
	return n, err
}

// sniffBoundary returns the boundary of a multipart body that starts with
// its first delimiter line and a part header, or "".
func sniffBoundary(head []byte) string {
	line, rest, ok := bytes.Cut(head, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte("--")) {
		return ""
	}
	b := bytes.TrimSuffix(line[2:], []byte("\r"))
	if len(b) == 0 || len(b) > 70 || bytes.ContainsAny(b, " \t\"") {
		return ""
	}
	if !bytes.HasPrefix(bytes.ToLower(rest), []byte("content-")) {
		return ""
	}
	return string(b)
}

// multipart inspects each part of a multipart body on its own, and the
// preamble before its first delimiter line and the epilogue after its
// close delimiter as content of their own: mime/multipart skips the one
// unread and leaves the other in its buffer.
func (x *Extractor) multipart(r io.Reader, boundary string, depth int) error {
	f := &fence{br: bufio.NewReaderSize(r, fenceBuf), dash: []byte("--" + boundary), head: -1}
	// mime/multipart reads ahead through a 4 KiB bufio.Reader and peeks
	// for the boundary; 8 KiB bounds what it holds, the fence holds its own.
	// A part's header is held from its first byte until its text is
	// written, however long it is (see formParts).
	x.push(&frame{fixed: 8 << 10, held: func() int64 { return int64(len(f.line)+f.br.Buffered()) + f.headHeld() }})
	defer x.pop()
	err := x.outside((*preamble)(f), depth+1)
	if err == nil {
		err = x.formParts(multipart.NewReader(f, boundary), f, depth)
	}
	if errors.Is(err, errStopped) {
		return err
	}
	if err != nil {
		x.fail(ReasonDecodeError)
	}
	if f.head >= 0 {
		if err := x.droppedHeader(f.kept, f.dash, depth+1); errors.Is(err, errStopped) {
			return err
		} else if err != nil {
			x.fail(ReasonDecodeError)
		}
		f.kept, f.head = nil, -1
	}
	return x.outside(io.MultiReader(f, f.br), depth+1) // the epilogue, or what a parse error left
}

// outside inspects bytes outside a container's members as a part of its
// own, sniffed like any content at depth.
func (x *Extractor) outside(r io.Reader, depth int) error {
	x.boundary()
	err := x.content(r, "", depth)
	x.boundary()
	switch {
	case errors.Is(err, errLimit): // recorded: a limit, not a decode error
		return nil
	case err != nil && !errors.Is(err, errStopped):
		x.fail(ReasonDecodeError)
		return nil
	}
	return err
}

// asText inspects r as text whatever its first bytes (head) are, as a
// part of its own: bytes outside an archive's members, or a container
// that did not parse.
func (x *Extractor) asText(r io.Reader, head []byte, depth int) error {
	x.boundary()
	err := x.text(r, sniffCharset(head[:min(len(head), sniffLen)], ""), depth, records{})
	x.boundary()
	return err
}

// formParts inspects the parts of mr, which reads f: each part's header
// fields as text (see partHeader), then its body. An error other than a
// stop is a decode error of the body.
//
// The fence keeps a copy of what mr reads for a part's header, and of
// what it read before (mr reads ahead into the next header while it reads
// a part): when the header does not parse (a line with no colon, the
// body's end before the blank line ending it) mime/multipart returns no
// header and drops what it read, and multipart reads the copy (see
// droppedHeader), then what follows. A form cut off in a file name of 300 IDs counted none, and no
// decode error, before.
func (x *Extractor) formParts(mr *multipart.Reader, f *fence, depth int) error {
	for {
		f.head = len(f.kept) // what mr reads from here on is held: the header's text is not yet written
		p, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, io.EOF) && f.closed {
				f.kept, f.head = nil, -1 // it read the close delimiter line
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		x.boundary()
		before := x.s.Tally().Total()
		err = x.partHeader(p.Header, depth+1)
		f.head = -1
		if err == nil {
			err = x.entity(p, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), depth+1)
		}
		x.boundary() // decides the part, so Found is exact
		if err == nil {
			// What the part's reader left is skipped, as NextPart would
			// (its error too): what f keeps from here on is the next header.
			_, _ = io.Copy(io.Discard, p)
		}
		if len(x.parts) < maxParts {
			x.parts = append(x.parts, Part{
				Field:       p.FormName(),
				File:        p.FileName(),
				ContentType: p.Header.Get("Content-Type"),
				Found:       x.s.Tally().Total() - before,
			})
		}
		if err != nil {
			return err
		}
	}
}

// droppedHeader inspects kept, the bytes mime/multipart read before and
// while it read a part header it did not return (see formParts): the
// header after each delimiter line, its fields up to the fault read as
// partHeader reads them, then all of kept as text (not sniffed: it holds
// delimiter lines). Bytes read before are read again, which counts no
// value twice.
func (x *Extractor) droppedHeader(kept, dash []byte, depth int) error {
	for rest := kept; len(rest) > 0; {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		if bytes.HasPrefix(line, dash) {
			h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(after))).ReadMIMEHeader()
			if err := x.partHeader(h, depth); err != nil {
				return err
			}
		}
		rest = after
	}
	return x.asText(bytes.NewReader(kept), kept, depth)
}

// partHeader inspects the header fields of a part as text, a part of its
// own, as a message's header block is read (see fieldText): a file name
// raw, RFC 2047 encoded (filename="=?UTF-8?B?...?=") or RFC 2231 encoded
// (filename*=UTF-8”%E5%BC%A0...) is read decoded, so 300 photos named
// after their holders' names and IDs count 300 IDs. mime/multipart keeps
// the fields in a map: they are read in the order of their names, each
// name's values in order.
func (x *Extractor) partHeader(h textproto.MIMEHeader, depth int) error {
	names := slices.Sorted(maps.Keys(h))
	size := 0
	for _, name := range names {
		for _, v := range h[name] {
			size += len(name) + len(v) + 3
		}
	}
	dec := mime.WordDecoder{CharsetReader: wordCharset}
	out := x.getBuf(size)[:0]
	defer func() { x.putBuf(out) }()
	for _, name := range names {
		field := strings.ToLower(name)
		for _, v := range h[name] {
			out = fieldText(out, &dec, name, field, strings.TrimSpace(v))
		}
	}
	return x.headerText(out, depth)
}

// fenceBuf is the fence's line buffer; a longer line is handed on in
// pieces.
const fenceBuf = 4 << 10

// fence hands mime/multipart the delimited region of a body, line by
// line: from the first delimiter line to the close delimiter line, then
// io.EOF, so that the epilogue stays in br. Read as a *preamble it hands
// out the lines before the first delimiter line instead.
type fence struct {
	br     *bufio.Reader
	dash   []byte // "--" + boundary
	line   []byte // the rest of the current line, not yet handed out
	mid    bool   // the next piece read continues a line
	body   bool   // the first delimiter line was read: the preamble is over
	closed bool   // the close delimiter line was read
	err    error  // the read error that ended the lines
	kept   []byte // the last bytes handed out: at least aheadKept, and all since head
	head   int    // where in kept the part header being read began, or -1
}

// aheadKept is how many of the bytes the fence handed out it keeps at
// least: what mime/multipart may have read ahead (its 4 KiB buffer) of a
// part header, with room to spare.
const aheadKept = 8 << 10

// headHeld is how many bytes the fence handed out since the part header
// being read began: the parser holds them, or they are the header whose
// text is not yet written. (What it read ahead before is in the frame's
// fixed hold.)
func (f *fence) headHeld() int64 {
	if f.head < 0 {
		return 0
	}
	return int64(len(f.kept) - f.head)
}

// keep appends b, just handed out, to f.kept, dropping the oldest bytes
// beyond aheadKept while no part header is being read.
func (f *fence) keep(b []byte) {
	f.kept = append(f.kept, b...)
	if f.head < 0 && len(f.kept) > 2*aheadKept {
		f.kept = f.kept[:copy(f.kept, f.kept[len(f.kept)-aheadKept:])]
	}
}

// next reads the next line (or piece of a long line) into f.line and
// reports whether it is a delimiter line and whether it closes the body,
// as mime/multipart judges them: "--boundary" then blanks and a line
// break; "--boundary--" then blanks and a line break or the end. A read
// error is kept in f.err: bufio reports it once, the fence for good.
func (f *fence) next() (delim, close bool) {
	if f.err != nil {
		f.line = nil
		return false, false
	}
	line, err := f.br.ReadSlice('\n')
	start := !f.mid
	f.mid = errors.Is(err, bufio.ErrBufferFull)
	if err != nil && !f.mid {
		f.err = err
	}
	f.line = line
	if !start || f.mid || !bytes.HasPrefix(line, f.dash) {
		return false, false
	}
	rest := line[len(f.dash):]
	if after, ok := bytes.CutPrefix(rest, []byte("--")); ok {
		after = bytes.TrimLeft(after, " \t")
		return true, len(after) == 0 || string(after) == "\r\n" || string(after) == "\n"
	}
	rest = bytes.TrimLeft(rest, " \t")
	return string(rest) == "\r\n" || string(rest) == "\n", false
}

// Read hands out the body up to and including the close delimiter line.
// It fills p unless the body ends, waiting for input if need be: what the
// parser has read then depends on the bytes alone, not on how they were
// cut into chunks, and so does what a parse error leaves unread.
func (f *fence) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(f.line) == 0 {
			if f.closed {
				break
			}
			_, f.closed = f.next()
			if len(f.line) == 0 {
				if n > 0 {
					break
				}
				return 0, f.err
			}
		}
		c := copy(p[n:], f.line)
		f.line = f.line[c:]
		n += c
	}
	f.keep(p[:n])
	if n == 0 && f.closed {
		return 0, io.EOF
	}
	return n, nil
}

// preamble is a fence read for the lines before the first delimiter line.
type preamble fence

// Read hands out lines until a delimiter line, which stays in the fence.
func (r *preamble) Read(p []byte) (int, error) {
	f := (*fence)(r)
	if f.body {
		return 0, io.EOF
	}
	if len(f.line) == 0 {
		delim, close := f.next()
		if delim {
			f.body, f.closed = true, close
			return 0, io.EOF
		}
		if len(f.line) == 0 {
			return 0, f.err
		}
	}
	c := copy(p, f.line)
	f.line = f.line[c:]
	return c, nil
}
