package extract

import (
	"bufio"
	"io"
)

// Quoted-printable bodies (RFC 2045 6.7) are decoded leniently, as mail
// clients decode them: a body that mime/quotedprintable rejects (a soft
// break after a line end encoded twice, "=\r\r\n", as Python's quopri
// writes with CRLF input; '=' before anything but two hex digits; an
// unescaped control byte) still decodes, so its labels give the columns
// and its soft breaks join the values they split. Nothing is undecodable:
//
//   - "=XX" with hex digits in either case is the byte XX;
//   - '=', then spaces, tabs and CRs, then LF or the end of the body, is a
//     soft line break and decodes to nothing;
//   - spaces, tabs and CRs before a LF or the end of the body are dropped;
//     the line end is CRLF if a CR came right before the LF, else LF;
//   - '=' before anything else is the character '=';
//   - every other byte (control bytes, 8-bit bytes) is itself.
//
// A body mime/quotedprintable accepts decodes to the same bytes (FuzzQP).

// qpBuf is the size of a quoted-printable decoder's buffer. A run of
// blanks (after '=' or before a line end) that fills it whole is taken as
// text, not as padding: it is not held back for its end.
const qpBuf = 4 << 10

// Modes of qpDecode: how to treat a run at the end of the input that more
// input could make a soft break, a line end's blanks or an escape.
const (
	qpMore = iota // stop before it: more input comes
	qpEnd         // decide it: the body ends there
)

// qpReader decodes a quoted-printable body as it streams. It decodes
// straight from its buffer's bytes and keeps an undecided run there, so
// its input position is exact: everything before it is decoded.
type qpReader struct {
	br   *bufio.Reader
	n    int64 // input bytes decoded (discarded from br)
	want int   // bytes to peek before decoding again: more than an undecided run
	lit  int   // bytes at the front of br to hand out as they are (a run that filled br)
}

// newQPReader returns a decoder of the quoted-printable body r.
func newQPReader(r io.Reader) *qpReader {
	return &qpReader{br: bufio.NewReaderSize(r, qpBuf), want: 1}
}

// position is where the decoder stands in its input: the next byte it
// decodes is the first it has not consumed.
func (q *qpReader) position() (read, from int64) { return q.n, q.n }

// Read decodes into p. It returns the input's error (io.EOF at the end)
// once all bytes before it are decoded.
func (q *qpReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		_, err := q.br.Peek(q.want)
		b, _ := q.br.Peek(q.br.Buffered())
		var w, r int
		switch {
		case q.lit > 0:
			w = copy(p, b[:q.lit])
			r = w
			q.lit -= w
		case err != nil:
			if len(b) == 0 {
				return 0, err
			}
			w, r = qpDecode(p, b, qpEnd)
		default:
			w, r = qpDecode(p, b, qpMore)
			if r == 0 && len(b) < q.br.Size() { // an undecided run, all there is
				q.want = len(b) + 1
				continue
			}
			if r == 0 { // a run of blanks as long as the buffer: text
				q.lit = len(b)
				continue
			}
		}
		q.want = 1
		_, _ = q.br.Discard(r)
		q.n += int64(r)
		if w > 0 {
			return w, nil
		}
	}
}

// qpBlank reports whether c may pad a soft break or a line end.
func qpBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// unhex returns the value of the hex digit c (either case), or 16 or more.
func unhex(c byte) byte {
	if c-'0' < 10 {
		return c - '0'
	}
	if l := c | 0x20; l-'a' < 6 {
		return l - 'a' + 10
	}
	return 0xff
}

// qpDecode decodes src into dst as far as both go, and returns the bytes
// written and the bytes of src consumed. In mode qpMore it stops before a
// run at the end of src that the next bytes decide ("=", "=E", blanks,
// '=' and blanks); in mode qpEnd src is the end of the body.
func qpDecode(dst, src []byte, mode int) (w, r int) {
	for r < len(src) && w < len(dst) {
		c := src[r]
		if c != '=' && !qpBlank(c) {
			dst[w] = c
			w++
			r++
			continue
		}
		if c == '=' {
			if r+2 < len(src) {
				if h, l := unhex(src[r+1]), unhex(src[r+2]); h|l < 16 {
					dst[w] = h<<4 | l
					w++
					r += 3
					continue
				}
			} else if mode == qpMore && (r+1 == len(src) || unhex(src[r+1]) < 16) {
				return w, r // an escape not complete yet
			}
		}
		j := r + 1
		if c != '=' {
			j = r
		}
		for j < len(src) && qpBlank(src[j]) {
			j++
		}
		switch {
		case j == len(src) && mode == qpMore:
			return w, r
		case j == len(src): // blanks or a soft break at the end of the body
			return w, len(src)
		case src[j] == '\n' && c == '=': // a soft break
			r = j + 1
		case src[j] == '\n': // a line end and the blanks before it
			r = j // the LF is a byte of its own next
			if src[j-1] == '\r' {
				dst[w] = '\r'
				w++
			}
		case c == '=': // '=' before anything else is itself
			dst[w] = '='
			w++
			r++
		default: // blanks within a line are text
			k := copy(dst[w:], src[r:j])
			w += k
			r += k
		}
	}
	return w, r
}
