package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

func TestNormalizeValue(t *testing.T) {
	tests := []struct {
		d      inspect.Detector
		give   string
		want   string
		wantOK bool
	}{
		{inspect.ResidentID, "11010519491231002x", "11010519491231002X", true},
		{inspect.ResidentID, " 110101 19900307 8670 ", "110101199003078670", true},
		{inspect.ResidentID, "610104620927690", "610104196209276908", true}, // counted as its upgrade
		{inspect.ResidentID, "1101011990030786", "1101011990030786", false},
		{inspect.ResidentID, "11010119900307867Y", "11010119900307867Y", false},
		// Well-formed, but the engine never counts them (a wrong check
		// character, a 13th month, an area code never issued): they were
		// accepted and could never match.
		{inspect.ResidentID, "110101199003078671", "110101199003078671", false},
		{inspect.ResidentID, "110101199013078670", "110101199013078670", false},
		{inspect.ResidentID, "000000199003078670", "000000199003078670", false},
		{inspect.ResidentID, "610104621327690", "610104621327690", false},
		{inspect.Mobile, "+86 138-1234-5678", "13812345678", true},
		{inspect.Mobile, "008613812345678", "13812345678", true},
		{inspect.Mobile, "8613812345678", "13812345678", true},
		{inspect.Mobile, "23812345678", "23812345678", false},
		{inspect.BankCard, "6222 0000 0000 1234", "6222000000001234", true},
		{inspect.BankCard, "62220000", "62220000", false},
		{inspect.Email, " Zhang.San@Example.COM ", "zhang.san@example.com", true},
		{inspect.Email, "a@b@c", "a@b@c", false},
		{inspect.Email, "@example.com", "@example.com", false},
		{inspect.Passport, "e1234 5678", "E12345678", true},
		{inspect.TravelPermit, "", "", false},
		{inspect.Name, " 张三 ", "张三", true},
		{inspect.Address, "  ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.want, func(t *testing.T) {
			got, ok := NormalizeValue(tt.d, tt.give)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("NormalizeValue = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAllowValue(t *testing.T) {
	give := `version: v1
allow_values:
  cn_resident_id: ["110101199003078670", "11010519491231002x"]
  cn_mobile: ["+86 138 0013 8000"]
  email: [Test@Example.com]
rules: []
`
	s, _, err := Compile("p.yaml", []byte(give))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    inspect.Detector
		give string
		want bool
	}{
		{inspect.ResidentID, "110101199003078670", true},
		{inspect.ResidentID, "11010519491231002X", true},
		{inspect.ResidentID, "440308199901101512", false},
		{inspect.Mobile, "13800138000", true},
		{inspect.BankCard, "13800138000", false}, // right value, wrong detector
		{inspect.Email, "test@example.com", true},
		{inspect.Email, strings.Repeat("a", maxValueLen+1), false},
		{inspect.NumDetectors, "110101199003078670", false},
	}
	for _, tt := range tests {
		if got := s.AllowValue(tt.d, []byte(tt.give)); got != tt.want {
			t.Errorf("AllowValue(%v, len %d) = %v, want %v", tt.d, len(tt.give), got, tt.want)
		}
	}
	if !s.HasAllowValues() || Default().HasAllowValues() || Default().AllowValue(inspect.ResidentID, []byte("110101199003078670")) {
		t.Error("HasAllowValues/empty set wrong")
	}
	v := []byte("110101199003078670")
	if n := testing.AllocsPerRun(100, func() { s.AllowValue(inspect.ResidentID, v) }); n != 0 {
		t.Errorf("AllowValue allocates %v times per call", n)
	}
}

// TestAllowDigestIsHMAC checks the hand-rolled, allocation-free HMAC
// against crypto/hmac.
func TestAllowDigestIsHMAC(t *testing.T) {
	a, err := newAllowSet([inspect.NumDetectors][]string{})
	if err != nil {
		t.Fatal(err)
	}
	var key [sha256.Size]byte
	for i := range key {
		key[i] = a.ipad[i] ^ 0x36
	}
	for _, v := range []string{"", "13800138000", strings.Repeat("x", maxValueLen)} {
		mac := hmac.New(sha256.New, key[:])
		mac.Write([]byte{byte(inspect.Mobile)})
		mac.Write([]byte(v))
		got, ok := a.digest(inspect.Mobile, []byte(v))
		if !ok || !hmac.Equal(got[:], mac.Sum(nil)) {
			t.Errorf("digest(len %d) differs from HMAC-SHA256", len(v))
		}
	}
}

func TestSnapshotKeepsNoRawValue(t *testing.T) {
	const id = "110101199003078670"
	s, _, err := Compile("p.yaml", []byte("version: v1\nallow_values: {cn_resident_id: [\""+id+"\"]}\nrules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	for d := range s.values.digests {
		if strings.Contains(string(d[:]), id) {
			t.Error("digest holds the raw value")
		}
	}
	if strings.Contains(s.Version()+s.Source()+s.SHA256(), id) {
		t.Error("snapshot strings hold the raw value")
	}
}
