package extract

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestDecompressRTF: MS-OXRTFCP's example (section 4.1: a compressed RTF
// of "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n", with back
// references), the dictionary's 207 bytes, and the uncompressed form.
func TestDecompressRTF(t *testing.T) {
	if len(lzfuDict) != 207 {
		t.Fatalf("the initial dictionary is %d bytes, want 207", len(lzfuDict))
	}
	example := []byte{0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
		0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
		0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0}
	got, err := decompressRTF(example, 1<<20)
	if want := "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"; err != nil || string(got) != want {
		t.Errorf("example: %q (%v), want %q", got, err, want)
	}
	plain := []byte(`{\rtf1\ansi 13800138000}`)
	got, err = decompressRTF(mela(plain), 1<<20)
	if err != nil || string(got) != string(plain) {
		t.Errorf("uncompressed: %q (%v)", got, err)
	}
	if _, err := decompressRTF(example[:30], 1<<20); err == nil {
		t.Error("a cut stream decoded without an error")
	}
	for _, n := range []int{0, 5, 8, 16, 1000} {
		data := []byte(strings.Repeat("{\\rtf1 x}", 200)[:n])
		if got, err := decompressRTF(lzfu(data), 1<<20); err != nil || string(got) != string(data) {
			t.Errorf("literals, %d bytes: %d bytes back (%v)", n, len(got), err)
		}
	}
}

// mela is data as uncompressed "compressed RTF".
func mela(data []byte) []byte {
	h := binary.LittleEndian.AppendUint32(nil, uint32(len(data)+12))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	h = binary.LittleEndian.AppendUint32(h, lzfuUncompressed)
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(data))
	return cat(h, data)
}

// lzfu is data as compressed RTF of literals only (a control byte per
// eight literals), then the end reference (to the write position).
func lzfu(data []byte) []byte {
	var body []byte
	w := len(lzfuDict)
	rest := data
	for {
		n := min(8, len(rest))
		ctl := len(body)
		body = append(body, 0)
		body = append(body, rest[:n]...)
		rest, w = rest[n:], (w+n)%4096
		if n == 8 && len(rest) > 0 {
			continue
		}
		if n == 8 { // the end reference takes a control byte of its own
			ctl = len(body)
			body = append(body, 0)
			n = 0
		}
		body[ctl] = 1 << n
		body = binary.BigEndian.AppendUint16(body, uint16(w<<4))
		break
	}
	h := binary.LittleEndian.AppendUint32(nil, uint32(len(body)+12))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	h = binary.LittleEndian.AppendUint32(h, lzfuCompressed)
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(body))
	return cat(h, body)
}

// TestRTFBodyHeld: an Outlook message's rich-text body is decompressed
// within the hold budget: one claiming more than is left is cut there and
// over the limit, rather than allocated whole (LZFu expands up to about
// 8.5 times, so a 32 MiB message could hold 270 MB of RTF at once).
func TestRTFBodyHeld(t *testing.T) {
	e := newTestEngine(t)
	rtf := []byte(`{\rtf1\ansi ` + strings.Repeat(`13800138000 `, 2000) + `}`)
	msg := cfbOf(t, []string{rtfCompressedStream}, [][]byte{lzfu(rtf)})
	for _, tt := range []struct {
		lim  Limits
		want []string
	}{
		{Limits{}, nil},
		{Limits{Hold: int64(len(msg)) + 8<<10}, []string{ReasonOverLimit}},
	} {
		got := extract(t, e, msg, "", tt.lim, 0)
		if !slices.Equal(got.reasons, tt.want) || got.counts[inspect.Mobile] != 1 {
			t.Errorf("hold %d: %v %v, want 1 mobile and %v", tt.lim.Hold, got.counts, got.reasons, tt.want)
		}
	}
}
