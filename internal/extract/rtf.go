package extract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// RTF (.rtf from Word or WordPad, and the body of an Outlook rich-text
// message) keeps Chinese text as \'hh escapes in the document's or the
// font's code page (GBK on a Chinese system) or as \uN escapes, and a
// table's cells as \cell and \row. Read as bytes, only its ASCII digits
// counted: labels, names and addresses were escapes. It is now read as
// the text it shows, a table's rows as lines of tab-separated cells.

// rtfMagic starts an RTF document.
var rtfMagic = []byte(`{\rtf`)

// rtfSkip are destinations whose text is not the document's: tables of
// fonts, colours and styles, metadata, pictures and embedded objects
// (hex), field instructions.
var rtfSkip = map[string]bool{
	"colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true,
	"objdata": true, "themedata": true, "colorschememapping": true, "datastore": true,
	"latentstyles": true, "listtable": true, "listoverridetable": true, "rsidtbl": true,
	"generator": true, "xmlnstbl": true, "fldinst": true, "filetbl": true, "revtbl": true,
}

// rtfSymbols are the control words that stand for a character.
var rtfSymbols = map[string]string{
	"endash": "–", "emdash": "—", "bullet": "•", "lquote": "‘", "rquote": "’",
	"ldblquote": "“", "rdblquote": "”", "enspace": " ", "emspace": " ", "qmspace": " ",
}

// isRTF reports whether head starts an RTF document.
func isRTF(head []byte) bool { return bytes.HasPrefix(head, rtfMagic) }

// rtfState is what a group sets and its subgroups inherit.
type rtfState struct {
	skip  bool // in a destination that is not text
	fonts bool // in the font table
	uc    int  // characters to skip after a \uN
	cp    encoding.Encoding
}

// rtf writes the text of an RTF document as it streams. What it has read
// is held until the text read from it is written.
func (x *Extractor) rtf(r io.Reader) error {
	cr := &countReader{r: bufio.NewReaderSize(r, 4<<10)}
	d := &rtfReader{x: x, cr: cr, fontCP: map[int]encoding.Encoding{}}
	x.push(&frame{held: func() int64 { return int64(cr.r.Buffered()) + cr.n - d.mark }})
	defer x.pop()
	err := d.run()
	d.flush()
	return err
}

// rtfReader is the state of an RTF document being read.
type rtfReader struct {
	x      *Extractor
	cr     *countReader
	st     rtfState
	stack  []rtfState
	over   int               // groups open beyond maxRTFDepth
	docCP  encoding.Encoding // \ansicpg
	fontCP map[int]encoding.Encoding
	font   int      // the font a \fN in the font table describes
	skipU  int      // fallback characters left to skip after a \uN
	hi     rune     // a \uN's first UTF-16 half, waiting for the second
	raw    []byte   // \'hh bytes not yet decoded
	out    []byte   // text not yet written
	mark   int64    // cr offset up to which the text read is written
	word   [32]byte // a control word
}

// maxRTFDepth bounds the nesting of groups.
const maxRTFDepth = 1024

func (d *rtfReader) run() error {
	d.st.uc = 1
	for {
		if len(d.out) == 0 && len(d.raw) == 0 && d.hi == 0 {
			d.mark = d.cr.n
		}
		if len(d.out) >= 4<<10 {
			d.flush()
		}
		c, err := d.cr.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch c {
		case '{':
			d.decode()
			if len(d.stack) >= maxRTFDepth {
				// Deeper groups keep the state of the deepest one kept:
				// counted, not stacked, and the document is read on.
				d.x.fail(ReasonDecodeError)
				d.over++
				continue
			}
			d.stack = append(d.stack, d.st)
		case '}':
			d.decode()
			if d.over > 0 {
				d.over--
			} else if n := len(d.stack); n > 0 {
				d.st, d.stack = d.stack[n-1], d.stack[:n-1]
			}
		case '\\':
			if err := d.control(); err != nil {
				return err
			}
		case '\r', '\n':
		default:
			d.char(c)
		}
	}
}

// control reads a control word or symbol after its backslash.
func (d *rtfReader) control() error {
	c, err := d.cr.ReadByte()
	if err != nil {
		return stopped(err)
	}
	switch {
	case c == '\'':
		var h [2]byte
		if _, err := io.ReadFull(d.cr, h[:]); err != nil {
			return stopped(err)
		}
		v, err := strconv.ParseUint(string(h[:]), 16, 8)
		if err != nil {
			return nil
		}
		if d.skipU > 0 {
			d.skipU--
			return nil
		}
		if !d.st.skip && !d.st.fonts {
			d.raw = append(d.raw, byte(v))
		}
		return nil
	case c == '*':
		d.st.skip = true
		return nil
	case c == '~':
		d.text(" ")
		return nil
	case c == '\\' || c == '{' || c == '}':
		d.char(c)
		return nil
	case c == '\r' || c == '\n':
		d.text("\n")
		return nil
	case !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		return nil // \- \_ \| \: and the like
	}
	word := append(d.word[:0], c)
	for {
		c, err = d.cr.ReadByte()
		if err != nil {
			break
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') || len(word) == cap(word) {
			break
		}
		word = append(word, c)
	}
	num, hasNum := 0, false
	if err == nil && (c == '-' || c >= '0' && c <= '9') {
		var digits [12]byte
		n := 0
		for err == nil && n < len(digits) && (c == '-' && n == 0 || c >= '0' && c <= '9') {
			digits[n] = c
			n++
			c, err = d.cr.ReadByte()
		}
		num, _ = strconv.Atoi(string(digits[:n]))
		hasNum = true
	}
	if err == nil && c != ' ' {
		_ = d.cr.r.UnreadByte() // the delimiter is the next token
		d.cr.n--
	}
	d.word1(string(word), num, hasNum)
	return stopped(err)
}

