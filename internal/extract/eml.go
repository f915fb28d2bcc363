package extract

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"io"
	"math/bits"
	"mime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/transform"
)

// E-mail messages (RFC 5322 / MIME, RFC 2045-2047): an .eml file, an mbox
// of them, a message/rfc822 body or part. The header block is read as
// text with its encoded-words decoded; the body is decoded by its
// Content-Transfer-Encoding and read as any content (multipart recursed,
// attachments sniffed).

// maxHeader bounds a message's header block: a block that does not end
// within it is not taken for one. It is also the size of the buffered
// reader a message is read through.
const maxHeader = 32 << 10

// maxFieldName bounds a header field's name (RFC 5322 keeps lines to 78
// characters).
const maxFieldName = 76

// Verdicts of messageHead.
const (
	headNo   = iota // not a message's header block
	headYes         // a message's header block
	headMore        // the bytes so far do not tell
)

// messageField returns the bit of a header field only a message has (not
// an HTTP message), or 0. Two of them make a sniffed header block a
// message.
func messageField(name []byte) uint32 {
	var n [maxFieldName]byte
	l := copy(n[:], name)
	for i := range l {
		n[i] |= 0x20 // ASCII letters to lower case; '-' (0x2d) is unchanged
	}
	switch string(n[:l]) {
	case "received":
		return 1 << 0
	case "return-path":
		return 1 << 1
	case "from":
		return 1 << 2
	case "to":
		return 1 << 3
	case "cc":
		return 1 << 4
	case "date":
		return 1 << 5
	case "subject":
		return 1 << 6
	case "message-id":
		return 1 << 7
	case "mime-version":
		return 1 << 8
	case "delivered-to":
		return 1 << 9
	case "reply-to":
		return 1 << 10
	case "sender":
		return 1 << 11
	case "in-reply-to":
		return 1 << 12
	case "references":
		return 1 << 13
	case "dkim-signature":
		return 1 << 14
	case "arc-seal":
		return 1 << 15
	case "arc-message-signature":
		return 1 << 16
	case "arc-authentication-results":
		return 1 << 17
	case "authentication-results":
		return 1 << 18
	case "thread-topic":
		return 1 << 19
	case "thread-index":
		return 1 << 20
	}
	return 0
}

// maxLine bounds a header line (RFC 5322: 998 characters and CRLF).
const maxLine = 1000

// fieldName returns the name of a header field line ("Name: value"), or
// false: 1 to 76 printable ASCII characters other than ':' and then ':'.
func fieldName(line []byte) ([]byte, bool) {
	i := bytes.IndexByte(line[:min(len(line), maxFieldName+1)], ':')
	if i <= 0 || !nameChars(line[:i]) {
		return nil, false
	}
	return line[:i], true
}

