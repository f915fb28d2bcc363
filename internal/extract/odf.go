package extract

import (
	"errors"
	"io"
	"strconv"
)

// OpenDocument files (ods, odt, odp: LibreOffice's and WPS's ODF formats)
// keep their text in content.xml. Read as plain XML, a spreadsheet's cells
// had no columns: a 300-row list as .ods counted its IDs, mobiles, cards
// and e-mail but no names, addresses or passports. Its tables are now
// written as a sheet is: each table a part of its own, a line per row, a
// tab before each column, so a header row labels its columns.

// maxRepeat bounds how many columns a repeated cell moves on by.
const maxRepeat = 1024

// odfText writes the content.xml of an OpenDocument file: tables as rows
// of tab-separated cells, paragraphs outside tables as lines. A number
// cell is written as its value (office:value), not as formatted.
func (x *Extractor) odfText(r io.Reader) error {
	z := x.newXMLScanner(r)
	defer z.release(x)
	o := odfWriter{x: x}
	for {
		k, err := z.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch k {
		case xmlText:
			if o.skip == 0 && o.para > 0 {
				o.text = z.appendText(o.text, maxCell)
				o.flush()
			}
		case xmlStart:
			o.start(z)
			if z.self {
				o.end(string(z.name))
			}
		case xmlEnd:
			o.end(string(z.name))
		}
		if o.over {
			return errLimit
		}
	}
}

// odfWriter is the state of a content.xml being written.
type odfWriter struct {
	x      *Extractor
	tables int    // depth in tables
	cells  int    // depth in cells
	para   int    // depth in paragraphs and headings
	skip   int    // depth in annotations
	text   []byte // the paragraph's, or the cell's, text so far
	value  []byte // a number cell's value
	repeat int    // columns the cell spans
	col    int    // the cell's column
	tabs   int    // tabs written in the row
	row    bool   // the row has written a cell
	over   bool   // MaxTotal was passed: stop
}

func (o *odfWriter) start(z *xmlScanner) {
	if o.skip > 0 {
		if string(z.name) == "annotation" && !z.self {
			o.skip++
		}
		return
	}
	switch string(z.name) {
	case "annotation":
		if !z.self {
			o.skip++
		}
	case "table":
		o.tables++
		o.x.boundary()
	case "table-row":
		o.col, o.tabs, o.row = 0, 0, false
	case "table-cell", "covered-table-cell":
		o.cells++
		o.text, o.value = o.text[:0], o.value[:0]
		o.repeat = 1
		if n, err := strconv.Atoi(string(attrValue(z.attrs, "number-columns-repeated"))); err == nil && n > 1 {
			o.repeat = min(n, maxRepeat)
		}
		switch string(attrValue(z.attrs, "value-type")) {
		case "float", "percentage", "currency":
			o.value = append(o.value, attrValue(z.attrs, "value")...)
		}
	case "p", "h":
		if o.para == 0 && o.cells > 0 && len(o.text) > 0 {
			o.text = append(o.text, ' ') // the cell's next paragraph
		}
		o.para++
	case "s":
		o.space(' ')
	case "tab":
		o.space('\t')
	case "line-break":
		o.space('\n')
	}
}

// space writes a space, tab or line break of a paragraph: in a cell, a
// space (the cell stays in its column).
func (o *odfWriter) space(c byte) {
	if o.para == 0 {
		return
	}
	if o.cells > 0 {
		c = ' '
	}
	o.text = append(o.text, c)
	o.flush()
}

// flush writes the text of a paragraph outside a table as it comes: it
// may be longer than a cell's maxCell (a text's paragraph of lines).
func (o *odfWriter) flush() {
	if o.cells == 0 {
		o.x.emit(o.text)
		o.text = o.text[:0]
	}
}

func (o *odfWriter) end(name string) {
	if o.skip > 0 {
		if name == "annotation" {
			o.skip--
		}
		return
	}
	switch name {
	case "table":
		if o.tables > 0 {
			o.tables--
		}
		o.x.boundary()
	case "table-row":
		if o.row {
			o.x.emitByte('\n')
		}
	case "table-cell", "covered-table-cell":
		if o.cells == 0 {
			return
		}
		o.cells--
		v := o.text
		if len(o.value) > 0 {
			v = o.value
		}
		if len(v) > 0 {
			// The tabs to a far column are text the XML does not hold:
			// they count against MaxTotal (see wrote).
			if !o.x.wrote(max(o.col-o.tabs, 0)) {
				o.over = true
				return
			}
			for ; o.tabs < o.col; o.tabs++ {
				o.x.emitByte('\t')
			}
			o.x.emitCell(v)
			o.row = true
		}
		o.col = min(o.col+o.repeat, maxColumn)
		o.text = o.text[:0]
	case "p", "h":
		if o.para == 0 {
			return
		}
		if o.para--; o.para == 0 && o.cells == 0 {
			o.x.emit(o.text)
			o.x.emitByte('\n')
			o.text = o.text[:0]
		}
	}
}
