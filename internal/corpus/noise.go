package corpus

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// noise draws the harmless numbers real pages are full of: prices, dates,
// hashes, UUIDs, versions, timestamps, snowflake ids and order numbers. Every
// token that could by chance read as PI is redrawn until safeText accepts it.
type noise struct {
	r *rand.Rand
}

// safe calls f until it returns text in which suspicious finds nothing.
func (n noise) safe(f func() string) string {
	for {
		if s := f(); safeText(s) {
			return s
		}
	}
}

// unix returns a random instant from 2001-09-09 to 2033-05-18, the span in
// which Unix seconds have ten digits.
func (n noise) unix() time.Time {
	return time.Unix(1_000_000_000+n.r.Int64N(1_000_000_000), 0).UTC()
}

func (n noise) price() string {
	v := 1 + n.r.IntN(20000)
	switch n.r.IntN(4) {
	case 0:
		return fmt.Sprintf("¥%d.%02d", v, n.r.IntN(100))
	case 1:
		return fmt.Sprintf("$%d.99", v%500)
	case 2:
		return fmt.Sprintf("%d,%03d元", 1+v/1000, v%1000)
	default:
		return fmt.Sprintf("%d元", v)
	}
}

func (n noise) date() string {
	t := n.unix()
	switch n.r.IntN(4) {
	case 0:
		return t.Format("2006-01-02")
	case 1:
		return t.Format("2006/01/02 15:04")
	case 2:
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	default:
		return t.Format("2 Jan 2006")
	}
}

func (n noise) year() int { return 1990 + n.r.IntN(40) }

func (n noise) small() int { return 1 + n.r.IntN(999) }

// hex returns k random lower-case hex digits, such as a SHA-256 or a git
// commit id.
func (n noise) hex(k int) string {
	return n.safe(func() string {
		b := make([]byte, k)
		for i := range b {
			b[i] = "0123456789abcdef"[n.r.IntN(16)]
		}
		return string(b)
	})
}

func (n noise) uuid() string {
	return n.safe(func() string {
		h := n.hex(32)
		return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
	})
}

func (n noise) version() string {
	return fmt.Sprintf("v%d.%d.%d", n.r.IntN(5), n.r.IntN(30), n.r.IntN(20))
}

// timestamp returns a Unix time with 10, 13, 16 or 19 digits (seconds,
// milliseconds, microseconds or nanoseconds).
func (n noise) timestamp(digits int) string {
	return n.safe(func() string {
		return string(appendDigits(n.r, []byte(strconv.FormatInt(n.unix().Unix(), 10)), digits-10))
	})
}

// snowflake returns a Twitter-style id: milliseconds since a custom epoch
// shifted left 22 bits, plus worker and sequence bits. With the 2010 Twitter
// epoch and instants from 2021 to 2025 they have 19 digits starting with 1;
// with a 2020 epoch (digits == 18), 18 digits.
func (n noise) snowflake(digits int) string {
	epoch := int64(1288834974657)
	if digits == 18 {
		epoch = 1577836800000
	}
	return n.safe(func() string {
		ms := time.Date(2021+n.r.IntN(5), time.Month(1+n.r.IntN(12)), 1+n.r.IntN(28), 0, 0, 0, 0, time.UTC).UnixMilli() + n.r.Int64N(86_400_000)
		return strconv.FormatInt((ms-epoch)<<22|n.r.Int64N(1<<22), 10)
	})
}

// orderNumber returns a date-prefixed order number of 18 or 20 digits, such
// as 20240315123456789012.
func (n noise) orderNumber(digits int) string {
	return n.safe(func() string {
		return string(appendDigits(n.r, []byte(n.unix().Format("20060102")), digits-8))
	})
}

func (n noise) hotline() string {
	return pick(n.r, []string{"400-820-8820", "400-610-1688", "010-62345678", "021-55667788", "95588", "95533", "12315"})
}

