package extract

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// A small streaming XML tokenizer for the flat XML of worksheets and shared
// strings, where encoding/xml's allocation per token costs more than the
// rest of the extraction. Tokens are slices of its buffer, valid until the
// next call; it does not allocate per token. It checks no nesting and
// resolves no namespaces (a prefix is dropped from a name); text is
// returned raw, and appendText decodes its entities. Documents with
// complex structure (docx, pptx) still go through encoding/xml.

// xmlBuf is the tokenizer's buffer: the longest tag it reads, and what it
// holds of a stream at most (see streamLag).
const xmlBuf = 8 << 10

// maxEntity is the longest entity reference decoded ("&#x10FFFF;").
const maxEntity = 10

// errTagTooLong reports a tag longer than the buffer.
var errTagTooLong = errors.New("extract: xml tag too long")

// xmlKind is the kind of a token.
type xmlKind uint8

const (
	xmlStart xmlKind = iota + 1 // <name attrs> or <name attrs/> (self set)
	xmlEnd                      // </name>
	xmlText                     // character data, possibly one of several pieces
)

// xmlScanner reads tokens from r.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	i, n int // unread data is buf[i:n]
	eof  bool
	err  error // the reader's error other than io.EOF

	name  []byte // local name of a start or end tag
	attrs []byte // a start tag's attributes, raw
	self  bool   // the start tag closes itself
	text  []byte // character data, raw
	cdata bool   // text is a CDATA section: no entities
}

// prologMax is how far the XML declaration is looked for, and how many
// bytes decide the encoding.
const prologMax = 256

// newXMLScanner returns a tokenizer of r. A document that declares an
// encoding other than UTF-8, or reads as UTF-16, is transcoded first. The
// encoding is decided on exactly the first prologMax bytes (fewer only at
// the end of the stream), however r delivers them, so the tokens do not
// depend on read sizes. Call release when done.
func (x *Extractor) newXMLScanner(r io.Reader) *xmlScanner {
	z := &xmlScanner{r: r, buf: x.getBuf(xmlBuf)}
	for z.n < prologMax && z.fill() {
	}
	if e := xmlEncoding(z.buf[z.i:min(z.n, prologMax)]); e != nil {
		rest := bytes.NewReader(bytes.Clone(z.buf[z.i:z.n]))
		z.r = transform.NewReader(io.MultiReader(rest, z.r), e.NewDecoder())
		z.i, z.n, z.eof, z.err = 0, 0, false, nil
	}
	return z
}

// release hands the buffer back to x.
func (z *xmlScanner) release(x *Extractor) { x.putBuf(z.buf) }

// prologEncoding returns the encoding a document starting with b is in,
// or nil for UTF-8: "utf-16" for a UTF-16 byte order mark, else what the
// XML declaration names, unless it names UTF-16 (a declaration readable
// as ASCII is not UTF-16).
func prologEncoding(b []byte) []byte {
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return []byte("utf-16")
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return nil
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return nil
	}
	enc := attrValue(b[len("<?xml"):end], "encoding")
	if bytes.HasPrefix(bytes.ToLower(enc), []byte("utf-16")) {
		return nil
	}
	return enc
}

// fill moves the unread data to the front and reads once more. It
// reports false when nothing more can be read: the end of the stream, a
// read error, or a full buffer.
func (z *xmlScanner) fill() bool {
	if z.eof {
		return false
	}
	z.n = copy(z.buf, z.buf[z.i:z.n])
	z.i = 0
	if z.n == len(z.buf) {
		return false
	}
	m, err := z.r.Read(z.buf[z.n:])
	z.n += m
	if err != nil {
		z.eof = true
		if !errors.Is(err, io.EOF) {
			z.err = err
		}
	}
	return m > 0 || !z.eof
}

// stop is the error that ends the token stream: the reader's, a
// truncated document, or io.EOF.
func (z *xmlScanner) stop(inTag bool) error {
	switch {
	case z.err != nil:
		return z.err
	case inTag && z.eof:
		return io.ErrUnexpectedEOF
	case inTag:
		return errTagTooLong
	}
	return io.EOF
}