// nameChars reports whether b is made of characters a field name may hold.
func nameChars(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// mboxLine reports whether line is an mbox separator: "From " and the
// envelope sender.
func mboxLine(line []byte) bool {
	return len(line) > 5 && string(line[:5]) == "From " && line[5] > ' '
}

// messageHead judges whether b starts with the header block of a message,
// and returns the block's length up to and including its blank line. end
// says no more bytes will come. The first line is an mbox separator or a
// field; a sniffed block (declared false) must open with a field only a
// message has, an X- field, or Content-Type (Python's email package and
// other MIME writers put it first) when MIME-Version follows, and hold two
// of the fields messageField knows. Every line up to the blank line is a
// field or continues one, and none is longer than maxLine. Each line is
// judged as soon as its first bytes tell, so text of long lines is
// rejected from its first bytes.
func messageHead(b []byte, end, declared bool) (n int, verdict int, mbox bool) {
	const mimeVersion = 1 << 8 // messageField("MIME-Version")
	var known uint32
	off, afterMbox, typeFirst, webArchive := 0, false, false, false
	for first := true; ; first = false {
		line := b[off:]
		i := bytes.IndexByte(line, '\n')
		complete := i >= 0
		if complete {
			line = bytes.TrimSuffix(line[:i], []byte("\r"))
			off += i + 1
		} else if end {
			return 0, headNo, false
		}
		wasMbox := afterMbox
		afterMbox = false
		switch {
		case len(line) > maxLine:
			return 0, headNo, false
		case !complete && len(line) < 6: // "From x", a name and ':' or a fold: not yet told
		case len(line) == 0:
			// A web archive (.mht, .mhtml: a page, or an Excel or Word
			// "Single File Web Page") has MIME-Version and a
			// multipart/related Content-Type, and no other field of a
			// message.
			archive := webArchive && known == mimeVersion
			if first || wasMbox || !declared && !archive && (bits.OnesCount32(known) < 2 || typeFirst && known&mimeVersion == 0) {
				return 0, headNo, false
			}
			return off, headYes, mbox
		case first && mboxLine(line):
			mbox, afterMbox = true, true
		case line[0] == ' ' || line[0] == '\t':
			if first || wasMbox {
				return 0, headNo, false
			}
		default:
			name, ok := fieldName(line)
			if !ok && !complete && len(line) <= maxFieldName && nameChars(line) {
				break // the name goes on
			}
			if !ok {
				return 0, headNo, false
			}
			bit := messageField(name)
			if bytes.EqualFold(name, []byte("Content-Type")) {
				value := bytes.TrimLeft(line[len(name)+1:], " \t")
				webArchive = len(value) >= 17 && bytes.EqualFold(value[:17], []byte("multipart/related"))
			}
			if first && !declared && bit == 0 && !(len(name) > 2 && (name[0]|0x20) == 'x' && name[1] == '-') {
				if typeFirst = bytes.EqualFold(name, []byte("Content-Type")); !typeFirst {
					return 0, headNo, false
				}
			}
			known |= bit
		}
		if !complete {
			return 0, headMore, false
		}
	}
}

// sniffMessage reports whether a stream that starts with head may be a
// message (see messageHead); head holds the whole stream if it is shorter
// than sniffLen.
func sniffMessage(head []byte) bool {
	_, v, _ := messageHead(head, len(head) < sniffLen, false)
	return v != headNo
}

// isMessageType reports whether a media type is a message of its own.
func isMessageType(mt string) bool { return mt == "message/rfc822" || mt == "message/global" }

// getReader returns a reader of r buffered by maxHeader bytes, reusing one
// a finished message put back.
func (x *Extractor) getReader(r io.Reader) *bufio.Reader {
	if n := len(x.readers); n > 0 {
		br := x.readers[n-1]
		x.readers = x.readers[:n-1]
		br.Reset(r)
		return br
	}
	br := bufio.NewReaderSize(nil, maxHeader)
	br.Reset(r) // NewReaderSize would return r itself: a nested message's outer reader
	return br
}

// putReader hands a message's reader back for reuse.
func (x *Extractor) putReader(br *bufio.Reader) {
	br.Reset(nil)
	x.readers = append(x.readers, br)
}

// message inspects a message: its header block as text (a part of its
// own), then its body by its Content-Type and Content-Transfer-Encoding.
// declared says r is a message by its type (message/rfc822, a member of
// an mbox); otherwise it was sniffed, and a stream whose header block
// does not turn out to be a message's is read as text in charset label,
// as it would have been. A sniffed mbox is split into its messages.
func (x *Extractor) message(r io.Reader, label string, declared bool, depth int) error {
	if depth > x.lim.MaxDepth { // a message/rfc822 body, an mbox member
		x.fail(ReasonOverLimit)
		return nil
	}
	br := x.getReader(r)
	defer x.putReader(br)
	var held func() int64 // bytes an mbox member holds, see mbox
	x.push(&frame{held: func() int64 {
		h := int64(br.Buffered())
		if held != nil {
			h += held()
		}
		return h
	}})
	defer x.pop()
	n, mbox, err := peekHead(br, declared)
	if err != nil {
		return err
	}
	if n == 0 {
		head, _ := br.Peek(min(br.Buffered(), sniffLen))
		return x.text(br, sniffCharset(head, label), depth, records{})
	}
	if mbox && !declared {
		return x.mbox(br, &held, depth)
	}
	block, _ := br.Peek(n)
	ctype, cte, err := x.header(block, depth)
	if err != nil {
		return err
	}
	_, _ = br.Discard(n)
	if err := x.entity(br, ctype, cte, depth+1); err != nil {
		return err
	}
	return x.rest(br, depth) // whatever the body's reader left (past MaxDepth)
}

// rest inspects what a body's reader left unread (a body past MaxDepth,
// the block a decoder failed on and what follows) as text, a part of its
// own. It is not sniffed again: at the same depth it would be taken for
// the next message of a chain, and a chain of 30-byte messages would take
// a reader of 32 KiB a message, however deep the stack.
func (x *Extractor) rest(r io.Reader, depth int) error {
	err := x.asText(r, nil, depth)
	if err != nil && !errors.Is(err, errStopped) {
		x.fail(ReasonDecodeError)
		return nil
	}
	return err
}

// peekHead looks for a message's header block at the start of br (see
// messageHead), reading on up to maxHeader bytes. It returns the block's
// length, 0 if it is not one.
func peekHead(br *bufio.Reader, declared bool) (n int, mbox bool, err error) {
	for size := sniffLen; ; size = min(2*size, br.Size()) {
		b, err := br.Peek(size)
		if errors.Is(err, errStopped) {
			return 0, false, err
		}
		n, v, mbox := messageHead(b, err != nil || size == br.Size(), declared)
		if v != headMore {
			return n, mbox, nil
		}
	}
}

// header inspects a message's header block as text, a part of its own:
// each field unfolded and read as fieldText reads it, its encoded-words
// (RFC 2047: a Subject, the display names of From, To and Cc) decoded. It
// returns the Content-Type and the Content-Transfer-Encoding of the body.
func (x *Extractor) header(block []byte, depth int) (ctype, cte string, err error) {
	dec := mime.WordDecoder{CharsetReader: wordCharset}
	out := x.getBuf(len(block))[:0]
	defer func() { x.putBuf(out) }()
	for rest := block; len(rest) > 0; {
		line, more, _ := bytes.Cut(rest, []byte("\n"))
		rest = more
		line = bytes.TrimSuffix(line, []byte("\r"))
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') { // unfold
			cont, more, _ := bytes.Cut(rest, []byte("\n"))
			rest = more
			line = append(line[:len(line):len(line)], bytes.TrimSuffix(cont, []byte("\r"))...)
		}
		name, ok := fieldName(line)
		if !ok { // the mbox separator, the blank line
			out = append(append(out, line...), '\n')
			continue
		}
		value := strings.TrimSpace(string(line[len(name)+1:]))
		field := strings.ToLower(string(name))
		switch field {
		case "content-type":
			ctype = value
		case "content-transfer-encoding":
			cte = value
		}
		out = fieldText(out, &dec, string(name), field, value)
	}
	return ctype, cte, x.headerText(out, depth)
}

