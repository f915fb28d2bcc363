package inspect

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestReview11TitleLinesHideLabels: key-value text whose first lines have
// no delimiter and whose next line has an ASCII comma and a label
// (姓名：张三, 住址：…) is now taken for a CSV under title lines; in CSV mode
// labels are not read, so names and addresses that counted before the
// title-line change count nothing. A body starting with a blank line is
// one such case. Fails: Name and Address come out 0.
func TestReview11TitleLinesHideLabels(t *testing.T) {
	runScanTests(t, []scanTest{
		{"key-value lines under a title",
			"客户资料\n姓名：张三, 住址：北京市朝阳区建国路88号\n姓名：李四, 住址：上海市浦东新区世纪大道100号\n",
			countsOf(map[Detector]int{Name: 2, Address: 2})},
		{"a body starting with a blank line",
			"\n姓名：张伟, 手机：13800138000\n住址：北京市朝阳区建国路88号\n",
			countsOf(map[Detector]int{Mobile: 1, Name: 1, Address: 1})},
		{"a notice",
			"通知\n收件人 张伟\n姓名：王芳, 住址：上海市浦东新区世纪大道100号\n电话：13800138000\n",
			countsOf(map[Detector]int{Mobile: 1, Name: 1, Address: 1})},
	})
}

// TestReview11ProseUnderTitleIsNoHeader: a chat transcript whose third line
// is a sentence with an ASCII comma and the word 姓名 becomes a CSV header
// under two "title lines"; every later line's first word is then read as
// a cell of the 姓名 column, and the speakers count as names. Before the
// change the body was text and nothing counted. Fails: Name 3.
func TestReview11ProseUnderTitleIsNoHeader(t *testing.T) {
	runScanTests(t, []scanTest{
		{"chat transcript",
			"群聊记录\n2026-11-28\n请大家核对姓名, 有误请联系我\n张伟: 好的\n王芳: 收到\n李娜: 没问题\n",
			countsOf(nil)},
	})
}

// TestReview11RuleLineTakesATitleSlot: the line under a rule line is read
// twice in readHeader (the rule branch drops its next), so a rule line
// above five title lines uses up a sixth slot and the header is missed,
// while five title lines alone are fine. Fails: 0 names and addresses.
func TestReview11RuleLineTakesATitleSlot(t *testing.T) {
	const table = "姓名,住址\n张伟,北京市朝阳区建国路88号\n"
	want := countsOf(map[Detector]int{Name: 1, Address: 1})
	runScanTests(t, []scanTest{
		{"five titles", "A\nB\nC\nD\nE\n" + table, want},
		{"rule line and five titles", "+------+\nA\nB\nC\nD\nE\n" + table, want},
	})
}

// TestReview11TitleLinesSplitInvariance (passes): random bodies of title
// lines (blank, CR-only, long up to and past headerMax, BOM, rule and
// sep= lines) over CSV, TSV and bar headers and rows count the same whole,
// in 1-byte writes and in random writes; no stall while title lines wait.
func TestReview11TitleLinesSplitInvariance(t *testing.T) {
	e := newTestEngine(t)
	r := rand.New(rand.NewPCG(3, 4))
	lines := []func() string{
		func() string { return "客户信息导出" },
		func() string { return "" },
		func() string { return "\r" },
		func() string { return strings.Repeat("题", r.IntN(1400)) },
		func() string { return strings.Repeat("x", 4090+r.IntN(12)) },
		func() string { return "+-----+-----+" },
		func() string { return "sep=," },
		func() string { return "姓名,身份证号,住址" },
		func() string { return "姓名\t住址" },
		func() string { return "| 姓名 | 住址 |" },
		func() string { return "张伟,110101199003078515,北京市朝阳区建国路88号" },
		func() string { return "\"张伟\",\"110101199003078515\",\"北京市朝阳区建国路88号\"" },
		func() string { return "姓名：王芳 住址：上海市浦东新区世纪大道100号" },
		func() string { return "张伟" },
		func() string { return "\xef\xbb\xbf" },
	}
	for it := 0; it < 800; it++ {
		var sb strings.Builder
		for range 1 + r.IntN(9) {
			sb.WriteString(lines[r.IntN(len(lines))]())
			if r.IntN(8) != 0 {
				sb.WriteByte('\n')
			}
		}
		body := []byte(sb.String())
		if why := splitMismatch(e, r, body); why != "" {
			t.Fatalf("%s in %q", why, body[:min(len(body), 300)])
		}
	}
}

// TestReview11TitleLinesSettle (passes): while title lines and the header
// under them may still arrive, Settled stays at 0 and the buffer never
// fills (rule line, five title lines of almost headerMax each, then the
// header written byte by byte); once the header is read everything counts.
func TestReview11TitleLinesSettle(t *testing.T) {
	e := newTestEngine(t)
	body := "\xef\xbb\xbf+" + strings.Repeat("-", 4000) + "+\n" + strings.Repeat(strings.Repeat("题", 1360)+"\n", 4) +
		"姓名,住址\n张伟,北京市朝阳区建国路88号\n王芳,上海市浦东新区世纪大道100号\n" + strings.Repeat("x", 2000)
	s := e.NewScanner()
	defer s.Release()
	for i := range len(body) {
		s.Write([]byte{body[i]})
		if st := s.Settled(); st > 0 && i < 5*4000 {
			t.Fatalf("settled %d at byte %d, before the header row", st, i)
		}
	}
	s.Close()
	if got, want := s.Tally().Counts, countsOf(map[Detector]int{Name: 2, Address: 2}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}
