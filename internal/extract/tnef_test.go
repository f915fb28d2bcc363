package extract

import (
	"encoding/binary"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// tnefOf writes a TNEF stream (winmail.dat) as Outlook does: the
// signature, the version and message class, a body, then per attachment
// its rendering data, title and data, each attribute with its checksum.
func tnefOf(body string, files ...szTestFile) []byte {
	out := append([]byte{}, tnefMagic...)
	out = append(out, 0x01, 0x00) // the legacy key
	attr := func(level byte, id uint32, data []byte) {
		out = append(out, level)
		out = binary.LittleEndian.AppendUint32(out, id)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
		out = append(out, data...)
		sum := 0
		for _, c := range data {
			sum += int(c)
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(sum))
	}
	attr(1, 0x00089006, []byte{0, 0, 1, 0})                    // attTnefVersion
	attr(1, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00")) // attMessageClass
	attr(1, 0x0002800c, []byte(body))                          // attBody
	for _, f := range files {
		attr(2, 0x00069002, make([]byte, 14))      // attAttachRenddata
		attr(2, 0x00018010, []byte(f.name+"\x00")) // attAttachTitle
		attr(2, 0x0006800f, f.data)                // attAttachData
	}
	return out
}

// TestTNEF: a winmail.dat (Outlook's rich-text wrapping of a message's
// attachments) is read attachment by attachment, each after its title.
// Before, its bytes were read as text: the 60-row list attached as xlsx
// (compressed) counted 0.
func TestTNEF(t *testing.T) {
	e := newTestEngine(t)
	list, _, _ := compressedLists()
	xlsx := buildXLSX(t, csvRows(corpus.Records(31, 60)))
	body := "请查收附件。联系电话13912345678\n"
	dat := tnefOf(body, szTestFile{name: "客户名单.xlsx", data: xlsx})
	r := corpus.Records(32, 1)[0]
	photos := tnefOf("", szTestFile{name: photoName(r), data: photo})
	eml := []byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrapped(dat, "\r\n") + "\r\n--b--\r\n")
	withBody := cat(list, []byte("联系电话13912345678\n"))
	tests := []shapeTest{
		{name: "winmail.dat", give: dat, same: withBody},
		{name: "declared", give: dat, ctype: "application/ms-tnef", same: withBody},
		{name: "in a message", give: eml, same: cat(withBody, []byte("a@example.com b@example.com\n"))},
		{name: "a photo's title", give: photos, same: []byte(photoName(r))},
		{name: "last checksum cut short", give: dat[:len(dat)-1], same: withBody, want: []string{ReasonDecodeError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCompressed(t, e, tt) })
	}
}

// FuzzTNEF: a mutated winmail.dat counts the same whole and in 7-byte
// chunks.
func FuzzTNEF(f *testing.F) {
	f.Add(tnefOf("联系电话13912345678", szTestFile{name: "a.csv", data: []byte("姓名,手机\n张三,13800138000\n")}))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}
