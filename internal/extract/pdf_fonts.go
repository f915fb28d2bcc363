package extract

import (
	"bytes"
	"math"
	"slices"
)

// pdfFont is what replay knows of a font: its CMap, and its glyph widths
// (in ems) by code when its dictionaries give them.
type pdfFont struct {
	cmap   *cmap
	widths []widthRange // sorted by lo, not overlapping
	dw     float64      // the width of a code not in widths; 0: estimate it
}

// widthRange gives the codes lo..hi one width, in ems.
type widthRange struct {
	lo, hi uint32
	w      float64
}

// widthOf returns the width of code and whether widths gives it.
func (f *pdfFont) widthOf(code uint32) (float64, bool) {
	i, ok := slices.BinarySearchFunc(f.widths, code, func(r widthRange, code uint32) int {
		switch {
		case r.hi < code:
			return -1
		case r.lo > code:
			return 1
		}
		return 0
	})
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
			code, n := f.cmap.next(s[k:])
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
// its page's (or an ancestor's, up to four /Parent levels). Only fonts
// with a ToUnicode CMap are in the map.
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

// font reads the font dictionary font: nil without a ToUnicode CMap.
func (h *pdfHeld) font(font []byte) *pdfFont {
	if font == nil {
		return nil
	}
	refs := refsIn(dictValue(font, "/ToUnicode"))
	if len(refs) != 1 || h.cmaps[refs[0]] == nil {
		return nil
	}
	f := &pdfFont{cmap: h.cmaps[refs[0]]}
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
