package extract

import (
	"bytes"
	"math"
)

// pdfFont is what replay knows of a font: its CMap, and its glyph widths
// (in ems) by code when its dictionaries give them.
type pdfFont struct {
	cmap   *cmap
	widths map[uint32]float64
	dw     float64 // the width of a code not in widths; 0: estimate it
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
			if v, ok := f.widths[code]; ok {
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
		font := h.deref(dictValue(fonts, name))
		if font == nil {
			continue
		}
		refs := refsIn(dictValue(font, "/ToUnicode"))
		if len(refs) != 1 || h.cmaps[refs[0]] == nil {
			continue
		}
		f := &pdfFont{cmap: h.cmaps[refs[0]]}
		h.fontWidths(f, font)
		out[name] = f
	}
	return out
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
	f.widths = make(map[uint32]float64, len(widths))
	for k, w := range widths {
		if v, ok := pdfNum(w); ok {
			f.widths[uint32(first)+uint32(k)] = v * scale
		}
	}
	f.dw = 0.5
}

// cidWidths reads a /W array: c [w1 w2 ...] gives c, c+1, ... their
// widths; c1 c2 w gives c1..c2 one width (ranges past 65,536 codes are
// not read).
func cidWidths(w []byte) map[uint32]float64 {
	out := map[uint32]float64{}
	toks := cmapTokens(bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(w), []byte("[")), []byte("]")))
	for k := 0; k < len(toks); {
		c, ok := pdfNum(toks[k])
		if !ok || k+1 >= len(toks) {
			return out
		}
		if toks[k+1][0] == '[' {
			for i, v := range cmapTokens(bytes.Trim(toks[k+1], "[]")) {
				if x, ok := pdfNum(v); ok {
					out[uint32(c)+uint32(i)] = x / 1000
				}
			}
			k += 2
			continue
		}
		if k+2 >= len(toks) {
			return out
		}
		c2, ok2 := pdfNum(toks[k+1])
		v, ok3 := pdfNum(toks[k+2])
		if ok2 && ok3 && c2 >= c && c2-c < 1<<16 {
			for code := uint32(c); code <= uint32(c2); code++ {
				out[code] = v / 1000
			}
		}
		k += 3
	}
	return out
}
