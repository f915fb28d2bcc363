package cndict

import "strings"

// nameStopWords lists common words whose first rune is a surname (or that
// are place names), so that a cell starting with one is not taken for a
// personal name: 公司 is not 公 + 司; nor are the column names of a form or
// a <td> header row next to 姓名 (年龄, 籍贯, 班级, 曾用名). A word is
// matched by its first two runes.
const nameStopWords = `
中国 国家 国际 国内 公司 公开 公安 公共 公告 公里 时间 时候 方法 方面 方式 方案
高速 高级 高度 高效 文件 文化 文字 文章 安全 安装 安排 明天 明白 明细 平台 平安
平均 成功 成本 成都 金额 金融 黄金 白色 关于 关系 关闭 关键 管理 路由 路径 路线
江苏 江西 广东 广州 广西 云南 海南 山东 山西 宁夏 福建 吉林 安徽 北京 上海 天津
重庆 湖南 湖北 河南 河北 浙江 四川 贵州 陕西 甘肃 青海 新疆 西藏 辽宁 香港 澳门
台湾 有限 有效 有关 有些 东西 全部 全国 通过 通知 通讯 能够 能力 和平 都是 于是
单位 单元 单价 包括 包装 计划 计算 应该 应用 解决 解释 宣传 常见 常用 利用 利润
向上 万元 申请 师傅 经理 经济 经营 经过 房间 车辆 车站 左右 石油 容易 习惯 连续
连接 尚未 农业 农村 温度 别人 边境 项目 董事 程序 程度 段落 余额 任务 任何 周末
周期 代码 代表 代理 信息 信用 门店 水平 司机 司法 家庭 家人 谢谢 相关 查询 查看
后来 后面 相同 史上 曾经 于此 马上 陈述 张贴 李子 杨树 黄色 田地 田园 夏天 夏季
秦朝 钟表 严格 严重 武汉 戴上 孔子 向导 汤圆 龙头 雷达 康复 齐全 伍元 元旦 卜卦
季度 强度 强制 红色 游戏 游客 权限 权利 益处 公众 公民 公式 公布 公园
年龄 年级 年度 年份 年限 籍贯 班级 班次 班组 成绩 成员 曾用 家属 家长 宿舍 车牌
车型 车次 车号 费用 经办 经手 经度 操作 时长 时段 简历 简介 简称 房号 房型 钱数
毛重 毛利
`

// nameStopFinals lists runes that end place and organisation names
// (广州市, 李村, 王府井街) rather than personal names.
const nameStopFinals = "省市县区镇乡路街号楼室局厅部司厂店院校所站馆"

// middleDots are the separators of transliterated minority names
// (阿卜杜·热合曼).
const middleDots = "·・‧•"

// maxNameRunes bounds a dotted name in Han runes; maxNameBytes bounds any
// name in bytes (16 three-byte runes and three two-byte dots fit).
const (
	maxNameRunes = 16
	maxNameBytes = 64
)

// IsName reports whether s looks like a Chinese personal name: 2 to 4 Han
// runes made of a known surname (single or compound) and a given name of 1
// or 2 runes, not starting with a common non-name word (公司, 时间) and not
// ending like a place (广州市). A transliterated minority name, 2 to 4 Han
// segments joined by middle dots (阿卜杜·热合曼), is accepted without a
// surname. It does not allocate.
func IsName(s []byte) bool {
	if len(s) > maxNameBytes {
		return false
	}
	d := dict()
	n, first, second := plainWord(s, d)
	switch {
	case n == 0:
		// Not a plain word: a middle dot may join the segments of a
		// transliterated name (Han text never holds one).
		if mayHoldDot(s) {
			if _, _, dotted := cutMiddleDot(s); dotted {
				return isDottedName(s)
			}
		}
		return false
	default:
		return d.name(n, first, second)
	}
}

// name reports whether a plain word (see plainWord) of n Han runes that
// starts with first and second is a personal name: 2 to 4 runes, a known
// surname and a given name of 1 or 2 runes.
func (d *tables) name(n int, first, second rune) bool {
	switch {
	case n < 2 || n > 4:
		return false
	case n >= 3 && d.compounds.has(first, second):
		return true
	default:
		return n <= 3 && d.surnames.has(first)
	}
}

// notName reports whether a Han word that starts with first and second and
// ends with last starts with a common non-name word (公司) or ends like a
// place (广州市).
func (d *tables) notName(first, second, last rune) bool {
	return d.nameStops.has(first, second) || d.nameFinals.has(last)
}

// isDottedName reports whether s is 2 to 4 plain words joined by single
// middle dots, at most maxNameRunes Han runes in all.
func isDottedName(s []byte) bool {
	d := dict()
	runes := 0
	for segments := 1; segments <= 4; segments++ {
		seg, rest, more := cutMiddleDot(s)
		n, _, _ := plainWord(seg, d)
		runes += n
		if n <= 0 || runes > maxNameRunes {
			return false
		}
		if !more {
			return segments >= 2
		}
		s = rest
	}
	return false
}

// plainWord returns the number of runes of s and its first two runes, or
// n = 0 unless s is all Han, does not start with a stop word and does not
// end like a place.
func plainWord(s []byte, d *tables) (n int, first, second rune) {
	var last rune
	for i := 0; i < len(s); {
		r, han := han3(s, i)
		size := 3
		if !han {
			r, size = decodeRune(s[i:])
		}
		if !isHan(r) {
			return 0, 0, 0
		}
		switch n {
		case 0:
			first = r
		case 1:
			second = r
		}
		last = r
		n++
		i += size
	}
	if n == 0 || d.notName(first, second, last) {
		return 0, 0, 0
	}
	return n, first, second
}

// mayHoldDot reports whether s has a lead byte of any middle dot's UTF-8
// form, so that most other text skips the slower cut.
func mayHoldDot(s []byte) bool {
	for _, c := range s {
		if c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xEF {
			return true
		}
	}
	return false
}

// cutMiddleDot slices s around its first middle dot; found reports whether
// there was one.
func cutMiddleDot(s []byte) (before, after []byte, found bool) {
	for i := 0; i < len(s); {
		r, size := decodeRune(s[i:])
		if strings.ContainsRune(middleDots, r) {
			return s[:i], s[i+size:], true
		}
		i += size
	}
	return s, nil, false
}
