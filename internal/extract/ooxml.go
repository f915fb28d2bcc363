package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/transform"
)

// Office Open XML: the parts that hold text are read as XML; spreadsheet
// cells become tab-separated rows, so a sheet's first row is the header the
// scanner reads columns by. A number Excel stores in a cell is read as the
// digits of its <v> text: up to 15 significant digits survive (mobiles,
// 16-digit cards read as text), but an 18-digit ID typed as a number is
// stored as 1.10101199003078E+17 and is lost before it ever leaves.

const sharedStringsPart = "xl/sharedStrings.xml"

// maxCell bounds one cell's text (Excel allows 32,767 characters).
const maxCell = 64 << 10

// maxColumn bounds the column index a cell reference may jump to.
const maxColumn = 16384

// partKind is how an archive member is read.
type partKind uint8

const (
	partContent partKind = iota // sniffed: nested archive, OLE, text
	partSkip                    // OOXML parts without user text
	partSheet                   // spreadsheet cells
	partXML                     // text of an XML part
	partODF                     // an OpenDocument file's content.xml
)

// office is what an archive says about being an OOXML document.
type office struct {
	on     bool          // an OOXML package
	odf    bool          // an OpenDocument package
	shared sharedStrings // spreadsheet shared strings, when read ahead
	loaded bool
	size   int64 // bytes of shared strings charged to the hold budget
}

// see notes a member name: [Content_Types].xml marks an OOXML package,
// mimetype (an OpenDocument package's first member, so a streamed
// archive knows before content.xml) or META-INF/manifest.xml an
// OpenDocument package (ods, odt, odp).
func (o *office) see(name string) {
	switch name {
	case "[Content_Types].xml":
		o.on = true
	case "mimetype", "META-INF/manifest.xml":
		o.odf = true
	}
}

// skipParts are OOXML parts without user text: styles, themes, layouts.
var skipParts = []string{
	"[Content_Types].xml", "xl/styles.xml", "xl/theme/", "xl/calcChain.xml",
	"word/styles.xml", "word/theme/", "word/fontTable.xml", "word/settings.xml",
	"word/webSettings.xml", "word/numbering.xml", "ppt/theme/", "ppt/slideLayouts/",
	"ppt/slideMasters/", "ppt/presProps.xml", "ppt/viewProps.xml", "ppt/tableStyles.xml",
}

func (o *office) kind(name string) partKind {
	if o.odf && !o.on {
		switch name {
		case "content.xml":
			return partODF
		case "styles.xml", "settings.xml", "META-INF/manifest.xml":
			return partSkip
		}
		return partContent
	}
	if !o.on {
		return partContent
	}
	switch {
	case strings.HasSuffix(name, ".rels"):
		return partSkip
	case name == sharedStringsPart:
		if o.loaded {
			return partSkip
		}
		return partXML
	case strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml"):
		return partSheet
	}
	for _, p := range skipParts {
		if name == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(name, p)) {
			return partSkip
		}
	}
	if strings.HasSuffix(name, ".xml") {
		return partXML
	}
	return partContent
}

// sharedStrings are a spreadsheet's shared strings, stored end to end
// (one allocation for all of them, not one per string).
type sharedStrings struct {
	text []byte
	ends []int
}

func (s *sharedStrings) add(v []byte) {
	s.text = append(s.text, v...)
	s.ends = append(s.ends, len(s.text))
}

// get returns string i, or nil if there is none.
func (s *sharedStrings) get(i int) []byte {
	if i < 0 || i >= len(s.ends) {
		return nil
	}
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.text[start:s.ends[i]]
}

