package cndict

import (
	"strings"
	"unicode/utf8"
)

// markerKind classifies an address marker.
type markerKind uint8

const (
	notMarker   markerKind = iota
	adminMarker            // administrative division: 省 市 区 县 镇 街道
	placeMarker            // locality or street: 路 村 小区 胡同
	unitMarker             // locality that follows a number: 88号 3栋 2单元

	numMarkerKinds
)

// The one-rune and the space-separated two-rune markers of each kind.
// 自治区 and 地区 end with 区 and need no entry.
const (
	adminRunes = "省市州盟区县旗镇乡"
	adminPairs = "街道"
	placeRunes = "路街道巷村苑园"
	placePairs = "胡同 大厦 小区"
	unitRunes  = "号栋幢楼室弄组层"
	unitPairs  = "单元"
)

// addressStopWords lists common words that contain a marker rune without
// naming a place: 市场 holds 市, 知道 holds 道.
const addressStopWords = `
市场 市民 市值 市面 区别 区域 区分 区块 道理 道歉 道德 道路 号码 号称 组织 组成
组合 组件 楼盘 室内 室外 省份 省略 省钱 镇定 乡村 旗帜 旗舰 盟友 村民 路线 路径
路由 路上 街头 园林 知道 报道 频道 通道 渠道 味道 难道 轨道 账号 信号 型号 口号
问号 称号 小组 分组 城市 都市 超市 门市 郊区 市区 专区 误区 上市 股市 城乡 家乡
故乡 老乡 下乡 城镇 国旗 同盟 联盟 加盟 思路 网路 一路 走路 出路 公室 验室 教室
卧室 浴室 鼓楼 钟楼
`

// addressPunct lists the runes besides Han runes, digits and ASCII letters
// that an address may contain.
const addressPunct = " -#()/（）、·—－"

// Address length bounds in runes.
const (
	minAddressRunes = 6
	maxAddressRunes = 80
)

// Caps on each kind of evidence in AddressScore.
const (
	maxAdminScore = 3
	maxPlaceScore = 3
	maxUnitScore  = 2
)

// AddressScore rates how much s (one CSV cell, JSON value or the text after
// a label) looks like a mainland street address. It is 0 unless s is valid
// UTF-8 of 6 to 80 runes, at least two thirds Han runes and digits with the
// rest ASCII letters or address punctuation (no sentence punctuation), and
// holds an administrative-division marker (省 市 区 县 镇 街道 ...) followed
// later by a locality marker (路 村 号 小区 单元 ...). Markers count only
// after a name (a marker opening s does not count) and not inside common
// words (市场, 知道). A non-zero score is at least 2: one point per
// division marker (up to 3), per locality marker after the first division
// (up to 3) and per number before a unit such as 88号 or 3栋 (up to 2).
// It does not allocate.
func AddressScore(s []byte) int { return addressScore(s, false) }

// addressScore is AddressScore; with any set it stops at the first division
// and locality markers and returns a positive score that is not the full one.
func addressScore(s []byte, any bool) int {
	if len(s) > maxAddressRunes*utf8.UTFMax {
		return 0
	}
	d := dict()
	var rs [maxAddressRunes]rune
	// marks holds the indexes of the runes after the first that have marker
	// information, found while decoding: scoring visits only those.
	var marks [maxAddressRunes]uint8
	n, core, nm := 0, 0, 0
	for i := 0; i < len(s); {
		// Inline paths for ASCII and Han, all of most addresses.
		r, han := han3(s, i)
		switch {
		case han:
			i += 3
		case s[i] < utf8.RuneSelf:
			r = rune(s[i])
			i++
		default:
			var size int
			r, size = decodeRune(s[i:])
			i += size
		}
		if n == len(rs) {
			return 0
		}
		switch {
		case isHan(r):
			core++
			if n > 0 && d.markerInfo[r-hanFirst] != 0 {
				marks[nm] = uint8(n)
				nm++
			}
		case isDigit(r):
			core++
		case r < utf8.RuneSelf && isASCIILetter(byte(r)), strings.ContainsRune(addressPunct, r):
		default:
			return 0
		}
		rs[n] = r
		n++
	}
	if n < minAddressRunes || core*3 < n*2 {
		return 0
	}
	return scoreMarkers(rs[:n], marks[:nm], d, any)
}

// IsAddress reports whether s looks like a mainland street address, that is
// whether AddressScore(s) > 0. It does not allocate.
func IsAddress(s []byte) bool {
	return addressScore(s, true) > 0
}

// scoreMarkers scores the markers in rs as AddressScore describes, visiting
// the runes at marks (the runes after the first that have marker
// information, in order); with any set it returns 1 as soon as the score is
// known to be positive.
func scoreMarkers(rs []rune, marks []uint8, d *tables, any bool) int {
	admins, places, units := 0, 0, 0
	next := 1 // the first rune not taken by a two-rune marker
	for _, m := range marks {
		i := int(m)
		if i < next {
			continue
		}
		kind, end := marker(rs, i, d)
		if kind == notMarker {
			continue
		}
		switch {
		case kind == adminMarker:
			admins++
		case admins > 0:
			if any {
				return 1
			}
			places++
			if kind == unitMarker && isNumeral(rs[i-1]) {
				units++
			}
		}
		next = end + 1
	}
	if admins == 0 || places == 0 {
		return 0
	}
	return min(admins, maxAdminScore) + min(places, maxPlaceScore) + min(units, maxUnitScore)
}

// marker classifies the marker starting at rs[i] (i > 0, so a name can
// precede it; rs[i] is a Han rune with marker information) and returns the
// index of its last rune. Two-rune markers win; a one-rune marker inside a
// stop word does not count.
func marker(rs []rune, i int, d *tables) (markerKind, int) {
	r := rs[i]
	f := d.markerInfo[r-hanFirst]
	if f&infoPair != 0 && i+1 < len(rs) {
		for kind := adminMarker; kind < numMarkerKinds; kind++ {
			if d.addressPairs[kind].has(r, rs[i+1]) {
				return kind, i + 1
			}
		}
	}
	kind := markerKind(f & infoKind)
	switch {
	case kind == notMarker,
		f&infoStopSecond != 0 && d.addressStops.has(rs[i-1], r),
		f&infoStopFirst != 0 && i+1 < len(rs) && d.addressStops.has(r, rs[i+1]):
		return notMarker, i
	}
	return kind, i
}

// isDigit reports whether r is an ASCII or full-width digit.
func isDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= '０' && r <= '９'
}

// isNumeral reports whether r is a digit or a Chinese numeral.
func isNumeral(r rune) bool {
	return isDigit(r) || strings.ContainsRune("〇零一二三四五六七八九十百", r)
}

// isASCIILetter reports whether c is an ASCII letter.
func isASCIILetter(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z'
}
