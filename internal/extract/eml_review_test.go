package extract

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestEMLNestingBounded: messages nested or chained far past MaxDepth are
// cut at MaxDepth (over_limit), their rest read as text, in bounded memory
// and time. A message/rfc822 body was a message again at any depth, and a
// body past MaxDepth (or one that did not decode) was sniffed again at the
// same depth, where it was the next message of the chain: each level took
// a 32 KiB reader and a few frames (2,000 levels of 30 bytes took 66 MB),
// and nested quoted-printable bodies took time exponential in the levels
// (30 levels: 52 s).
func TestEMLNestingBounded(t *testing.T) {
	const tail = "13800138000 13900139000\n"
	cases := []struct {
		name, level, ctype string
		n                  int
		reasons            []string
	}{
		{"declared", "Content-Type: message/rfc822\n\n", "message/rfc822", 2000, []string{ReasonOverLimit}},
		{"sniffed", "From: a\nTo: b\n\n", "", 2000, []string{ReasonOverLimit}},
		{"quoted-printable", "Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n", "message/rfc822", 40, []string{ReasonOverLimit}},
		{"base64 that does not decode", "From: a\nTo: b\nContent-Transfer-Encoding: base64\n\n!!\n", "", 2000, []string{ReasonDecodeError}},
		{"quoted-printable with a control byte", "From: a\nTo: b\nContent-Transfer-Encoding: quoted-printable\n\n\x00\n", "", 2000, nil}, // decoded leniently: the rest is its text
	}
	e := newTestEngine(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(strings.Repeat(c.level, c.n) + tail)
			for _, chunk := range []int{0, 1, 4096} {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				got := extract(t, e, body, c.ctype, Limits{}, chunk)
				runtime.ReadMemStats(&after)
				if got.counts[inspect.Mobile] != 2 || !slices.Equal(got.reasons, c.reasons) {
					t.Errorf("chunk %d: %d mobiles %v, want 2 %v", chunk, got.counts[inspect.Mobile], got.reasons, c.reasons)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
					t.Errorf("chunk %d: %d levels of %d bytes allocated %d KiB", chunk, c.n, len(c.level), alloc>>10)
				}
			}
		})
	}
}

// TestReviewShapesSettle: 60-record lists in the shapes of the e-mail and
// text-table work (a ';' CSV with CRLF, Markdown, psql and MySQL client
// output, an mbox of 60 messages with Message-IDs, full-width ＠
// addresses, a base64 CSV in a message forwarded quoted-printable) count
// every record whole and in writes of 1, 7 and 100 bytes, and Settled
// releases no value before it is counted at writes of 1, 7, 64 and 4096
// bytes. Nothing failed in the review; it guards the shapes.
func TestReviewShapesSettle(t *testing.T) {
	recs := corpus.Records(7, 60)
	rows := csvRows(recs)
	table := func(sep, pre, post, rule string) string {
		var b strings.Builder
		for i, r := range rows {
			b.WriteString(pre + strings.Join(r, sep) + post + "\n")
			if i == 0 && rule != "" {
				b.WriteString(rule + "\n")
			}
		}
		return b.String()
	}
	var mbox, fullWidth strings.Builder
	for i, r := range recs {
		fmt.Fprintf(&mbox, "From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: A <a@example.com>\nTo: B <b@example.org>\nSubject: x\nMessage-ID: <%d.abc@mail.example.com>\n\n姓名：%s\n身份证号：%s\n手机：%s\n银行卡：%s\n邮箱：%s\n住址：%s\n护照号：%s\n\n",
			i, r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport)
		fullWidth.WriteString("邮箱：" + strings.Replace(r.Email, "@", "＠", 1) + "\n")
	}
	attached := "From: a@example.com\r\nTo: b@example.org\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(csvBytes(rows)) + "\r\n"
	all := [inspect.NumDetectors]int{inspect.ResidentID: 60, inspect.Mobile: 60, inspect.BankCard: 60, inspect.Email: 60, inspect.Passport: 60, inspect.Name: 60, inspect.Address: 60}
	withEmails := func(n int) [inspect.NumDetectors]int { c := all; c[inspect.Email] += n; return c }
	cases := []struct {
		name string
		body string
		want [inspect.NumDetectors]int
	}{
		{"semicolon CSV", strings.ReplaceAll(table(";", "", "", ""), "\n", "\r\n"), all},
		{"markdown", table(" | ", "| ", " |", "| :--- | :---: | --- | --- | --- | --- | ---: |"), all},
		{"psql", table(" | ", " ", "", "------+------+------+------+------+------+------"), all},
		{"mysql", "+------+------+\n" + table(" | ", "| ", " |", "+------+------+"), all},
		{"mbox", mbox.String(), withEmails(3)},
		{"full-width at", fullWidth.String(), [inspect.NumDetectors]int{inspect.Email: 60}},
		{"forwarded attachment", "From: c@example.com\r\nTo: d@example.org\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qpEncode(t, []byte(attached)), withEmails(4)},
	}
	e := newTestEngine(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			for _, chunk := range []int{0, 1, 7, 100} {
				if got := extract(t, e, body, "", Limits{}, chunk).counts; got != c.want {
					t.Errorf("chunk %d: %v, want %v", chunk, got, c.want)
				}
			}
			for _, chunk := range []int{1, 7, 64, 4096} {
				stride := 0
				if chunk < 64 {
					stride = 512 // a prefix extraction per 512 bytes released
				}
				checkLeakBudget(t, e, body, "", Limits{}, chunk, stride)
			}
		})
	}
}
