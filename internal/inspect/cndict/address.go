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

// addressScore is AddressScore; with any set it stops scoring at the first
// division and locality markers and returns a positive score that is not
// the full one (the runes after them are still checked).
//
// One pass over s decodes, checks and scores each rune: a Han rune without
// marker information costs a decode and one table lookup, and a marker
// reads its neighbours, the rune before (kept) and the one after (peeked).
func addressScore(s []byte, any bool) int {
	if len(s) > maxAddressRunes*utf8.UTFMax {
		return 0
	}
	d := dict()
	sc := markerScore{next: 1} // markers count only after a name
	n, core := 0, 0
	var prev rune
	for i := 0; i < len(s); n++ {
		// Han runes inline: the Han block is the three-byte sequences led
		// by E4 (from U+4E00) to E9, and no other rune is Han.
		if c := s[i]; c >= 0xE4 && c <= 0xE9 && i+2 < len(s) {
			if w := uint(s[i+1])<<8 | uint(s[i+2]); w&0xC0C0 == 0x8080 {
				if r := rune(c&0x0F)<<12 | rune(w>>8&0x3F)<<6 | rune(w&0x3F); r >= hanFirst {
					core++
					// Not inside a two-rune marker before (sc.next).
					if f := d.markerInfo[r-hanFirst]; f != 0 && n >= sc.next && !sc.done {
						next, more := runeAt(s, i+3)
						sc.add(d, n, f, prev, r, next, more, any)
					}
					prev = r
					i += 3
					continue
				}
			}
		}
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = decodeRune(s[i:])
		}
		switch {
		case isDigit(r):
			core++
		case r < utf8.RuneSelf && isASCIILetter(byte(r)), strings.ContainsRune(addressPunct, r):
		default:
			return 0
		}
		prev = r
		i += size
	}
	return sc.score(n, core)
}

// Field is what ScanField read: the plain value's length in bytes, its
// runes, how many of them are led by E4-E9, and whether it is a personal
// name (IsName) or an address (IsAddress).
type Field struct {
	Len, Runes, Han int
	Name, Address   bool
}

// ScanField reads the plain value at the start of s (a CSV cell or the
// text after a label) and judges it as a name and as an address in the
// same pass, so the value is decoded once. A plain value is raw text of
// runes led by E4-E9 (three bytes each: Han and its neighbours) and ASCII
// letters, digits, '-' and '#'; reading stops at the first other byte, at
// maxRunes runes, or within the last two bytes of s. The verdicts hold for
// s[:Len] and only when the byte at Len, not in the value, ends it: a caller
// that finds reading stopped otherwise (at maxRunes or the end of s, or
// before a byte that may continue the value in another spelling) reads the
// value its own way. It does not allocate.
func ScanField(s []byte, maxRunes int) Field {
	d := dict()
	sc := markerScore{next: 1} // markers count only after a name
	n, runes, han, core := 0, 0, 0, 0
	other := false // a rune that no name or address holds
	var prev rune
	for n+2 < len(s) && runes < maxRunes {
		c := s[n]
		if c >= 0xE4 && c <= 0xE9 {
			w := uint(s[n+1])<<8 | uint(s[n+2])
			if w&0xC0C0 != 0x8080 {
				break
			}
			r := rune(c&0x0F)<<12 | rune(w>>8&0x3F)<<6 | rune(w&0x3F)
			han++
			if r < hanFirst {
				other = true
			} else if core++; !sc.done {
				if f := d.markerInfo[r-hanFirst]; f != 0 && runes >= sc.next {
					next, more := fieldRuneAt(s, n+3)
					sc.add(d, runes, f, prev, r, next, more, true)
				}
			}
			prev = r
			n += 3
			runes++
			continue
		}
		if !isFieldByte(c) {
			break
		}
		if isDigit(rune(c)) {
			core++
		}
		prev = rune(c)
		n++
		runes++
	}
	f := Field{Len: n, Runes: runes, Han: han, Address: !other && sc.score(runes, core) > 0}
	if !other && han == runes && runes >= 2 && runes <= 4 {
		// All Han: the first two runes are the first six bytes, and the
		// last is prev.
		first, _ := han3(s, 0)
		second, _ := han3(s, 3)
		f.Name = !d.notName(first, second, prev) && d.name(runes, first, second)
	}
	return f
}

