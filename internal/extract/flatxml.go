package extract

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Spreadsheets saved as one XML file: Excel's "XML Spreadsheet 2003"
// (what Excel saves as .xml and many web systems, ERP and OA exports, send
// as an ".xls" download) and LibreOffice's flat OpenDocument files (.fods,
// .fodt). Read as plain XML, their cells had no columns: a 1,000-row
// passport list as either counted no passports, names or addresses (red-
// team review 13). They are held, up to what is left of the hold budget,
// and their tables written as a sheet is: each table a part of its own, a
// line per row, a tab before each column, so a header row labels its
// columns. The held document is then read as text too, as it was before:
// what the sheet leaves out (comments, other elements, base64 such as an
// embedded object's binary data, a cell past maxCell) still counts, and a
// document that only mentions the format loses nothing. A larger file is
// read as text only, as before.

// isSpreadsheetML reports whether head starts an XML Spreadsheet 2003
// document: its processing instruction or its namespace.
func isSpreadsheetML(head []byte) bool {
	return xmlHead(head) && (bytes.Contains(head, []byte(`progid="Excel.Sheet"`)) ||
		bytes.Contains(head, []byte("urn:schemas-microsoft-com:office:spreadsheet")))
}

// isFlatODF reports whether head starts a flat OpenDocument file.
func isFlatODF(head []byte) bool {
	return xmlHead(head) && bytes.Contains(head, []byte("<office:document "))
}

// xmlHead reports whether head starts with an XML declaration (after a
// byte order mark and blanks).
func xmlHead(head []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("<?xml"))
}

// flatXML holds a one-file spreadsheet, writes it with parse (odfText or
// spreadsheetML) and then reads it as text in charset label; over the hold
// budget it is read as text only. A sheet that does not parse is no
// decode error: the text holds it all.
func (x *Extractor) flatXML(r io.Reader, parse func(io.Reader) error, label string, depth int) error {
	fr := x.push(&frame{fixed: infinite})
	defer x.pop()
	data, whole, err := x.hold(r)
	defer x.unhold(data)
	if err != nil {
		return err
	}
	text := func(r io.Reader) error {
		x.boundary()
		err := x.text(r, sniffCharset(data[:min(len(data), sniffLen)], label), depth, records{})
		x.boundary()
		return err
	}
	if !whole {
		held := bytes.NewReader(data)
		fr.fixed, fr.held = 0, func() int64 { return int64(held.Len()) }
		return text(io.MultiReader(held, r))
	}
	// The XML declaration names the encoding; without one, a charset the
	// Content-Type declares applies to bytes that are not UTF-8.
	var in io.Reader = bytes.NewReader(data)
	if cs := sniffCharset(data[:min(len(data), sniffLen)], label); prologEncoding(data) == nil && cs.declared && cs.legacy != nil && !utf8.Valid(data) {
		in = transform.NewReader(in, cs.legacy.NewDecoder())
	}
	x.boundary()
	err = parse(in)
	x.boundary()
	if errors.Is(err, errStopped) {
		return err
	}
	return text(bytes.NewReader(data))
}

// spreadsheetML writes an XML Spreadsheet 2003 document: each Worksheet a
// part of its own, each Row a line of tab-separated cells in their columns
// (ss:Index places a cell, ss:MergeAcross widens one), the text of a
// cell's Data (rich text's Font runs joined); comments are not cell text.
func (x *Extractor) spreadsheetML(r io.Reader) error {
	z := x.newXMLScanner(r)
	defer z.release(x)
	var (
		text        []byte
		col, tabs   int  // the cell's column; tabs written in the row
		span        int  // columns the cell takes (1 + ss:MergeAcross)
		inData      int  // depth in a cell's Data
		skip        int  // depth in comments
		row, inCell bool // the row has written a cell; in a cell
	)
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
			if inData > 0 && skip == 0 {
				text = z.appendText(text, maxCell)
			}
		case xmlStart:
			switch string(z.name) {
			case "Worksheet":
				x.boundary()
			case "Row":
				col, tabs, row = 0, 0, false
			case "Cell":
				inCell, text, span = true, text[:0], 1
				if n, err := strconv.Atoi(string(attrValue(z.attrs, "Index"))); err == nil && n >= 1 {
					col = min(max(col, n-1), maxColumn)
				}
				if n, err := strconv.Atoi(string(attrValue(z.attrs, "MergeAcross"))); err == nil && n > 0 {
					span = 1 + min(n, maxRepeat)
				}
			case "Comment":
				if !z.self {
					skip++
				}
			case "Data":
				if inCell && !z.self {
					inData++
				}
			}
			if z.self && string(z.name) == "Cell" {
				inCell = false
				col = min(col+span, maxColumn)
			}
		case xmlEnd:
			switch string(z.name) {
			case "Worksheet":
				x.boundary()
			case "Row":
				if row {
					x.emitByte('\n')
				}
			case "Comment":
				skip = max(skip-1, 0)
			case "Data":
				inData = max(inData-1, 0)
			case "Cell":
				if !inCell {
					break
				}
				inCell = false
				if len(text) > 0 {
					// The tabs to a far column are text the XML does not
					// hold: they count against MaxTotal (see wrote).
					if !x.wrote(max(col-tabs, 0)) {
						return errLimit
					}
					for ; tabs < col; tabs++ {
						x.emitByte('\t')
					}
					x.emitCell(text)
					row = true
				}
				col = min(col+span, maxColumn) // the next column, past the merged ones
			}
		}
	}
}
