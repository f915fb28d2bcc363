package extract

import (
	"bytes"
	"io"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// addCMap keeps the CMap of stream object obj.
func (h *pdfHeld) addCMap(obj int, c *cmap) {
	if c == nil || obj < 0 || !h.grow(16*(len(c.ranges)+len(c.space))) {
		return
	}
	h.cmaps[obj] = c
}

// cmapCapture passes a stream's data on and keeps it when it opens as a
// CMap (begincmap within its first KiB), up to pdfCMapMax bytes.
type cmapCapture struct {
	r    io.Reader
	buf  []byte
	done bool // not a CMap, or read past pdfCMapMax
}

func (c *cmapCapture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.done && n > 0 {
		c.buf = append(c.buf, p[:n]...)
		switch {
		case len(c.buf) > pdfCMapMax:
			c.done, c.buf = true, nil
		case len(c.buf) >= 1<<10 && !bytes.Contains(c.buf[:1<<10], []byte("begincmap")):
			c.done, c.buf = true, nil
		}
	}
	return n, err
}

// cmap parses what was kept.
func (c *cmapCapture) cmap() *cmap {
	if c.done || !bytes.Contains(c.buf, []byte("begincmap")) {
		return nil
	}
	return parseCMap(c.buf)
}

// cmap is a parsed ToUnicode CMap: its code space and mappings.
type cmap struct {
	space  []codeRange // code space ranges, by width
	ranges []cmapRange // mappings, sorted by lo
}

// codeRange is a code space range of width bytes.
type codeRange struct {
	lo, hi uint32
	width  int
}

// cmapRange maps the codes lo..hi to base, base+1, ... (one rune each).
type cmapRange struct {
	lo, hi uint32
	base   rune
}

// decode appends the text of the codes in s to dst.
func (c *cmap) decode(dst, s []byte) []byte {
	for k := 0; k < len(s); {
		code, w := c.next(s[k:])
		k += w
		i, found := slices.BinarySearchFunc(c.ranges, code, func(r cmapRange, code uint32) int { return inRange(r.lo, r.hi, code) })
		if found {
			dst = utf8.AppendRune(dst, unifiedHan(c.ranges[i].base+rune(code-c.ranges[i].lo)))
		}
	}
	return dst
}

// next returns the code at the start of s and how many bytes it takes.
func (c *cmap) next(s []byte) (code uint32, n int) {
	n = min(c.width(s), len(s))
	return bigEndian(s[:n]), n
}

// bigEndian reads the bytes of a code as a number.
func bigEndian(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

// width returns how many bytes the code at the start of s takes: that of
// the first code space range holding it, else the widest range's.
func (c *cmap) width(s []byte) int {
	widest := 1
	for _, r := range c.space {
		widest = max(widest, r.width)
		if r.width > len(s) {
			continue
		}
		if code := bigEndian(s[:r.width]); code >= r.lo && code <= r.hi {
			return r.width
		}
	}
	return widest
}

// parseCMap reads a ToUnicode CMap: its codespacerange, bfchar and bfrange
// sections (hex strings; a bfrange's destination an array or a string
// incremented per code). Whatever else it holds is passed over; a CMap
// without mappings is nil.
func parseCMap(b []byte) *cmap {
	c := &cmap{}
	toks := cmapTokens(b)
	section := ""
	var args [][]byte
	for _, tok := range toks {
		switch string(tok) {
		case "begincodespacerange", "beginbfchar", "beginbfrange":
			section, args = string(tok), args[:0]
			continue
		case "endcodespacerange", "endbfchar", "endbfrange":
			section = ""
			continue
		}
		if section == "" {
			continue
		}
		args = append(args, tok)
		switch section {
		case "begincodespacerange":
			if len(args) == 2 {
				lo, wl := hexCode(args[0])
				hi, _ := hexCode(args[1])
				if wl > 0 && wl <= 4 {
					c.space = append(c.space, codeRange{lo: lo, hi: hi, width: wl})
				}
				args = args[:0]
			}
		case "beginbfchar":
			if len(args) == 2 {
				src, w := hexCode(args[0])
				if r, ok := hexRune(args[1]); ok && w > 0 {
					c.ranges = append(c.ranges, cmapRange{lo: src, hi: src, base: r})
				}
				args = args[:0]
			}
		case "beginbfrange":
			if len(args) < 3 {
				continue
			}
			lo, w := hexCode(args[0])
			hi, _ := hexCode(args[1])
			dst := args[2]
			switch {
			case len(dst) > 0 && dst[0] == '[':
				if dst[len(dst)-1] != ']' {
					continue // the array goes on
				}
				code := lo
				for _, d := range cmapTokens(dst[1 : len(dst)-1]) {
					if r, ok := hexRune(d); ok && w > 0 && code <= hi {
						c.ranges = append(c.ranges, cmapRange{lo: code, hi: code, base: r})
					}
					code++
				}
			default:
				if r, ok := hexRune(dst); ok && w > 0 && hi >= lo && hi-lo < 1<<16 {
					c.ranges = append(c.ranges, cmapRange{lo: lo, hi: hi, base: r})
				}
			}
			args = args[:0]
		}
	}
	if len(c.ranges) == 0 {
		return nil
	}
	slices.SortStableFunc(c.ranges, func(a, b cmapRange) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	// Overlaps: the first range wins over the part of a later one it
	// covers (bfchar entries written over a bfrange).
	out := c.ranges[:1]
	for _, r := range c.ranges[1:] {
		last := &out[len(out)-1]
		if r.lo <= last.hi {
			if r.hi <= last.hi {
				continue
			}
			r.base += rune(last.hi + 1 - r.lo)
			r.lo = last.hi + 1
		}
		out = append(out, r)
	}
	c.ranges = out
	slices.SortFunc(c.space, func(a, b codeRange) int { return a.width - b.width })
	return c
}

// cmapTokens splits a CMap into tokens: hex strings (<...>) and arrays
// ([...]) whole, and words.
func cmapTokens(b []byte) [][]byte {
	var toks [][]byte
	for k := 0; k < len(b); {
		c := b[k]
		switch {
		case isPDFSpace(c):
			k++
		case c == '<':
			end := bytes.IndexByte(b[k:], '>')
			if end < 0 {
				return toks
			}
			if end == 1 && k+1 < len(b) && b[k+1] == '<' { // a dictionary opener
				k += 2
				continue
			}
			toks = append(toks, b[k:k+end+1])
			k += end + 1
		case c == '[':
			end := bytes.IndexByte(b[k:], ']')
			if end < 0 {
				return toks
			}
			toks = append(toks, b[k:k+end+1])
			k += end + 1
		case c == '%':
			end := bytes.IndexAny(b[k:], "\r\n")
			if end < 0 {
				return toks
			}
			k += end
		default:
			j := k + 1
			for j < len(b) && isRegularPDF(b[j]) {
				j++
			}
			toks = append(toks, b[k:j])
			k = j
		}
	}
	return toks
}

// hexNibbles returns the hex digits of a hex string <...> as values,
// white space passed over, in dst; false when tok is no hex string.
func hexNibbles(dst []byte, tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '<' || tok[len(tok)-1] != '>' {
		return nil, false
	}
	for _, c := range tok[1 : len(tok)-1] {
		switch {
		case c >= '0' && c <= '9':
			dst = append(dst, c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			dst = append(dst, c|0x20-'a'+10)
		case isPDFSpace(c):
		default:
			return nil, false
		}
	}
	return dst, true
}

// hexCode reads a hex string <...> as a code, and its width in bytes (0:
// not a hex string of one to four bytes).
func hexCode(tok []byte) (uint32, int) {
	var buf [16]byte
	d, ok := hexNibbles(buf[:0], tok)
	if !ok || len(d) == 0 || len(d) > 8 {
		return 0, 0
	}
	var v uint32
	for _, x := range d {
		v = v<<4 | uint32(x)
	}
	return v, (len(d) + 1) / 2
}

// hexRune reads a destination hex string (UTF-16BE) as its first rune.
func hexRune(tok []byte) (rune, bool) {
	var buf [16]byte
	d, ok := hexNibbles(buf[:0], tok)
	if !ok || len(d) < 4 {
		return 0, false
	}
	units := make([]uint16, 0, 2)
	for k := 0; k+4 <= len(d) && len(units) < 2; k += 4 {
		units = append(units, uint16(d[k])<<12|uint16(d[k+1])<<8|uint16(d[k+2])<<4|uint16(d[k+3]))
	}
	r := utf16.Decode(units)
	if len(r) == 0 || r[0] == utf8.RuneError {
		return 0, false
	}
	return r[0], true
}

// unifiedHan returns the unified ideograph a Kangxi radical, CJK radical
// or compatibility ideograph stands for (its NFKC form), r otherwise:
// fonts share one glyph between 身 and the radical ⾝ (or 马 and ⻢), and
// a browser's ToUnicode CMap may name the radical, which no label matches.
func unifiedHan(r rune) rune {
	switch {
	case r >= 0x2E80 && r <= 0x2FDF, r >= 0xF900 && r <= 0xFAFF:
		if u, ok := radicals()[r]; ok {
			return u
		}
	}
	return r
}

// radicals maps the runes of unifiedHan's ranges that have a one-rune NFKC
// form to it, and the CJK radicals supplement (U+2E81 to U+2EF3, which
// NFKC leaves alone but for two) to its equivalent unified ideographs.
var radicals = sync.OnceValue(func() map[rune]rune {
	m := map[rune]rune{}
	for _, span := range [][2]rune{{0x2E80, 0x2FDF}, {0xF900, 0xFAFF}} {
		for r := span[0]; r <= span[1]; r++ {
			n := []rune(norm.NFKC.String(string(r)))
			if len(n) == 1 && n[0] != r {
				m[r] = n[0]
			}
		}
	}
	r := rune(0x2E81)
	for _, u := range radicalSupplement {
		if r == 0x2E9A { // unassigned
			r++
		}
		m[r] = u
		r++
	}
	return m
})

// radicalSupplement is the equivalent unified ideograph of U+2E81 to
// U+2EF3 but the unassigned U+2E9A, in order (Unicode's
// EquivalentUnifiedIdeograph.txt). A browser's ToUnicode CMap names the
// simplified-form radicals for the common characters they draw: ⻢ (U+2EE2)
// for the surname 马, ⻜ 飞, ⻘ 青, ⻄ 西, ⻛ 风, ⻬ 齐, ⻓ 长, ⻔ 门.
const radicalSupplement = "厂乛乚乙亻冂𠘨刀刂卜㔾小小兀尣尢𡯂巳幺彑𫜹忄心扌攵" +
	"旡日月歺母民氵氺灬爫爫丬牛犭王𤴔目示礻𥫗糹纟罓罒㓁冗𦉫羊𦍌𦍋耂肀聿肉𦥑艹艹艹" +
	"虎衤覀西见角𧢲讠贝𧾷车辶辶辶邑钅長镸长门𨸏阝雨青韦页风飞食𩙿飠饣𩠐马骨鬼鱼鸟" +
	"卤麦黄黾斉齐歯齿竜龙龜亀龟"

// inRange compares the range lo..hi with code as slices.BinarySearchFunc
// wants: -1 when the range is below it, 1 above, 0 holding it.
func inRange(lo, hi, code uint32) int {
	switch {
	case hi < code:
		return -1
	case lo > code:
		return 1
	}
	return 0
}
