package inspect

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestValueAfterLetterAndTwoByteChar: a value after a check letter (or a
// digit) and a two-byte character (a no-break space C2 A0, ·, °, ¥) stands
// alone, as after a space. Before, the byte three back from the value (the
// X) was read as a digit unit that ends there, so the mobile after an ID
// ending in X and a no-break space counted nothing.
func TestValueAfterLetterAndTwoByteChar(t *testing.T) {
	mobile := countsOf(map[Detector]int{Mobile: 1})
	both := countsOf(map[Detector]int{ResidentID: 1, Mobile: 1})
	runScanTests(t, []scanTest{
		{name: "id X, nbsp, mobile", give: "11010519491231002X\u00a013812345678", want: both},
		{name: "id X, space, mobile", give: "11010519491231002X 13812345678", want: both},
		{name: "id X, ideographic space, mobile", give: "11010519491231002X\u300013812345678", want: both},
		{name: "id X, &nbsp;, mobile", give: "11010519491231002X&nbsp;13812345678", want: both},
		{name: "X nbsp", give: "X\u00a013812345678", want: mobile},
		{name: "x nbsp", give: "x\u00a019096090097", want: mobile},
		{name: "X middle dot", give: "X·13812345678", want: mobile},
		{name: "X degree", give: "X°13812345678", want: mobile},
		{name: "X yen", give: "No.X¥13812345678", want: mobile},
		{name: "full-width digit before still joins", give: "１13812345678"},
		{name: "full-width X before still joins", give: "Ｘ13812345678"},
	})
}

// TestJoinerNonPIText: prose, dates, prices, ranges, HTML cells and codes
// written with the new joiners count nothing, as with spaces.
func TestJoinerNonPIText(t *testing.T) {
	var tests []scanTest
	for _, j := range newJoiners {
		for _, give := range []string{
			"\u3000\u3000截至2024J01J15，全市常住人口1234J5678人，同比增长12J34%。",
			"日期 2024J01J15 时间 12J30J45",
			"价格区间 100J200 元，1000J2000 元，13800J13900",
			"<table><tr><td>138</td>J<td>1234</td>J<td>5678</td></tr></table>",
			"订单号 202401J15123456J7890，流水 110101J19900307J8671",
			"时间戳 1700000000J1700000001J1700000002",
			"138JJ1234JJ5678",
			"1381234J5678，138J12345678，13J81234J5678",
		} {
			give = strings.ReplaceAll(give, "J", j.text)
			tests = append(tests, scanTest{name: j.name + " " + give, give: give})
		}
	}
	runScanTests(t, tests)
}

// TestJoinersCountAsSpaces generates texts of grouped corpus values (plain
// and full-width), short numbers, joiner slots and neighbours (letters,
// CJK punctuation, escapes' characters, tags), and requires every new
// joiner in the slots to count what a space counts, in one write, 1-byte
// writes and random writes.
func TestJoinersCountAsSpaces(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(11, 13))
	recs := corpus.Records(5, 50)
	noise := []string{"，", "。", "年", "元", "x", "X", "a", ";", "&", "&amp;", "\n", ",", "<td>", "</td>", "：", "、", "#", "%", "\\", "号码", "ID", "\u3000\u3000", "&nbsp", "&#160"}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		var b strings.Builder
		for k := r.IntN(8) + 1; k > 0; k-- {
			switch r.IntN(5) {
			case 0:
				rec := recs[r.IntN(len(recs))]
				v, sizes := rec.BankCard, []int{4, 4, 4, 4}
				switch r.IntN(3) {
				case 0:
					v, sizes = rec.ResidentID, []int{6, 8}
				case 1:
					v, sizes = rec.Mobile, []int{3, 4}
				}
				b.WriteString(grouped(v, sizes, "J", r.IntN(4) == 0))
			case 1:
				b.WriteString("98765432101234"[r.IntN(9):][:1+r.IntN(5)])
			case 2:
				b.WriteString("J")
			default:
				b.WriteString(noise[r.IntN(len(noise))])
			}
		}
		tmpl := b.String()
		want := scanAll(e, []byte(strings.ReplaceAll(tmpl, "J", " ")))
		for _, j := range newJoiners {
			body := []byte(strings.ReplaceAll(tmpl, "J", j.text))
			if got := scanAll(e, body); got != want {
				t.Errorf("%s %q: %v, joined by spaces %v", j.name, body, got, want)
			}
			if m := splitMismatch(e, r, body); m != "" {
				t.Errorf("%s %q: %s", j.name, body, m)
			}
		}
	}
}
