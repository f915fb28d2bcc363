package inspect

import (
	"bytes"
	"strings"
	"testing"
)

// TestEveryWireFormMatches checks that the folded automata find every
// spelling LabelForms lists, whatever the text around it.
func TestEveryWireFormMatches(t *testing.T) {
	k, err := newKeywordIndex()
	if err != nil {
		t.Fatal(err)
	}
	var fold [foldMax]byte
	for d, words := range keywords {
		for _, form := range wireForms(words) {
			window := []byte("Ab\"" + form + "\":")
			if !k.has(Detector(d), foldCase(&fold, window)) {
				t.Errorf("%s: spelling %q not found", Detector(d), form)
			}
		}
	}
}

func TestFoldCase(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"ascii", "RealName", "realname"},
		{"escape upper hex", `\u59D3\u540D`, `\u59d3\u540d`},
		{"capital U escape kept", `\U59D3\U540D`, `\U59d3\U540d`},
		{"percent upper hex", "%E5%A7%93", "%e5%a7%93"},
		{"han and punctuation kept", "姓名：[]@`{", "姓名：[]@`{"},
		{"longer than the scratch keeps the tail", strings.Repeat("x", foldMax) + "NAME", strings.Repeat("x", foldMax-4) + "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fold [foldMax]byte
			src := []byte(tt.give)
			orig := bytes.Clone(src)
			if got := foldCase(&fold, src); string(got) != tt.want {
				t.Errorf("foldCase(%q) = %q, want %q", tt.give, got, tt.want)
			}
			if !bytes.Equal(src, orig) {
				t.Errorf("foldCase changed its source to %q", src)
			}
		})
	}
}

// TestLabelSpellings finds a name by its label in every spelling and case
// the wire may use, without decoding the body.
func TestLabelSpellings(t *testing.T) {
	name := countsOf(map[Detector]int{Name: 1})
	tests := []scanTest{
		{"raw utf-8", "姓名：张三", name},
		{"json escape lower hex", `{"\u59d3\u540d":"张三"}`, name},
		{"json escape upper hex", `{"\u59D3\u540D":"张三"}`, name},
		{"json escape mixed hex", `{"\u59D3\u540d":"张三"}`, name},
		{"percent upper hex", "%E5%A7%93%E5%90%8D=%E5%BC%A0%E4%B8%89&x=1", name},
		{"percent lower hex", "%e5%a7%93%e5%90%8d=%e5%bc%a0%e4%b8%89&x=1", name},
		{"percent mixed hex", "%E5%a7%93%e5%90%8D=张三&x=1", name},
		{"ascii lower", "name=张三&x=1", name},
		{"ascii title", "Name=张三&x=1", name},
		{"ascii upper", "NAME=张三&x=1", name},
		{"ascii camel", `{"realName":"张三"}`, name},
		{"ascii camel upper", `{"REALNAME":"张三"}`, name},
		{"ascii mixed", "nAmE=张三&x=1", name},
		{"csv header upper", "NAME,ADDR\n王伟,广州市天河区体育西路1号\n", countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"csv header escaped", "\\u59D3\\u540D,\\u4f4f\\u5740\n王伟,广州市天河区体育西路1号\n", countsOf(map[Detector]int{Name: 1, Address: 1})},
		{"no label", "nick=张三&x=1", [NumDetectors]int{}},
		{"label of another field", "city=张三&x=1", [NumDetectors]int{}},
		{"partial escape", `{"\u59d3":"张三"}`, [NumDetectors]int{}},
		{"capital U is no escape", `{"\U59D3\U540D":"张三"}`, [NumDetectors]int{}},
		{"capital U card label", `{"\U5361\U53F7":"6222021234567890"}`, [NumDetectors]int{}},
	}
	runScanTests(t, tests)
}

// TestLabelledScanAllocatesNothing scans labelled values (every one asks
// the automata about its label window) in steady state.
func TestLabelledScanAllocatesNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	var body []byte
	for len(body) < benchChunk {
		body = append(body, `{"Name":"张三","ADDRESS":"北京市朝阳区建国路88号","\u59D3\u540D":"李四","Card_No":"6222021234567890121"}`...)
		body = append(body, '\n')
	}
	s.Write(body) // warm up: sets grow to their working size
	if allocs := testing.AllocsPerRun(100, func() { s.Write(body) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(body))
	}
	want := countsOf(map[Detector]int{Name: 2, Address: 1, BankCard: 1})
	if s.Close(); s.Tally().Counts != want {
		t.Errorf("got %v, want %v", s.Tally().Counts, want)
	}
}
