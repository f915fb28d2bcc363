package inspect

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// FuzzScanner checks that any input scans without panicking, that the
// result does not depend on where the body is cut, and that samples are
// masked (no sample equals a digit run of the input).
func FuzzScanner(f *testing.F) {
	for _, doc := range corpus.Renderings(corpus.Records(1, 3)) {
		f.Add(doc.Data, uint16(7))
		// A leading newline is a blank title line: the CSV header check
		// reads on to the next line.
		f.Add(append([]byte("\n"), doc.Data...), uint16(5))
		f.Add(append([]byte("客户信息导出\r\n导出时间 2026-11-28\r\n"), doc.Data...), uint16(3))
	}
	for _, s := range []string{
		"x " + entities(strings.Repeat("9", 120)+"110101199003078670") + " y",
		"x " + fullWidth(strings.Repeat("9", 200)+"110101199003078670") + " y",
		"住址=" + url.QueryEscape("北京市朝阳区"+strings.Repeat("大", 50)+"路88号") + "&x=1",
		"<table><tr><th>编号</th><th>姓名</th></tr><tr><td>1</td><td><b>张三</b></td></tr></table><td>李四</td>",
		"该用户姓名为姜鑫博（男），家庭住址是北京市海淀区中关村大街1号，他为人正直",
		"ids=" + url.QueryEscape("110101199003078670,440308199901101512\n"),
		// Adversarial spellings (TestAdversarialSplitCases).
		`\uff111５&#48;20039336`, "%EF%BC%91&#x31;77 6531 6073", `\u86-1854713643９`,
		"&#6 62&#x32;262７198&#52;&#48;6034", "7-2 &#X31;87-9331-&#x33;996",
		// Groups joined by the other joiners (TestGroupJoiners), and cut ones.
		"138\u30001234\u30005678", "6222－0212－3456－7890－128", "110101\u00a019900307\u00a08670",
		"138&nbsp;1234&#160;5678 &#xA0;1", "１３８\u3000１２３４－５６７８", "12\u3000\u30003\xe3\x80 4\xc2",
		// Text tables (TestTextTableColumns) and full-width ＠ (TestFullWidthAt).
		"姓名;住址;护照号\n张伟;北京市朝阳区建国路88号;E12345678\n李娜&#160;;12&nbsp;;34\n",
		" 姓名 | 住址       | 护照号\n------+------------+-----------\n 张伟 | 北京市朝阳区建国路88号 | E12345678\n(1 row)\n",
		"+----+----+\n| 姓名 | 护照号 |\n+----+----+\n| 张伟 | E12345678 |\n+----+----+\n",
		"| name | addr |\n|:---|---:|\n| 张伟 | 北京市朝阳区建国路88号 |\n",
		"zhang.san＠qq.com a%EF%BC%A0qq.com a\\uff20qq.com a\\u0040qq.com a\xef\xbc",
		// Tables inside text (TestTablesInsideText): Markdown after prose,
		// in a JSON string, and spreadsheet rows as \t escapes.
		"名单：\n| 姓名 | 护照号 | 住址 |\n|---|---|---|\n| 张伟 | E12345678 | 北京市朝阳区建国路88号 |\n备注\n",
		`{"content":"名单\n| 姓名 | 护照号 |\r\n| 张伟 | E12345678 |","b":"x | G12345678 |"}`,
		`{"c":"x\n\u59d3\u540d\t\u62a4\u7167\u53f7\n\u5f20\u4f1f\tEA1234567\n"}`,
		// Spreadsheet rows pasted into plain text (TestTabRowsInText).
		"名单：\n姓名\t护照号\t住址\r\n张伟\tE12345678\t北京市朝阳区建国路88号\n\t\t\nname\tpassport\n王芳\tE87654321\n",
		// Arrays of rows (TestJSONGridHeaderRow, TestJSONGridCells).
		`{"values":[["表"],[],["姓名","护照号"],["张伟","E12345678"],["李\"],[\"娜",[1,{"a":"]"}]]],"x":["王芳"]}`,
		"[\n [\n  \"\\u59d3\\u540d\",\n  \"\\u4f4f\\u5740\"\n ],\n [\"张伟\", \"北京市朝阳区建国路88号\"]\n]",
		`{"columns":["姓名","住址"],"index":[0],"data":[["张伟","北京市朝阳区建国路88号"]]}`,
		`{"meta":[{"name":"姓名","type":"String"},{"name":"护照号"}],"data":[["张伟","E12345678"]],"rows":1}`,
		// Comma-separated rows in a JSON string (TestCommaRowsInJSONString).
		`{"content":"名单：\n姓名,护照号,住址\r\n张伟,E12345678,北京市朝阳区建国路88号\n李娜,G1234,\n","x":"a,b\nc,d"}`,
		`{"args":"{\"csv\":\"姓名,住址\\n张伟,北京市朝阳区建国路88号\\n\"}"}`,
		// JSON inside a JSON string (TestJSONInsideJSONValues, TestJSONGridInsideJSON).
		`{"content":"名单：\n[[\"姓名\",\"住址\"],\n [\"张伟\",\"北京市朝阳区建国路88号\"]]","x":[{\"姓名\": \"李娜\"}]}`,
		`{"args":"{\"rows\":\"[[\\\"\\\\u59d3\\\\u540d\\\"],[\\\"\\\\u5f20\\\\u4f1f\\\"]]\"}"}`,
		// An HTML table in JSON as Go's encoding/json writes it (TestMarkupEscapedInJSON).
		`{"html":"\u003ctable\u003e\u003ctr\u003e\u003cth\u003e姓名\u003c/th\u003e\u003c/tr\u003e\u003ctr\u003e\u003ctd\u003e\u0026nbsp;张伟\u003c/td\u003e\u003c/tr\u003e\u003c/table\u003e","x":"\\u003c \u003"}`,
	} {
		f.Add([]byte("\n"+s), uint16(3))
	}
	for _, s := range []string{
		"110101199003078670", "+86 138 1234 5678", `{"name":"\u738b\u5c0f\u660e"}`,
		"&#49;&#49;&#48;", "%31%33", "１３８", "a@b.cn", "姓名,住址\n张三,北京市朝阳区建国路1号\n",
		"\xef\xbc", "\\u00", "%E5%", "&#x3", "E1234567", "6222 0212 3456 7890 128",
	} {
		f.Add([]byte(s), uint16(1))
	}
	e, err := NewEngine(Config{Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		want := scanAll(e, body)
		c := int(cut)%(len(body)+1) + 1
		var cuts []int
		for x := c; x < len(body); x += c {
			cuts = append(cuts, x)
		}
		if got := splitScan(e, body, cuts); got != want {
			t.Fatalf("chunk size %d: got %v, whole body %v", c, got, want)
		}
		s := e.NewScanner()
		defer s.Release()
		s.Write(body)
		s.Close()
		if s.Settled() != int64(len(body)) || s.Tally().Bytes != int64(len(body)) {
			t.Fatalf("settled %d, bytes %d, want %d", s.Settled(), s.Tally().Bytes, len(body))
		}
		for _, d := range AllDetectors() {
			for _, sample := range s.Tally().Samples(d) {
				if d != Email && len(sample) >= 11 && bytes.Contains(body, []byte(sample)) {
					t.Fatalf("%s sample %q appears verbatim in the input", d, sample)
				}
			}
		}
	})
}

// FuzzUnits checks the escape decoders never read out of bounds.
func FuzzUnits(f *testing.F) {
	for _, s := range []string{"\\u0031", "%31", "%E5%BC%A0", "&#49;", "&#x31;", "１", "&#1114112;", "%"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for j := range b {
			if _, w := digitUnit(b, j, len(b)); j+w > len(b) {
				t.Fatalf("digitUnit width %d past end at %d", w, j)
			}
			if _, w := runeUnit(b, j, len(b)); w < 1 || j+w > len(b) {
				t.Fatalf("runeUnit width %d at %d of %d", w, j, len(b))
			}
		}
	})
}
