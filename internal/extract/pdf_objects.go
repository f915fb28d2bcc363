package extract

import (
	"bytes"
	"io"
	"strconv"
)

// pdfObjStmMax is the most of an object stream read for its objects.
const pdfObjStmMax = 4 << 20

// objStmCapture passes an object stream's data on and keeps it, up to
// pdfObjStmMax bytes (counted while held).
type objStmCapture struct {
	h        *pdfHeld
	r        io.Reader
	n, first int // the stream's /N and /First; n 0: no object stream
	buf      []byte
	over     bool
}

// objectStream wraps the data r of a stream whose dictionary is dict:
// when it is an object stream (/Type /ObjStm) its data is kept.
func (h *pdfHeld) objectStream(r io.Reader, dict []byte) *objStmCapture {
	c := &objStmCapture{h: h, r: r}
	if string(dictValue(dict, "/Type")) == "/ObjStm" {
		n, ok1 := pdfNum(dictValue(dict, "/N"))
		first, ok2 := pdfNum(dictValue(dict, "/First"))
		if ok1 && ok2 && n > 0 && n < 1<<20 && first > 0 {
			c.n, c.first = int(n), int(first)
		}
	}
	return c
}

func (c *objStmCapture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n > 0 && !c.over && n > 0 {
		if len(c.buf)+n > pdfObjStmMax {
			c.over, c.buf = true, nil
		} else {
			c.buf = append(c.buf, p[:n]...)
		}
	}
	return n, err
}

// pageIndex maps each content stream's object number to the dictionary of
// the page that shows it.
func (h *pdfHeld) pageIndex() map[int][]byte {
	pages := map[int][]byte{}
	for _, dict := range h.objs {
		contents := dictValue(dict, "/Contents")
		if contents == nil {
			continue
		}
		for _, ref := range refsIn(contents) {
			pages[ref] = dict
		}
	}
	return pages
}

// pdfNum reads a PDF number token.
func pdfNum(tok []byte) (float64, bool) {
	tok = bytes.TrimSpace(tok)
	if len(tok) == 0 {
		return 0, false
	}
	return pdfNumber(tok)
}

// deref returns the dictionary v is, or refers to (N G R).
func (h *pdfHeld) deref(v []byte) []byte {
	if refs := refsIn(v); len(refs) == 1 && !bytes.HasPrefix(bytes.TrimLeft(v, pdfSpace), []byte("<<")) {
		return h.objs[refs[0]]
	}
	return v
}

// dictValue returns the value of key in the dictionary text dict: a
// nested dictionary or array whole, a reference (N G R), or one token;
// nil when the key is not there. The first occurrence of the key at any
// depth counts, which for the dictionaries read here is their own.
func dictValue(dict []byte, key string) []byte {
	for from := 0; from < len(dict); {
		k := bytes.Index(dict[from:], []byte(key))
		if k < 0 {
			return nil
		}
		k += from
		from = k + len(key)
		if from < len(dict) && isRegularPDF(dict[from]) {
			continue // a longer name (/Font in /FontDescriptor)
		}
		v := bytes.TrimLeft(dict[from:], pdfSpace)
		switch {
		case bytes.HasPrefix(v, []byte("<<")):
			return balanced(v, "<<", ">>")
		case bytes.HasPrefix(v, []byte("[")):
			return balanced(v, "[", "]")
		}
		fields := bytes.Fields(v[:min(len(v), 40)])
		if len(fields) >= 3 && bytes.HasPrefix(fields[2], []byte("R")) && isNumber(fields[0]) && isNumber(fields[1]) {
			end := bytes.Index(v, []byte("R"))
			return v[:end+1]
		}
		end := 0
		if end < len(v) && v[end] == '/' {
			end++
		}
		for end < len(v) && isRegularPDF(v[end]) {
			end++
		}
		return v[:end]
	}
	return nil
}

// balanced returns the prefix of v from its opening delimiter to the
// matching close, or all of v when it is cut.
func balanced(v []byte, open, close string) []byte {
	depth := 0
	for k := 0; k < len(v); {
		switch {
		case bytes.HasPrefix(v[k:], []byte(open)):
			depth++
			k += len(open)
		case bytes.HasPrefix(v[k:], []byte(close)):
			depth--
			k += len(close)
			if depth == 0 {
				return v[:k]
			}
		default:
			k++
		}
	}
	return v
}

