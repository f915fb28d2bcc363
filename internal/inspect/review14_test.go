package inspect

import "testing"

// TestReview14GreetingMakesProseAHeader: a message that opens with a
// greeting ending in an ASCII comma ("您好,", "Hi team,": one non-empty
// cell, so titleRow takes it for a spreadsheet's merged title) and goes
// on with a sentence that names two fields between commas now has that
// sentence read as a CSV header row. The body becomes a CSV, whose
// separators read no 姓名：/住址：/护照号： labels, so every labelled value
// below it is lost. Before b94403d the first line was no header and the
// body was text: 2 names, 2 addresses, 2 passports.
func TestReview14GreetingMakesProseAHeader(t *testing.T) {
	runScanTests(t, []scanTest{
		{"您好, then a sentence naming fields",
			"您好,\n以下是客户姓名,身份证号,住址和护照号\n" +
				"姓名：张伟 身份证号：110101199003078515 住址：北京市朝阳区建国路88号 护照号：E12345678\n" +
				"姓名：王芳 住址：上海市浦东新区世纪大道100号 护照号：G12345678\n",
			countsOf(map[Detector]int{ResidentID: 1, Name: 2, Address: 2, Passport: 2})},
		{"Hi team, then a sentence naming fields",
			"Hi team,\nplease check name,address and passport below\n姓名：张伟\n住址：北京市朝阳区建国路88号\n护照号：E12345678\n",
			countsOf(map[Detector]int{Name: 1, Address: 1, Passport: 1})},
	})
}
