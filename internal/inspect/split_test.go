package inspect

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// oneByteScan feeds body one byte at a time: every byte is a pass boundary.
func oneByteScan(e *Engine, body []byte) [NumDetectors]int {
	var cuts []int
	for c := 1; c < len(body); c++ {
		cuts = append(cuts, c)
	}
	return splitScan(e, body, cuts)
}

func entities(s string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, "&#%d;", c)
	}
	return b.String()
}

func jsonEscapes(s string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, "\\u%04x", c)
	}
	return b.String()
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		b.WriteRune(c - '0' + '０')
	}
	return b.String()
}

// TestLongRunsSplitInvariance covers decisions that would read far past
// their start (long escaped or full-width runs, long labelled values, a
// header line longer than headerMax): each body is scanned whole and one
// byte at a time, and must count the same. The leading newline makes the
// scanner decide its first line at once, so every pass boundary matters.
func TestLongRunsSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	id := "110101199003078670"
	var groups strings.Builder
	for range 11 {
		groups.WriteString(jsonEscapes("12345678901234567890") + " ")
	}
	bodies := map[string]string{
		"long header":          "name,card," + strings.Repeat("x,", 2500) + "a:b\n张伟,6222021234567890121\n",
		"entity run":           "x " + entities(strings.Repeat("9", 200)+id) + " y",
		"full-width run":       "x " + fullWidth(strings.Repeat("9", 200)+id) + " y",
		"escaped groups":       "x " + groups.String() + jsonEscapes("13812345678000") + " y",
		"long encoded address": "住址=" + url.QueryEscape("北京市朝阳区"+strings.Repeat("大", 50)+"路88号") + "&x=1",
		"long encoded prose":   "住址=" + url.QueryEscape("北京市朝阳区建国路88号"+strings.Repeat("大", 70)) + "&x=1",
	}
	for n := 1; n < 160; n += 7 {
		bodies[fmt.Sprintf("entity run %d", n)] = "x " + entities(strings.Repeat("9", n)+id) + " y"
		bodies[fmt.Sprintf("padded entity run %d", n)] = strings.Repeat("a", n) + entities(strings.Repeat("9", 150)+id) + " y"
		bodies[fmt.Sprintf("padded full-width run %d", n)] = strings.Repeat("a", n) + fullWidth(strings.Repeat("9", 200)+id) + " y"
	}
	for name, body := range bodies {
		b := []byte("\n" + body)
		if whole, chunked := scanAll(e, b), oneByteScan(e, b); whole != chunked {
			t.Errorf("%s (%d bytes): whole %v, one byte at a time %v", name, len(b), whole, chunked)
		}
	}
}

