package extract

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// pdfFont is what replay knows of a font: how its strings are text (by
// its ToUnicode CMap; as UTF-16BE for a predefined Unicode CMap such as
// UniGB-UCS2-H; or as they are, when plain), and its glyph widths (in
// ems) by code when its dictionaries give them.
type pdfFont struct {
	cmap   *cmap // nil: utf16 or plain
	utf16  bool
	widths []widthRange // sorted by lo, not overlapping
	dw     float64      // the width of a code not in widths; 0: estimate it
}

// next returns the code at the start of s and how many bytes it takes.
func (f *pdfFont) next(s []byte) (uint32, int) {
	switch {
	case f.cmap != nil:
		return f.cmap.next(s)
	case f.utf16 && len(s) >= 2:
		return bigEndian(s[:2]), 2
	}
	return uint32(s[0]), 1
}

// decode appends the text of s to dst: through the CMap, as UTF-16BE, or
// as it is when it is plain text (nothing otherwise: the lexer read it).
func (f *pdfFont) decode(dst, s []byte) []byte {
	switch {
	case f.cmap != nil:
		return f.cmap.decode(dst, s)
	case f.utf16:
		for k := 0; k+1 < len(s); k += 2 {
			r := rune(s[k])<<8 | rune(s[k+1])
			if utf16.IsSurrogate(r) {
				if k+3 < len(s) {
					r = utf16.DecodeRune(r, rune(s[k+2])<<8|rune(s[k+3]))
					k += 2
				}
				if r == utf8.RuneError {
					continue
				}
			}
			dst = utf8.AppendRune(dst, r)
		}
		return dst
	case plainText(s):
		return append(dst, s...)
	}
	return dst
}

// glyphs reports whether the font's strings need replay to be text (a
// CMap or UTF-16), not only to keep their place in a row.
func (f *pdfFont) glyphs() bool { return f.cmap != nil || f.utf16 }

// widthRange gives the codes lo..hi one width, in ems.
type widthRange struct {
	lo, hi uint32
	w      float64
}

// widthOf returns the width of code and whether widths gives it.
func (f *pdfFont) widthOf(code uint32) (float64, bool) {
	i, ok := slices.BinarySearchFunc(f.widths, code, func(r widthRange, code uint32) int { return inRange(r.lo, r.hi, code) })
	if !ok {
		return 0, false
	}
	return f.widths[i].w, true
}

