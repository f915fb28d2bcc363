package cndict

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSurnameLen(t *testing.T) {
	tests := []struct {
		name string
		give string
		want int
	}{
		{"single", "王小明", 3},
		{"single alone", "李", 3},
		{"modern surname", "肖战", 3},
		{"compound", "欧阳修", 6},
		{"compound alone", "诸葛", 6},
		{"compound not a single", "上官婉儿", 6},
		{"compound beats single", "司马光", 6},
		{"single then not compound", "司机", 3},
		{"followed by ASCII", "张3", 3},
		{"followed by invalid UTF-8", "张\xff", 3},
		{"not a surname", "的确", 0},
		{"ASCII", "Wang", 0},
		{"empty", "", 0},
		{"invalid UTF-8", "\xe7\x8e", 0},
		{"full-width letter", "Ｗ", 0},
		{"traditional form not listed", "陳大文", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SurnameLen([]byte(tt.give)); got != tt.want {
				t.Errorf("SurnameLen(%q) = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}

func TestSurnameTables(t *testing.T) {
	seen := map[rune]bool{}
	for _, r := range singleSurnames {
		if !isHan(r) || seen[r] {
			t.Errorf("single surname %q: not Han or listed twice", r)
		}
		seen[r] = true
	}
	if len(seen) < 500 {
		t.Errorf("%d single surnames, want at least 500", len(seen))
	}
	// The 100 most common surnames of the modern frequency list.
	for _, r := range "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤" {
		if !seen[r] {
			t.Errorf("common surname %q missing", r)
		}
	}
	words := strings.Fields(compoundSurnames)
	if len(words) < 70 {
		t.Errorf("%d compound surnames, want at least 70", len(words))
	}
}

// TestPairTables checks that every two-rune table holds distinct words of
// exactly two Han runes, as newPairSet assumes.
func TestPairTables(t *testing.T) {
	tables := map[string]string{
		"compoundSurnames": compoundSurnames,
		"nameStopWords":    nameStopWords,
		"addressStopWords": addressStopWords,
		"adminPairs":       adminPairs,
		"placePairs":       placePairs,
		"unitPairs":        unitPairs,
	}
	for name, table := range tables {
		seen := map[string]bool{}
		for _, w := range strings.Fields(table) {
			if utf8.RuneCountInString(w) != 2 || seen[w] {
				t.Errorf("%s: %q is not two runes or is listed twice", name, w)
			}
			for _, r := range w {
				if !isHan(r) {
					t.Errorf("%s: %q holds a non-Han rune", name, w)
				}
			}
			seen[w] = true
		}
	}
}

func FuzzSurnameLen(f *testing.F) {
	for _, s := range []string{"王小明", "欧阳修", "司机", "Wang", "", "\xe7\x8e", "张\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := SurnameLen(b)
		if n != 0 && n != 3 && n != 6 || n > len(b) {
			t.Fatalf("SurnameLen(%q) = %d, want 0, 3 or 6 within the input", b, n)
		}
		if n > 0 && !utf8.Valid(b[:n]) {
			t.Fatalf("SurnameLen(%q) = %d cuts a rune", b, n)
		}
	})
}

func BenchmarkSurnameLen(b *testing.B) {
	inputs := [][]byte{[]byte("王小明"), []byte("欧阳修"), []byte("的确"), []byte("Wang")}
	dict()
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		n += SurnameLen(inputs[i&3])
	}
	if n == 0 {
		b.Fatal("no surnames found")
	}
}
