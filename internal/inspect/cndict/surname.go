package cndict

// singleSurnames lists single-character surnames: the single surnames of the
// 百家姓 in simplified form, then common modern surnames it lacks.
const singleSurnames = "" +
	// 百家姓
	"赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜" +
	"戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐" +
	"费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄" +
	"和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁" +
	"杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍" +
	"虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚" +
	"程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓" +
	"牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙" +
	"叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴胥能苍双闻" +
	"莘党翟谭贡劳逄姬申扶堵冉宰郦雍郤璩桑桂濮牛寿通边扈燕冀郏浦尚农温" +
	"别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡" +
	"国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾" +
	"毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公晋楚闫法汝鄢涂钦岳" +
	"帅缑亢况郈有琴佘佴墨哈谯笪年爱阳佟言福" +
	// modern surnames not in the 百家姓
	"肖付覃冼邝麦谌揭敬粟庹邸迟铁代兰信门母奉初栗苟战隋蹇银才卿占练" +
	"仝衣智税海原展凃区修阿丛郄尉甯靖闪达亓但雒綦逢虎檀苑郇漆芦操" +
	"鹿续保官凡刀钞粱冶泮肇佀俎贠禤"

// compoundSurnames lists compound surnames: those of the 百家姓, then a few
// more still in use.
const compoundSurnames = `
万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶
宗政 濮阳 淳于 单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容
鲜于 闾丘 司徒 司空 亓官 司寇 仉督 子车 颛孙 端木 巫马 公西 漆雕 乐正
壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 呼延 归海 羊舌 微生
梁丘 左丘 东门 西门 商牟 伯赏 南宫 第五
独孤 完颜 拓拔 耶律 即墨 东里 公伯 叱干 贺兰 纳兰
`

// SurnameLen returns the byte length of the surname that s starts with: 6
// for a compound surname (欧阳), 3 for a single one (王), 0 when s does not
// start with a known surname. A compound surname wins over its first rune.
// It does not allocate.
func SurnameLen(s []byte) int {
	d := dict()
	r1, n1 := decodeRune(s)
	if !isHan(r1) {
		return 0
	}
	if r2, n2 := decodeRune(s[n1:]); isHan(r2) && d.compounds.has(r1, r2) {
		return n1 + n2
	}
	if d.surnames.has(r1) {
		return n1
	}
	return 0
}
