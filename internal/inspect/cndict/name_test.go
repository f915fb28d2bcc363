package cndict

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIsName(t *testing.T) {
	tests := []struct {
		name string
		give string
		want bool
	}{
		{"two runes", "张三", true},
		{"three runes", "王小明", true},
		{"modern surname", "覃海洋", true},
		{"compound surname, one given", "欧阳修", true},
		{"compound surname, two given", "上官婉儿", true},
		{"compound read as single", "欧阳", true},
		{"four runes need a compound", "王大小明", false},
		{"five runes", "欧阳小明明", false},
		{"one rune", "李", false},
		{"no surname", "的确是", false},
		{"stop word", "公司", false},
		{"stop word prefix", "时间表", false},
		{"place name", "中国", false},
		{"ends like a place", "广州市", false},
		{"ends like a road", "王府路", false},
		{"ASCII", "Zhang San", false},
		{"mixed ASCII", "张san", false},
		{"space inside", "张 三", false},
		{"empty", "", false},
		{"invalid UTF-8", "张\xff", false},
		{"truncated rune", "张\xe4\xb8", false},
		{"dotted minority name", "阿卜杜·热合曼", true},
		{"three dotted parts", "买买提·艾力·阿卜杜拉", true},
		{"katakana middle dot", "阿卜杜・热合曼", true},
		{"dotted place", "中国·北京", false},
		{"leading dot", "·热合曼", false},
		{"trailing dot", "阿卜杜·", false},
		{"double dot", "阿卜杜··热合曼", false},
		{"five dotted parts", "阿·卜·杜·热·合", false},
		{"dotted, too long", "阿卜杜热合曼阿卜杜·热合曼阿卜杜热合曼", false},
		{"dotted with ASCII", "阿卜杜·Rahman", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsName([]byte(tt.give)); got != tt.want {
				t.Errorf("IsName(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func FuzzIsName(f *testing.F) {
	for _, s := range []string{"张三", "上官婉儿", "公司", "阿卜杜·热合曼", "·", "张\xff", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !IsName(b) {
			return
		}
		s := string(b)
		if !utf8.Valid(b) || len(b) > maxNameBytes {
			t.Fatalf("IsName(%q) = true for invalid or long input", b)
		}
		if !strings.ContainsAny(s, middleDots) && SurnameLen(b) == 0 {
			t.Fatalf("IsName(%q) = true without a surname", b)
		}
	})
}

func BenchmarkIsName(b *testing.B) {
	inputs := [][]byte{[]byte("王小明"), []byte("上官婉儿"), []byte("公司"), []byte("阿卜杜·热合曼")}
	dict()
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if IsName(inputs[i&3]) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no names found")
	}
}
