package extract

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestOutsideMembers: bytes a container's parser does not hand out as a
// member (a multipart preamble or epilogue, data around or after a zip's
// members, its comment, a body that only starts like a zip) are inspected
// too: each shape counts the list it carries.
func TestOutsideMembers(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(7, 1000)))
	short := csvBytes(csvRows(corpus.Records(7, 400))) // fits a zip comment
	tiny := buildZip(t, zfile{name: "a.txt", data: []byte("hello"), store: true})
	big := buildZip(t, zfile{name: "n.txt", data: []byte("nothing here"), store: true}, zfile{name: "m.txt", data: bytes.Repeat([]byte("filler "), 2000)})
	part := "--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhi\r\n"
	const formType = "multipart/form-data; boundary=XB"
	pk := cat([]byte("PK\x03\x04garbage\n"), list)
	badHeader := []string{ReasonUnsupportedEncoding, ReasonDecodeError} // its method field is "ga"
	tests := []shapeTest{
		{name: "multipart epilogue", give: cat([]byte(part+"--XB--\r\n"), list), ctype: formType, same: list},
		{name: "multipart epilogue sniffed", give: cat([]byte(part+"--XB--\r\n"), list), same: list},
		{name: "multipart epilogue lf", give: cat([]byte("--XB\nContent-Disposition: form-data; name=a\n\nhi\n--XB--\n"), list), ctype: formType, same: list},
		{name: "multipart epilogue after close at end of line", give: cat([]byte(part+"--XB--  \r\n"), list), ctype: formType, same: list},
		{name: "multipart preamble", give: cat(list, []byte("\r\n"+part+"--XB--\r\n")), ctype: formType, same: list},
		{name: "multipart close in preamble", give: cat([]byte("x\r\n--XB--\r\n"), list), ctype: formType, same: list},
		{name: "multipart without a delimiter", give: list, ctype: formType, same: list},
		{name: "zip then a list", give: cat(tiny, list), same: list},
		{name: "zip then a list streamed", give: cat(tiny, list), lim: Limits{Hold: 8 << 10}, same: list},
		{name: "zip then a short list", give: cat(tiny, short), same: short},
		{name: "zip then a short list streamed", give: cat(big, short), lim: Limits{Hold: 8 << 10}, same: short},
		{name: "zip comment", give: withComment(t, tiny, short), same: short},
		{name: "zip comment streamed", give: withComment(t, big, short), lim: Limits{Hold: 8 << 10}, same: short},
		{name: "list between members", give: withGap(t, big, 1, list), same: list},
		{name: "zip of a list after a zip", give: cat(buildZip(t, zfile{name: "l.csv", data: list}), tiny), same: list},
		{name: "zip of a list after a zip streamed", give: cat(buildZip(t, zfile{name: "l.csv", data: list}), big), lim: Limits{Hold: 8 << 10}, same: list},
		{name: "zip magic then a list", give: pk, same: pk, want: badHeader},
		// Streamed, the 30 bytes of a local header are read from it, into
		// the list's header row: its columns are not labelled.
		{name: "zip magic then a list streamed", give: pk, lim: Limits{Hold: 8 << 10}, same: pk[30:], want: badHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkShape(t, e, tt) })
	}
}

// shapeTest is a body, what it is declared as, and what it holds.
type shapeTest struct {
	name  string
	give  []byte
	ctype string
	lim   Limits
	same  []byte   // bytes whose bare scan gives the counts
	want  []string // uninspectable reasons
}

// checkShape extracts tt.give whole and in 1000-byte chunks: the counts
// are a bare scan's of tt.same and the uninspectable reasons tt.want; and
// no prefix is released ahead of its values.
func checkShape(t *testing.T, e *inspect.Engine, tt shapeTest) {
	t.Helper()
	counts := scanPlain(e, tt.same)
	for _, chunk := range []int{0, 1000} {
		got := extract(t, e, tt.give, tt.ctype, tt.lim, chunk)
		if got.counts != counts {
			t.Errorf("chunk %d: counts\n got %v\nwant %v", chunk, got.counts, counts)
		}
		if !slices.Equal(got.reasons, tt.want) {
			t.Errorf("chunk %d: reasons %v, want %v", chunk, got.reasons, tt.want)
		}
	}
	checkLeakBudget(t, e, tt.give, tt.ctype, tt.lim, 4096, len(tt.give)/8)
}

// cat joins byte slices into a new one.
func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// withComment sets an archive's comment (it has none).
func withComment(tb testing.TB, z, comment []byte) []byte {
	tb.Helper()
	if len(comment) > 0xFFFF {
		tb.Fatalf("comment of %d bytes", len(comment))
	}
	out := cat(z, comment)
	binary.LittleEndian.PutUint16(out[len(z)-2:], uint16(len(comment)))
	return out
}

// withGap inserts gap in front of member i's local header and moves the
// central directory's offsets past it.
func withGap(tb testing.TB, z []byte, i int, gap []byte) []byte {
	tb.Helper()
	end := len(z) - 22
	dir := int(binary.LittleEndian.Uint32(z[end+16:]))
	var offs []int // central directory records' offset fields
	for p := dir; p < end; {
		offs = append(offs, p+42)
		p += 46 + int(binary.LittleEndian.Uint16(z[p+28:])) + int(binary.LittleEndian.Uint16(z[p+30:])) + int(binary.LittleEndian.Uint16(z[p+32:]))
	}
	at := int(binary.LittleEndian.Uint32(z[offs[i]:]))
	out := cat(z[:at], gap, z[at:])
	shift := func(p int) { // p: an offset field in z
		q := p + len(gap)
		binary.LittleEndian.PutUint32(out[q:], binary.LittleEndian.Uint32(out[q:])+uint32(len(gap)))
	}
	for _, p := range offs {
		if int(binary.LittleEndian.Uint32(z[p:])) >= at {
			shift(p)
		}
	}
	shift(end + 16)
	return out
}