// TestEscapedNeighbours checks that values next to escaped punctuation are
// found: a CSV typed into a form field (%2C, %0A between fields) and JSON
// written with \u escapes for every non-ASCII character.
func TestEscapedNeighbours(t *testing.T) {
	e := newTestEngine(t)
	ids := []string{"110101199003078670", "440308199901101512", "430302199312194239"}
	tests := []struct {
		name string
		give string
		want [NumDetectors]int
	}{
		{"form field", "ids=" + url.QueryEscape(strings.Join(ids, ",")+"\n"), countsOf(map[Detector]int{ResidentID: 3})},
		{"form rows", "csv=" + url.QueryEscape("身份证,手机\n"+ids[0]+",13812345678\n"+ids[1]+",13912345678\n"), countsOf(map[Detector]int{ResidentID: 2, Mobile: 2})},
		{"escaped label", `{"memo":"` + jsonEscapes("手机") + `13812345678"}`, countsOf(map[Detector]int{Mobile: 1})},
		{"escaped letter", "x%41" + ids[0], [NumDetectors]int{}},
		{"escaped digit", "&#57;" + ids[0], [NumDetectors]int{}},
		{"address glued to id", "住址：北京市朝阳区建国路1号" + ids[0] + "；", countsOf(map[Detector]int{Address: 1, ResidentID: 1})},
		{"mainland permit to Hong Kong", "往来港澳通行证：C12345678", countsOf(map[Detector]int{TravelPermit: 1})},
		{"mainland permit to Taiwan", "往来台湾通行证 L12345678", countsOf(map[Detector]int{TravelPermit: 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanAll(e, []byte(tt.give)); got != tt.want {
				t.Errorf("scan %q:\n got %v\nwant %v", tt.give, got, tt.want)
			}
		})
	}
}

// TestPlainNumberAgreesWithGeneral checks the fast path against the general
// parser: wherever plainNumber decides a run, it counts what generalNumber
// counts, and it resumes no later (the scan loop reads what follows).
func TestPlainNumberAgreesWithGeneral(t *testing.T) {
	e := newTestEngine(t)
	prefixes := []string{"", "x ", "护照：", "passport=", "通行证 ", "卡号：", "a_", "+", "%2C", "-", "1.", "ab-"}
	suffixes := []string{"", ",", " ", "-", "X", "a", "\n", " 1", "-5", "%31", ".", ".5", "@", " -", " %31", "-&#49;", " \\u0031", "-x",
		"\u30001", "\u3000", "\u3000a", "\u3000１", "\u00a05", "\u00a0", "－1", "－", "&nbsp;1", "&#160;5", "\u3001", "\xc2", "\xe3\x80"}
	letters := "EGHMCLDSPVX"
	lengths := []int{5, 7, 7, 8, 8, 10, 10, 11, 12, 14, 16, 17, 18, 19, 21}
	rng := rand.New(rand.NewPCG(7, 8))
	plain, general := e.NewScanner(), e.NewScanner()
	defer plain.Release()
	defer general.Release()
	decided, documents := 0, 0
	for range 300_000 {
		body := prefixes[rng.IntN(len(prefixes))]
		for range rng.IntN(4) {
			body += string(letters[rng.IntN(len(letters))])
		}
		i := len(body)
		for range lengths[rng.IntN(len(lengths))] {
			body += string(rune('0' + rng.IntN(10)))
		}
		j := len(body)
		body += suffixes[rng.IntN(len(suffixes))]
		plain.Reset()
		general.Reset()
		plain.buf = append(plain.buf, body...)
		general.buf = append(general.buf, body...)
		resume, ok := plain.plainNumber(i, j, len(body))
		if !ok {
			continue
		}
		decided++
		want := general.generalNumber(i, len(body))
		plain.tally.flush(e.maxDistinct)
		general.tally.flush(e.maxDistinct)
		if resume > want || plain.tally.Counts != general.tally.Counts {
			t.Fatalf("%q: plainNumber resumes at %d with %v, generalNumber at %d with %v",
				body, resume, plain.tally.Counts, want, general.tally.Counts)
		}
		documents += plain.tally.Counts[Passport] + plain.tally.Counts[TravelPermit]
	}
	if decided < 50_000 || documents < 300 {
		t.Errorf("plainNumber decided %d runs and counted %d documents: too few to tell", decided, documents)
	}
}

// TestJoinedGroupBeforeEscapedRun: a short plain group joined to a run of
// escaped or full-width digits (0-%33%34..., 12-&#X36;...) is one run
// however the body is split: whether the block search stopped at the
// short group's digits or passed them over, the escape walks back to it.
func TestJoinedGroupBeforeEscapedRun(t *testing.T) {
	e := newTestEngine(t)
	escape := func(digits, format string) string {
		var b strings.Builder
		for _, c := range digits {
			fmt.Fprintf(&b, format, c)
		}
		return b.String()
	}
	const id = "340102196212138786"
	tests := []struct {
		name string
		give string
		want int // resident IDs
	}{
		{"plain", "0-" + id, 1},
		{"percent", "0-" + escape(id, "%%%02X"), 1},
		{"decimal entity", "0-" + escape(id, "&#%d;"), 1},
		{"hex entity", "12-" + escape(id, "&#X%X;"), -1},
		{"full-width", "0-" + strings.Map(func(r rune) rune { return r - '0' + '０' }, id), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("\n" + strings.Repeat("z", 600) + " " + tt.give + " " + strings.Repeat("z", 600) + "\n")
			whole := scanAll(e, body)
			s := e.NewScanner()
			defer s.Release()
			for i := range body {
				_, _ = s.Write(body[i : i+1])
			}
			_ = s.Close()
			if split := s.Tally().Counts; split != whole {
				t.Fatalf("counts depend on the split: %v whole, %v in 1-byte writes", whole, split)
			}
			if tt.want >= 0 && whole[ResidentID] != tt.want {
				t.Fatalf("%d resident IDs, want %d", whole[ResidentID], tt.want)
			}
		})
	}
}