// next reads the next token.
func (z *xmlScanner) next() (xmlKind, error) {
	for {
		if z.i >= z.n && !z.fill() {
			return 0, z.stop(false)
		}
		b := z.buf[z.i:z.n]
		if b[0] != '<' {
			if k, ok := z.textToken(b); ok {
				return k, nil
			}
			// A cut entity at the end: read on; at the end of the stream
			// textToken takes it as it is.
			if !z.fill() && (!z.eof || z.err != nil) {
				return 0, z.stop(false)
			}
			continue
		}
		k, size := z.markup(b)
		if size == 0 {
			if !z.fill() {
				return 0, z.stop(true)
			}
			continue
		}
		z.i += size
		if k != 0 {
			return k, nil
		}
	}
}

// textToken returns the character data at the start of b, up to the next
// tag. At the end of the buffer it stops before an entity that may be cut,
// and before a final '\r' (its "\n" may follow: one line end), so the
// pieces read the same however the input arrives; ok is false when it
// needs more data first.
func (z *xmlScanner) textToken(b []byte) (xmlKind, bool) {
	end := bytes.IndexByte(b, '<')
	if end < 0 {
		end = len(b)
		if a := bytes.LastIndexByte(b, '&'); a >= 0 && !z.eof && a > len(b)-maxEntity && bytes.IndexByte(b[a:], ';') < 0 {
			end = a
		}
		if !z.eof && end > 0 && b[end-1] == '\r' {
			end--
		}
		if end == 0 {
			return 0, false
		}
	}
	z.text, z.cdata = b[:end], false
	z.i += end
	return xmlText, true
}

// markup reads the markup at the start of b ('<'): a tag, or a comment,
// CDATA section, declaration or processing instruction. It returns the
// token kind (0 for markup that is skipped) and its length, or size 0 if
// b ends before it does.
func (z *xmlScanner) markup(b []byte) (xmlKind, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '?':
		return 0, endAfter(b, "?>")
	case '!':
		switch {
		case bytes.HasPrefix(b, []byte("<!--")):
			return 0, endAfter(b, "-->")
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			size := endAfter(b, "]]>")
			if size > 0 {
				z.text, z.cdata = b[len("<![CDATA["):size-len("]]>")], true
				return xmlText, size
			}
			return 0, 0
		case cutPrefix(b, "<!--"), cutPrefix(b, "<![CDATA["):
			return 0, 0
		}
		return 0, tagEnd(b) // a declaration; quotes may hold ">"
	}
	size := tagEnd(b)
	if size == 0 {
		return 0, 0
	}
	tag := b[1 : size-1]
	if tag[0] == '/' {
		z.name = localName(trimSpace(tag[1:]))
		return xmlEnd, size
	}
	z.self = tag[len(tag)-1] == '/'
	if z.self {
		tag = tag[:len(tag)-1]
	}
	k := 0
	for k < len(tag) && !isSpace(tag[k]) {
		k++
	}
	z.name, z.attrs = localName(tag[:k]), tag[k:]
	return xmlStart, size
}

// cutPrefix reports whether b is a proper prefix of s: markup that may
// turn out to be s once more is read.
func cutPrefix(b []byte, s string) bool { return len(b) < len(s) && s[:len(b)] == string(b) }

// endAfter returns the length of b up to and including the first end
// after its start, or 0.
func endAfter(b []byte, end string) int {
	if k := bytes.Index(b[2:], []byte(end)); k >= 0 {
		return 2 + k + len(end)
	}
	return 0
}

// tagEnd returns the length of the tag at the start of b, '>' included,
// skipping quoted attribute values; 0 if b ends first.
func tagEnd(b []byte) int {
	var quote byte
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			if i == 1 {
				return 0 // "<>": not a tag; let the caller fail on it
			}
			return i + 1
		}
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// trimSpace drops XML white space at both ends of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// localName drops a namespace prefix.
func localName(name []byte) []byte {
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		return name[k+1:]
	}
	return name
}

