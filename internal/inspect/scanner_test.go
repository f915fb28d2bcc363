package inspect

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fixedNow pins "today" so birth-date checks are reproducible.
func fixedNow() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(Config{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// scanAll scans body in one piece and returns the tally counts.
func scanAll(e *Engine, body []byte) [NumDetectors]int {
	s := e.NewScanner()
	defer s.Release()
	s.Write(body)
	s.Close()
	return s.Tally().Counts
}

// scanTest is a body and the counts a scan of it yields.
type scanTest struct {
	name string
	give string
	want [NumDetectors]int
}

// runSplitScanTests is runScanTests, then every body again in 1-byte and
// random writes (scanCounts; seed picks the writes).
func runSplitScanTests(t *testing.T, tests []scanTest, seed uint64) {
	t.Helper()
	runScanTests(t, tests)
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for _, tt := range tests {
		if why := scanCounts(e, r, []byte(tt.give), tt.want); why != "" {
			t.Errorf("%s: %s", tt.name, why)
		}
	}
}

// runScanTests scans every body in one piece and checks its counts.
func runScanTests(t *testing.T, tests []scanTest) {
	t.Helper()
	e := newTestEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanAll(e, []byte(tt.give)); got != tt.want {
				t.Errorf("scan %q:\n got %v\nwant %v", tt.give, got, tt.want)
			}
		})
	}
}

// runPaddedScanTests runs tests whole, then each behind pad(n) for n from
// 0 to 69 (padding that moves every tag and delimiter across a 64-byte
// block and a pass boundary), wanting its counts whole, in 1-byte writes
// and in random writes (scanCounts), with random cuts seeded by seed.
func runPaddedScanTests(t *testing.T, tests []scanTest, seed uint64, pad func(n int) string) {
	t.Helper()
	runScanTests(t, tests)
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for _, tt := range tests {
		for n := range 70 {
			if why := scanCounts(e, r, []byte(pad(n)+tt.give), tt.want); why != "" {
				t.Fatalf("%s padded by %d: %s", tt.name, n, why)
			}
		}
	}
}

// xPad is padding of n letters x.
func xPad(n int) string { return strings.Repeat("x", n) }

// countsOf builds an expectation from detector/count pairs.
func countsOf(kv map[Detector]int) [NumDetectors]int {
	var c [NumDetectors]int
	for d, n := range kv {
		c[d] = n
	}
	return c
}

func TestPublicResidentIDVectors(t *testing.T) {
	e := newTestEngine(t)
	valid := []string{
		"11010519491231002X", "440524188001010014", "110101199003078670",
		"440308199901101512", "430302199312194239", "500154199804106120",
		"362324198001010014", "360426199101010071", "44011320141005001X",
		"810000199408230021", "830000199201300022", "11010519491231002x",
	}
	for _, v := range valid {
		if got := scanAll(e, []byte("id: "+v+"\n")); got[ResidentID] != 1 {
			t.Errorf("valid %s: got %v, want 1 resident id", v, got)
		}
	}
	invalid := []string{
		"440308199901101513", "11010119900307867X", "440308199902301512",
		"360426199113010079", "111111199901101512", "990426199112010074",
		"610104620932690",
	}
	for _, v := range invalid {
		if got := scanAll(e, []byte("id: "+v+"\n")); got != ([NumDetectors]int{}) {
			t.Errorf("invalid %s: got %v, want nothing", v, got)
		}
	}
	// A first-generation number and its upgrade are one person.
	got := scanAll(e, []byte("610104620927690 610104196209276908"))
	if got[ResidentID] != 1 {
		t.Errorf("15-digit and its 18-digit upgrade: got %d, want 1", got[ResidentID])
	}
}

