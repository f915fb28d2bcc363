package corpus

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRecordsDistinctAndDeterministic(t *testing.T) {
	recs := Records(42, 3000)
	fields := map[string]map[string]bool{}
	for _, r := range recs {
		for k, v := range map[string]string{
			"name": r.Name, "id": r.ResidentID, "mobile": r.Mobile, "card": r.BankCard, "email": r.Email,
			"address": r.Address, "passport": r.Passport, "permit": r.TravelPermit,
		} {
			if fields[k] == nil {
				fields[k] = map[string]bool{}
			}
			if fields[k][v] {
				t.Fatalf("%s %q repeats", k, v)
			}
			fields[k][v] = true
		}
	}
	if !slices.Equal(recs, Records(42, 3000)) {
		t.Error("same seed gave different records")
	}
	if slices.Equal(recs[:10], Records(43, 10)) {
		t.Error("different seeds gave the same records")
	}
}

// TestRenderingsDeterministic checks that every corpus is a pure function of
// its seed.
func TestRenderingsDeterministic(t *testing.T) {
	gen := func() []Doc {
		docs := Renderings(Records(7, 200))
		docs = append(docs, Negatives(7, 200)...)
		return append(docs, CleanWeb(7, 64<<10), PIDenseCSV(7, 64<<10))
	}
	a, b := gen(), gen()
	names := map[string]bool{}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s differs between runs", a[i].Name)
		}
		if names[a[i].Name] {
			t.Errorf("duplicate doc name %s", a[i].Name)
		}
		names[a[i].Name] = true
		if len(a[i].Want) != len(DetectorIDs()) {
			t.Errorf("%s: Want has %d ids, want %d", a[i].Name, len(a[i].Want), len(DetectorIDs()))
		}
	}
}

func TestWant(t *testing.T) {
	const n = 50
	recs := Records(1, n)
	all := DetectorIDs()
	numbers := []string{DetResidentID, DetMobile, DetBankCard}
	seven := []string{DetName, DetResidentID, DetMobile, DetBankCard, DetEmail, DetAddress, DetPassport}
	tests := []struct {
		give Doc
		want []string // detectors counting n; the rest count 0
	}{
		{CSV(recs, CSVOptions{}), seven},
		{CSV(recs, CSVOptions{EnglishHeader: true}), seven},
		{JSON(recs), seven},
		{JSONEscaped(recs), seven},
		{Prose(recs), all},
		{Grouped(recs), numbers},
		{FullWidth(recs), numbers},
		{PercentEncoded(recs), seven},
		{HTMLEntities(recs), append([]string{DetName}, numbers...)},
	}
	for _, tt := range tests {
		for _, id := range all {
			want := 0
			if slices.Contains(tt.want, id) {
				want = n
			}
			if got := tt.give.Want[id]; got != want {
				t.Errorf("%s: Want[%s] = %d, want %d", tt.give.Name, id, got, want)
			}
		}
	}
}

// fields returns the values of recs for the CSV columns.
func fields(recs []Record) [][]string {
	out := make([][]string, len(recs))
	for i, r := range recs {
		out[i] = csvFields(r)
	}
	return out
}

