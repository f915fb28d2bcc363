package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// idWeights are the GB 11643 weights of the first 17 characters.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// idCheckChar returns the MOD 11-2 check character of the 17 digits d.
func idCheckChar(d string) byte {
	sum := 0
	for i := range 17 {
		sum += int(d[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi converts a short all-digit string; callers check isDigits first.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// knownPrefecture reports whether the first four digits of code appear in the
// GB/T 2260 history (see prefectures).
func knownPrefecture(code string) bool {
	for i := 0; i+4 <= len(prefectures); i += 4 {
		if prefectures[i:i+4] == code[:4] {
			return true
		}
	}
	return false
}

// validDate reports whether the eight digits YYYYMMDD name a real calendar day
// in the years 1800 to 2099.
func validDate(s string) bool {
	y, m, d := atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8])
	if y < 1800 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// ValidResidentID reports whether s is an 18-character resident ID number:
// a known prefecture (the first four digits of any GB/T 2260 code ever used,
// or 8100/8200/8300 for residence permits), a real birth date from 1800 to
// 2099, and a correct MOD 11-2 check character ('X' or 'x' for ten). The area
// check is coarser than an engine's six-digit table, so it accepts a few
// numbers an engine rejects, never the reverse; that makes it a safe filter
// for negative corpora.
func ValidResidentID(s string) bool {
	if len(s) != 18 || !isDigits(s[:17]) || !knownPrefecture(s) || !validDate(s[6:14]) {
		return false
	}
	c := s[17]
	if c == 'x' {
		c = 'X'
	}
	return c == idCheckChar(s)
}

// ValidResidentID15 reports whether s is a first-generation 15-digit ID
// number: a known prefecture, a real birth date 19YYMMDD and a sequence.
func ValidResidentID15(s string) bool {
	return len(s) == 15 && isDigits(s) && knownPrefecture(s) && validDate("19"+s[6:12])
}

// mobileSegments are the allocated three-digit mobile prefixes, as numbering
// data listed them in 2025.
var mobileSegments = [...]string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"145", "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
	"162", "165", "166", "167", "170", "171", "172", "173", "174", "175", "176",
	"177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188",
	"189", "190", "191", "192", "193", "195", "196", "197", "198", "199",
}

// ValidMobile reports whether s is an 11-digit mainland mobile number in an
// allocated segment.
func ValidMobile(s string) bool {
	if len(s) != 11 || !isDigits(s) {
		return false
	}
	for _, seg := range mobileSegments {
		if s[:3] == seg {
			return true
		}
	}
	return false
}

// Luhn reports whether the digit string s passes the Luhn (mod 10) check.
func Luhn(s string) bool {
	return isDigits(s) && luhnSum(s, false)%10 == 0
}

// luhnSum returns the Luhn sum of s; if pending is true, s lacks its final
// check digit, so the doubling starts at the last character of s.
func luhnSum(s string, pending bool) int {
	sum := 0
	double := pending
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum
}

// appendDigits appends n random ASCII digits to b.
func appendDigits(r *rand.Rand, b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return b
}

// pick returns a random element of list.
func pick[T any](r *rand.Rand, list []T) T {
	return list[r.IntN(len(list))]
}

// birthDate returns a random real date from 1930-01-01 to 2010-12-31 as
// YYYYMMDD.
func birthDate(r *rand.Rand) string {
	first := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2010, 12, 31, 0, 0, 0, 0, time.UTC)
	days := int(last.Sub(first).Hours()/24) + 1
	return first.AddDate(0, 0, r.IntN(days)).Format("20060102")
}

// idBody returns the first 17 characters of a resident ID with the given
// area and birth date and a random sequence 001-999.
func idBody(r *rand.Rand, area, date string) string {
	b := make([]byte, 0, 18)
	b = append(b, area...)
	b = append(b, date...)
	seq := 1 + r.IntN(999)
	return string(append(b, byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10)))
}

// ResidentID returns a valid 18-character resident ID number: one of the
// embedded in-use area codes, a birth date from 1930 to 2010, a sequence and
// the MOD 11-2 check character. It never returns a number that also passes
// Luhn, so no card detector can claim it and corpus counts stay exact.
func ResidentID(r *rand.Rand) string {
	for {
		body := idBody(r, pick(r, areas[:]).Code, birthDate(r))
		id := body + string(idCheckChar(body))
		if !Luhn(id) {
			return id
		}
	}
}

// ResidentID15 returns a valid first-generation 15-digit ID number (born
// 1930 to 1999), never Luhn-valid for the same reason as ResidentID.
func ResidentID15(r *rand.Rand) string {
	for {
		date := birthDate(r)
		if date[:2] != "19" {
			continue
		}
		id := idBody(r, pick(r, areas[:]).Code, date[2:])
		if !Luhn(id) {
			return id
		}
	}
}

// Mobile returns a valid mobile number in an allocated segment, avoiding the
// satellite ranges 1349 and 1740.
func Mobile(r *rand.Rand) string {
	for {
		b := appendDigits(r, []byte(pick(r, mobileSegments[:])), 8)
		if s := string(b); s[:4] != "1349" && s[:4] != "1740" {
			return s
		}
	}
}

// unionPayBINs are six-digit UnionPay issuer prefixes of large domestic banks.
var unionPayBINs = [...]string{
	"622202", "622848", "621700", "622588", "621483", "622700",
	"621661", "622262", "623058", "622609", "621226", "625965",
}

