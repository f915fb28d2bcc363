package inspect

import (
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestEscapedListSeparators: a list typed into a text area is sent with its
// line breaks escaped: \n or \r\n in a JSON string, %0A, %2C or %3B in a
// form body. The escape's last character is a letter or a hex digit glued
// to the next value, which counted at most the first value of the list.
func TestEscapedListSeparators(t *testing.T) {
	recs := corpus.Records(5, 3)
	join := func(field func(corpus.Record) string, sep string) string {
		vs := make([]string, len(recs))
		for i, r := range recs {
			vs[i] = field(r)
		}
		return strings.Join(vs, sep)
	}
	mobile := func(r corpus.Record) string { return r.Mobile }
	id := func(r corpus.Record) string { return r.ResidentID }
	card := func(r corpus.Record) string { return r.BankCard }
	email := func(r corpus.Record) string { return r.Email }
	formEmail := func(r corpus.Record) string { return strings.Replace(r.Email, "@", "%40", 1) }
	runScanTests(t, []scanTest{
		{name: "json mobiles \\n", give: `{"phones":"` + join(mobile, `\n`) + `"}`, want: countsOf(map[Detector]int{Mobile: 3})},
		{name: "json ids \\r\\n", give: `{"ids":"` + join(id, `\r\n`) + `"}`, want: countsOf(map[Detector]int{ResidentID: 3})},
		{name: "json cards \\t", give: `{"cards":"` + join(card, `\t`) + `"}`, want: countsOf(map[Detector]int{BankCard: 3})},
		{name: "js mobiles \\n single quotes", give: `var s='` + join(mobile, `\n`) + `';`, want: countsOf(map[Detector]int{Mobile: 3})},
		{name: "json emails \\n", give: `{"to":"` + join(email, `\n`) + `"}`, want: countsOf(map[Detector]int{Email: 3})},
		{name: "form emails %0D%0A", give: "to=" + join(formEmail, "%0D%0A"), want: countsOf(map[Detector]int{Email: 3})},
		{name: "form emails %2C+", give: "to=" + join(formEmail, "%2C+"), want: countsOf(map[Detector]int{Email: 3})},
		{name: "form emails %3b", give: "to=" + join(formEmail, "%3b"), want: countsOf(map[Detector]int{Email: 3})},
		{name: "form emails raw @ %0A", give: "to=" + join(email, "%0A"), want: countsOf(map[Detector]int{Email: 3})},
		// \\n is the line break of a JSON string that holds JSON (an
		// agent's tool-call arguments); it separates values as \n does.
		// A letter alone does not.
		{name: "escaped backslash then n", give: `{"p":"` + join(mobile, `\\n`) + `"}`, want: countsOf(map[Detector]int{Mobile: 3})},
		{name: "letter n", give: join(mobile, "n"), want: countsOf(nil)},
	})
}

// TestEscapedSeparatorSamples: the address after an escaped separator is
// the address, not the address with the escape's letters in front.
func TestEscapedSeparatorSamples(t *testing.T) {
	e := newTestEngine(t)
	for _, give := range []string{`{"to":"x@example.org\nzhang.wei@example.com"}`, "to=x%40example.org%0D%0Azhang.wei%40example.com", "to=x%40example.org%2C+zhang.wei%40example.com"} {
		s := e.NewScanner()
		_, _ = s.Write([]byte(give))
		_ = s.Close()
		if got := s.Tally().Samples(Email); len(got) != 2 || got[1] != "z***@example.com" {
			t.Errorf("%s: samples %q, want the second z***@example.com", give, got)
		}
		s.Release()
	}
}
