package extract

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// tokens renders the token stream of doc, read in pieces of at most one
// byte when slow, as "<name attrs>", "</name>" and text with entities
// decoded; text pieces are joined.
func tokens(tb testing.TB, doc string, slow bool) (string, error) {
	tb.Helper()
	x := &Extractor{}
	var r io.Reader = strings.NewReader(doc)
	if slow {
		r = iotest.OneByteReader(r)
	}
	z := x.newXMLScanner(r)
	defer z.release(x)
	var b strings.Builder
	var text []byte
	for {
		k, err := z.next()
		if k != xmlText && len(text) > 0 {
			b.Write(text)
			text = text[:0]
		}
		if err != nil {
			return b.String(), err
		}
		switch k {
		case xmlText:
			text = z.appendText(text, 1<<20)
		case xmlStart:
			b.WriteString("<" + string(z.name) + "|" + strings.TrimSpace(string(z.attrs)))
			if z.self {
				b.WriteString("/")
			}
			b.WriteString(">")
		case xmlEnd:
			b.WriteString("</" + string(z.name) + ">")
		}
	}
}

func TestXMLScanner(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    string
		wantErr error
	}{
		{name: "cell", give: `<c r="B2" t="s"><v>12</v></c>`, want: `<c|r="B2" t="s"><v|>12</v></c>`},
		{name: "prolog and comment", give: `<?xml version="1.0"?><!-- note --><row/>`, want: `<row|/>`},
		{name: "prefixes", give: `<x:c r="A1"><x:v>1</x:v></x:c>`, want: `<c|r="A1"><v|>1</v></c>`},
		{name: "entities", give: `<t>a&amp;b &lt;&gt; &quot;&apos; &#20320;&#x597D; &bogus; &#xZZ; & x</t>`, want: `<t|>a&b <> "' 你好 &bogus; &#xZZ; & x</t>`},
		{name: "cdata", give: `<t><![CDATA[a<b>&amp;]]></t>`, want: `<t|>a<b>&amp;</t>`},
		{name: "quoted gt", give: `<c r="a>b"/>`, want: `<c|r="a>b"/>`},
		{name: "white space", give: "<c\n r='1'\t></c >", want: `<c|r='1'></c>`},
		{name: "truncated tag", give: `<row><c r="A1`, want: `<row|>`, wantErr: io.ErrUnexpectedEOF},
		{name: "long tag", give: "<c " + strings.Repeat("a", xmlBuf) + ">", wantErr: errTagTooLong},
		{name: "gbk declared", give: "<?xml version=\"1.0\" encoding=\"GBK\"?><t>\xc4\xe3\xba\xc3</t>", want: `<t|>你好</t>`},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			got, err := tokens(t, tt.give, slow)
			if tt.wantErr == nil {
				tt.wantErr = io.EOF
			}
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("%s (slow %v): got %q, %v; want %q, %v", tt.name, slow, got, err, tt.want, tt.wantErr)
			}
		}
	}
}

func TestAttrValue(t *testing.T) {
	tests := []struct {
		give, name string
		want       string
	}{
		{give: ` r="A1" t="s"`, name: "t", want: "s"},
		{give: ` r="A1" t="s"`, name: "r", want: "A1"},
		{give: ` tt="x" t='y'`, name: "t", want: "y"},
		{give: ` x:t = "z"`, name: "t", want: "z"},
		{give: ` r="A1"`, name: "t", want: ""},
		{give: ` r=A1 t="s"`, name: "t", want: ""},
	}
	for _, tt := range tests {
		if got := string(attrValue([]byte(tt.give), tt.name)); got != tt.want {
			t.Errorf("attrValue(%q, %q) = %q, want %q", tt.give, tt.name, got, tt.want)
		}
	}
}

