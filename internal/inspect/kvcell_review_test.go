package inspect

import (
	"strings"
	"testing"
)

// TestKeyValueProseKey: the cell before a key-value row's value is its key
// only when it is one field, as a label window is: a cell of prose whose
// sentences mention 姓名, 地址 or 联系人 (a notice laid out in a table, as
// mail editors do) labels no short word in the cell after it (江南, 高铁:
// a surname character first). A key with a colon, an entity or a note in
// parentheses still labels its value.
func TestKeyValueProseKey(t *testing.T) {
	notice := strings.Join([]string{
		`<table class="MsoTableGrid" border="1">`,
		`<tr><td width="180">报名方式：回复本邮件，注明部门和姓名</td><td width="120">金山</td></tr>`,
		`<tr><td width="180">会后材料寄回，地址见附件</td><td width="120">白云</td></tr>`,
		`<tr><td width="180">如有疑问，请联系人事部</td><td width="120">高铁</td></tr>`,
		`<tr><td width="180">晚宴，请在签到表上写明姓名、地址</td><td width="120">江南</td></tr>`,
		`</table>`,
	}, "\n")
	tests := []scanTest{
		{"notice", notice, [NumDetectors]int{}},
		{"prose before an address", "<tr><td>寄送说明，请核对收件地址</td><td>北京市朝阳区建国路88号</td></tr>", [NumDetectors]int{}},
		{"key", "<tr><td>联系人姓名</td><td>王芳</td></tr>", countsOf(map[Detector]int{Name: 1})},
		{"key with an entity", "<tr><td>姓名：&nbsp;</td><td>王芳</td></tr>", countsOf(map[Detector]int{Name: 1})},
		{"key with a note", "<tr><td>家庭住址（现居）</td><td>北京市朝阳区建国路88号</td></tr>", countsOf(map[Detector]int{Address: 1})},
	}
	runPaddedScanTests(t, tests, 97, xPad)
}
