package extract

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestCharsetEvasion: a label or a byte order mark the bytes do not bear
// out does not turn a customer list into other text. Every shape counts
// what the list holds, and a charset that cannot be decoded without hiding
// ASCII is reported as well.
func TestCharsetEvasion(t *testing.T) {
	e := newTestEngine(t)
	plain := csvBytes(csvRows(corpus.Records(7, 1000)))
	want := scanPlain(e, plain)
	han := []byte(strings.Repeat("客户名单请查收以下为本季度全部记录", 40) + "\n")
	opening := append(han, plain...)
	rows := csvRows(corpus.Records(7, 1000))
	headless := csvBytes(rows[1:]) // what a list counts once its header row is garbled
	utf16Head := encodeText(t, utf16LE, han)
	tests := []struct {
		name  string
		give  []byte
		ctype string
		same  []byte // the text a bare scan of which gives the counts; nil: the list
		want  []string
	}{
		{name: "utf-16le declared on utf-8", give: plain, ctype: "text/csv; charset=utf-16le"},
		{name: "utf-16be declared on utf-8", give: plain, ctype: "text/csv; charset=UTF-16BE"},
		{name: "utf-16 declared on utf-8", give: plain, ctype: "text/csv; charset=utf-16"},
		{name: "iso-2022-kr", give: plain, ctype: "text/csv; charset=iso-2022-kr", want: []string{ReasonUnsupportedEncoding}},
		{name: "hz-gb-2312", give: plain, ctype: "text/csv; charset=hz-gb-2312", want: []string{ReasonUnsupportedEncoding}},
		{name: "replacement", give: plain, ctype: "application/octet-stream; charset=replacement", want: []string{ReasonUnsupportedEncoding}},
		{name: "iso-2022-jp", give: append([]byte("\x1b$B"), plain...), ctype: "text/csv; charset=iso-2022-jp", same: append([]byte("\x1b$B"), plain...), want: []string{ReasonUnsupportedEncoding}},
		{name: "gbk declared on utf-8", give: plain, ctype: "text/csv; charset=gbk"},
		{name: "big5 declared on utf-8", give: plain, ctype: "text/csv; charset=big5"},
		{name: "le bom and a utf-16 word on utf-8", give: append([]byte("\xff\xfeh\x00i\x00\n\x00"), plain...), same: append([]byte("\xff\xfeh\x00i\x00\n\x00"), plain...)},
		{name: "le bom on utf-8", give: append([]byte("\xff\xfe"), plain...)},
		{name: "be bom on utf-8", give: append([]byte("\xfe\xff"), plain...)},
		{name: "le bom on utf-8 declared utf-16le", give: append([]byte("\xff\xfe"), plain...), ctype: "text/csv; charset=utf-16le"},
		{name: "le bom on gbk", give: append([]byte("\xff\xfe"), encodeText(t, gbk, plain)...)},
		{name: "utf-16 head then a utf-8 list", give: cat(utf16Head, plain), same: headless},
		{name: "utf-16 head then a gbk list", give: cat(utf16Head, encodeText(t, gbk, plain)), same: headless},
		{name: "utf-16 head declared then a utf-8 list", give: cat(utf16Head[2:], plain), ctype: "text/csv; charset=utf-16le", same: headless},
		{name: "utf-16 with bom opening with chinese text", give: encodeText(t, utf16LE, opening), same: opening},
		{name: "utf-16 declared opening with chinese text", give: encodeText(t, utf16LEPlain, opening), ctype: "text/plain; charset=utf-16le", same: opening},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := want
			if tt.same != nil {
				w = scanPlain(e, tt.same)
			}
			got := extract(t, e, tt.give, tt.ctype, Limits{}, 32<<10)
			if got.counts != w {
				t.Errorf("counts\n got %v\nwant %v", got.counts, w)
			}
			if !slices.Equal(got.reasons, tt.want) {
				t.Errorf("reasons %v, want %v", got.reasons, tt.want)
			}
			checkLeakBudget(t, e, tt.give, tt.ctype, Limits{}, 4096, len(tt.give)/8)
		})
	}
}

// TestXMLEncoding: an XML part's declaration or byte order mark is
// checked against its bytes as a text stream's is.
func TestXMLEncoding(t *testing.T) {
	doc := `<?xml version="1.0"?><sst><si><t>110101199003078515</t></si></sst>`
	tests := []struct {
		name string
		give []byte
		want encoding.Encoding
	}{
		{name: "utf-8", give: []byte(doc)},
		{name: "utf-16 with bom", give: encodeText(t, utf16LE, []byte(doc)), want: utf16LEBOM},
		{name: "bom on utf-8", give: append([]byte("\xff\xfe"), doc...)},
		{name: "gbk declared", give: []byte(`<?xml version="1.0" encoding="GBK"?><a/>`), want: simplifiedchinese.GB18030},
		{name: "iso-2022-jp declared", give: []byte(`<?xml version="1.0" encoding="iso-2022-jp"?><a/>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := xmlEncoding(tt.give); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDigitRun: the strided search finds what a byte-by-byte count finds.
func TestDigitRun(t *testing.T) {
	tests := []struct {
		give     string
		run      int
		wantHit  bool
		wantTail int
	}{
		{give: ""},
		{give: "12345", wantTail: 5},
		{give: "123456", wantHit: true},
		{give: "45", run: 4, wantHit: true},
		{give: "4x", run: 4},
		{give: "abcdefgh123456ijk", wantHit: true},
		{give: "1\x002\x003\x004\x005\x006\x00"},
		{give: "ab12345", wantTail: 5},
		{give: "12345x12345x", wantTail: 0},
	}
	for _, tt := range tests {
		if hit, tail := digitRun([]byte(tt.give), tt.run); hit != tt.wantHit || (!hit && tail != tt.wantTail) {
			t.Errorf("digitRun(%q, %d) = %v, %d; want %v, %d", tt.give, tt.run, hit, tail, tt.wantHit, tt.wantTail)
		}
	}
}

func FuzzDigitRun(f *testing.F) {
	f.Add([]byte("abcdefgh123456ijk"), uint8(0))
	f.Add([]byte("99x12345"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, run uint8) {
		r := int(run) % minDigitRun
		want, n := false, r
		for _, c := range b {
			if n = n + 1; c-'0' >= 10 {
				n = 0
			}
			want = want || n >= minDigitRun
		}
		hit, tail := digitRun(b, r)
		if hit != want || (!hit && tail != n) {
			t.Fatalf("digitRun(%q, %d) = %v, %d; want %v, %d", b, r, hit, tail, want, n)
		}
	})
}
