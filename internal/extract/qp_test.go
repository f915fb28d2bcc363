package extract

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// qpAll decodes body with newQPReader, reading body in pieces of size
// piece (0: whole) into reads of size out.
func qpAll(tb testing.TB, body []byte, piece, out int) []byte {
	tb.Helper()
	var src io.Reader = bytes.NewReader(body)
	if piece > 0 {
		src = &pieceReader{b: body, n: piece}
	}
	q := newQPReader(src)
	var got []byte
	buf := make([]byte, out)
	for {
		n, err := q.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got
		}
		if err != nil {
			tb.Fatalf("read: %v", err)
		}
	}
}

// pieceReader hands out b in reads of at most n bytes.
type pieceReader struct {
	b []byte
	n int
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	k := copy(b[:min(len(b), p.n)], p.b)
	p.b = p.b[k:]
	return k, nil
}

// TestQPDecode: the lenient decoder's rules, each case whole, in input
// pieces of 1 to 64 bytes and into outputs of 1, 2, 3 and 4096 bytes.
func TestQPDecode(t *testing.T) {
	long := strings.Repeat("x", 5000)
	blanks := strings.Repeat(" \t", qpBuf+5) // a run of blanks longer than two buffers
	cases := []struct{ name, in, want string }{
		{"plain", "abc\r\ndef\n", "abc\r\ndef\n"},
		{"escapes upper and lower case", "=E5=ae=A2=e6=88=b7", "客户"},
		{"soft break", "1381234=\r\n5678\r\n", "13812345678\r\n"},
		{"soft break lf", "1381234=\n5678", "13812345678"},
		{"soft break padded", "1381234= \t \r\n5678", "13812345678"},
		{"soft break crcrlf", "1381234=\r\r\n5678\r\r\n", "13812345678\r\n"},
		{"soft break crs and blanks", "1381234=\r \r\t\r\n5678", "13812345678"},
		{"soft break at the end", "13812345678=", "13812345678"},
		{"soft break and blanks at the end", "13812345678= \r", "13812345678"},
		{"trailing blanks", "a \t \r\nb\t\nc  ", "a\r\nb\nc"},
		{"line end crs", "a\r\r\r\nb\r \n", "a\r\nb\n"},
		{"blanks inside a line", "a \t b\rc", "a \t b\rc"},
		{"equals junk", "k=v =Q= 1+1=2\r\n=G0=\tx=", "k=v =Q= 1+1=2\r\n=G0=\tx"},
		{"equals then cr within a line", "a=\rb", "a=\rb"},
		{"escape cut by the end", "ab=E", "ab=E"},
		{"equals before equals", "==41", "=A"},
		{"control and 8-bit bytes", "\x00\x01\x7f\xe5\xae\xa2\x1b", "\x00\x01\x7f\xe5\xae\xa2\x1b"},
		{"long line", long + "=E5=AE=A2 \r\n", long + "客\r\n"},
		{"long blank run then text", "a" + blanks + "b", "a" + blanks + "b"},
		{"long blank run then line end", "a" + blanks + "\nb", "a" + blanks[:2*qpBuf] + "\nb"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for piece := range 65 {
				for _, out := range []int{1, 2, 3, 4096} {
					if got := qpAll(t, []byte(c.in), piece, out); string(got) != c.want {
						t.Fatalf("pieces of %d, reads of %d: %q, want %q", piece, out, trim(got), trim([]byte(c.want)))
					}
				}
			}
		})
	}
}

// trim shortens a decoded text for a failure message.
func trim(b []byte) []byte { return b[:min(len(b), 80)] }

// qpShape is a list quoted-printable in an .eml as some encoder or hand
// writes it, and the text it decodes to.
type qpShape struct {
	name        string
	plain, body []byte
}