// BankCard returns a Luhn-valid card number: mostly UnionPay (62, 16 or 19
// digits), some 16-digit Visa (4) and Mastercard (51-55) numbers.
func BankCard(r *rand.Rand) string {
	var b []byte
	n := 16
	switch k := r.IntN(10); {
	case k < 7:
		b = []byte(pick(r, unionPayBINs[:]))
		if k%2 == 1 {
			n = 19
		}
	case k < 9:
		b = []byte{'4'}
	default:
		b = []byte{'5', byte('1' + r.IntN(5))}
	}
	b = appendDigits(r, b, n-1-len(b))
	check := (10 - luhnSum(string(b), true)%10) % 10
	return string(append(b, byte('0'+check)))
}

// pinyin syllables for e-mail local parts.
var pinyin = [...]string{
	"zhang", "wang", "li", "zhao", "liu", "chen", "yang", "huang", "zhou", "wu",
	"xu", "sun", "ma", "zhu", "hu", "guo", "he", "lin", "luo", "gao",
	"wei", "fang", "min", "jing", "li", "hua", "jun", "ping", "xin", "yu",
	"ming", "hong", "qiang", "lei", "yan", "tao", "bin", "hui", "ying", "jie",
}

// mailDomains are common e-mail providers.
var mailDomains = [...]string{
	"qq.com", "163.com", "126.com", "sina.com", "sohu.com", "foxmail.com",
	"gmail.com", "outlook.com", "hotmail.com", "aliyun.com", "139.com", "yeah.net",
}

// Email returns an e-mail address such as zhang.wei88@163.com. Local parts
// hold at most four digits, so an address never contains a phone, ID or
// passport number.
func Email(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(pick(r, pinyin[:]))
	b.WriteString(pick(r, []string{"", ".", "_", ""}))
	b.WriteString(pick(r, pinyin[:]))
	if r.IntN(3) > 0 {
		b.Write(appendDigits(r, nil, 1+r.IntN(4)))
	}
	b.WriteByte('@')
	b.WriteString(pick(r, mailDomains[:]))
	return b.String()
}

// passportLetters are the second letters of post-2017 E passports (no I, O).
const passportLetters = "ABCDFGHJKLMNPQRSTUVWXYZ"

// Passport returns an ordinary passport number: E + 8 digits, E + letter
// (not I or O) + 7 digits, or G + 8 digits.
func Passport(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return string(appendDigits(r, []byte{'E'}, 8))
	case 1:
		return string(appendDigits(r, []byte{'E', passportLetters[r.IntN(len(passportLetters))]}, 7))
	default:
		return string(appendDigits(r, []byte{'G'}, 8))
	}
}

// TravelPermit returns a Hong Kong or Macau residents' mainland travel permit
// number: H or M + 8 digits.
func TravelPermit(r *rand.Rand) string {
	return string(appendDigits(r, []byte{"HM"[r.IntN(2)]}, 8))
}

// surnames are common single and compound Chinese surnames.
var surnames = [...]string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
	"魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
	"薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
	"欧阳", "司马", "诸葛", "上官", "东方", "慕容",
}

// givenChars are 144 distinct characters common in given names.
const givenChars = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯俊帆帅旭" +
	"晨阳欣怡佳琪梦雪琳晶颖婷倩璐瑶嘉子轩涵博睿泽然思远志国海波亮宏毅鑫晓东峰健林云飞" +
	"岩春梅凤兵德成雨彤可馨一诺梓萱诗语桐若曦墨航天佑熙皓铭哲昊奕辰安美玲燕丹立新振永" +
	"庆卫学珍淑少瑞祥福禄寿喜乐康宁雅慧聪智勤荣光耀祖"

// nameWords are ordinary words a surname and a given character can spell (a
// plum, summer, a prince, a grandson, ...). Name never starts a name with one,
// so a detector that rejects dictionary words has no cause to skip a
// generated name.
const nameWords = "李子 夏天 王子 孙子 白云 金华 高明 田园 江山"

// Name returns a Chinese personal name: a surname and one or two given
// characters, never starting with one of nameWords.
func Name(r *rand.Rand) string {
	given := []rune(givenChars)
	for {
		var b strings.Builder
		b.WriteString(pick(r, surnames[:]))
		for range 1 + r.IntN(2) {
			b.WriteRune(pick(r, given))
		}
		if name := []rune(b.String()); !strings.Contains(nameWords, string(name[:2])) {
			return string(name)
		}
	}
}

// roads are street names used in addresses.
var roads = [...]string{
	"科技园路", "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "长江路", "黄河路",
	"文化路", "朝阳路", "青年路", "南京路", "北京路", "友谊路", "光明路", "东风路", "民主路", "幸福路",
	"滨海大道", "环城东路", "学府路", "花园街", "工业大道", "迎宾大道", "府前街", "健康路", "团结路", "振兴路",
}

// Address returns a street address down to the room, such as
// 广东省深圳市罗湖区科技园路88号3栋502室.
func Address(r *rand.Rand) string {
	a := pick(r, areas[:])
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s%s%s%d号", a.Prov, a.Pref, a.District, pick(r, roads[:]), 1+r.IntN(999))
	switch r.IntN(3) {
	case 0:
		fmt.Fprintf(&b, "%d栋%d%02d室", 1+r.IntN(30), 1+r.IntN(32), 1+r.IntN(8))
	case 1:
		fmt.Fprintf(&b, "%d号楼%d单元%d%02d", 1+r.IntN(20), 1+r.IntN(6), 1+r.IntN(18), 1+r.IntN(4))
	default:
		fmt.Fprintf(&b, "%c座%d%02d室", 'A'+rune(r.IntN(3)), 1+r.IntN(40), 1+r.IntN(20))
	}
	return b.String()
}