// fieldRuneAt is runeAt for ScanField: the rune at s[i] when reading would
// take it into the value; more is false otherwise.
func fieldRuneAt(s []byte, i int) (r rune, more bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	if r, han := han3(s, i); han {
		return r, true
	}
	return rune(s[i]), isFieldByte(s[i])
}

// isFieldByte reports whether the ASCII byte c may be part of a plain
// value: a letter, a digit, '-' or '#'.
func isFieldByte(c byte) bool {
	return c >= '0' && c <= '9' || isASCIILetter(c) || c == '-' || c == '#'
}

// score is the address score of n runes, core of them Han runes or digits,
// with the markers scored in sc (see AddressScore); 1 when scoring stopped
// early.
func (sc *markerScore) score(n, core int) int {
	if n < minAddressRunes || n > maxAddressRunes || core*3 < n*2 || sc.admins == 0 || sc.places == 0 {
		return 0
	}
	if sc.done {
		return 1
	}
	return min(sc.admins, maxAdminScore) + min(sc.places, maxPlaceScore) + min(sc.units, maxUnitScore)
}

// IsAddress reports whether s looks like a mainland street address, that is
// whether AddressScore(s) > 0. It does not allocate.
func IsAddress(s []byte) bool {
	return addressScore(s, true) > 0
}

// markerScore is the evidence of the markers of an address read so far.
type markerScore struct {
	admins, places, units int
	next                  int  // the first rune index not taken by a two-rune marker
	done                  bool // scoring stopped: the score is known to be positive
}

// add scores the Han rune r at rune index n (n > 0) with marker information
// f, between the runes prev and next (more reports whether there is a
// next); with any set it stops scoring at the first locality after a
// division.
func (sc *markerScore) add(d *tables, n int, f uint8, prev, r, next rune, more, any bool) {
	kind, pair := marker(d, f, prev, r, next, more)
	switch {
	case kind == notMarker:
		return
	case kind == adminMarker:
		sc.admins++
	case sc.admins > 0:
		sc.places++
		if kind == unitMarker && isNumeral(prev) {
			sc.units++
		}
		sc.done = any
	}
	sc.next = n + 1
	if pair {
		sc.next++
	}
}

// marker classifies the marker that starts with r (a Han rune with marker
// information f, preceded by prev and followed by next when more is set)
// and reports whether it is a two-rune marker, which takes next too.
// Two-rune markers win; a one-rune marker inside a stop word does not
// count.
func marker(d *tables, f uint8, prev, r, next rune, more bool) (markerKind, bool) {
	// A pair is looked up only when the other rune may be in one.
	if f&infoPair != 0 && more && d.info(next)&infoPairSecond != 0 {
		for kind := adminMarker; kind < numMarkerKinds; kind++ {
			if d.addressPairs[kind].has(r, next) {
				return kind, true
			}
		}
	}
	kind := markerKind(f & infoKind)
	switch {
	case kind == notMarker,
		f&infoStopSecond != 0 && d.info(prev)&infoStopFirst != 0 && d.addressStops.has(prev, r),
		f&infoStopFirst != 0 && more && d.info(next)&infoStopSecond != 0 && d.addressStops.has(r, next):
		return notMarker, false
	}
	return kind, false
}

// runeAt decodes the rune at s[i]; more is false at the end of s.
func runeAt(s []byte, i int) (r rune, more bool) {
	if i >= len(s) {
		return 0, false
	}
	if r, han := han3(s, i); han {
		return r, true
	}
	r, _ = decodeRune(s[i:])
	return r, true
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