// zhSentence returns one Chinese sentence with numbers but no PI and none of
// the labels that context-only detectors look for.
func (n noise) zhSentence() string {
	switch n.r.IntN(12) {
	case 0:
		return fmt.Sprintf("本季度营收达到%s，同比增长%d%%。", n.price(), n.r.IntN(60))
	case 1:
		return fmt.Sprintf("新版本%s已于%s发布，修复了%d个问题。", n.version(), n.date(), n.small())
	case 2:
		return fmt.Sprintf("下单时间为%s，请在%d小时内完成支付。", n.date(), 1+n.r.IntN(48))
	case 3:
		return fmt.Sprintf("活动价%s，原价%s，限时%d天。", n.price(), n.price(), 1+n.r.IntN(30))
	case 4:
		return fmt.Sprintf("安装包校验值（SHA-256）为%s。", n.hex(64))
	case 5:
		return fmt.Sprintf("请求%s已受理，预计%d个工作日内处理完毕。", n.uuid(), 1+n.r.IntN(15))
	case 6:
		return fmt.Sprintf("客服热线%s，服务时间为每天9:00至18:00。", n.hotline())
	case 7:
		return fmt.Sprintf("%d年全国旅客发送量约%d万人次，比上年增长%d.%d%%。", n.year(), n.small()*1000, n.r.IntN(30), n.r.IntN(10))
	case 8:
		return fmt.Sprintf("会员积分%d分，可兑换价值%s的礼品。", n.small()*10, n.price())
	case 9:
		return fmt.Sprintf("消息编号%s，时间戳%s。", n.snowflake(19), n.timestamp(13))
	case 10:
		return fmt.Sprintf("订单%s已发货，物流单号%s。", n.orderNumber(20), n.orderNumber(18))
	default:
		return fmt.Sprintf("本页面最后更新于%s，当前版本%s（提交%s）。", n.date(), n.version(), n.hex(40))
	}
}

// enSentence returns one English sentence with numbers but no PI.
func (n noise) enSentence() string {
	switch n.r.IntN(10) {
	case 0:
		return fmt.Sprintf("Revenue reached %s in Q%d %d, up %d%% year over year.", n.price(), 1+n.r.IntN(4), n.year(), n.r.IntN(60))
	case 1:
		return fmt.Sprintf("Version %s was released on %s and fixes %d issues.", n.version(), n.date(), n.small())
	case 2:
		return fmt.Sprintf("Checksum (SHA-256): %s.", n.hex(64))
	case 3:
		return fmt.Sprintf("Request %s was accepted; expect a reply within %d business days.", n.uuid(), 1+n.r.IntN(15))
	case 4:
		return fmt.Sprintf("Order %s shipped on %s.", n.orderNumber(20), n.date())
	case 5:
		return fmt.Sprintf("Event id %s, timestamp %s.", n.snowflake(19), n.timestamp(10))
	case 6:
		return fmt.Sprintf("Call our hotline %s between 9:00 and 18:00.", n.hotline())
	case 7:
		return fmt.Sprintf("Now %s (was %s); the offer ends in %d days.", n.price(), n.price(), 1+n.r.IntN(30))
	case 8:
		return fmt.Sprintf("Build %d of %s, commit %s.", n.small()*100, n.version(), n.hex(40))
	default:
		return fmt.Sprintf("Over %d,%03d downloads since %d; last updated %s.", n.small(), n.r.IntN(1000), n.year(), n.date())
	}
}

// page returns an HTML page of paras paragraphs of sentences from sentence.
func (n noise) page(lang, title string, paras int, sentence func() string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=%q>\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n", lang, title, title)
	for range paras {
		b.WriteString("<p>")
		for k := range 3 + n.r.IntN(4) {
			if k > 0 && lang == "en" {
				b.WriteByte(' ')
			}
			b.WriteString(sentence())
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// script returns a JavaScript snippet with numeric literals.
func (n noise) script() string {
	return fmt.Sprintf(`<script>
var cfg = {"release": %q, "build": %s, "hash": %q, "retry": %d, "timeoutMs": %d};
function total(items) {
  var sum = 0;
  for (var i = 0; i < items.length; i++) { sum += items[i].price * items[i].qty * 1.13; }
  return Math.round(sum * 100) / 100;
}
document.getElementById("total").textContent = total(window.cart || []).toFixed(2);
</script>
`, n.version(), n.timestamp(10), n.hex(40), 1+n.r.IntN(5), 1000*(1+n.r.IntN(60)))
}

// apiResponse returns a JSON API response listing a few products.
func (n noise) apiResponse() string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"code":0,"msg":"ok","trace":%q,"data":{"items":[`, n.uuid())
	for k := range 2 + n.r.IntN(4) {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%s,"sku":"SKU-%d","title":"商品%d","price":%d.%02d,"stock":%d,"created":%q,"updated":%s}`,
			n.snowflake(19), n.small()*1000+n.small(), n.small(), n.small(), n.r.IntN(100), n.r.IntN(500),
			n.unix().Format(time.RFC3339), n.timestamp(13))
	}
	b.WriteString("]}}\n")
	return b.String()
}