// sortWidths sorts ranges by lo and cuts overlaps (which real fonts do
// not have) as parseCMap does: the range that starts first wins.
func sortWidths(rs []widthRange) []widthRange {
	slices.SortStableFunc(rs, func(a, b widthRange) int { return cmpU32(a.lo, b.lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi {
			if r.hi <= out[n-1].hi {
				continue
			}
			r.lo = out[n-1].hi + 1
		}
		out = append(out, r)
	}
	return out
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// width returns the width in ems of the codes in s (decoded as text): by
// the font's widths, or estimated as 1 em for a CJK character and half an
// em for any other.
func (f *pdfFont) width(s, text []byte) float64 {
	if f.dw > 0 {
		w := 0.0
		for k := 0; k < len(s); {
			code, n := f.next(s[k:])
			k += n
			if v, ok := f.widthOf(code); ok {
				w += v
			} else {
				w += f.dw
			}
		}
		return w
	}
	w := 0.0
	for _, r := range string(text) {
		if r >= 0x2E80 {
			w++
		} else {
			w += 0.5
		}
	}
	return w
}

// fontsOf resolves the fonts of a content stream, by the names its
// strings were shown in: through its own /Resources (a form XObject), or
// its page's (or an ancestor's, up to four /Parent levels).
func (h *pdfHeld) fontsOf(st heldText, pages map[int][]byte) map[string]*pdfFont {
	res := dictValue(st.dict, "/Resources")
	if res == nil {
		page := pages[st.obj]
		for range 4 {
			if page == nil {
				break
			}
			if res = dictValue(page, "/Resources"); res != nil {
				break
			}
			page = h.deref(dictValue(page, "/Parent"))
		}
	}
	fonts := h.deref(dictValue(h.deref(res), "/Font"))
	if fonts == nil {
		return nil
	}
	out := map[string]*pdfFont{}
	for _, name := range st.fonts {
		v := dictValue(fonts, name)
		ref := -1
		if refs := refsIn(v); len(refs) == 1 && !bytes.HasPrefix(bytes.TrimLeft(v, pdfSpace), []byte("<<")) {
			ref = refs[0]
			if f, ok := h.fonts[ref]; ok { // read once for all the streams that show it
				if f != nil {
					out[name] = f
				}
				continue
			}
		}
		f := h.font(h.deref(v))
		if ref >= 0 {
			if h.fonts == nil {
				h.fonts = map[int]*pdfFont{}
			}
			h.fonts[ref] = f
		}
		if f != nil {
			out[name] = f
		}
	}
	return out
}

// font reads the font dictionary font: its ToUnicode CMap, or a
// predefined Unicode CMap as its /Encoding (UniGB-UCS2-H, UniGB-UTF16-H,
// their CNS, JIS and KS kin: iText's and JasperReports' CJK fonts, whose
// widths by CID replay cannot map), or neither (plain strings). Nil for
// no dictionary.
func (h *pdfHeld) font(font []byte) *pdfFont {
	if font == nil {
		return nil
	}
	f := &pdfFont{}
	if refs := refsIn(dictValue(font, "/ToUnicode")); len(refs) == 1 && h.cmaps[refs[0]] != nil {
		f.cmap = h.cmaps[refs[0]]
	} else if enc := string(dictValue(font, "/Encoding")); strings.HasPrefix(enc, "/Uni") && (strings.Contains(enc, "UCS2") || strings.Contains(enc, "UTF16")) {
		f.utf16 = true
		return f
	}
	h.fontWidths(f, font)
	return f
}

// fontWidths reads a font's glyph widths: a Type0 font's from its
// descendant's /W and /DW (CIDs taken as codes: Identity-H), a simple or
// Type3 font's from /Widths and /FirstChar (scaled by a Type3 font's
// /FontMatrix). Without them f.dw stays 0.
func (h *pdfHeld) fontWidths(f *pdfFont, font []byte) {
	if string(dictValue(font, "/Subtype")) == "/Type0" {
		refs := refsIn(dictValue(font, "/DescendantFonts"))
		if len(refs) != 1 {
			return
		}
		desc := h.objs[refs[0]]
		if desc == nil {
			return
		}
		f.dw = 1
		if dw, ok := pdfNum(dictValue(desc, "/DW")); ok {
			f.dw = dw / 1000
		}
		f.widths = cidWidths(h.deref(dictValue(desc, "/W")))
		return
	}
	widths := cmapTokens(bytes.Trim(h.deref(dictValue(font, "/Widths")), "[]"))
	first, ok := pdfNum(dictValue(font, "/FirstChar"))
	if len(widths) == 0 || !ok {
		return
	}
	scale := 0.001
	if m := cmapTokens(bytes.Trim(dictValue(font, "/FontMatrix"), "[]")); len(m) > 0 {
		if v, ok := pdfNum(m[0]); ok && v != 0 {
			scale = math.Abs(v)
		}
	}
	f.widths = make([]widthRange, 0, len(widths))
	for k, w := range widths {
		if v, ok := pdfNum(w); ok {
			code := uint32(first) + uint32(k)
			f.widths = append(f.widths, widthRange{code, code, v * scale})
		}
	}
	f.widths = sortWidths(f.widths)
	f.dw = 0.5
}

// cidWidths reads a /W array: c [w1 w2 ...] gives c, c+1, ... their
// widths; c1 c2 w gives c1..c2 one width (ranges past 65,536 codes are
// not read). Each is a range, however many codes it covers: a /W of
// ranges of 65,536 codes each was a map entry per code, for every content
// stream, gigabytes from a 4 KiB object.
func cidWidths(w []byte) []widthRange {
	var out []widthRange
	toks := cmapTokens(bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(w), []byte("[")), []byte("]")))
	for k := 0; k < len(toks); {
		c, ok := pdfNum(toks[k])
		if !ok || k+1 >= len(toks) {
			break
		}
		if toks[k+1][0] == '[' {
			for i, v := range cmapTokens(bytes.Trim(toks[k+1], "[]")) {
				if x, ok := pdfNum(v); ok {
					code := uint32(c) + uint32(i)
					out = append(out, widthRange{code, code, x / 1000})
				}
			}
			k += 2
			continue
		}
		if k+2 >= len(toks) {
			break
		}
		c2, ok2 := pdfNum(toks[k+1])
		v, ok3 := pdfNum(toks[k+2])
		if ok2 && ok3 && c2 >= c && c2-c < 1<<16 {
			out = append(out, widthRange{uint32(c), uint32(c2), v / 1000})
		}
		k += 3
	}
	return sortWidths(out)
}
