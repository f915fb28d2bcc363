package inspect

import (
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// newJoiners are the group joiners other than ' ' and '-': the no-break
// space (raw and in every HTML spelling), the ideographic space and the
// full-width hyphen (raw and as character references).
var newJoiners = []struct{ name, text string }{
	{"ideographic space", "\u3000"},
	{"full-width hyphen", "－"},
	{"no-break space", "\u00a0"},
	{"&nbsp;", "&nbsp;"},
	{"&#160;", "&#160;"},
	{"&#xa0;", "&#xa0;"},
	{"&#xA0;", "&#xA0;"},
	{"&#12288;", "&#12288;"},
	{"&#xff0d;", "&#xff0d;"},
}

// grouped writes the digits of v in groups of the given sizes (the rest of
// v in a last group) joined by joiner, in full-width digits if wide.
func grouped(v string, sizes []int, joiner string, wide bool) string {
	unit := 1
	if wide {
		v, unit = strings.Map(func(r rune) rune { return r - '0' + '０' }, v), len("０") // X to Ｘ too
	}
	var b strings.Builder
	for k, n := range sizes {
		if k > 0 {
			b.WriteString(joiner)
		}
		b.WriteString(v[:n*unit])
		v = v[n*unit:]
	}
	if v != "" {
		b.WriteString(joiner + v)
	}
	return b.String()
}

// joinerLayouts are the grouped layouts of the numeric detectors, each with
// a valid value.
var joinerLayouts = []struct {
	name  string
	value string
	sizes []int
	det   Detector
}{
	{"id 6-8-4", "110101199003078670", []int{6, 8}, ResidentID},
	{"id 6-8-4 check letter", "11010519491231002X", []int{6, 8}, ResidentID},
	{"mobile 3-4-4", "13812345678", []int{3, 4}, Mobile},
	{"card 4-4-4-4", "4111111111111111", []int{4, 4, 4}, BankCard},
	{"card 4-4-4-4-3", "6222021234567890128", []int{4, 4, 4, 4}, BankCard},
}

// TestGroupJoiners: digit groups joined by a no-break space, an ideographic
// space or a full-width hyphen count as if joined by a space, in every
// layout, in plain and full-width digits, in free text, in a CSV cell and in
// an HTML table cell, in one write and in 1-byte writes. Before, each
// counted nothing.
func TestGroupJoiners(t *testing.T) {
	e := newTestEngine(t)
	frames := []struct{ name, before, after string }{
		{"text", "\n号码 ", "，谢谢\n"},
		{"csv", "序号,证件号\n1,", ",x\n"},
		{"table", "<table><tr><th>号码</th></tr><tr><td>", "</td></tr></table>"},
	}
	for _, j := range newJoiners {
		for _, l := range joinerLayouts {
			for _, wide := range []bool{false, true} {
				v := grouped(l.value, l.sizes, j.text, wide)
				for _, f := range frames {
					body := []byte(f.before + v + f.after)
					want := countsOf(map[Detector]int{l.det: 1})
					if got := scanAll(e, body); got != want {
						t.Errorf("%s, %s, wide %v, %s: %q counts %v, want %v", j.name, l.name, wide, f.name, v, got, want)
					}
					if one := oneByteScan(e, body); one != want {
						t.Errorf("%s, %s, wide %v, %s: %q counts %v in 1-byte writes, want %v", j.name, l.name, wide, f.name, v, one, want)
					}
				}
			}
		}
	}
}

// TestGroupJoinerLists: the red team's lists, 60 grouped values one a
// line, count with every joiner what they count joined by spaces: 60
// resident IDs, 60 mobiles, 60 cards (each counted 0 before).
func TestGroupJoinerLists(t *testing.T) {
	e := newTestEngine(t)
	recs := corpus.Records(21, 60)
	lists := []struct {
		name  string
		field func(corpus.Record) string
		sizes func(string) []int
		det   Detector
	}{
		{"ids", func(r corpus.Record) string { return r.ResidentID }, func(string) []int { return []int{6, 8} }, ResidentID},
		{"mobiles", func(r corpus.Record) string { return r.Mobile }, func(string) []int { return []int{3, 4} }, Mobile},
		{"cards", func(r corpus.Record) string { return r.BankCard }, func(string) []int { return []int{4, 4, 4, 4} }, BankCard},
	}
	for _, l := range lists {
		list := func(joiner string) []byte {
			var b strings.Builder
			b.WriteString("\n")
			for _, r := range recs {
				v := l.field(r)
				b.WriteString(grouped(v, l.sizes(v), joiner, false) + "\n")
			}
			return []byte(b.String())
		}
		want := scanAll(e, list(" "))
		if want[l.det] != len(recs) {
			t.Fatalf("%s joined by spaces count %v: the reference is wrong", l.name, want)
		}
		for _, j := range newJoiners {
			if got := scanAll(e, list(j.text)); got != want {
				t.Errorf("%s joined by %s: got %v, want %v (as joined by spaces)", l.name, j.name, got, want)
			}
		}
	}
}

// TestGroupJoinerSplitAtEveryByte cuts a grouped value at every byte, as
// the end of a write and as the end of a scan pass (a write that stops
// holdback bytes later), so each joiner is split at each of its bytes.
func TestGroupJoinerSplitAtEveryByte(t *testing.T) {
	e := newTestEngine(t)
	pad := strings.Repeat("z", 600)
	for _, j := range newJoiners {
		for _, l := range joinerLayouts {
			v := grouped(l.value, l.sizes, j.text, false)
			head := "\n" + pad + " "
			body := []byte(head + v + " " + pad + "\n")
			want := countsOf(map[Detector]int{l.det: 1})
			for c := len(head) - 1; c <= len(head)+len(v)+1; c++ {
				for _, cut := range []int{c, c + holdback} {
					if got := splitScan(e, body, []int{cut}); got != want {
						t.Errorf("%s, %s cut at %d of %q: got %v, want %v", j.name, l.name, c-len(head), v, got, want)
					}
				}
			}
		}
	}
}

// TestGroupJoinerNegatives: the joiners make no value of what is none
// joined by spaces: dates, prices, a bad check digit, groups glued to more
// digits, a hyphenated code, text indented with ideographic spaces.
func TestGroupJoinerNegatives(t *testing.T) {
	var tests []scanTest
	for _, j := range newJoiners {
		for _, give := range []string{
			"2024" + j.text + "01" + j.text + "15",
			"日期：２０２４" + j.text + "０１" + j.text + "１５",
			"价格：1" + j.text + "299.00元，" + "合计" + j.text + "12" + j.text + "345" + j.text + "678.50元",
			"110101" + j.text + "19900307" + j.text + "8671",
			"154" + j.text + "1234" + j.text + "5678 ok 1381" + j.text + "234" + j.text + "5678",
			"9138" + j.text + "1234" + j.text + "5678",
			"138" + j.text + "1234" + j.text + "56789",
			"1101011" + j.text + "19900307" + j.text + "8670",
			"110101" + j.text + "19900307" + j.text + "86701",
			"ID110101" + j.text + "19900307" + j.text + "8670",
			"编号" + j.text + "1234" + j.text + "5678" + j.text + "9012",
			"\u3000\u3000" + "2024年收入1234" + j.text + "5678元，增长12" + j.text + "34%",
		} {
			tests = append(tests, scanTest{name: j.name + " " + give, give: give})
		}
	}
	tests = append(tests,
		scanTest{name: "mixed joiners", give: "138\u30001234－5678", want: countsOf(map[Detector]int{Mobile: 1})},
		scanTest{name: "joiner after a hyphenated code", give: "ab-138\u30001234\u30005678"},
	)
	runScanTests(t, tests)
}

// TestJoinedChunkAllocatesNothing: scanning a chunk of values grouped with
// every joiner allocates nothing once the distinct sets hold its values.
func TestJoinedChunkAllocatesNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	var b strings.Builder
	for b.Len() < benchChunk {
		for _, j := range newJoiners {
			for _, l := range joinerLayouts {
				b.WriteString(grouped(l.value, l.sizes, j.text, b.Len()%2 == 0) + "，")
			}
		}
	}
	chunk := []byte(b.String())
	s.Write(chunk)
	if allocs := testing.AllocsPerRun(100, func() { s.Write(chunk) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(chunk))
	}
}