// headerText inspects the text of a header block (see fieldText) as a
// part of its own.
func (x *Extractor) headerText(text []byte, depth int) error {
	x.boundary()
	err := x.text(bytes.NewReader(text), sniffCharset(text[:min(len(text), sniffLen)], ""), depth, records{})
	x.boundary()
	return err
}

// fieldText appends to out the text one unfolded header field is read as:
// "Name: value" and a line break, the value's encoded-words (RFC 2047)
// decoded, then its parameters as paramText reads them; field is the name
// in lower case. Message identifiers are spelt like addresses (<id@host>)
// but name no one: an mbox of 500 messages would otherwise count 500
// e-mail addresses, so while a field named as one reads as identifiers
// (see identifiers) its '@'s are blanked. The rest of the value is still
// read.
func fieldText(out []byte, dec *mime.WordDecoder, name, field, value string) []byte {
	raw := value
	if messageIdentifier(field) && identifiers(field, value) {
		value = strings.ReplaceAll(value, "@", " ")
	}
	if d, err := dec.DecodeHeader(value); err == nil {
		value = d
	}
	out = append(append(append(append(out, name...), ": "...), value...), '\n')
	return paramText(out, dec, raw)
}

// wordCharset decodes the text of an encoded-word in charset (gb2312,
// gbk, big5 ...; mime handles utf-8, us-ascii and iso-8859-1 itself).
func wordCharset(charset string, input io.Reader) (io.Reader, error) {
	e, kind := declaredEncoding(charset)
	if e == nil || kind == kindUnsafe {
		return input, nil
	}
	return transform.NewReader(input, e.NewDecoder()), nil
}

