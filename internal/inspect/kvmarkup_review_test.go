package inspect

import "testing"

// TestKVMarkupReviewComment: cellBefore passed over a key cell's markup a
// tag at a time, so a comment that holds tags was read as markup and the
// label commented out in it as the key: <td>备注<!-- <b>姓名</b> --></td>
// made the next cell a labelled name (1; 0 before 12de6bf). A comment is
// passed over whole; markup after a key still is, in any chunking.
func TestKVMarkupReviewComment(t *testing.T) {
	runPaddedScanTests(t, []scanTest{
		{"label commented out", "<tr><td>备注<!-- <b>姓名</b> --></td><td>王府井</td></tr>", [NumDetectors]int{}},
		{"comment with a bracket", "<tr><td>备注<!-- 姓名 <默认> --></td><td>王府井</td></tr>", [NumDetectors]int{}},
		{"comment after the key", "<tr><td><b>姓名</b><!-- <i>x</i> --></td><td>张伟</td></tr>", countsOf(map[Detector]int{Name: 1})},
		{"empty comment", "<tr><td>姓名<!----></td><td>张伟</td></tr>", countsOf(map[Detector]int{Name: 1})},
	}, 41, xPad)
}
