package inspect

import "testing"

// TestUnderscoreJoinedNames: an ID, mobile or card joined by '_' to Han
// text stands alone, as after a hyphen (file names such as
// 张三_110101199003078670.jpg, which a zip of scanned ID cards lists by the
// hundred); one joined by '_' or '-' to letters or digits is part of a code
// (order_110101199003078670, IMG_20261127_123456).
func TestUnderscoreJoinedNames(t *testing.T) {
	one := func(d Detector) [NumDetectors]int { return countsOf(map[Detector]int{d: 1}) }
	none := [NumDetectors]int{}
	runScanTests(t, []scanTest{
		{"name before", "张三_110101199003078670.jpg", one(ResidentID)},
		{"name after", "110101199003078670_张三.jpg", one(ResidentID)},
		{"mobile", "李四_13812345678.png", one(Mobile)},
		{"card", "王五_6222021234567890128.pdf", one(BankCard)},
		{"underscore alone", "_110101199003078670_", one(ResidentID)},
		{"letters before", "order_110101199003078670", none},
		{"pinyin before", "zhangsan_13812345678.png", none},
		{"digits after", "110101199003078670_1.jpg", none},
		{"camera file", "IMG_20261127_123456.jpg VID_13812345678_1.mp4", none},
	})
}