// attrValue returns the raw value of the attribute called name (without
// a prefix) in a tag's attribute text, or nil.
func attrValue(attrs []byte, name string) []byte {
	for {
		key, value, rest, ok := nextAttr(attrs)
		if !ok {
			return nil
		}
		if string(key) == name {
			return value
		}
		attrs = rest
	}
}

// nextAttr splits the first attribute off a tag's attribute text: its
// name without a prefix, its raw value and the text after it. ok is false
// when there is none or it is not name="value" or name='value'.
func nextAttr(attrs []byte) (name, value, rest []byte, ok bool) {
	eq := bytes.IndexByte(attrs, '=')
	if eq < 0 {
		return nil, nil, nil, false
	}
	rest = trimSpace(attrs[eq+1:])
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return nil, nil, nil, false
	}
	end := bytes.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return nil, nil, nil, false
	}
	return localName(trimSpace(attrs[:eq])), rest[1 : 1+end], rest[2+end:], true
}

// appendText appends the text of the current text token to dst, entities
// decoded, up to limit bytes in all.
func (z *xmlScanner) appendText(dst []byte, limit int) []byte {
	raw := z.text
	for len(raw) > 0 && len(dst) < limit {
		a := bytes.IndexByte(raw, '&')
		if z.cdata || a < 0 {
			a = len(raw)
		}
		take := min(a, limit-len(dst))
		dst = appendLines(dst, raw[:take])
		if raw = raw[take:]; len(raw) == 0 || take < a {
			break
		}
		// An entity reference holds no second '&': "&amp0&amp;" is a stray
		// '&' and then "&amp;", however the text was cut into pieces.
		ref := raw[:min(len(raw), maxEntity)]
		if amp := bytes.IndexByte(ref[1:], '&'); amp >= 0 {
			ref = ref[:amp+1]
		}
		semi := bytes.IndexByte(ref, ';')
		if semi < 0 {
			dst = append(dst, '&')
			raw = raw[1:]
			continue
		}
		dst = appendEntity(dst, raw[:semi+1])
		raw = raw[semi+1:]
	}
	return dst
}

// appendLines appends b with its line ends normalised as XML requires
// (XML 1.0 §2.11): "\r\n" and a lone "\r" become "\n", so a cell's line
// break reads the same whichever the writer used.
func appendLines(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(append(dst, b[:i]...), '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}

// appendEntity appends the character of the entity reference ref
// ("&amp;", "&#20320;", "&#x4F60;"); an unknown one is kept as written.
func appendEntity(dst, ref []byte) []byte {
	switch name := ref[1 : len(ref)-1]; string(name) {
	case "amp":
		return append(dst, '&')
	case "lt":
		return append(dst, '<')
	case "gt":
		return append(dst, '>')
	case "quot":
		return append(dst, '"')
	case "apos":
		return append(dst, '\'')
	default:
		if len(name) > 1 && name[0] == '#' {
			base, digits := rune(10), name[1:]
			if digits[0] == 'x' || digits[0] == 'X' {
				base, digits = 16, digits[1:]
			}
			if r, ok := parseCharRef(digits, base); ok {
				return utf8.AppendRune(dst, r)
			}
		}
	}
	return append(dst, ref...)
}

// parseCharRef parses the digits of a character reference.
func parseCharRef(digits []byte, base rune) (rune, bool) {
	var r rune
	for _, c := range digits {
		d, ok := hexDigit(c)
		if !ok || d >= base {
			return 0, false
		}
		if r = r*base + d; r > utf8.MaxRune {
			return 0, false
		}
	}
	return r, len(digits) > 0 && utf8.ValidRune(r)
}

// hexDigit returns the value of a hex digit.
func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return rune(c|0x20-'a') + 10, true
	}
	return 0, false
}
