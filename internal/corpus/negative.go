package corpus

import (
	"fmt"
	"strings"
)

// The negative corpora hold numbers that look like PI to a careless engine
// but are not: a correct engine reports zero for every detector. Their Want
// is all zeros. Each takes a seed and a line (or paragraph) count n.

// lines renders n lines from line into a negative Doc.
func lines(name string, n int, line func() string) Doc {
	var b strings.Builder
	for range n {
		b.WriteString(line())
		b.WriteByte('\n')
	}
	return Doc{Name: name, Data: []byte(b.String()), Want: expect(0)}
}

// NegSnowflakes returns JSON lines of snowflake ids: 19 digits starting with
// 1 (Twitter epoch) and 18 digits (2020 epoch).
func NegSnowflakes(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	return lines("neg_snowflakes.jsonl", n, func() string {
		return fmt.Sprintf(`{"id":%s,"parent_id":"%s","seq":%d}`, z.snowflake(19), z.snowflake(18), z.small())
	})
}

// NegTimestamps returns JSON and log lines with Unix times of 10, 13, 16
// and 19 digits.
func NegTimestamps(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	return lines("neg_timestamps.txt", n, func() string {
		if z.r.IntN(2) == 0 {
			return fmt.Sprintf(`{"ts":%s,"ts_ms":%s,"ts_us":%s,"ts_ns":%s}`, z.timestamp(10), z.timestamp(13), z.timestamp(16), z.timestamp(19))
		}
		return fmt.Sprintf(`time=%s level=info msg="request done" start_ns=%s elapsed_us=%d`, z.timestamp(13), z.timestamp(19), z.small())
	})
}

// NegOrderNumbers returns lines of date-prefixed order numbers of 20 and 18
// digits, such as 20240315123456789012 and 202403151234567890.
func NegOrderNumbers(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	return lines("neg_orders.txt", n, func() string {
		if z.r.IntN(2) == 0 {
			return fmt.Sprintf("订单号：%s，流水号：%s，金额：%s", z.orderNumber(20), z.orderNumber(18), z.price())
		}
		return fmt.Sprintf("order_no=%s&batch=%s&amount=%d.%02d", z.orderNumber(20), z.orderNumber(18), z.small(), z.r.IntN(100))
	})
}

// idLine returns a labelled 18-character ID-like number with the given area
// and birth date and a check character; if wrongCheck, the check character
// is a wrong one. It redraws numbers that would pass for a card.
func (n noise) idLine(area func() string, date func() string, wrongCheck bool) string {
	return n.safe(func() string {
		body := idBody(n.r, area(), date())
		c := idCheckChar(body)
		if wrongCheck {
			c = idCheckChars[(strings.IndexByte(idCheckChars, c)+1+n.r.IntN(10))%11]
		}
		return "身份证号：" + body + string(c)
	})
}

// goodArea returns a random in-use area code.
func (n noise) goodArea() string { return pick(n.r, areas[:]).Code }

// NegBadCheck returns labelled 18-character numbers with a real area code and
// birth date but a wrong check character.
func NegBadCheck(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	return lines("neg_bad_check.txt", n, func() string {
		return z.idLine(z.goodArea, func() string { return birthDate(z.r) }, true)
	})
}

// badDates are month-day pairs that no year has.
var badDates = [...]string{"0230", "0231", "0431", "0631", "0931", "1131", "1301", "0001", "0100", "0132", "1232", "1900"}

// NegBadDate returns labelled 18-character numbers with a real area code and
// a correct check character but an impossible birth date (Feb 30, Apr 31,
// month 13 or 00, day 00 or 32, Feb 29 of a common year).
func NegBadDate(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	date := func() string {
		y := 1930 + z.r.IntN(81)
		if z.r.IntN(4) == 0 {
			for y%4 == 0 {
				y++
			}
			return fmt.Sprintf("%d0229", y)
		}
		return fmt.Sprintf("%d%s", y, pick(z.r, badDates[:]))
	}
	return lines("neg_bad_date.txt", n, func() string { return z.idLine(z.goodArea, date, false) })
}

// NegBadArea returns labelled 18-character numbers with a real birth date and
// a correct check character but an area code that never existed, such as
// 111111 or 990426.
func NegBadArea(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	area := func() string { return pick(z.r, badAreas[:]) }
	return lines("neg_bad_area.txt", n, func() string {
		return z.idLine(area, func() string { return birthDate(z.r) }, false)
	})
}

// NegLongRuns returns valid IDs (digit check characters only), mobile
// numbers and card numbers each embedded in a longer digit run by one digit
// on either side, such as "9" + mobile + "1". A value inside a longer run of
// digits is not that value.
func NegLongRuns(seed uint64, n int) Doc {
	z := noise{newRand(seed)}
	value := func() string {
		switch z.r.IntN(3) {
		case 0:
			for {
				if id := ResidentID(z.r); id[17] != 'X' {
					return id
				}
			}
		case 1:
			return Mobile(z.r)
		default:
			return BankCard(z.r)
		}
	}
	return lines("neg_long_runs.txt", n, func() string {
		return "编号：" + z.safe(func() string {
			return string(rune('1'+z.r.IntN(9))) + value() + string(rune('0'+z.r.IntN(10)))
		})
	})
}

// NegChinesePage returns an HTML page of paras Chinese paragraphs with
// prices, years, dates, short numbers, hashes, UUIDs, versions, hotline
// numbers, timestamps and order numbers, but no PI and no PI labels.
func NegChinesePage(seed uint64, paras int) Doc {
	z := noise{newRand(seed)}
	return Doc{Name: "neg_page_zh.html", Data: []byte(z.page("zh-CN", "产品动态", paras, z.zhSentence)), Want: expect(0)}
}

// NegEnglishPage returns an HTML page of paras English paragraphs with the
// same kinds of numbers as NegChinesePage and no PI.
func NegEnglishPage(seed uint64, paras int) Doc {
	z := noise{newRand(seed)}
	return Doc{Name: "neg_page_en.html", Data: []byte(z.page("en", "Release notes", paras, z.enSentence)), Want: expect(0)}
}

// Negatives returns every negative corpus: n lines each, pages of n/4+1
// paragraphs, and n*64 bytes of Binary. Each uses its own seed derived from
// seed.
func Negatives(seed uint64, n int) []Doc {
	return []Doc{
		NegSnowflakes(seed, n),
		NegTimestamps(seed+1, n),
		NegOrderNumbers(seed+2, n),
		NegBadCheck(seed+3, n),
		NegBadDate(seed+4, n),
		NegBadArea(seed+5, n),
		NegLongRuns(seed+6, n),
		NegChinesePage(seed+7, n/4+1),
		NegEnglishPage(seed+8, n/4+1),
		negBinary(seed+9, n*64),
	}
}

// negBinary is Binary under the name neg_binary.bin, so a directory can hold
// both the benchmark-sized and the test-sized random data.
func negBinary(seed uint64, size int) Doc {
	d := Binary(seed, size)
	d.Name = "neg_binary.bin"
	return d
}