// qpShapes returns recs as a CSV quoted-printable in the shapes
// mime/quotedprintable rejects or splits values in.
func qpShapes(tb testing.TB, recs []corpus.Record) []qpShape {
	rows := csvRows(recs)
	crlf := bytes.ReplaceAll(csvBytes(rows), []byte("\n"), []byte("\r\n"))
	enc := qpEncode(tb, crlf)
	noted := make([][]string, len(rows))
	for i, r := range rows {
		note := "k=v =Q= 1+1=2 \a\x1f\x7f"
		if i == 0 {
			note = "备注"
		}
		noted[i] = append(r[:len(r):len(r)], note)
	}
	notedCRLF := bytes.ReplaceAll(csvBytes(noted), []byte("\n"), []byte("\r\n"))
	junk := strings.NewReplacer("=3D", "=", "=07", "\a", "=1F", "\x1f", "=7F", "\x7f").Replace(qpEncode(tb, notedCRLF))
	split := enc
	for i, r := range recs {
		k := i%17 + 1
		split = strings.Replace(split, r.ResidentID, r.ResidentID[:k]+"=\r\n"+r.ResidentID[k:], 1)
	}
	lower := regexp.MustCompile(`=[0-9A-F]{2}`).ReplaceAllStringFunc(enc, strings.ToLower)
	head := emlHeader(recs, "Content-Type: text/csv; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n")
	shape := func(name string, plain []byte, body string) qpShape {
		return qpShape{name: name, plain: plain, body: []byte(head + body)}
	}
	return []qpShape{
		shape("python quopri crlf", crlf, strings.ReplaceAll(enc, "\r\n", "\r\r\n")),
		shape("lowercase hex", crlf, lower),
		shape("equals junk and control bytes", notedCRLF, junk),
		shape("trailing whitespace", crlf, strings.ReplaceAll(enc, "\r\n", " \t \r\n")),
		shape("soft break in every id position", crlf, split),
		shape("all at once", notedCRLF, strings.ReplaceAll(regexp.MustCompile(`=[0-9A-F]{2}`).ReplaceAllStringFunc(junk, strings.ToLower), "\r\n", " \r\r\n")),
	}
}

// TestEMLQuotedPrintableLenient: the 1,000-row list quoted-printable in
// the shapes mime/quotedprintable rejects ("=\r\r\n", control bytes: the
// body was a decode_error read on as raw text, its escaped labels no
// column context) or splits values in (a soft break inside every ID)
// counts what the plain CSV counts, for every detector.
func TestEMLQuotedPrintableLenient(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(42, 1000)
	for _, sh := range qpShapes(t, recs) {
		t.Run(sh.name, func(t *testing.T) {
			want := scanPlain(e, sh.plain)
			for _, d := range inspect.AllDetectors() {
				if d != inspect.TravelPermit && want[d] != 1000 {
					t.Fatalf("plain csv counts %d of %v, want 1000", want[d], d)
				}
			}
			for _, chunk := range []int{0, 7, 4096} {
				got := extract(t, e, sh.body, "", Limits{}, chunk)
				if got.counts != want || len(got.reasons) > 0 {
					t.Errorf("chunk %d: counts %v %v, want %v", chunk, got.counts, got.reasons, want)
				}
			}
		})
	}
}

// TestEMLQuotedPrintableLenientChunks: the shapes of a 40-row list count
// what the plain CSV counts in writes of 1 to 64 bytes, and Settled
// releases no value before it is counted.
func TestEMLQuotedPrintableLenientChunks(t *testing.T) {
	e := newTestEngine(t)
	for _, sh := range qpShapes(t, corpus.Records(5, 40)) {
		t.Run(sh.name, func(t *testing.T) {
			want := scanPlain(e, sh.plain)
			if want[inspect.ResidentID] != 40 || want[inspect.Name] != 40 {
				t.Fatalf("plain csv counts %v", want)
			}
			for chunk := 1; chunk <= 64; chunk++ {
				if got := extract(t, e, sh.body, "", Limits{}, chunk); got.counts != want || len(got.reasons) > 0 {
					t.Fatalf("%d-byte writes: %v %v, want %v", chunk, got.counts, got.reasons, want)
				}
			}
			for _, chunk := range []int{1, 7, 64, 4096} {
				stride := 0
				if chunk < 64 {
					stride = 256
				}
				checkLeakBudget(t, e, sh.body, "", Limits{}, chunk, stride)
			}
		})
	}
}