func TestNumberForms(t *testing.T) {
	tests := []scanTest{
		{"bare id", "110101199003078670", countsOf(map[Detector]int{ResidentID: 1})},
		{"id 6-8-4 spaces", "x 110101 19900307 8670 y", countsOf(map[Detector]int{ResidentID: 1})},
		{"id 6-8-4 hyphens", "110105-19491231-002X", countsOf(map[Detector]int{ResidentID: 1})},
		{"id full-width", "身份证：１１０１０１１９９００３０７８６７０", countsOf(map[Detector]int{ResidentID: 1})},
		{"id full-width X", "１１０１０５１９４９１２３１００２Ｘ", countsOf(map[Detector]int{ResidentID: 1})},
		{"id json escaped", `"\u0031\u0031\u0030\u0031\u0030\u0031\u0031\u0039\u0039\u0030\u0030\u0033\u0030\u0037\u0038\u0036\u0037\u0030"`, countsOf(map[Detector]int{ResidentID: 1})},
		{"id percent", "id=%31%31%30%31%30%31%31%39%39%30%30%33%30%37%38%36%37%30&x=1", countsOf(map[Detector]int{ResidentID: 1})},
		{"id html entities", "&#49;&#49;&#48;&#49;&#48;&#49;&#49;&#57;&#57;&#48;&#48;&#51;&#48;&#55;&#56;&#54;&#55;&#48;", countsOf(map[Detector]int{ResidentID: 1})},
		{"id hex entities", "&#x31;&#x31;&#x30;&#x31;&#x30;&#x31;&#x31;&#x39;&#x39;&#x30;&#x30;&#x33;&#x30;&#x37;&#x38;&#x36;&#x37;&#x30;", countsOf(map[Detector]int{ResidentID: 1})},
		{"id escaped glued to hex letters", `"abcdef\u0031\u0031\u0030\u0031\u0030\u0031\u0031\u0039\u0039\u0030\u0030\u0033\u0030\u0037\u0038\u0036\u0037\u0030"`, [NumDetectors]int{}},
		{"id escaped after a hex word", `"abcdef \u0031\u0031\u0030\u0031\u0030\u0031\u0031\u0039\u0039\u0030\u0030\u0033\u0030\u0037\u0038\u0036\u0037\u0030"`, countsOf(map[Detector]int{ResidentID: 1})},
		{"hex hash", "sha256 4c9b30b510aaaf7c772a60b6a198ec1e9132575969df60bc21b9e222d89b4325 uuid d41c5025-fe5b-4cad-a2fe-f81835192fa7", [NumDetectors]int{}},
		{"id in longer run", "1101011990030786701", [NumDetectors]int{}},
		{"id glued to letters", "abc110101199003078670", [NumDetectors]int{}},
		{"mobile bare", "tel: 13812345678.", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile 3-4-4", "138 1234 5678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile hyphens", "138-1234-5678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile +86", "+86 138 1234 5678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile +86 bare", "+8613812345678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile 0086", "008613812345678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile 86 grouped", "86 13812345678", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile in longer run", "9138123456781", [NumDetectors]int{}},
		{"mobile unallocated 154", "15412345678", [NumDetectors]int{}},
		{"mobile data-only 144", "14412345678", [NumDetectors]int{}},
		{"mobile decimal", "3.13812345678", [NumDetectors]int{}},
		{"card unionpay", "6222021234567890128", countsOf(map[Detector]int{BankCard: 1})},
		{"card groups of four", "6222 0212 3456 7890 128", countsOf(map[Detector]int{BankCard: 1})},
		{"card visa 16", "4111 1111 1111 1111", countsOf(map[Detector]int{BankCard: 1})},
		{"card luhn fail", "6222021234567890121 (no label)", [NumDetectors]int{}},
		{"card legacy with label", "银行卡号：6222021234567890121", countsOf(map[Detector]int{BankCard: 1})},
		{"snowflake", "1541815603606036480 1152921504606846976", [NumDetectors]int{}},
		{"timestamps", "1700000000 1700000000000 1700000000000000 1700000000000000000", [NumDetectors]int{}},
		{"order number", "20240315123456789012 202403151234567890", [NumDetectors]int{}},
		{"passport with label", "护照号码：E12345678", countsOf(map[Detector]int{Passport: 1})},
		{"passport without label", "model E12345678", [NumDetectors]int{}},
		{"passport two letters", `"passport": "EA1234567"`, countsOf(map[Detector]int{Passport: 1})},
		{"hk permit", "港澳通行证 H12345678", countsOf(map[Detector]int{TravelPermit: 1})},
		{"taiwan permit", "台胞证号：12345678", countsOf(map[Detector]int{TravelPermit: 1})},
		{"email", "mail me: Zhang.San@Example.COM.", countsOf(map[Detector]int{Email: 1})},
		{"email percent", "email=zhang%40example.com&x=1", countsOf(map[Detector]int{Email: 1})},
		{"npm scope", `"@babel/core": "7.0"`, [NumDetectors]int{}},
		{"two columns", "110101199003078670 13812345678", countsOf(map[Detector]int{ResidentID: 1, Mobile: 1})},
		{"id before han", "号码110101199003078670号", countsOf(map[Detector]int{ResidentID: 1})},
		{"mobile before han", "电话13812345678联系", countsOf(map[Detector]int{Mobile: 1})},
		{"short runs before han", "2024年3月 8443元 1234567号", [NumDetectors]int{}},
		{"mobile mixed width", "1381234５６７８", countsOf(map[Detector]int{Mobile: 1})},
		{"mobile group then full-width", "138-1234-５６７８", countsOf(map[Detector]int{Mobile: 1})},
		{"id full-width check letter", "11010519491231002Ｘ", countsOf(map[Detector]int{ResidentID: 1})},
		{"id in run with full-width tail", "110101199003078670１", [NumDetectors]int{}},
	}
	runScanTests(t, tests)
}

