package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// charset is how a text stream is decoded.
type charset struct {
	// utf16 transcodes the whole stream from UTF-16; nil reads bytes.
	utf16 encoding.Encoding
	// legacy is the charset the stream switches to at its first non-ASCII
	// bytes that are not UTF-8: a declared ASCII-compatible charset, or
	// GB18030 when nothing was declared (and then only where the bytes are
	// well-formed GB18030). nil stays UTF-8.
	legacy encoding.Encoding
	// declared: legacy was declared, so it is used without the check.
	declared bool
	// unsupported: a charset was declared that cannot be decoded without
	// hiding ASCII (ISO-2022, HZ, the WHATWG replacement encoding). The
	// bytes are read as they are and the stream is reported.
	unsupported bool
}

// Kinds of declared charsets.
const (
	kindUTF8   = iota // UTF-8, ASCII, or a label x/text does not know
	kindLegacy        // ASCII-compatible: ASCII bytes are ASCII characters
	kindUTF16
	kindUnsafe // stateful or replacing: ASCII bytes may turn into other text
)

// sniffCharset picks the decoding of a text stream from its declared
// charset and its first bytes. No label is taken on trust, as the sender
// chooses it: a declared UTF-16 (or a byte order mark) is used only when
// the bytes do not read as UTF-8 text or hold a run of ASCII digits; a
// declared legacy charset applies only once non-ASCII bytes turn out not
// to be UTF-8; a declared UTF-8 still detects GB18030 (legacy systems
// label GBK as UTF-8).
func sniffCharset(head []byte, label string) charset {
	e, kind := declaredEncoding(label)
	claimed, le, body := kind == kindUTF16, e == utf16LEBOM, head
	bom := len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF)
	if bom {
		claimed, le, body = true, head[0] == 0xFF, head[2:]
	}
	if sle, ok := sniffUTF16(body); ok {
		return charset{utf16: utf16Encoding(sle, bom && sle == le)}
	}
	if claimed && !readsAsText(body) {
		return charset{utf16: utf16Encoding(le, bom)}
	}
	var cs charset
	switch kind {
	case kindLegacy:
		cs.legacy, cs.declared = e, true
	case kindUnsafe:
		cs.unsupported = true
	}
	if cs.legacy == nil && bytes.IndexByte(head, 0) < 0 {
		cs.legacy = simplifiedchinese.GB18030
	}
	return cs
}

// UTF-16 decoders that take a byte order mark first, and that do not.
var (
	utf16LEBOM = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16BEBOM = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	utf16LENo  = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16BENo  = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
)

// utf16Encoding returns the UTF-16 decoder of an endianness; bom lets a
// byte order mark override it (set it only when the mark agrees).
func utf16Encoding(le, bom bool) encoding.Encoding {
	switch {
	case le && bom:
		return utf16LEBOM
	case le:
		return utf16LENo
	case bom:
		return utf16BEBOM
	}
	return utf16BENo
}

// readsAsText reports whether b, claimed to be UTF-16 without the zero
// bytes of ASCII to show it, is 8-bit text instead: valid UTF-8 (UTF-16
// of Chinese text practically never is), or a run of ASCII digits that
// UTF-16 text would have to spell with rare CJK or Hangul jamo.
func readsAsText(b []byte) bool {
	return isUTF8(b, true) || hasDigitRun(b, minDigitRun)
}

// minDigitRun is the shortest run of ASCII digits taken as 8-bit text.
const minDigitRun = 6

// hasDigitRun reports whether b holds n ASCII digits in a row.
func hasDigitRun(b []byte, n int) bool {
	run := 0
	for _, c := range b {
		if c-'0' < 10 {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// declaredEncoding returns the transcoder for a charset label and its
// kind; nil for UTF-8, ASCII and unknown labels.
func declaredEncoding(label string) (encoding.Encoding, int) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, kindUTF8
	case "gbk", "gb2312", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn":
		return simplifiedchinese.GB18030, kindLegacy // a superset of both
	case "utf-16":
		return utf16BEBOM, kindUTF16 // RFC 2781: big-endian unless a BOM says otherwise
	}
	e, err := htmlindex.Get(label)
	if err != nil || e == unicode.UTF8 {
		return nil, kindUTF8
	}
	name, _ := htmlindex.Name(e)
	switch name {
	case "utf-16le":
		return utf16LEBOM, kindUTF16
	case "utf-16be":
		return utf16BEBOM, kindUTF16
	case "replacement", "iso-2022-jp":
		return nil, kindUnsafe
	}
	return e, kindLegacy
}

// xmlEncoding returns the transcoder of an XML document that starts with
// head (see prologEncoding), checked as sniffCharset checks a text
// stream, or nil for UTF-8.
func xmlEncoding(head []byte) encoding.Encoding {
	cs := sniffCharset(head, string(prologEncoding(head)))
	switch {
	case cs.utf16 != nil:
		return cs.utf16
	case cs.declared:
		return cs.legacy
	}
	return nil
}

// legacyEncoding returns the transcoder of a declared ASCII-compatible
// charset, or nil (read the bytes as UTF-8): an XML part's declaration.
func legacyEncoding(label string) encoding.Encoding {
	if e, kind := declaredEncoding(label); kind == kindLegacy {
		return e
	}
	return nil
}

// sniffUTF16 detects BOM-less UTF-16 by the zero high bytes of ASCII
// characters: most pairs have a zero on one side and almost none on the
// other. le reports little-endian.
func sniffUTF16(head []byte) (le, ok bool) {
	pairs := len(head) / 2
	if pairs < 8 {
		return false, false
	}
	var even, odd int
	for i := 0; i+1 < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	switch {
	case odd*3 >= pairs && even*16 <= pairs:
		return true, true
	case even*3 >= pairs && odd*16 <= pairs:
		return false, true
	}
	return false, false
}

// gbWindow is how many bytes from the first non-ASCII byte decide between
// UTF-8 and GB18030.
const gbWindow = 256

// isUTF8 reports whether w is valid UTF-8, allowing a sequence cut off at
// its end when more may follow.
func isUTF8(w []byte, more bool) bool {
	if utf8.Valid(w) {
		return true
	}
	if !more {
		return false
	}
	for k := 1; k <= 3 && k <= len(w); k++ {
		if utf8.Valid(w[:len(w)-k]) && utf8.RuneStart(w[len(w)-k]) {
			return true
		}
	}
	return false
}

// isGB18030 reports whether w is well-formed GB18030 (one-, two- and
// four-byte sequences), allowing a sequence cut off at its end.
func isGB18030(w []byte) bool {
	for i := 0; i < len(w); {
		c := w[i]
		switch {
		case c < 0x80:
			i++
			continue
		case c == 0x80 || c == 0xFF:
			return false
		case i+1 >= len(w):
			return true
		}
		t := w[i+1]
		switch {
		case t >= 0x40 && t <= 0xFE && t != 0x7F:
			i += 2
		case t >= 0x30 && t <= 0x39:
			if i+3 >= len(w) {
				return true
			}
			if w[i+2] < 0x81 || w[i+2] > 0xFE || w[i+3] < 0x30 || w[i+3] > 0x39 {
				return false
			}
			i += 4
		default:
			return false
		}
	}
	return true
}