// loadShared reads a spreadsheet's shared strings, charged to the hold
// budget; past it the rest stay unresolved (ReasonOverLimit).
func (x *Extractor) loadShared(f *zip.File, o *office) error {
	o.loaded = true
	rc := x.open(f)
	if rc == nil {
		return nil
	}
	defer rc.Close()
	m := x.member(rc, func() int64 { return int64(f.CompressedSize64) })
	z := x.newXMLScanner(m)
	defer z.release(x)
	// The text is at most the part's XML: sized once from the header (as far
	// as the hold budget and the ratio limit let it grow), it is not copied
	// over and over as it grows, which with the garbage it left cost about a
	// tenth of a spreadsheet's time.
	if o.shared.text == nil {
		hint := min(f.UncompressedSize64, f.CompressedSize64*uint64(x.lim.MaxRatio), uint64(max(x.lim.Hold-x.held, 0)))
		o.shared.text = make([]byte, 0, hint)
	}
	var cur []byte
	in, skip := false, 0
	for {
		k, err := z.next()
		switch {
		case err == nil: // first: errors.Is per token cost 2% of a sheet
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errStopped):
			return err
		case err != nil:
			if !m.hit {
				x.fail(ReasonDecodeError)
			}
			return nil
		}
		switch {
		case k == xmlText:
			if in {
				cur = z.appendText(cur, maxCell)
			}
		case k == xmlStart && string(z.name) == "si":
			cur = cur[:0]
		case k == xmlStart && string(z.name) == "t":
			in = skip == 0 && !z.self
		case k == xmlStart && string(z.name) == "rPh": // phonetic guide: not part of the text
			skip += boolInt(z.self, 0, 1)
		case k == xmlEnd && string(z.name) == "t":
			in = false
		case k == xmlEnd && string(z.name) == "rPh":
			skip--
		case k == xmlEnd && string(z.name) == "si":
			if x.held+int64(len(cur)) > x.lim.Hold {
				x.fail(ReasonOverLimit)
				return nil
			}
			x.held += int64(len(cur))
			o.size += int64(len(cur))
			o.shared.add(cur)
		}
	}
}

// newXMLDecoder returns a decoder that also reads XML declared in a legacy
// charset.
func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		e := legacyEncoding(label)
		if e == nil {
			return in, nil
		}
		return transform.NewReader(in, e.NewDecoder()), nil
	}
	return d
}

// sheet writes a worksheet as tab-separated rows. Cells keep their column
// (empty cells are omitted in the XML), shared strings are resolved.
func (x *Extractor) sheet(r io.Reader, shared *sharedStrings) error {
	z := x.newXMLScanner(r)
	defer z.release(x)
	c := sheetCell{x: x, shared: shared}
	for {
		k, err := z.next()
		if err != nil { // errors.Is per token cost 2% of a sheet
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch k {
		case xmlText:
			if c.in {
				c.text = z.appendText(c.text, maxCell)
			}
		case xmlStart:
			c.start(z)
			if z.self {
				c.end(z.name)
			}
		case xmlEnd:
			c.end(z.name)
		}
		if c.over {
			return errLimit
		}
	}
}

// sheetCell is the state of a worksheet being written.
type sheetCell struct {
	x         *Extractor
	shared    *sharedStrings
	text      []byte // the cell's text
	shareIdx  bool   // t="s": text is an index into shared
	col, tabs int    // the cell's column; tabs written in the row
	skip      int    // depth in phonetic guides (rPh)
	in        bool   // in a <v> or <t>
	over      bool   // MaxTotal was passed: stop
}

func (c *sheetCell) start(z *xmlScanner) {
	switch string(z.name) {
	case "row":
		c.col, c.tabs = 0, 0
	case "c":
		t, r := cellAttrs(z.attrs)
		c.shareIdx = string(t) == "s"
		if k := columnIndex(r); k >= c.col {
			c.col = min(k, maxColumn)
		}
		c.text = c.text[:0]
	case "v", "t":
		c.in = c.skip == 0
	case "rPh":
		c.skip++
	}
}

func (c *sheetCell) end(name []byte) {
	switch string(name) {
	case "v", "t":
		c.in = false
	case "rPh":
		c.skip--
	case "c":
		v := c.text
		if c.shareIdx {
			v = nil
			if i, ok := cellIndex(c.text); ok {
				v = c.shared.get(i)
			}
		}
		// The tabs to a far column and a shared string written per cell
		// are text the sheet's XML does not hold: they count against
		// MaxTotal (see wrote). A cell naming a 64 KiB shared string
		// takes about 30 bytes of XML.
		extra := max(c.col-c.tabs, 0)
		if c.shareIdx {
			extra += len(v)
		}
		if !c.x.wrote(extra) {
			c.over = true
			return
		}
		for ; c.tabs < c.col; c.tabs++ {
			c.x.emitByte('\t')
		}
		c.x.emitCell(v)
		c.col++
	case "row":
		c.x.emitByte('\n')
	}
}

// cellAttrs returns the type (t) and reference (r) attributes of a cell,
// as attrValue would, in one pass over the attributes: there is a cell
// tag per value of a sheet.
func cellAttrs(attrs []byte) (t, r []byte) {
	for t == nil || r == nil {
		name, value, rest, ok := nextAttr(attrs)
		if !ok {
			break
		}
		switch {
		case t == nil && string(name) == "t":
			t = value
		case r == nil && string(name) == "r":
			r = value
		}
		attrs = rest
	}
	return t, r
}

// cellIndex parses a shared-string index.
func cellIndex(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// emitCell writes a cell's text with its tabs and line breaks as spaces,
// so it stays one cell of its row.
func (x *Extractor) emitCell(v []byte) {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != '\t' && v[i] != '\n' && v[i] != '\r' {
			i++
		}
		x.emit(v[:i])
		if i < len(v) {
			x.emitByte(' ')
			i++
		}
		v = v[i:]
	}
}

// columnIndex returns the zero-based column of a cell reference such as
// "B3", or -1.
func columnIndex(ref []byte) int {
	k := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		k = k*26 + int(ref[i]-'A'+1)
		if k > maxColumn {
			return maxColumn
		}
	}
	if i == 0 {
		return -1
	}
	return k - 1
}