// refsIn returns the object numbers of the references (N G R) in v.
func refsIn(v []byte) []int {
	var refs []int
	f := bytes.FieldsFunc(v, func(r rune) bool {
		return r == '[' || r == ']' || r == '<' || r == '>' || r < 0x80 && isPDFSpace(byte(r))
	})
	for k := 0; k+2 < len(f); k++ {
		if string(f[k+2]) == "R" && isNumber(f[k]) && isNumber(f[k+1]) {
			if n, err := strconv.Atoi(string(f[k])); err == nil {
				refs = append(refs, n)
			}
			k += 2
		}
	}
	return refs
}

// isNumber reports whether b is a run of ASCII digits.
func isNumber(b []byte) bool {
	if len(b) == 0 || len(b) > 10 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isRegularPDF reports whether c is a PDF regular character (neither white
// space nor a delimiter).
func isRegularPDF(c byte) bool { return pdfPlain[c].token }

// objTap finds a PDF's objects in its raw bytes as they are read: the
// dictionary of each "N G obj", up to its "endobj" or "stream" keyword.
type objTap struct {
	h    *pdfHeld
	num  int    // the object being read; -1: none
	cur  []byte // the first pdfObjMax bytes of its text since "obj"
	prev []byte // the last bytes of the last read, for keywords across reads
	win  []byte // prev and the bytes read
}

// objTapKeep is how many bytes of a read the tap keeps for the next: a
// keyword and the "N G " before it.
const objTapKeep = 32

// feed reads the next raw bytes of the PDF.
func (t *objTap) feed(b []byte) {
	t.win = append(append(t.win[:0], t.prev...), b...)
	w, base := t.win, len(t.prev)
	pos := base // the bytes before pos are in cur already, or in no object
	for from := 0; ; {
		k := bytes.Index(w[from:], []byte("obj"))
		if k < 0 {
			break
		}
		k += from
		from = k + 3
		switch {
		case from < base:
			continue // decided with the last read
		case from == len(w):
			// The byte after it tells: the next read decides (the same
			// however the PDF is cut).
		case isRegularPDF(w[from]):
			continue // part of a longer word
		}
		if from == len(w) {
			break
		}
		switch {
		case k >= 3 && string(w[k-3:k]) == "end":
			t.add(w[pos:max(pos, k-3)])
			t.end()
		case k > 0 && isPDFSpace(w[k-1]):
			num, ok := objNumber(w[max(0, k-objTapKeep+4):k])
			if !ok {
				continue
			}
			t.add(w[pos:max(pos, k)])
			t.end()
			t.num, t.cur = num, t.cur[:0]
		default:
			continue
		}
		pos = max(pos, from)
	}
	t.add(w[pos:])
	t.prev = append(t.prev[:0], w[max(0, len(w)-objTapKeep):]...)
}

// add appends bytes of the current object, up to pdfObjMax: a longer
// object keeps its first bytes (whichever reads brought them, the same
// prefix), and end cuts them at their last ">>" or "]".
func (t *objTap) add(b []byte) {
	if t.num < 0 {
		return
	}
	t.cur = append(t.cur, b[:min(len(b), pdfObjMax-len(t.cur))]...)
}

// end ends the current object at its "endobj" or "stream" keyword and
// keeps its dictionary or array (up to its last ">>" or "]": the keyword,
// or a part of it read before, is not kept). It returns the object's number (-1: none)
// and dictionary.
func (t *objTap) end() (int, []byte) {
	num := t.num
	var dict []byte
	if num >= 0 {
		cur := bytes.TrimLeft(t.cur, pdfSpace)
		switch {
		case bytes.HasPrefix(cur, []byte("<<")):
			if k := bytes.LastIndex(cur, []byte(">>")); k >= 0 {
				dict = cur[:k+2]
			}
		case bytes.HasPrefix(cur, []byte("[")): // an array: /W, /Widths
			if k := bytes.LastIndexByte(cur, ']'); k >= 0 {
				dict = cur[:k+1]
			}
		}
		t.h.keepObject(num, dict)
	}
	t.num, t.cur = -1, t.cur[:0]
	return num, dict
}

// objNumber reads "N G" right before an "obj" keyword at the end of b.
func objNumber(b []byte) (int, bool) {
	b = bytes.TrimRight(b, pdfSpace)
	k := len(b)
	for k > 0 && b[k-1] >= '0' && b[k-1] <= '9' {
		k--
	}
	if k == len(b) || k == 0 || !isPDFSpace(b[k-1]) {
		return 0, false
	}
	b = bytes.TrimRight(b[:k], pdfSpace)
	j := len(b)
	for j > 0 && b[j-1] >= '0' && b[j-1] <= '9' {
		j--
	}
	if j == len(b) || j > 0 && isRegularPDF(b[j-1]) {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[j:]))
	return n, err == nil && j < len(b)
}
