package extract

import (
	"bytes"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// mhtOf writes rows as Excel's "Single File Web Page" (.mht): a MIME
// header of MIME-Version, X-Document-Type and a multipart/related
// Content-Type, and the sheet as an HTML table in GB2312, quoted-printable.
func mhtOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var page strings.Builder
	page.WriteString("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">\n<body>\n<table border=0 cellpadding=0 cellspacing=0>\n")
	for _, r := range rows {
		page.WriteString(" <tr height=18>\n")
		for _, c := range r {
			fmt.Fprintf(&page, "  <td class=xl65>%s</td>\n", c)
		}
		page.WriteString(" </tr>\n")
	}
	page.WriteString("</table>\n</body>\n</html>\n")
	gb, err := simplifiedchinese.GBK.NewEncoder().String(page.String())
	if err != nil {
		t.Fatal(err)
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	_, _ = w.Write([]byte(gb))
	_ = w.Close()
	const boundary = "----=_NextPart_01DA61B2.4C0F4E40"
	return []byte("MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary=\"" + boundary + "\"\r\n\r\n" +
		"This document is a Single File Web Page, also known as a Web Archive file.\r\n\r\n" +
		"--" + boundary + "\r\nContent-Location: file:///C:/D8A1/list.htm\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=\"gb2312\"\r\n\r\n" +
		qp.String() + "\r\n--" + boundary + "--\r\n")
}

// TestWebArchive: an Excel or Word "Single File Web Page" (.mht) is a
// MIME message whose header has MIME-Version and a multipart/related
// Content-Type only: it was read as text, its GB2312 quoted-printable
// page undecoded, and a 1,000-row passport list counted no passports,
// names or addresses (red-team review 13). It is read as a message now.
// A header that only starts like one (MIME-Version then text) is not.
func TestWebArchive(t *testing.T) {
	rows := flatPassports()
	e := newTestEngine(t)
	want := scanPlain(e, csvBytes(rows))
	body := mhtOf(t, rows)
	for _, chunk := range []int{0, 4096} {
		got := extract(t, e, body, "", Limits{}, chunk)
		if got.counts != want || len(got.reasons) > 0 {
			t.Errorf("chunk %d: %v %v, want %v", chunk, got.counts, got.reasons, want)
		}
	}
	checkLeakBudget(t, e, body, "", Limits{}, 4096, len(body)/8)
	for _, head := range []string{
		"MIME-Version: 1.0\r\n\r\n",
		"MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n",
		"Content-Type: multipart/related; boundary=x\r\n\r\n",
	} {
		if sniffMessage([]byte(head + "hello\r\n")) {
			t.Errorf("%q taken for a message", head)
		}
	}
}