// xmlText writes the text of an XML part (document body, slides, comments,
// properties): runs of a paragraph joined, paragraphs and other elements
// on lines of their own, table cells tab-separated, each table a part of
// its own so its first row can be a header.
func (x *Extractor) xmlText(r io.Reader) error {
	d := newXMLDecoder(r)
	// A line ends after an element whose own text was written, unless the
	// element is a run of a paragraph (t, r, ...) that joins the next one.
	dirty := false
	depth, textDepth, inCell := 0, 0, 0
	// The space between a cell's paragraphs and the tab after a cell wait
	// for what comes next: a cell's text ends without a space (姓名, not
	// 姓名 , which texttable does not take for a header cell), and a row of
	// one cell (a title merged across the table, 客户登记表) is a line of
	// its own, not a row of cells that would stand between the table's
	// header and the text above it.
	cells := 0
	var pending byte
	flush := func() {
		if pending != 0 {
			x.emitByte(pending)
			pending = 0
		}
	}
	sep := func(c byte) {
		flush()
		x.emitByte(c)
		dirty = false
	}
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			switch tk.Name.Local {
			case "tbl":
				flush() // an outer cell's tab belongs before the nested table
				x.boundary()
			case "tc":
				inCell++
				cells++
			case "tab":
				sep('\t')
			case "br", "cr":
				sep(boolByte(inCell > 0, ' ', '\n'))
			}
		case xml.EndElement:
			switch tk.Name.Local {
			case "t", "r", "v", "is", "rPr", "tab", "br", "cr", "hyperlink", "smartTag", "ins", "fldSimple", "sdtContent":
			case "p":
				if inCell > 0 {
					flush()
					pending, dirty = ' ', false
					break
				}
				sep('\n')
			case "tc":
				inCell = max(inCell-1, 0)
				pending, dirty = '\t', false // the paragraph's space is dropped
			case "tr":
				if cells <= 1 && pending == '\t' {
					pending = 0
				}
				cells = 0
				sep('\n')
			case "tbl":
				flush()
				x.boundary()
			default:
				if dirty && textDepth == depth {
					sep('\n')
				}
			}
			depth--
		case xml.CharData:
			flush()
			x.emit(tk)
			dirty, textDepth = true, depth
		}
	}
}
