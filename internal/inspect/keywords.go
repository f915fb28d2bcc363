package inspect

import (
	"fmt"
	"strings"

	"github.com/cloudflare/ahocorasick"
)

// contextClass is a bit set of detectors whose labels appear near a value.
type contextClass uint16

// keywords lists, per detector, the labels that name its values in forms,
// JSON keys, CSV headers and prose. Each is matched in raw UTF-8, JSON
// \uXXXX escapes and percent-encoding (both hex cases), and ASCII ones in
// lower, Title and UPPER case.
var keywords = [NumDetectors][]string{
	ResidentID:   {"身份证", "身份证号", "证件号", "公民身份号码", "身份号码", "sfz", "sfzh", "idcard", "id_card", "idCard", "idno", "idNo", "id_no", "identity", "id_number", "idNumber"},
	Mobile:       {"手机", "联系电话", "电话", "联系方式", "mobile", "phone", "tel", "cellphone"},
	BankCard:     {"银行卡", "卡号", "账号", "帐号", "银行账户", "开户", "bank_card", "bankcard", "bankCard", "card_no", "cardno", "cardNo", "account_no", "accountNo"},
	Email:        {"邮箱", "电子邮件", "email", "e-mail", "mail"},
	Passport:     {"护照", "passport"},
	TravelPermit: {"通行证", "回乡证", "台胞证", "往来港澳", "往来台湾", "来往内地", "travel_permit", "permit"},
	Name:         {"姓名", "名字", "联系人", "收件人", "收货人", "户名", "持卡人", "真实姓名", "name", "realname", "real_name", "realName", "fullname", "full_name", "fullName"},
	Address:      {"住址", "地址", "户籍", "居住地", "所在地", "address", "addr"},
}

// keywordIndex holds one Aho-Corasick automaton per detector over every form
// of that detector's labels. One automaton per detector rather than one for
// all: cloudflare/ahocorasick's Match returns the matched indices in a new
// slice and mutates the matcher (MatchThreadSafe takes a pooled map), while
// Contains is read-only and allocation-free, so the question "is there a
// label of detector d in this window" costs no allocation and no lock, and
// the automata are shared by every scanner of the engine.
type keywordIndex struct {
	byDetector [NumDetectors]*ahocorasick.Matcher
	maxLen     int
}

func newKeywordIndex() (*keywordIndex, error) {
	k := &keywordIndex{}
	for d, words := range keywords {
		forms := keywordForms(words)
		if len(forms) == 0 {
			return nil, fmt.Errorf("keywords of %s: empty", Detector(d))
		}
		for _, f := range forms {
			k.maxLen = max(k.maxLen, len(f))
		}
		k.byDetector[d] = ahocorasick.NewStringMatcher(forms)
	}
	return k, nil
}

// in reports which detectors have a label anywhere in window.
func (k *keywordIndex) in(window []byte) contextClass {
	var c contextClass
	for d, m := range k.byDetector {
		if m.Contains(window) {
			c |= 1 << d
		}
	}
	return c
}

// has reports whether a label of detector d occurs in window.
func (k *keywordIndex) has(d Detector, window []byte) bool {
	return len(window) > 0 && k.byDetector[d].Contains(window)
}

// keywordForms expands labels into every spelling they take on the wire.
func keywordForms(words []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, w := range words {
		if isASCII(w) {
			add(w)
			add(strings.ToLower(w))
			add(strings.ToUpper(w))
			add(strings.ToUpper(w[:1]) + w[1:])
			continue
		}
		add(w)
		add(jsonEscape(w, "\\u%04x"))
		add(jsonEscape(w, "\\u%04X"))
		add(percentEncode(w, "%%%02X"))
		add(percentEncode(w, "%%%02x"))
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func jsonEscape(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

func percentEncode(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// LabelForms returns every spelling of every detector's labels that the
// engine's automata match (raw UTF-8, \u-escaped and percent-encoded forms,
// ASCII case variants). Benchmarks use it to build the bare Aho-Corasick
// baseline over the same dictionary.
func LabelForms() []string {
	var all []string
	for _, words := range keywords {
		all = append(all, keywordForms(words)...)
	}
	return all
}