// TestCellAttrs: one pass finds what attrValue finds, in any order.
func TestCellAttrs(t *testing.T) {
	for _, give := range []string{` r="A1" t="s"`, ` t="s" r="B2"`, ` s="1" r='C3'`, ` t="n"`, ``, ` r=A1 t="s"`, ` x:r="D4" t="inlineStr" r="E5"`} {
		gotT, gotR := cellAttrs([]byte(give))
		if wantT, wantR := attrValue([]byte(give), "t"), attrValue([]byte(give), "r"); string(gotT) != string(wantT) || string(gotR) != string(wantR) {
			t.Errorf("cellAttrs(%q) = %q, %q; want %q, %q", give, gotT, gotR, wantT, wantR)
		}
	}
}

func TestTagEnd(t *testing.T) {
	tests := []struct {
		give string
		want int
	}{
		{give: `<c r="A1">x`, want: 10},
		{give: `<a b='>' c=">">`, want: 15},
		{give: `<a b="x`, want: 0},
		{give: `<a b='x">'`, want: 0},
		{give: `<>`, want: 0},
		{give: `<a/>`, want: 4},
		{give: `<a`, want: 0},
	}
	for _, tt := range tests {
		if got := tagEnd([]byte(tt.give)); got != tt.want {
			t.Errorf("tagEnd(%q) = %d, want %d", tt.give, got, tt.want)
		}
	}
}

// FuzzXMLScanner: the tokenizer never panics or loops, reads the same
// tokens whether the input comes whole or a byte at a time, and on XML
// that encoding/xml accepts it finds the same character data.
func FuzzXMLScanner(f *testing.F) {
	f.Add(`<?xml version="1.0"?><sst><si><t>张三</t><rPh><t>x</t></rPh></si></sst>`)
	f.Add(`<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c><c r="C1"><v>13800138000</v></c></row>`)
	f.Add(`<t><![CDATA[x]]></t><!-- c --><a b='>'/>`)
	f.Add("<?xml version=\"1.0\" encoding=\"utf-16\"?>")
	f.Fuzz(func(t *testing.T, doc string) {
		whole, werr := tokens(t, doc, false)
		slow, serr := tokens(t, doc, true)
		if whole != slow || !errors.Is(werr, serr) && !errors.Is(serr, werr) {
			t.Fatalf("whole %q, %v; byte by byte %q, %v", whole, werr, slow, serr)
		}
		lines := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(doc)      // XML line-end normalisation
		transcoded := xmlEncoding([]byte(doc[:min(len(doc), prologMax)])) != nil // e.g. BOM-less UTF-16, sniffed on purpose
		if errors.Is(werr, io.EOF) && !transcoded && strings.Count(doc, "<") == 0 && !strings.Contains(doc, "&") && !strings.Contains(whole, lines) {
			t.Fatalf("text-only document %q read as %q", doc, whole)
		}
		if hasDirective(doc) {
			return // <!DOCTYPE ...>: quoting rules differ, and sheets have none
		}
		var std strings.Builder
		d := xml.NewDecoder(strings.NewReader(doc))
		d.Strict = true
		for {
			tok, err := d.RawToken()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					return // not well-formed: no reference to compare with
				}
				break
			}
			if cd, ok := tok.(xml.CharData); ok {
				std.Write(cd)
			}
		}
		if got := textOf(t, doc); got != std.String() {
			t.Fatalf("character data %q, encoding/xml %q", got, std.String())
		}
	})
}

// hasDirective reports whether doc holds "<!" other than a comment or
// CDATA section.
func hasDirective(doc string) bool {
	for i := strings.Index(doc, "<!"); i >= 0; i = strings.Index(doc, "<!") {
		doc = doc[i+2:]
		if !strings.HasPrefix(doc, "--") && !strings.HasPrefix(doc, "[CDATA[") {
			return true
		}
	}
	return false
}

// textOf returns the character data of doc, entities decoded.
func textOf(tb testing.TB, doc string) string {
	tb.Helper()
	x := &Extractor{}
	z := x.newXMLScanner(strings.NewReader(doc))
	defer z.release(x)
	var text []byte
	for {
		k, err := z.next()
		if err != nil {
			return string(text)
		}
		if k == xmlText {
			text = z.appendText(text, 1<<20)
		}
	}
}
