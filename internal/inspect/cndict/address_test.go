package cndict

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAddressScore(t *testing.T) {
	tests := []struct {
		name string
		give string
		want int
	}{
		{"full address", "北京市朝阳区建国路88号", 5},
		{"autonomous region", "新疆维吾尔自治区乌鲁木齐市天山区人民路1号", 6},
		{"building, unit, room", "浙江省杭州市西湖区文三路90号东部软件园1号楼501室", 8},
		{"two-rune markers", "四川省成都市武侯区某某小区2栋3单元501室", 7},
		{"subdistrict", "天河区石牌街道龙口西路", 3},
		{"hutong", "北京市东城区南锣鼓巷帽儿胡同", 4},
		{"full-width digits, 州 counts", "广州市天河区体育西路１２３号", 6},
		{"chinese numerals", "上海市黄浦区南京东路一号", 5},
		{"letters and punctuation", "深圳市南山区科技园A座-3楼(北)", 5},
		{"division and street only", "深圳市深南大道", 2},
		{"village and group", "湖南省邵阳县塘渡口镇白竹村3组", 6},
		{"no locality", "上海市浦东新区张江镇", 0},
		{"district named after a tower", "江苏省南京市鼓楼区", 0},
		{"no division", "建国路88号", 0},
		{"locality before division", "建国路88号朝阳区", 0},
		{"marker opens the text", "市场部组织活动", 0},
		{"markers inside words", "我知道市场区别很大啊", 0},
		{"sentence", "我在北京市工作，住在朝阳区", 0},
		{"too short", "某市某路", 0},
		{"too long", strings.Repeat("北京市朝阳区建国路88号", 8), 0},
		{"mostly digits and letters", "A市B路1234567890abcdef", 0},
		{"ASCII", "1600 Amphitheatre Parkway", 0},
		{"empty", "", 0},
		{"invalid UTF-8", "北京市朝阳区建国路\xff号", 0},
		{"control character", "北京市朝阳区建国路\n88号", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddressScore([]byte(tt.give)); got != tt.want {
				t.Errorf("AddressScore(%q) = %d, want %d", tt.give, got, tt.want)
			}
			if got, want := IsAddress([]byte(tt.give)), tt.want > 0; got != want {
				t.Errorf("IsAddress(%q) = %v, want %v", tt.give, got, want)
			}
		})
	}
}

func TestScanField(t *testing.T) {
	tests := []struct {
		name               string
		give               string
		max                int
		wantLen, wantRunes int
		wantHan            int
		wantName           bool
		wantAddress        bool
	}{
		{"address cell", "北京市朝阳区建国路88号,EV768", 64, 32, 12, 10, false, true},
		{"address before a quote", "四川省成都市武侯区某某小区2栋3单元501室\",", 64, 56, 22, 17, false, true},
		{"name cell", "张三,138", 64, 6, 2, 2, true, false},
		{"compound surname", "欧阳娜娜,1", 64, 12, 4, 4, true, false},
		{"organisation", "公司名称,1", 64, 12, 4, 4, false, false},
		{"place", "广州市,1", 64, 9, 3, 3, false, false},
		{"five runes", "张三李四王,1", 64, 15, 5, 5, false, false},
		{"name with letters", "张三A,1", 64, 7, 3, 2, false, false},
		{"no locality", "上海市浦东新区张江镇,1", 64, 30, 10, 10, false, false},
		{"markers inside words", "我知道市场区别很大啊,1", 64, 30, 10, 10, false, false},
		{"stops at an escape", "北京市\\u671d阳区建国路88号,", 64, 9, 3, 3, false, false},
		{"stops at full-width punctuation", "北京市朝阳区建国路88号（北）,", 64, 32, 12, 10, false, true},
		{"a rune before the Han block", "北京市朝阳区建国路88号\xe4\x80\x80,1", 64, 35, 13, 11, false, false},
		{"rune limit", "北京市朝阳区建国路88号,1", 5, 15, 5, 5, false, false},
		{"value up to the end of the text", "张三", 64, 6, 2, 2, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ScanField([]byte(tt.give), tt.max)
			want := Field{tt.wantLen, tt.wantRunes, tt.wantHan, tt.wantName, tt.wantAddress}
			if f != want {
				t.Errorf("ScanField(%q, %d) = %+v, want %+v", tt.give, tt.max, f, want)
			}
			// A value read to its end is a name or an address exactly when
			// IsName or IsAddress says so.
			if v := []byte(tt.give)[:f.Len]; f.Runes < tt.max && f.Len+2 < len(tt.give) &&
				(f.Name != IsName(v) || f.Address != IsAddress(v)) {
				t.Errorf("ScanField(%q) = %+v, IsName or IsAddress of the value disagrees", tt.give, f)
			}
		})
	}
}

func FuzzAddressScore(f *testing.F) {
	for _, s := range []string{"北京市朝阳区建国路88号", "四川省成都市武侯区某某小区2栋3单元501室", "市场部组织活动", "", "\xff", "区路区路区路"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		score := AddressScore(b)
		if score == 0 {
			return
		}
		if score < 2 || score > maxAdminScore+maxPlaceScore+maxUnitScore {
			t.Fatalf("AddressScore(%q) = %d, want 0 or 2..8", b, score)
		}
		if n := utf8.RuneCount(b); !utf8.Valid(b) || n < minAddressRunes || n > maxAddressRunes {
			t.Fatalf("AddressScore(%q) = %d for invalid UTF-8 or %d runes", b, score, n)
		}
	})
}

func TestZeroAlloc(t *testing.T) {
	tests := []struct {
		name string
		give func()
	}{
		{"SurnameLen", func() { SurnameLen([]byte("欧阳修")) }},
		{"IsName", func() { IsName([]byte("阿卜杜·热合曼")) }},
		{"AddressScore", func() { AddressScore([]byte("四川省成都市武侯区某某小区2栋3单元501室")) }},
	}
	dict()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.give); n != 0 {
				t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
			}
		})
	}
}

func BenchmarkAddressScore(b *testing.B) {
	inputs := [][]byte{
		[]byte("北京市朝阳区建国路88号"),
		[]byte("浙江省杭州市西湖区文三路90号东部软件园1号楼501室"),
		[]byte("市场部组织活动"),
		[]byte("1600 Amphitheatre Parkway"),
	}
	dict()
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		n += AddressScore(inputs[i&3])
	}
	if n == 0 {
		b.Fatal("no addresses found")
	}
}

// TestHan3MatchesDecodeRune checks the inlined decoder against the standard
// one on every sequence it accepts, and that it declines other lead bytes.
func TestHan3MatchesDecodeRune(t *testing.T) {
	for lead := 0xE0; lead <= 0xEF; lead++ {
		for b1 := range 256 {
			for _, b2 := range []int{0x00, 0x80, 0xA5, 0xBF, 0xC0} {
				s := []byte{byte(lead), byte(b1), byte(b2)}
				r, ok := han3(s, 0)
				if lead < 0xE4 || lead > 0xE9 {
					if ok {
						t.Fatalf("han3(% x) accepted a lead byte outside E4-E9", s)
					}
					continue
				}
				want, size := utf8.DecodeRune(s)
				if ok != (size == 3) || ok && r != want {
					t.Fatalf("han3(% x) = %U, %v; utf8.DecodeRune = %U, %d", s, r, ok, want, size)
				}
			}
		}
	}
	if _, ok := han3([]byte{0xE5, 0xBC}, 0); ok {
		t.Error("han3 read past the end of a cut sequence")
	}
}
