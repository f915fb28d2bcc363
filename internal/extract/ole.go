package extract

import (
	"errors"
	"io"
	"unicode/utf8"
)

// Legacy Office files (xls, doc, ppt) are OLE compound files. Without a
// full parser, the strings they store are recovered as runs of printable
// ASCII (Excel's "compressed" strings: IDs, phones, e-mail) and runs of
// printable UTF-16LE at either byte parity (Chinese text), each run on a
// line of its own. Numbers Excel stores as doubles, and column context for
// names and addresses, are lost.

// Shortest runs kept, in characters: short runs in binary data are noise.
const (
	minASCIIRun = 5
	minWideRun  = 4
	maxRun      = 4 << 10
)

// ole writes the string runs of an OLE file.
func (x *Extractor) ole(r io.Reader) error {
	// Runs in progress are the only bytes held past a chunk: one ASCII run
	// and two wide runs of at most maxRun bytes each.
	x.push(&frame{fixed: 3 * 2 * maxRun})
	defer x.pop()
	a := &asciiRun{x: x}
	w := [2]*wideRun{{x: x}, {x: x, skip: true}}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			a.feed(c)
			w[0].feed(c)
			w[1].feed(c)
		}
		if errors.Is(err, io.EOF) {
			a.end()
			w[0].end()
			w[1].end()
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// asciiRun collects printable ASCII.
type asciiRun struct {
	x   *Extractor
	run []byte
}

func (a *asciiRun) feed(c byte) {
	if (c >= 0x20 && c < 0x7F) || c == '\t' {
		a.run = append(a.run, c)
		if len(a.run) >= maxRun {
			a.end()
		}
		return
	}
	a.end()
}

func (a *asciiRun) end() {
	if len(a.run) >= minASCIIRun {
		a.x.emit(a.run)
		a.x.emitByte('\n')
	}
	a.run = a.run[:0]
}

// wideRun collects printable UTF-16LE code units as UTF-8.
type wideRun struct {
	x     *Extractor
	skip  bool // drop the first byte: read the odd parity
	lo    byte
	half  bool
	chars int
	run   []byte
}

func (w *wideRun) feed(c byte) {
	if w.skip {
		w.skip = false
		return
	}
	if !w.half {
		w.lo, w.half = c, true
		return
	}
	w.half = false
	u := rune(w.lo) | rune(c)<<8
	if !printableWide(u) {
		w.end()
		return
	}
	w.run = utf8.AppendRune(w.run, u)
	w.chars++
	if len(w.run) >= maxRun {
		w.end()
	}
}

func (w *wideRun) end() {
	if w.chars >= minWideRun {
		w.x.emit(w.run)
		w.x.emitByte('\n')
	}
	w.run, w.chars = w.run[:0], 0
}

// printableWide reports whether u is ASCII text, CJK or CJK punctuation
// and full-width forms.
func printableWide(u rune) bool {
	return (u >= 0x20 && u < 0x7F) || (u >= 0x3000 && u <= 0x303F) ||
		(u >= 0x3400 && u <= 0x4DBF) || (u >= 0x4E00 && u <= 0x9FFF) || (u >= 0xFF00 && u <= 0xFFEF)
}