// wideSpelled writes the ASCII digits and X of v as full-width characters
// in an escape: format is applied to each character's code point, or, when
// it starts with "%%", to each byte of its UTF-8 form.
func wideSpelled(v, format string) string {
	var b strings.Builder
	for _, c := range []byte(v) {
		wide := rune(c) - 0x20 + 0xFF00
		if !strings.HasPrefix(format, "%%") {
			fmt.Fprintf(&b, format, wide)
			continue
		}
		for _, x := range []byte(string(wide)) {
			fmt.Fprintf(&b, format, x)
		}
	}
	return b.String()
}

// TestEscapedFullWidthDigits checks full-width digits written as JSON
// escapes, percent-encoding and numeric character references, in both hex
// cases, alone and mixed with other spellings, in one write and in 1-byte
// writes.
func TestEscapedFullWidthDigits(t *testing.T) {
	const (
		id    = "110101199003078670"
		idX   = "11010519491231002X"
		bad   = "110101199003078671" // check digit wrong
		phone = "13812345678"
	)
	oneID := countsOf(map[Detector]int{ResidentID: 1})
	none := [NumDetectors]int{}
	tests := []scanTest{
		{"json lower", `{"idNo":"` + wideSpelled(id, `\u%04x`) + `"}`, oneID},
		{"json upper", `{"idNo":"` + wideSpelled(id, `\u%04X`) + `"}`, oneID},
		{"json check letter upper", `{"idNo":"` + wideSpelled(idX, `\u%04x`) + `"}`, oneID},
		{"json check letter lower", `{"idNo":"` + wideSpelled(strings.ToLower(idX), `\u%04X`) + `"}`, oneID},
		{"percent upper", "idNo=" + wideSpelled(id, "%%%02X") + "&x=1", oneID},
		{"percent lower", "idNo=" + wideSpelled(id, "%%%02x") + "&x=1", oneID},
		{"percent check letter", "idNo=" + wideSpelled(strings.ToLower(idX), "%%%02x"), oneID},
		{"entity decimal", "<td>" + wideSpelled(id, "&#%d;") + "</td>", oneID},
		{"entity hex upper", "<td>" + wideSpelled(idX, "&#x%04X;") + "</td>", oneID},
		{"entity hex lower", "<td>" + wideSpelled(id, "&#X%04x;") + "</td>", oneID},
		{"mixed with plain digits", "id " + id[:6] + wideSpelled(id[6:14], `\u%04x`) + id[14:], oneID},
		{"mixed spellings", wideSpelled(id[:4], "%%%02X") + wideSpelled(id[4:9], "&#%d;") + "０" + id[10:17] + wideSpelled(id[17:], `\u%04X`), oneID},
		{"6-8-4 groups", wideSpelled(id[:6], `\u%04x`) + " " + wideSpelled(id[6:14], "%%%02X") + " " + wideSpelled(id[14:], "&#x%04x;"), oneID},
		{"mobile", "tel=" + wideSpelled(phone, "%%%02X"), countsOf(map[Detector]int{Mobile: 1})},
		{"after a full-width letter", `\uff21` + wideSpelled(id, `\u%04x`), oneID},
		{"one digit", `\uff11`, none},
		{"failed checksum", `{"idNo":"` + wideSpelled(bad, `\u%04x`) + `"}`, none},
		{"failed checksum percent", wideSpelled(bad, "%%%02X"), none},
		{"failed checksum entities", wideSpelled(bad, "&#%d;"), none},
		{"full-width letters", wideSpelled("ABAJAJAKJJAADAHIHA", `\u%04x`), none},
		{"digit before the value", `\uff11` + id, none},
		{"digit after the value", wideSpelled(id, "&#%d;") + "%EF%BC%91", none},
		{"check letter after a mobile", phone + `\uFF38`, none},
		{"check letter before a value", "%EF%BC%B8" + id, none},
	}
	e := newTestEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.give)
			if got := scanAll(e, body); got != tt.want {
				t.Errorf("scan %q:\n got %v\nwant %v", tt.give, got, tt.want)
			}
			if got := oneByteScan(e, body); got != tt.want {
				t.Errorf("1-byte writes of %q:\n got %v\nwant %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestLabelledValues(t *testing.T) {
	tests := []scanTest{
		{"name label", "姓名：张三，电话：13812345678", countsOf(map[Detector]int{Name: 1, Mobile: 1})},
		{"name json", `{"name":"王小明","mobile":"13812345678"}`, countsOf(map[Detector]int{Name: 1, Mobile: 1})},
		{"name json escaped", `{"realName":"\u738b\u5c0f\u660e"}`, countsOf(map[Detector]int{Name: 1})},
		{"name form", "name=%E7%8E%8B%E5%B0%8F%E6%98%8E&age=3", countsOf(map[Detector]int{Name: 1})},
		{"name without label", "王小明", [NumDetectors]int{}},
		{"address label", "住址：广东省深圳市南山区科技园路88号3栋502室", countsOf(map[Detector]int{Address: 1})},
		{"address json", `{"address": "北京市朝阳区建国路88号"}`, countsOf(map[Detector]int{Address: 1})},
		{"csv header", "姓名,身份证号,手机号,住址,护照\n张三,110101199003078670,13812345678,北京市朝阳区建国路88号,E12345678\n李四,440308199901101512,13912345678,上海市浦东新区世纪大道100号,G12345678\n",
			countsOf(map[Detector]int{Name: 2, ResidentID: 2, Mobile: 2, Address: 2, Passport: 2})},
		{"tsv english header", "name\tid_card\taddress\n王伟\t110101199003078670\t广州市天河区体育西路1号\n",
			countsOf(map[Detector]int{Name: 1, ResidentID: 1, Address: 1})},
	}
	runScanTests(t, tests)
}

func TestSamplesAreMasked(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	s.Write([]byte("姓名：张三 110101199003078670 13812345678 6222021234567890128 zhang@example.com"))
	s.Close()
	want := map[Detector]string{
		ResidentID: "110101********8670",
		Mobile:     "138****5678",
		BankCard:   "6222 **** **** 0128",
		Email:      "z***@example.com",
		Name:       "张*",
	}
	for d, w := range want {
		if got := s.Tally().Samples(d); len(got) != 1 || got[0] != w {
			t.Errorf("%s samples = %q, want [%q]", d, got, w)
		}
	}
}

func TestDistinctCounting(t *testing.T) {
	e := newTestEngine(t)
	body := strings.Repeat("110101199003078670\n", 1000)
	if got := scanAll(e, []byte(body)); got[ResidentID] != 1 {
		t.Errorf("repeated id counted %d times, want 1", got[ResidentID])
	}
}

// splitScan feeds body in chunks cut at the given offsets.
func splitScan(e *Engine, body []byte, cuts []int) [NumDetectors]int {
	s := e.NewScanner()
	defer s.Release()
	prev := 0
	for _, c := range cuts {
		s.Write(body[prev:c])
		prev = c
	}
	s.Write(body[prev:])
	s.Close()
	return s.Tally().Counts
}

func TestChunkSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	bodies := [][]byte{
		[]byte("姓名,身份证号,手机号,住址\n张三,110101199003078670,13812345678,北京市朝阳区建国路88号\n李四,440308199901101512,138 1234 5678,上海市浦东新区世纪大道100号\n"),
		[]byte(`{"name":"王小明","idCard":"\u0031\u0031\u0030\u0031\u0030\u0031\u0031\u0039\u0039\u0030\u0030\u0033\u0030\u0037\u0038\u0036\u0037\u0030","email":"a.b@example.com","passport":"E12345678"}`),
		bytes.Repeat([]byte("+86 138 1234 5678, 6222 0212 3456 7890 128; １１０１０１１９９００３０７８６７０ "), 50),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for bi, body := range bodies {
		want := scanAll(e, body)
		for _, size := range []int{1, 2, 3, 7, holdback - 1, holdback, holdback + 1} {
			var cuts []int
			for c := size; c < len(body); c += size {
				cuts = append(cuts, c)
			}
			if got := splitScan(e, body, cuts); got != want {
				t.Fatalf("body %d chunk size %d: got %v, want %v", bi, size, got, want)
			}
		}
		for range 50 {
			var cuts []int
			for c := rng.IntN(64) + 1; c < len(body); c += rng.IntN(600) + 1 {
				cuts = append(cuts, c)
			}
			if got := splitScan(e, body, cuts); got != want {
				t.Fatalf("body %d cuts %v: got %v, want %v", bi, cuts, got, want)
			}
		}
	}
}

func TestAllowedValuesNeverCount(t *testing.T) {
	e, err := NewEngine(Config{Now: fixedNow, Allow: func(d Detector, v []byte) bool {
		return d == ResidentID && string(v) == "11010519491231002X"
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(e, []byte("11010519491231002x 110101199003078670"))
	if got[ResidentID] != 1 {
		t.Errorf("allowlisted test ID counted: %d resident ids, want 1", got[ResidentID])
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	for name, body := range corpora() {
		chunk := body[:benchChunk]
		s.Reset()
		s.Write(chunk) // warm up: sets grow to their working size
		allocs := testing.AllocsPerRun(100, func() { s.Write(chunk) })
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per %d-byte chunk, want 0", name, allocs, len(chunk))
		}
	}
}

func TestBoundaryStartsNewHeader(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	s.Write([]byte("姓名,身份证号\n张三,110101199003078670\n"))
	s.Boundary()
	s.Write([]byte("序号,住址\n1,北京市朝阳区建国路88号\n"))
	s.Close()
	want := countsOf(map[Detector]int{Name: 1, ResidentID: 1, Address: 1})
	if got := s.Tally().Counts; got != want {
		t.Errorf("two CSV parts: got %v, want %v", got, want)
	}
}

func TestStableHashes(t *testing.T) {
	hashes := func() map[uint64]bool {
		e, err := NewEngine(Config{Now: fixedNow, HashKey: []byte("shared secret")})
		if err != nil {
			t.Fatal(err)
		}
		s := e.NewScanner()
		defer s.Release()
		s.Write([]byte("110101199003078670 440308199901101512"))
		s.Close()
		got := map[uint64]bool{}
		if !s.Tally().Hashes(ResidentID, func(h uint64) { got[h] = true }) {
			t.Fatal("Hashes reported an estimate for two values")
		}
		return got
	}
	a, b := hashes(), hashes()
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("got %d and %d hashes, want 2", len(a), len(b))
	}
	for h := range a {
		if !b[h] {
			t.Errorf("hash %#x differs between engines with one key", h)
		}
	}
}