// entity inspects the body of a MIME entity (a message's, a part's) with
// Content-Type ctype and Content-Transfer-Encoding cte: quoted-printable
// and base64 are decoded, anything else is read as it is. A body that
// does not decode (base64; quoted-printable decodes any bytes, so only
// when its input fails) is a decode error, and the rest of r is read as
// text.
func (x *Extractor) entity(r io.Reader, ctype, cte string, depth int) error {
	var d, rest io.Reader // the decoder; what is left to read as text when it fails
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		q := newQPReader(r)
		d, rest = x.mapDecoder(q, q), q.br
		defer x.pop()
	case "base64":
		fr := &fullReader{r: r}
		d, rest = x.mapDecoder(base64.NewDecoder(base64.StdEncoding, fr), fr), io.MultiReader(fr.lastRead(), r)
		defer x.pop()
	default:
		return x.typed(r, ctype, depth)
	}
	dr := &decoding{r: d}
	err := x.typed(dr, ctype, depth)
	if errors.Is(err, errStopped) || err == nil && dr.err == nil {
		return err
	}
	x.fail(ReasonDecodeError)
	return x.rest(rest, depth)
}

// decoding reads a decoder. Its error ends the stream as io.EOF and is
// kept: the layers above inspect all it decoded, then the caller reads
// the rest as text.
type decoding struct {
	r   io.Reader
	err error
}

func (d *decoding) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errStopped) {
		d.err, err = err, io.EOF
	}
	return n, err
}

// typed inspects decoded content by its declared type: a message/rfc822
// as a message, anything else sniffed (see content).
func (x *Extractor) typed(r io.Reader, ctype string, depth int) error {
	if mt, _, _ := mime.ParseMediaType(ctype); isMessageType(mt) {
		return x.message(r, "", true, depth)
	}
	return x.content(r, ctype, depth)
}

// mbox inspects the messages of an mbox, each from its "From " line to
// the next. held is set to what the member being read holds.
func (x *Extractor) mbox(br *bufio.Reader, held *func() int64, depth int) error {
	defer func() { *held = nil }()
	for {
		if _, err := br.Peek(1); err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			return nil
		}
		lr := &lineReader{br: br, stop: mboxNext}
		*held = func() int64 { return int64(len(lr.line)) }
		x.boundary()
		err := x.message(lr, "", true, depth+1)
		x.boundary()
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, lr); err != nil { // a member past MaxDepth is left unread
			return err
		}
	}
}

// mboxNext reports whether br is at the separator line of the next
// message of an mbox.
func mboxNext(br *bufio.Reader) bool {
	b, _ := br.Peek(6)
	return mboxLine(b)
}

// lineReader hands out the lines of br, at most one per Read: a
// bufio.Reader on top of it then holds no more than the line being read.
// stop, if set, ends the stream before a line other than the first (the
// next message of an mbox).
type lineReader struct {
	br      *bufio.Reader
	stop    func(*bufio.Reader) bool
	line    []byte // the rest of the current line, not yet handed out
	started bool   // a line was read
	mid     bool   // the current line goes on past the buffer
	err     error  // the error that ended the lines
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.line) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		if !l.mid && l.started && l.stop != nil && l.stop(l.br) {
			l.err = io.EOF
			return 0, io.EOF
		}
		line, err := l.br.ReadSlice('\n')
		l.started = true
		l.mid = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !l.mid {
			l.err = err
		}
		l.line = line
		if len(line) == 0 {
			return 0, l.err
		}
	}
	n := copy(p, l.line)
	l.line = l.line[n:]
	return n, nil
}

// decodePiece bounds what a decoder decodes in one Read, so that the
// marks of where its output starts in its input stay fine-grained.
const decodePiece = 4 << 10

// decoderInput is the input of a decoder: read is how much of it the
// decoder has read, from where the next byte it decodes starts at the
// earliest.
type decoderInput interface {
	position() (read, from int64)
}

