package corpus

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
)

func TestSuspicious(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"手机13812345678。", true},
		{"tel +86 138 1234 5678", true},
		{"0086-138-1234-5678", true},
		{"8613812345678", true},
		{"身份证 110105 19491231 002X", true},
		{"id=11010519491231002x;", true},
		{"610104620927690", true},
		{"card 6222 0202 0011 2232", Luhn("6222020200112232")},
		{"4111-1111-1111-1111", true},
		{"mail zhang@qq.com", true},
		{"E12345678", true},
		{"eA1234567", true},
		{"h12345678", true},
		{"2024-03-15 12:30:45", false},
		{"客服 400-820-8820 或 010-62345678", false},
		{"¥1,299.00 v1.26.8", false},
		{"1710498896123", false},
		{"20240315123456789012", false},
		{"113812345678", false},          // 12 digits
		{"E123456789", false},            // 9 digits
		{"@media screen", false},         // no local part
		{"1381234 5678", true},           // lenient: any grouping joins
		{"138 1234  5678", false},        // double space breaks the chain
		{"111111199901101512", false},    // bad area
		{"4111111111111112", false},      // Luhn fails
		{"1111111111111111", false},      // Luhn-valid, not a card network
		{"2024 03 15 13812345678", true}, // a chain suffix is a mobile
	}
	for _, tt := range tests {
		if _, got := suspicious([]byte(tt.give)); got != tt.want {
			t.Errorf("suspicious(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

// labels are words that give context-only detectors (names, addresses,
// passports, permits) their context; clean corpora must not contain them.
var labels = []string{"姓名", "名字", "住址", "地址", "户籍", "护照", "通行证", "回乡证", "台胞证", "身份证号码", "name", "address", "passport"}

// assertClean fails if b holds anything suspicious or, unless labelled is
// true, a context label.
func assertClean(t *testing.T, name string, b []byte, labelled bool) {
	t.Helper()
	if at, bad := suspicious(b); bad {
		t.Errorf("%s: suspicious at %d: %q", name, at, b[max(0, at-20):min(len(b), at+30)])
	}
	if labelled {
		return
	}
	lower := bytes.ToLower(b)
	for _, l := range labels {
		if bytes.Contains(lower, []byte(l)) {
			t.Errorf("%s: holds the label %q", name, l)
		}
	}
}

func TestNegativesClean(t *testing.T) {
	for _, d := range Negatives(11, 500) {
		if d.Want.Total() != 0 {
			t.Errorf("%s: Want = %v, want all zero", d.Name, d.Want)
		}
		// The ID negatives carry the 身份证号 label on purpose.
		assertClean(t, d.Name, d.Data, strings.HasPrefix(d.Name, "neg_bad_"))
	}
}

// idLines returns the values after "身份证号：" on each line.
func idLines(t *testing.T, d Doc) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(d.Data)), "\n") {
		v, ok := strings.CutPrefix(line, "身份证号：")
		if !ok || len(v) != 18 {
			t.Fatalf("%s: line %q", d.Name, line)
		}
		out = append(out, v)
	}
	return out
}

// TestNegativeIDsFailOneCheck checks that each bad ID fails exactly the check
// its corpus is about.
func TestNegativeIDsFailOneCheck(t *testing.T) {
	tests := []struct {
		give               Doc
		wantArea, wantDate bool
		wantCheck          bool
	}{
		{give: NegBadCheck(1, 300), wantArea: true, wantDate: true, wantCheck: false},
		{give: NegBadDate(1, 300), wantArea: true, wantDate: false, wantCheck: true},
		{give: NegBadArea(1, 300), wantArea: false, wantDate: true, wantCheck: true},
	}
	for _, tt := range tests {
		for _, id := range idLines(t, tt.give) {
			area, date, check := knownPrefecture(id), validDate(id[6:14]), id[17] == idCheckChar(id)
			if area != tt.wantArea || date != tt.wantDate || check != tt.wantCheck || ValidResidentID(id) {
				t.Fatalf("%s: %s has area %v date %v check %v", tt.give.Name, id, area, date, check)
			}
		}
	}
}