func TestCSVRoundTrip(t *testing.T) {
	recs := Records(2, 100)
	tests := []struct {
		give   CSVOptions
		header string
	}{
		{CSVOptions{}, "姓名,身份证号,手机号,银行卡号,邮箱,住址,护照号"},
		{CSVOptions{EnglishHeader: true}, "name,id_card,mobile,bank_card,email,address,passport"},
	}
	for _, tt := range tests {
		d := CSV(recs, tt.give)
		if !bytes.HasPrefix(d.Data, []byte(tt.header+"\n")) {
			t.Errorf("%s: header %q", d.Name, d.Data[:bytes.IndexByte(d.Data, '\n')])
		}
		rows, err := csv.NewReader(bytes.NewReader(d.Data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if !slices.EqualFunc(rows[1:], fields(recs), slices.Equal) {
			t.Errorf("%s: rows differ from records", d.Name)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	recs := Records(3, 100)
	nonASCII := regexp.MustCompile(`[^\x00-\x7f]`)
	for _, d := range []Doc{JSON(recs), JSONEscaped(recs)} {
		var got []map[string]string
		if err := json.Unmarshal(d.Data, &got); err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for i, obj := range got {
			for k, v := range csvFields(recs[i]) {
				if obj[jsonKeys[k]] != v {
					t.Fatalf("%s[%d].%s = %q, want %q", d.Name, i, jsonKeys[k], obj[jsonKeys[k]], v)
				}
			}
		}
	}
	if esc := JSONEscaped(recs).Data; nonASCII.Match(esc) || !bytes.Contains(esc, []byte(`\u`)) {
		t.Error("JSONEscaped holds raw non-ASCII or no escapes")
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		give  string
		ascii bool
		want  string
	}{
		{"张伟", true, `"\u5f20\u4f1f"`},
		{"张伟", false, `"张伟"`},
		{"a\"b\\c\n", false, `"a\"b\\c\u000a"`},
		{"😀", true, `"\ud83d\ude00"`},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.give, tt.ascii)); got != tt.want {
			t.Errorf("appendJSONString(%q, %v) = %s, want %s", tt.give, tt.ascii, got, tt.want)
		}
	}
}

func TestPercentEncodedRoundTrip(t *testing.T) {
	recs := Records(4, 100)
	d := PercentEncoded(recs)
	if !bytes.HasPrefix(d.Data, []byte("%E5%A7%93%E5%90%8D=")) || !bytes.Contains(d.Data, []byte("%40")) {
		t.Errorf("form body does not start with the encoded 姓名 label or lacks %%40: %.40s", d.Data)
	}
	q, err := url.ParseQuery(string(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	for k, label := range csvHeaders[0] {
		var want []string
		for _, r := range recs {
			want = append(want, csvFields(r)[k])
		}
		if !slices.Equal(q[label], want) {
			t.Errorf("values of %s differ from records", label)
		}
	}
}

// numberLines parses lines of "label：value，label：value，label：value".
func numberLines(t *testing.T, d Doc, clean func(string) string) [][3]string {
	t.Helper()
	var out [][3]string
	for _, line := range strings.Split(strings.TrimSuffix(string(d.Data), "\n"), "\n") {
		parts := strings.Split(line, "，")
		if len(parts) != 3 {
			t.Fatalf("%s: line %q", d.Name, line)
		}
		var v [3]string
		for i, p := range parts {
			_, val, _ := strings.Cut(p, "：")
			v[i] = clean(val)
		}
		out = append(out, v)
	}
	return out
}

func wantNumbers(recs []Record) [][3]string {
	out := make([][3]string, len(recs))
	for i, r := range recs {
		out[i] = [3]string{r.ResidentID, r.Mobile, r.BankCard}
	}
	return out
}

func TestGroupedRoundTrip(t *testing.T) {
	recs := Records(5, 40)
	d := Grouped(recs)
	strip := func(s string) string {
		for _, p := range []string{"+86 ", "0086 ", "86-"} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.NewReplacer(" ", "", "-", "").Replace(s)
	}
	if got := numberLines(t, d, strip); !slices.Equal(got, wantNumbers(recs)) {
		t.Error("grouped values differ from records")
	}
	for _, want := range []string{"+86 1", "0086 1", "86-1", "1"} {
		if !bytes.Contains(d.Data, []byte("手机："+want)) {
			t.Errorf("no mobile written as %q", want)
		}
	}
	if !regexp.MustCompile(`身份证号：\d{6} \d{8} \d{3}[\dX]，`).Match(d.Data) ||
		!regexp.MustCompile(`身份证号：\d{6}-\d{8}-\d{3}[\dX]，`).Match(d.Data) ||
		!regexp.MustCompile(`银行卡号：\d{4} \d{4} \d{4} \d{4}`).Match(d.Data) ||
		!regexp.MustCompile(`银行卡号：\d{4}-\d{4}-\d{4}-\d{4}-\d{3}\n`).Match(d.Data) {
		t.Error("missing a grouping form")
	}
}

func TestGroup(t *testing.T) {
	tests := []struct {
		give, sep string
		sizes     []int
		want      string
	}{
		{"11010519491231002X", " ", []int{6, 8}, "110105 19491231 002X"},
		{"13812345678", "-", []int{3, 4}, "138-1234-5678"},
		{"6222020200112233", " ", []int{4, 4, 4, 4}, "6222 0202 0011 2233"},
		{"6222020200112233445", " ", []int{4, 4, 4, 4}, "6222 0202 0011 2233 445"},
		{"123", " ", []int{4}, "123"},
	}
	for _, tt := range tests {
		if got := group(tt.give, tt.sep, tt.sizes...); got != tt.want {
			t.Errorf("group(%s, %v) = %q, want %q", tt.give, tt.sizes, got, tt.want)
		}
	}
}

func TestFullWidthRoundTrip(t *testing.T) {
	recs := Records(6, 200)
	d := FullWidth(recs)
	back := func(s string) string {
		return strings.Map(func(c rune) rune {
			switch {
			case c >= '０' && c <= '９':
				return c - '０' + '0'
			case c == 'Ｘ':
				return 'X'
			}
			return -1 // anything else would be a rendering bug: drop it so the comparison fails
		}, s)
	}
	if regexp.MustCompile(`[0-9X]`).Match(d.Data) {
		t.Error("FullWidth holds ASCII digits or X")
	}
	if got := numberLines(t, d, back); !slices.Equal(got, wantNumbers(recs)) {
		t.Error("full-width values differ from records")
	}
}

func TestHTMLEntitiesRoundTrip(t *testing.T) {
	recs := Records(8, 50)
	d := HTMLEntities(recs)
	entity := regexp.MustCompile(`&#[0-9]+;`)
	cell := regexp.MustCompile(`<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>`)
	rows := cell.FindAllStringSubmatch(string(d.Data), -1)
	if len(rows) != len(recs) {
		t.Fatalf("%d rows, want %d", len(rows), len(recs))
	}
	for i, row := range rows {
		r := recs[i]
		want := []string{r.Name, r.ResidentID, r.Mobile, r.BankCard}
		for k := range want {
			if got := html.UnescapeString(row[k+1]); got != want[k] {
				t.Fatalf("row %d cell %d = %q, want %q", i, k, got, want[k])
			}
		}
		for _, c := range row[2:] {
			if rest := entity.ReplaceAllString(c, ""); rest != "" {
				t.Fatalf("row %d: %q outside character references", i, rest)
			}
		}
	}
}

func TestProseHoldsEveryValue(t *testing.T) {
	recs := Records(9, 40)
	d := Prose(recs)
	for _, r := range recs {
		for _, v := range []string{r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport, r.TravelPermit} {
			if !bytes.Contains(d.Data, []byte(v)) {
				t.Fatalf("Prose lacks %s", v)
			}
		}
	}
	for _, label := range []string{"身份证号：", "name: ", "+86 ", "id_no=", "港澳通行证"} {
		if !bytes.Contains(d.Data, []byte(label)) {
			t.Errorf("Prose lacks %q", label)
		}
	}
}