// mapped reads a decoder and maps its output back to its input for the
// frame it is read under. No ratio bounds the input a decoded byte stands
// for: a soft break of quoted-printable may be padded with blanks or
// stand alone on its line, base64 may hold blank lines, and both decode
// to nothing. At the end of each Read it marks where the next output byte
// starts at the earliest; the frame holds everything read from the mark
// of the first byte the layers above may still hold.
type mapped struct {
	x     *Extractor
	f     *frame
	d     io.Reader
	in    decoderInput
	out   int64  // bytes decoded and handed out
	marks []mark // raw: input position, text: output handed out; the first is in use
}

// mapDecoder returns a reader of d, whose input is in, under a frame of
// its own; the caller pops the frame.
func (x *Extractor) mapDecoder(d io.Reader, in decoderInput) *mapped {
	m := &mapped{x: x, d: d, in: in, marks: []mark{{}}}
	m.f = x.push(&frame{held: m.held})
	return m
}

func (m *mapped) Read(p []byte) (int, error) {
	n, err := m.d.Read(p[:min(len(p), decodePiece)])
	m.out += int64(n)
	_, from := m.in.position()
	m.marks = append(m.marks, mark{raw: from, text: m.out})
	return n, err
}

// held is the frame's lag: the input read since the output the layers
// above have not written. Marks before the one that covers it are
// dropped; the first byte not written only moves on.
func (m *mapped) held() int64 {
	first := m.out - m.x.lagAbove(m.f)
	i := 0
	for i+1 < len(m.marks) && m.marks[i+1].text <= first {
		i++
	}
	m.marks = m.marks[:copy(m.marks, m.marks[i:])]
	read, _ := m.in.position()
	return read - m.marks[0].raw
}

// fullReader fills p unless the stream ends: what a decoder on top reads
// (and leaves unread when it fails) depends on the bytes alone, not on how
// they were cut into writes. It keeps a copy of the last read: the block
// a decoder failed on is read again as text.
type fullReader struct {
	r       io.Reader
	last    []byte
	n       int64 // bytes read
	pending int   // bytes of the read under way, handed out by r already
	// Where base64 decoding stands: the last read started at lastStart,
	// and quad characters of a quantum, from quadStart, are read.
	lastStart, quadStart int64
	quad                 int
}

func (f *fullReader) Read(p []byte) (int, error) {
	var err error
	for f.pending < len(p) && err == nil { // r may wait for input between reads: pending counts what it gave
		var k int
		k, err = f.r.Read(p[f.pending:])
		f.pending += k
	}
	n := f.pending
	f.pending = 0
	f.last = append(f.last[:0], p[:n]...)
	f.advance(p[:n])
	if n > 0 && errors.Is(err, io.EOF) { // the next read reports the end again
		err = nil
	}
	return n, err
}

// advance counts the read b: its base64 characters (line breaks are not)
// and where the last quantum begun starts.
func (f *fullReader) advance(b []byte) {
	start := f.n
	f.n += int64(len(b))
	f.lastStart = start
	chars := len(b) - bytes.Count(b, []byte{'\r'}) - bytes.Count(b, []byte{'\n'})
	if f.quad+chars < 4 {
		if f.quad == 0 && chars > 0 {
			f.quadStart = start + int64(len(b)-len(bytes.TrimLeft(b, "\r\n")))
		}
		f.quad += chars
		return
	}
	f.quad = (f.quad + chars) & 3
	for i, k := len(b)-1, f.quad; k > 0; i-- {
		if b[i] != '\r' && b[i] != '\n' {
			k--
			f.quadStart = start + int64(i)
		}
	}
}

// position is where a base64 decoder reading f stands: what it decodes
// next was read in the last read or is the quantum it has begun.
func (f *fullReader) position() (read, from int64) {
	from = f.lastStart
	if f.quad > 0 {
		from = min(from, f.quadStart)
	}
	return f.n + int64(f.pending), from
}

// lastRead returns a reader of the last read, from where it is read.
func (f *fullReader) lastRead() io.Reader { return (*lastRead)(f) }

// lastRead reads the last read of a fullReader once.
type lastRead fullReader

func (l *lastRead) Read(p []byte) (int, error) {
	if len(l.last) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.last)
	l.last = l.last[n:]
	return n, nil
}

