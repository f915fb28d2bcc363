package gen

import (
	"slices"
	"strings"
	"testing"
)

const header = "\ufeff代码,一级行政区,二级行政区,名称,级别,状态,启用时间,变更/弃用时间,新代码\n"

func TestCodes(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []int
		wantErr bool
	}{
		{
			name: "statuses all count, permits added",
			give: header +
				"440000,广东省,,广东省,省级,在用,1981,,\n" +
				"440524,广东省,汕头市,潮阳县,县级,弃用,1983,1993,440582\n" +
				"440113,广东省,广州市,番禺区,县级,在用,2000,,440115[2005]\n" +
				"440102,广东省,广州市,东山区,县级,变更,1983,2005,440104\n",
			want: []int{440000, 440102, 440113, 440524, 810000, 820000, 830000},
		},
		{
			name: "prefecture adds xxyy01 placeholder",
			give: header + "440100,广东省,广州市,广州市,地级,在用,1981,,\n",
			want: []int{440100, 440101, 810000, 820000, 830000},
		},
		{
			name: "municipality adds xx0100 and xx0200",
			give: header +
				"110000,北京市,,北京市,省级,在用,1981,,\n" +
				"110101,北京市,直辖,东城区,县级,在用,1981,,\n",
			want: []int{110000, 110100, 110101, 110200, 810000, 820000, 830000},
		},
		{
			name: "header without BOM, duplicate codes",
			give: strings.TrimPrefix(header, "\ufeff") +
				"132201,河北省,邢台地区,南宫市,县级,弃用,1986,1993,130581\n" +
				"132201,河北省,邢台地区,邢台市,县级,变更,1981,1983,130502\n",
			want: []int{132201, 810000, 820000, 830000},
		},
		{name: "empty input", give: "", wantErr: true},
		{name: "no rows", give: header, wantErr: true},
		{name: "wrong header", give: "code,province,prefecture\n110000,a,b\n", wantErr: true},
		{name: "short code", give: header + "11000,北京市,,北京市\n", wantErr: true},
		{name: "non-digit code", give: header + "11000x,北京市,,北京市\n", wantErr: true},
		{name: "signed code", give: header + "+11000,北京市,,北京市\n", wantErr: true},
		{name: "too few columns", give: header + "110000,北京市\n", wantErr: true},
		{name: "bad quoting", give: header + "\"110000,北京市,,\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Codes(strings.NewReader(tt.give))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Codes() error = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Codes() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPack(t *testing.T) {
	tests := []struct {
		name string
		give []int
		want string
	}{
		{"empty", nil, "\n"},
		{"one prefix", []int{110100, 110101}, "1101 00 01\n"},
		{"leading zeros", []int{100, 10001}, "0001 00\n0100 01\n"},
		{"several prefixes", []int{110000, 110101, 440524}, "1100 00\n1101 01\n4405 24\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pack(tt.give); got != tt.want {
				t.Errorf("Pack(%v) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	src, err := Generate(strings.NewReader(header + "440100,广东省,广州市,广州市,地级,在用,1981,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DO NOT EDIT", "package areacode", "const numCodes = 5\n", "\n4401 00 01\n"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("Generate() output lacks %q:\n%s", want, src)
		}
	}
	if _, err := Generate(strings.NewReader("")); err == nil {
		t.Error("Generate(empty) succeeded, want error")
	}
}

func FuzzCodes(f *testing.F) {
	f.Add(header + "440100,广东省,广州市,广州市,地级,在用,1981,,\n")
	f.Add(header + "110101,北京市,直辖,东城区,县级,在用,1981,,\n")
	f.Add(header + "11000x,a,b\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		codes, err := Codes(strings.NewReader(s))
		if err != nil {
			return
		}
		if !slices.IsSorted(codes) {
			t.Fatalf("Codes(%q) not sorted: %v", s, codes)
		}
		for _, c := range codes {
			if c < 0 || c > 999999 {
				t.Fatalf("Codes(%q) returned %d, outside 000000..999999", s, c)
			}
		}
	})
}
