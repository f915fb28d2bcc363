package inspect

import "testing"

// TestReview7DoubleUnderscore: a run joined by two or more '_' to letters
// or digits is part of a code (Python and Go test names, dunder keys,
// build tags), as one joined by a single '_' is; '_' alone before Han text
// or at the start still leaves the run standing alone (0151ae3 counted
// id__13812345678 and 13812345678__v2 as mobiles).
func TestReview7DoubleUnderscore(t *testing.T) {
	one := func(d Detector) [NumDetectors]int { return countsOf(map[Detector]int{d: 1}) }
	none := [NumDetectors]int{}
	runPaddedScanTests(t, []scanTest{
		{"snake id", "id__13812345678 ", none},
		{"python test", "def test__13812345678():", none},
		{"go test", "TestFoo__13812345678\n", none},
		{"dunder key", `{"__13812345678":1}`, none},
		{"build tag", "build_2024__110101199003078670\n", none},
		{"card", "snake_case_id__6222021234567890128\n", none},
		{"after", "13812345678__v2\n", none},
		{"name before", " 张三_110101199003078670.jpg", one(ResidentID)},
		{"name after", " 110101199003078670_张三.jpg", one(ResidentID)},
		{"underscore alone", " _13812345678_ ", one(Mobile)},
	}, 7, xPad)
}

// TestReview7OtherWordsInWindow: another key's otherWord in a label window
// leaves the name label of the value's own key standing: a record written
// key：value on one line (an order, an account page) lost its person's name
// after 商品名称, 用户名, 公司名称, project or filename (1bb5b17 looked for
// otherWords anywhere in the window). The key right before the value still
// decides: 商户名称:万科 counts nothing.
func TestReview7OtherWordsInWindow(t *testing.T) {
	one := countsOf(map[Detector]int{Name: 1})
	none := [NumDetectors]int{}
	runPaddedScanTests(t, []scanTest{
		{"order", " 商品名称：手机 收件人：张伟\n", one},
		{"product", " 产品名称: 手机 姓名: 张伟\n", one},
		{"account page", " 用户名：zhangwei 姓名：张伟\n", one},
		{"company", " 公司名称：万科 法人姓名：张伟\n", one},
		{"merchant", " 商户名称:万科 联系人:张伟\n", one},
		{"English", " project: x name: 张伟\n", one},
		{"query", " filename=a.txt name=张伟\n", one},
		{"merchant alone", " 商户名称:万科\n", none},
		{"product name", " Product Name: 张飞牛肉\n", none},
	}, 8, xPad)
}

// TestReview7WholeOtherWords: otherWords are whole names of other things,
// not their first words: 名称 after 姓 or 联系人 and company or project
// before a person's label no longer hide the label (1bb5b17 lost the names
// under 姓名称呼, 联系人名称, company_contact_name, project_owner_name and
// "Name (Company)"), while 客户名称, Company Name, product_name and
// projectName still name no person.
func TestReview7WholeOtherWords(t *testing.T) {
	names := func(n int) [NumDetectors]int { return countsOf(map[Detector]int{Name: n, Mobile: 1}) }
	runPaddedScanTests(t, []scanTest{
		{"姓名称呼", "姓名称呼,电话\n张伟,13812345678\n", names(1)},
		{"联系人名称", "联系人名称,电话\n张伟,13812345678\n", names(1)},
		{"company contact", "company_contact_name,phone\n张伟,13812345678\n", names(1)},
		{"project owner", "project_owner_name,phone\n张伟,13812345678\n", names(1)},
		{"name (company)", "Name (Company),phone\n张伟,13812345678\n", names(1)},
		{"客户名称", "客户名称,电话\n万科,13812345678\n", names(0)},
		{"Company Name", "Company Name,phone\n万科,13812345678\n", names(0)},
		{"product_name", "product_name,phone\n张飞牛肉,13812345678\n", names(0)},
		{"projectName", "{\"projectName\":\"金蝶\",\"phone\":\"13812345678\"}", names(0)},
		{"开户名称", "开户名称,电话\n万科,13812345678\n", names(0)},
	}, 9, func(int) string { return "" }) // a CSV header is a body's first line: no padding, 70 random splits
}

// TestReview7KeysAllocateNothing: label windows that hold another key's
// otherWord (the path that cuts the window into keys) and '_'-joined runs
// scan in steady state without allocating.
func TestReview7KeysAllocateNothing(t *testing.T) {
	e := newTestEngine(t)
	s := e.NewScanner()
	defer s.Release()
	var body []byte
	for len(body) < benchChunk {
		body = append(body, "用户名：zhangwei 姓名：张伟 商品名称：手机 收件人：李娜 id__13812345678 张三_110101199003078670.jpg\n"...)
	}
	s.Write(body)
	if allocs := testing.AllocsPerRun(100, func() { s.Write(body) }); allocs != 0 {
		t.Errorf("%.1f allocations per %d-byte chunk, want 0", allocs, len(body))
	}
}