// word1 acts on a control word.
func (d *rtfReader) word1(w string, num int, hasNum bool) {
	switch {
	case rtfSkip[w]:
		d.st.skip = true
	case w == "shptxt": // a text box's text, in a shape's skipped {\*\shpinst}
		d.st.skip = false
	case w == "fonttbl":
		d.st.fonts = true
	case w == "f" && d.st.fonts:
		d.font = num
	case w == "fcharset" && d.st.fonts:
		if e := rtfCharset(num); e != nil {
			d.fontCP[d.font] = e
		}
	case w == "f":
		d.decode()
		d.st.cp = d.fontCP[num]
	case w == "ansicpg":
		d.docCP = rtfCodePage(num)
	case w == "bin" && hasNum:
		d.decode()
		_ = d.cr.skip(int64(max(num, 0))) // binary data; its end ends the document
	case w == "uc" && hasNum:
		d.st.uc = max(num, 0)
	case w == "u" && hasNum:
		d.decode()
		if num < 0 {
			num += 65536
		}
		if !d.st.skip && !d.st.fonts {
			d.unicode(rune(num))
		}
		d.skipU = d.st.uc
	case w == "nestrow" && !d.st.fonts: // written in a skipped {\*\nesttableprops}
		d.decode()
		d.out = append(d.out, '\n')
	case w == "par" || w == "line" || w == "row" || w == "sect" || w == "page":
		d.text("\n")
	case w == "tab" || w == "cell" || w == "nestcell":
		d.text("\t")
	case rtfSymbols[w] != "":
		d.text(rtfSymbols[w])
	}
}

// unicode writes the character of a \uN escape. A character past U+FFFF
// is written as two, its UTF-16 halves: the first waits in d.hi for the
// second; a half alone is U+FFFD.
func (d *rtfReader) unicode(r rune) {
	if d.hi != 0 {
		hi := d.hi
		d.hi = 0
		if utf16.IsSurrogate(r) && r >= 0xDC00 {
			d.out = utf8.AppendRune(d.out, utf16.DecodeRune(hi, r))
			return
		}
		d.out = utf8.AppendRune(d.out, utf8.RuneError)
	}
	if utf16.IsSurrogate(r) && r < 0xDC00 {
		d.hi = r
		return
	}
	d.out = utf8.AppendRune(d.out, r)
}

// lone writes a first UTF-16 half that no second followed as U+FFFD.
func (d *rtfReader) lone() {
	if d.hi != 0 {
		d.hi = 0
		d.out = utf8.AppendRune(d.out, utf8.RuneError)
	}
}

// char handles a plain character.
func (d *rtfReader) char(c byte) {
	if d.skipU > 0 {
		d.skipU--
		return
	}
	if d.st.skip || d.st.fonts {
		return
	}
	if c < 0x80 {
		d.decode()
		d.lone()
		d.out = append(d.out, c)
		return
	}
	d.raw = append(d.raw, c) // a raw 8-bit byte: in the code page
}

// text writes s, after the escaped bytes before it.
func (d *rtfReader) text(s string) {
	if d.st.skip || d.st.fonts {
		return
	}
	d.decode()
	d.lone()
	d.out = append(d.out, s...)
}

// decode writes the pending \'hh bytes, decoded from the font's code
// page, or the document's (Latin-1 when it names none).
func (d *rtfReader) decode() {
	if len(d.raw) == 0 {
		return
	}
	d.lone()
	e := d.st.cp
	if e == nil {
		e = d.docCP
	}
	if e == nil {
		for _, b := range d.raw {
			d.out = utf8.AppendRune(d.out, rune(b))
		}
	} else if s, _, err := transform.Bytes(e.NewDecoder(), d.raw); err == nil {
		d.out = append(d.out, s...)
	}
	d.raw = d.raw[:0]
}

// flush writes the text read so far.
func (d *rtfReader) flush() {
	d.decode()
	d.lone()
	if len(d.out) > 0 {
		d.x.emit(d.out)
		d.out = d.out[:0]
	}
	d.mark = d.cr.n
}

// rtfCodePage is the encoding of a Windows code page (\ansicpg).
func rtfCodePage(cp int) encoding.Encoding {
	var label string
	switch cp {
	case 936:
		label = "gbk"
	case 950:
		label = "big5"
	case 932:
		label = "shift_jis"
	case 949:
		label = "euc-kr"
	case 65001:
		return nil
	default:
		label = "windows-" + strconv.Itoa(cp)
	}
	e, kind := declaredEncoding(label)
	if kind == kindUnsafe {
		return nil
	}
	return e
}

// rtfCharset is the encoding of a font's character set (\fcharset):
// 134 GB2312, 136 Big5, 128 Shift JIS, 129 Hangul; nil for the others
// (the document's code page applies).
func rtfCharset(cs int) encoding.Encoding {
	switch cs {
	case 134:
		return rtfCodePage(936)
	case 136:
		return rtfCodePage(950)
	case 128:
		return rtfCodePage(932)
	case 129:
		return rtfCodePage(949)
	}
	return nil
}
