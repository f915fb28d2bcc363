package extract

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// charset is how a text stream is decoded.
type charset struct {
	// enc transcodes the stream to UTF-8; nil reads it as UTF-8.
	enc encoding.Encoding
	// auto switches to GB18030 at the first non-ASCII bytes that are not
	// UTF-8 but are GB18030.
	auto bool
}

// sniffCharset picks the decoding of a text stream from its declared
// charset and its first bytes. A declared UTF-8 is not trusted (legacy
// systems label GBK as UTF-8), so it still auto-detects; a charset label
// x/text does not know is ignored the same way.
func sniffCharset(head []byte, declared string) charset {
	switch {
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		return charset{enc: unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)}
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		return charset{enc: unicode.UTF16(unicode.BigEndian, unicode.UseBOM)}
	}
	if e := declaredEncoding(declared); e != nil {
		return charset{enc: e}
	}
	if le, ok := sniffUTF16(head); ok {
		if le {
			return charset{enc: unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)}
		}
		return charset{enc: unicode.UTF16(unicode.BigEndian, unicode.UseBOM)}
	}
	return charset{auto: !strings.Contains(string(head), "\x00")}
}

// declaredEncoding returns the transcoder for a Content-Type charset, or
// nil for UTF-8, ASCII and unknown labels.
func declaredEncoding(label string) encoding.Encoding {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil
	case "gbk", "gb2312", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn":
		return simplifiedchinese.GB18030 // a superset of both
	case "utf-16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM) // RFC 2781: big-endian unless a BOM says otherwise
	}
	e, err := htmlindex.Get(label)
	if err != nil || e == unicode.UTF8 {
		return nil
	}
	return e
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