// messageIdentifier reports whether the lower-case field name names a
// message identifier: In-Reply-To, References, Content-ID, and every field
// ending in Message-ID (Resent-Message-ID, X-Microsoft-Original-Message-ID).
func messageIdentifier(field string) bool {
	return identifierList(field) || field == "content-id" || strings.HasSuffix(field, "message-id")
}

// identifierList reports whether the lower-case field name names a list
// of message identifiers (RFC 5322 3.6.4); the others hold one.
func identifierList(field string) bool { return field == "in-reply-to" || field == "references" }

// maxBare is how many '@'s outside angle brackets a list of message
// identifiers may hold: a bare identifier (id@host, from old mailers), an
// address in an old In-Reply-To ("joe@example.com's message of ...").
const maxBare = 2

// identifiers reports whether the value of a field named as message
// identifiers (see messageIdentifier) reads as identifiers, so that its
// '@'s name no one. A message identifier is "<" id "@" host ">" (RFC 5322
// 3.6.4: no blank, comma or second '@' inside), and only In-Reply-To and
// References hold a list of them, separated by blanks (a comment, with
// dates and commas in it, may follow one). So the value reads as
// identifiers when every pair of angle brackets holds one '@' and no
// blank or comma, at most maxBare '@'s stand outside them, and a field of
// one identifier (Message-ID, X-*-Message-ID, Content-ID) holds at most
// one '<...>' or bare '@' in all. A list of addresses hidden in such a
// field (X-Foo-Message-ID: a@example.com, b@example.com, ... or
// <a@example.com>, <b@example.com> ...) breaks one of these and is read
// as text, its addresses counted; a list of angle-bracketed addresses in
// References is not told from a thread's identifiers.
func identifiers(field, value string) bool {
	ids, bare, at := 0, 0, -1 // at: '@'s in the open angle brackets, -1 outside
	for i := range len(value) {
		switch c := value[i]; {
		case c == '<' && at < 0:
			ids, at = ids+1, 0
		case c == '>' && at >= 0:
			if at != 1 {
				return false
			}
			at = -1
		case c == '@' && at >= 0:
			at++
		case c == '@':
			bare++
		case at >= 0 && (c == ' ' || c == '\t' || c == ','):
			return false
		}
	}
	if identifierList(field) {
		return bare <= maxBare
	}
	return ids+bare <= 1
}

// paramText appends to out the parameters of a header field value that
// the field's own line does not spell readably, each on a line of its own
// as "name=value". A parameter RFC 2231 extends has its continuations
// (filename*0*=, filename*1*= ...) joined in order, its percent-encoding
// undone and its charset ("filename*=GBK'zh'%D5%C5...") transcoded to
// UTF-8: mime.ParseMediaType undoes them only in UTF-8 and US-ASCII, and
// not at all when another parameter is malformed; here every parameter
// whose name holds a '*' is decoded as far as it goes. A file name (the
// filename and name parameters, plain, RFC 2047 or RFC 2231 encoded) is
// read with its word separators blanked (see blankSeparators).
func paramText(out []byte, dec *mime.WordDecoder, value string) []byte {
	if strings.IndexByte(value, ';') < 0 {
		return out
	}
	var segs []paramSeg
	for i := paramEnd(value, 0); i < len(value); {
		end := paramEnd(value, i+1)
		if s, ok := parseParam(value[i+1 : end]); ok {
			segs = append(segs, s)
		}
		i = end
	}
	slices.SortStableFunc(segs, func(a, b paramSeg) int {
		return cmp.Or(strings.Compare(a.name, b.name), cmp.Compare(a.section, b.section))
	})
	for len(segs) > 0 {
		n := 1
		for n < len(segs) && segs[n].name == segs[0].name && segs[0].section >= 0 {
			n++ // the segments of an extended parameter
		}
		out = paramLine(out, dec, segs[:n])
		segs = segs[n:]
	}
	return out
}

