package corpus

import (
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Public vectors from reference/pi-formats.md.
func TestValidResidentIDVectors(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"11010519491231002X", true},
		{"11010519491231002x", true},
		{"440524188001010014", true},
		{"110101199003078670", true},
		{"440308199901101512", true},
		{"430302199312194239", true},
		{"500154199804106120", true},
		{"362324198001010014", true}, // retired area code
		{"360426199101010071", true},
		{"44011320141005001X", true},
		{"810000199408230021", true},
		{"830000199201300022", true},
		{"610104196209276908", true},  // upgrade of 610104620927690
		{"440308199901101513", false}, // check
		{"11010119900307867X", false}, // check
		{"440308199902301512", false}, // date
		{"360426199113010079", false}, // date
		{"111111199901101512", false}, // area
		{"990426199112010074", false}, // area
		{"11010519491231002", false},  // short
		{"1101051949123100201", false},
		{"11010519491231002Y", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidResidentID(tt.give); got != tt.want {
			t.Errorf("ValidResidentID(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestValidResidentID15Vectors(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"610104620927690", true},
		{"610104620932690", false}, // date
		{"111111620927690", false}, // area
		{"61010462092769", false},
		{"61010462092769X", false},
	}
	for _, tt := range tests {
		if got := ValidResidentID15(tt.give); got != tt.want {
			t.Errorf("ValidResidentID15(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
	// The 18-digit form inserts 19 before YY and appends the check character.
	old := "610104620927690"
	body := old[:6] + "19" + old[6:]
	if got := body + string(idCheckChar(body)); got != "610104196209276908" {
		t.Errorf("upgrade of %s = %s, want 610104196209276908", old, got)
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"4111111111111111", true},
		{"5555555555554444", true},
		{"6222020200112233445", false},
		{"79927398713", true},
		{"79927398710", false},
		{"4111 1111 1111 1111", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Luhn(tt.give); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestValidMobile(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"13812345678", true},
		{"19912345678", true},
		{"16212345678", true},
		{"14012345678", false}, // data-only segment
		{"15412345678", false}, // unallocated
		{"12812345678", false},
		{"1381234567", false},
		{"138123456789", false},
	}
	for _, tt := range tests {
		if got := ValidMobile(tt.give); got != tt.want {
			t.Errorf("ValidMobile(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestAreaTables(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range areas {
		if seen[a.Code] || !knownPrefecture(a.Code) || a.Prov == "" || !strings.HasSuffix(a.District, "区") {
			t.Errorf("bad area entry %+v", a)
		}
		seen[a.Code] = true
	}
	if len(areas) < 80 {
		t.Errorf("len(areas) = %d, want at least 80", len(areas))
	}
	for _, c := range badAreas {
		if knownPrefecture(c) {
			t.Errorf("bad area %s has a known prefecture", c)
		}
	}
	if len(prefectures)%4 != 0 {
		t.Fatalf("len(prefectures) = %d, not a multiple of 4", len(prefectures))
	}
	for i := 4; i < len(prefectures); i += 4 {
		if prefectures[i-4:i] >= prefectures[i:i+4] {
			t.Errorf("prefectures not ascending at %s", prefectures[i:i+4])
		}
	}
}

const draws = 2000

func TestResidentID(t *testing.T) {
	r := newRand(1)
	for range draws {
		id := ResidentID(r)
		year := id[6:10]
		if !ValidResidentID(id) || Luhn(id) || year < "1930" || year > "2010" || id[14:17] == "000" {
			t.Fatalf("ResidentID() = %s: not a valid 1930-2010 non-Luhn ID", id)
		}
		if !areaInUse(id[:6]) {
			t.Fatalf("ResidentID() = %s: area not in the embedded list", id)
		}
	}
}

func TestResidentID15(t *testing.T) {
	r := newRand(2)
	for range draws {
		if id := ResidentID15(r); !ValidResidentID15(id) || Luhn(id) || !areaInUse(id[:6]) {
			t.Fatalf("ResidentID15() = %s: not valid", id)
		}
	}
}

func areaInUse(code string) bool {
	for _, a := range areas {
		if a.Code == code {
			return true
		}
	}
	return false
}

func TestMobile(t *testing.T) {
	r := newRand(3)
	for range draws {
		if m := Mobile(r); !ValidMobile(m) || m[:4] == "1349" || m[:4] == "1740" {
			t.Fatalf("Mobile() = %s: not an allocated non-satellite number", m)
		}
	}
}

func TestBankCard(t *testing.T) {
	r := newRand(4)
	kinds := map[string]int{}
	for range draws {
		c := BankCard(r)
		var kind string
		switch {
		case strings.HasPrefix(c, "62") && (len(c) == 16 || len(c) == 19):
			kind = "unionpay" + string(rune('0'+len(c)%10))
		case c[0] == '4' && len(c) == 16:
			kind = "visa"
		case c[0] == '5' && c[1] >= '1' && c[1] <= '5' && len(c) == 16:
			kind = "mastercard"
		default:
			t.Fatalf("BankCard() = %s: unexpected network or length", c)
		}
		if !Luhn(c) {
			t.Fatalf("BankCard() = %s: fails Luhn", c)
		}
		kinds[kind]++
	}
	if len(kinds) != 4 {
		t.Errorf("kinds = %v, want UnionPay 16 and 19, Visa and Mastercard", kinds)
	}
}

var (
	passportRe     = regexp.MustCompile(`^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})$`)
	travelPermitRe = regexp.MustCompile(`^[HM][0-9]{8}$`)
	longDigitsRe   = regexp.MustCompile(`[0-9]{5,}`)
)

func TestDocumentsAndEmail(t *testing.T) {
	r := newRand(5)
	for range draws {
		if p := Passport(r); !passportRe.MatchString(p) {
			t.Fatalf("Passport() = %s", p)
		}
		if p := TravelPermit(r); !travelPermitRe.MatchString(p) {
			t.Fatalf("TravelPermit() = %s", p)
		}
		e := Email(r)
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || longDigitsRe.MatchString(e) {
			t.Fatalf("Email() = %s: %v", e, err)
		}
	}
}

func TestNameAndAddress(t *testing.T) {
	r := newRand(6)
	for range draws {
		n := Name(r)
		if c := utf8.RuneCountInString(n); c < 2 || c > 4 {
			t.Fatalf("Name() = %s: %d characters", n, c)
		}
		if w := string([]rune(n)[:2]); strings.Contains(nameWords, w) {
			t.Fatalf("Name() = %s starts with the word %s", n, w)
		}
		for _, c := range n {
			if !unicode.Is(unicode.Han, c) {
				t.Fatalf("Name() = %s: non-Han character", n)
			}
		}
		a := Address(r)
		if !strings.Contains(a, "区") || !strings.Contains(a, "号") || longDigitsRe.MatchString(a) {
			t.Fatalf("Address() = %s", a)
		}
	}
}