func TestNegLongRunsHoldValues(t *testing.T) {
	d := NegLongRuns(2, 600)
	kinds := map[int]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(d.Data)), "\n") {
		run, ok := strings.CutPrefix(line, "编号：")
		if !ok || !isDigits(run) {
			t.Fatalf("line %q", line)
		}
		inner := run[1 : len(run)-1]
		if !ValidResidentID(inner) && !ValidMobile(inner) && !Luhn(inner) {
			t.Fatalf("%s holds no valid value", run)
		}
		kinds[len(inner)]++
	}
	for _, n := range []int{11, 16, 18, 19} {
		if kinds[n] == 0 {
			t.Errorf("no embedded value of %d digits: %v", n, kinds)
		}
	}
}

func TestNegNumberShapes(t *testing.T) {
	tests := []struct {
		give Doc
		want []string // patterns each corpus must contain
	}{
		{NegSnowflakes(3, 50), []string{`"id":1\d{18},`, `"parent_id":"\d{18}"`}},
		{NegTimestamps(3, 50), []string{`:1\d{9},`, `:1\d{12},`, `:1\d{15},`, `:1\d{18}}`}},
		{NegOrderNumbers(3, 50), []string{`：20\d{18}，`, `：20\d{16}，`, `=20\d{18}&`}},
		{NegChinesePage(3, 30), []string{`[0-9a-f]{64}`, `[0-9a-f]{8}-[0-9a-f]{4}-`, `v\d+\.\d+\.\d+`, `\d{4}年`, `¥\d+\.\d\d`}},
		{NegEnglishPage(3, 30), []string{`[0-9a-f]{64}`, `[0-9a-f]{8}-[0-9a-f]{4}-`, `v\d+\.\d+\.\d+`, `\d{4}-\d\d-\d\d|\d{4}/\d\d/\d\d`}},
	}
	for _, tt := range tests {
		for _, p := range tt.want {
			if !regexp.MustCompile(p).Match(tt.give.Data) {
				t.Errorf("%s lacks %s", tt.give.Name, p)
			}
		}
	}
}

func TestBinary(t *testing.T) {
	d := Binary(4, 1<<20+3)
	if len(d.Data) != 1<<20+3 {
		t.Fatalf("len = %d", len(d.Data))
	}
	if i := bytes.IndexAny(d.Data, "0123456789@"); i >= 0 {
		t.Errorf("digit or @ at %d", i)
	}
	var seen [256]bool
	for _, c := range d.Data {
		seen[c] = true
	}
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	if n != 256-11 {
		t.Errorf("%d distinct byte values, want %d", n, 256-11)
	}
}

func TestCleanWeb(t *testing.T) {
	const size = 1 << 20
	d := CleanWeb(5, size)
	if len(d.Data) != size || d.Want.Total() != 0 {
		t.Fatalf("len %d, Want %v", len(d.Data), d.Want)
	}
	assertClean(t, d.Name, d.Data, false)
	for _, p := range []string{"<script>", `{"code":0`, "<p>", "年", "Product news", "Version"} {
		if !bytes.Contains(d.Data, []byte(p)) {
			t.Errorf("CleanWeb lacks %q", p)
		}
	}
}

func TestPIDenseCSV(t *testing.T) {
	tests := []struct {
		give int
	}{{1 << 20}, {100}, {10}, {0}}
	for _, tt := range tests {
		d := PIDenseCSV(6, tt.give)
		if len(d.Data) != tt.give {
			t.Fatalf("size %d: len = %d", tt.give, len(d.Data))
		}
		rows, err := csv.NewReader(bytes.NewReader(d.Data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		n := max(0, len(rows)-1)
		if d.Want[DetResidentID] != n || d.Want[DetName] != n || d.Want[DetTravelPermit] != 0 {
			t.Errorf("size %d: %d rows, Want %v", tt.give, n, d.Want)
		}
		seen := map[string]bool{}
		for _, row := range rows[min(1, len(rows)):] {
			if !ValidResidentID(row[1]) || !ValidMobile(row[2]) || !Luhn(row[3]) || seen[row[1]] {
				t.Fatalf("bad or repeated row %q", row)
			}
			seen[row[1]] = true
		}
	}
	if d := PIDenseCSV(6, 1<<20); d.Want[DetMobile] < 5000 {
		t.Errorf("1 MiB holds only %d rows", d.Want[DetMobile])
	}
}
