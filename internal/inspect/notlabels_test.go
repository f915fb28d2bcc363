package inspect

import "testing"

// TestLabelsInsideOtherWords: a name label inside a word that names
// something else is no name label: 户名 inside 客户名称 and 商户名称, and
// "name" inside namespace, nickname, hostname, file, project,
// product, brand and company names. Company, product and host names under
// such a column counted as people's names (万科, 金蝶: a surname character
// first); the person's name beside them still counts.
func TestLabelsInsideOtherWords(t *testing.T) {
	one := countsOf(map[Detector]int{Name: 1})
	tests := []scanTest{
		{"客户名称", "客户名称,联系人\n万科,张伟\n金蝶,张伟\n", one},
		{"商户名称", "商户名称,收件人\n万达,张伟\n", one},
		// A Han value under a login label is most often a real name.
		{"用户名", "用户名,姓名\n王芳,张伟\n", countsOf(map[Detector]int{Name: 2})},
		{"Markdown", "名单：\n| 客户名称 | 联系人 | 备注 |\n|---|---|---|\n| 万科 | 张伟 | x |\n", one},
		{"td header", "<table><tr><td>商户名称</td><td>联系人</td><td>备注</td></tr><tr><td>万达</td><td>张伟</td><td>x</td></tr></table>", one},
		{"label window", `{"companyName":"万科","contactName":"张伟","projectName":"金蝶"}`, one},
		{"English headers", "namespace,project_name,brand_name,nickname,full_name\n王者,金蝶,万达,李白,张伟\n", one},
		{"the person's name columns", "客户姓名,户名,账户名\n张伟,张伟,张伟\n", one},
	}
	runScanTests(t, tests)
}