// paramLine appends the line of one parameter (see paramText), made of
// segs (a plain parameter is one), unless its field's line spells it as
// it is read.
func paramLine(out []byte, dec *mime.WordDecoder, segs []paramSeg) []byte {
	name, plain := segs[0].name, segs[0].section < 0
	file := name == "filename" || name == "name"
	if plain && !file {
		return out
	}
	start := len(out)
	out = append(append(out, name...), '=')
	v := len(out)
	if plain {
		d, err := dec.DecodeHeader(segs[0].value)
		if err != nil {
			d = segs[0].value
		}
		out = append(out, d...)
	} else {
		out = appendExtValue(out, segs)
	}
	if blanked := file && blankSeparators(out[v:]); plain && !blanked {
		return out[:start]
	}
	return append(out, '\n')
}

// blankSeparators blanks the word separators of a file name in place and
// reports whether there were any: every '_', and a '-' other than between
// two digits (which may group a number, 110101-19900307-1234). A file
// name's words are joined by them (张三_110101199003071234.jpg), where the
// scanner takes both for parts of a word and would not read the ID. A
// word holding '@' (an e-mail address) is left as it is.
func blankSeparators(b []byte) bool {
	blanked := false
	for len(b) > 0 {
		w := b
		if i := bytes.IndexByte(b, ' '); i >= 0 {
			w, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if bytes.IndexByte(w, '@') >= 0 {
			continue
		}
		for i, c := range w {
			if c == '_' || c == '-' && !(i > 0 && i+1 < len(w) && isDigit(w[i-1]) && isDigit(w[i+1])) {
				w[i] = ' '
				blanked = true
			}
		}
	}
	return blanked
}

// paramSeg is one parameter, or one segment of an RFC 2231 parameter
// (name*section*=value, percent-encoded when ext; name*section=value).
type paramSeg struct {
	name    string // lower case
	section int    // -1: a plain parameter, name=value
	ext     bool
	value   string // unquoted
}

// paramEnd returns the index of the first ';' of value from i on outside
// a quoted string, or len(value).
func paramEnd(value string, i int) int {
	quoted := false
	for ; i < len(value); i++ {
		switch c := value[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			return i
		}
	}
	return len(value)
}

// parseParam parses one parameter, attribute=value: a plain one or an
// RFC 2231 one (name*, name*N or name*N*).
func parseParam(param string) (paramSeg, bool) {
	attr, v, ok := strings.Cut(param, "=")
	attr = strings.ToLower(strings.TrimSpace(attr))
	name, rest, star := strings.Cut(attr, "*")
	if !ok || name == "" {
		return paramSeg{}, false
	}
	s := paramSeg{name: name, section: -1}
	if star {
		s.section, s.ext = 0, strings.HasSuffix(attr, "*")
		if num := strings.TrimSuffix(rest, "*"); num != "" {
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 {
				return paramSeg{}, false
			}
			s.section = n
		}
	}
	s.value = unquote(strings.TrimSpace(v))
	return s, true
}

// unquote returns the text of a quoted-string (RFC 2045: a backslash
// quotes the character after it); a value not quoted is itself.
func unquote(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	v = strings.TrimSuffix(v[1:], `"`)
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// appendExtValue appends the value the segments of one parameter, in
// order, spell: the charset and language of the first segment (if
// extended) apply to all of them.
func appendExtValue(out []byte, segs []paramSeg) []byte {
	start := len(out)
	charset := ""
	for i, s := range segs {
		v := s.value
		if !s.ext {
			out = append(out, v...)
			continue
		}
		if i == 0 {
			if cs, rest, ok := strings.Cut(v, "'"); ok {
				if _, rest, ok = strings.Cut(rest, "'"); ok { // the language
					charset, v = cs, rest
				}
			}
		}
		out = appendUnescaped(out, v)
	}
	e, kind := declaredEncoding(charset)
	if e == nil || kind == kindUnsafe {
		return out
	}
	d, err := e.NewDecoder().Bytes(out[start:])
	if err != nil {
		return out
	}
	return append(out[:start], d...)
}

// appendUnescaped appends v with its %XX escapes undone; a '%' not
// followed by two hex digits is itself.
func appendUnescaped(out []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			if h, l := unhex(v[i+1]), unhex(v[i+2]); h < 16 && l < 16 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		out = append(out, v[i])
	}
	return out
}
