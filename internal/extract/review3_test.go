package extract

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestPartHeaderDropped: a part header mime/multipart reads but does not
// return (the body ends before the blank line ending it, or a line of it
// has no colon) is still read, decoded, and so is what it read ahead. A
// form whose last part header names 300 photos after their holders'
// names and IDs counted 0 IDs, and no decode error when the body ended
// in the header.
func TestPartHeaderDropped(t *testing.T) {
	recs := corpus.Records(32, 300)
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = photoName(r)
	}
	long := strings.Join(names, "\r\n ")
	const disp = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\""
	var tiny strings.Builder
	for _, r := range recs[:299] {
		tiny.WriteString(disp + photoName(r) + "\"\r\n\r\nx\r\n")
	}
	last := disp + photoName(recs[299])
	tests := []struct {
		name, give string
		reasons    []string
	}{
		{"cut in the file name", disp + long, nil},
		{"cut before the blank line", disp + long + "\"\r\n", nil},
		{"a line with no colon", disp + long + "\"\r\nno colon here\r\n\r\nx\r\n--b--\r\n", []string{ReasonDecodeError}},
		{"a line with no colon, more parts after", disp + long + "\"\r\nno colon here\r\n\r\nx\r\n" + tiny.String() + "--b--\r\n", []string{ReasonDecodeError}},
		{"299 parts, the last header cut", tiny.String() + last, nil},
		{"299 parts, the last header cut after its line", tiny.String() + last + "\"\r\n", nil},
	}
	e := newTestEngine(t)
	const ctype = "multipart/form-data; boundary=b"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.give)
			whole := extract(t, e, body, ctype, Limits{}, 0)
			if got := whole.counts[inspect.ResidentID]; got != len(recs) || !slices.Equal(whole.reasons, tt.reasons) {
				t.Fatalf("whole: %d IDs %v, want %d %v", got, whole.reasons, len(recs), tt.reasons)
			}
			checkCuts(t, e, body, ctype, whole.counts, 8)
			for _, chunk := range []int{64, benchChunk} {
				checkLeakBudget(t, e, body, ctype, Limits{}, chunk, 2048)
				checkRawBudget(t, e, body, ctype, chunk)
			}
		})
	}
}

// TestPartHeaderMalformedParams: malformed RFC 2231 and RFC 2047 in a
// part header are read as far as they go, and no shape makes the read
// costly: continuations out of order are joined in order, a missing one
// leaves the others, a charset no decoder knows or a bad escape leaves
// the bytes as they are (a section number that does not parse leaves the
// parameter to its field's line), and 10,800 continuations (one per
// character of the ID, the rest "x_") spell the ID they cut apart.
func TestPartHeaderMalformedParams(t *testing.T) {
	r := corpus.Records(33, 1)[0]
	id := r.ResidentID
	many := make([]string, len(id)*600)
	for i := range many {
		c := "x_"
		if j := i - (len(many) - len(id)); j >= 0 {
			c = id[j : j+1]
		}
		many[i] = fmt.Sprintf("filename*%d*=%s", i, pct(c))
	}
	slices.Reverse(many) // and out of order
	tests := []struct {
		name, disp string
		ids        int
	}{
		{"out of order", "filename*1*=" + pct(id[9:]) + ".jpg; filename*0*=UTF-8''" + pct("张三_"+id[:9]), 1},
		{"a section missing", "filename*0*=UTF-8''" + pct("张三_"+id) + "; filename*2*=" + pct("_x.jpg"), 1},
		{"an unknown charset", "filename*=x-bogus''" + pct(id) + ".jpg", 1},
		{"bad escapes", "filename*=UTF-8''%ZZ%G%20" + pct(id) + "%20%G1%", 1},
		{"a bad section number", "filename*x*=" + pct(id) + "; filename*-1*=" + pct(id), 1},
		{"an unknown charset in an encoded-word", "filename=\"=?x-bogus?B?" + base64.StdEncoding.EncodeToString([]byte(id)) + "?=\"", 1},
		{"a broken encoded-word", "filename=\"=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(id))[:10] + "?= " + id + "\"", 1},
		{"10,000 continuations", strings.Join(many, ";\r\n "), 1},
	}
	e := newTestEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; " + tt.disp + "\r\n\r\nx\r\n--b--\r\n")
			start := time.Now()
			for _, chunk := range []int{0, 1, 100} {
				got := extract(t, e, body, "multipart/form-data; boundary=b", Limits{}, chunk)
				if got.counts[inspect.ResidentID] != tt.ids || len(got.reasons) > 0 {
					t.Errorf("chunk %d: %d IDs %v, want %d", chunk, got.counts[inspect.ResidentID], got.reasons, tt.ids)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%d bytes took %v", len(body), d)
			}
		})
	}
}

// TestPartHeaderCleanNames: file names of cameras, scanners and reports
// (dates, times and counters joined by '_' and '-') count nothing once
// their separators are blanked: 300 of each shape in one form.
func TestPartHeaderCleanNames(t *testing.T) {
	shapes := []func(i int) string{
		func(i int) string {
			return fmt.Sprintf("IMG_202611%02d_%02d%02d%02d.jpg", 1+i%28, i%24, i%60, (i*7)%60)
		},
		func(i int) string { return fmt.Sprintf("report-2026-11-%02d.pdf", 1+i%28) },
		func(i int) string { return fmt.Sprintf("VID_20261127_%09d.mp4", 123456789+i) },
		func(i int) string { return fmt.Sprintf("scan_%04d-%04d_2026-11-27_v%d.pdf", i, i+300, i%3) },
		func(i int) string {
			return fmt.Sprintf("Screenshot_2026-11-27-%02d-%02d-%02d-%03d_com.tencent.mm.png", i%24, i%60, (i*7)%60, i)
		},
	}
	e := newTestEngine(t)
	var none [inspect.NumDetectors]int
	for k, name := range shapes {
		parts := make([]filePart, 300)
		for i := range parts {
			parts[i] = filePart{field: "files", file: name(i), ctype: "image/jpeg", data: photo}
		}
		body, ctype := buildMultipart(t, parts...)
		for _, chunk := range []int{0, 7} {
			if got := extract(t, e, body, ctype, Limits{}, chunk).counts; got != none {
				t.Errorf("%s, chunk %d: counts %v, want none", name(k), chunk, got)
			}
		}
	}
}
