package inspect

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cloudflare/ahocorasick"
)

// contextClass is a bit set of detectors whose labels appear near a value.
type contextClass uint16

// keywords lists, per detector, the labels that name its values in forms,
// JSON keys, CSV headers and prose. Each is matched in raw UTF-8, JSON
// \uXXXX escapes and percent-encoding (either hex case, even mixed), and
// ASCII ones in any letter case. The camelCase entries are the wire
// spellings the Aho-Corasick baseline is built from (LabelForms); the
// engine's own automata fold them with the rest.
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

// otherWords lists, per detector, words that hold one of its labels but
// name something else: 户名 (an account holder) inside 客户名称 and 商户名称
// (a customer's or merchant's company name), "name" inside namespace,
// nickname, file, host, project, product, brand, company, bank and app
// names. A text holding one of them is no label of the detector: a column
// of company names under 客户名称 counted as people's names (万科, 金蝶: a
// surname character first). They are whole names, not their first words:
// 姓名称呼 and 联系人名称 name a person, company_contact_name and
// project_owner_name too. A login (用户名, userName) is not among them: a
// Han value under it is most often the person's real name in Chinese
// systems, and a login of Latin letters is no name anyway.
var otherWords = [NumDetectors][]string{
	Name: {"户名称", "商户名", "namespace", "nickname", "hostname", "host_name",
		"filename", "file_name", "bank_name", "bankname", "appname", "app_name",
		"project_name", "projectname", "project name", "product_name", "productname", "product name",
		"brand_name", "brandname", "brand name", "company_name", "companyname", "company name"},
}

// keywordIndex holds one Aho-Corasick automaton per detector over the
// case-folded forms of that detector's labels. Callers fold the text they
// ask about with foldCase first (ASCII letters to lower case, which also
// turns \u59D3 into \u59d3 and %E5 into %e5), so an automaton needs only
// the lower-case forms: every wire spelling matches, in half the trie.
// cloudflare/ahocorasick sizes its trie by the dictionary's bytes at about
// 4 KiB per byte (each node holds two [256] pointer arrays), so the bytes of
// the forms are what an engine's build costs.
//
// One automaton per detector rather than one for all: Match returns the
// matched indices in a new slice and mutates the matcher (MatchThreadSafe
// takes a pooled map), while Contains is read-only and allocation-free, so
// the question "is there a label of detector d in this window" costs no
// allocation and no lock, and the automata are shared by every scanner of
// the engine. Split by detector, the automata hold the same bytes one
// automaton would.
type keywordIndex struct {
	byDetector [NumDetectors]*ahocorasick.Matcher
	other      [NumDetectors]*ahocorasick.Matcher // otherWords; nil: none
	verbLabels [NumDetectors][][]byte             // the Chinese name and address labels in raw UTF-8, for endsWith
	verbJSON   [NumDetectors][][]byte             // the same \u-escaped (both hex cases)
}

func newKeywordIndex() (*keywordIndex, error) {
	k := &keywordIndex{}
	for d, words := range keywords {
		forms := foldedForms(words)
		if len(forms) == 0 {
			return nil, fmt.Errorf("keywords of %s: empty", Detector(d))
		}
		k.byDetector[d] = ahocorasick.NewStringMatcher(forms)
		if other := otherWords[d]; len(other) > 0 {
			k.other[d] = ahocorasick.NewStringMatcher(foldedForms(other))
		}
		for _, w := range words {
			if (d == int(Name) || d == int(Address)) && !isASCII(w) {
				k.verbLabels[d] = append(k.verbLabels[d], []byte(w))
				k.verbJSON[d] = append(k.verbJSON[d], []byte(jsonEscape(w, "\\u%04x")), []byte(jsonEscape(w, "\\u%04X")))
			}
		}
	}
	return k, nil
}

// endsWith reports which of the name and address detectors have a Chinese
// label (raw UTF-8, or \u-escaped in either hex case) at the very end of
// text: the label of a value joined to it by a verb (姓名为).
func (k *keywordIndex) endsWith(text []byte) contextClass {
	if len(text) == 0 {
		return 0
	}
	last := text[len(text)-1]
	all := &k.verbLabels
	if last < utf8.RuneSelf {
		all = &k.verbJSON // a label that ends in ASCII is escaped
	}
	var c contextClass
	for d, labels := range all {
		for _, l := range labels {
			// The last byte first: most verbs follow no label.
			if l[len(l)-1] == last && bytes.HasSuffix(text, l) {
				c |= 1 << d
				break
			}
		}
	}
	return c
}

// foldMax is the longest text the automata are asked about: a label window
// or a CSV header cell.
const foldMax = max(labelMax, headerCellMax)

// foldCase copies src into dst with ASCII letters in lower case and returns
// the copy: the form the automata match. The U of \U stays: \U is no JSON
// escape, and folded it would spell the \u form of a label. The escape
// \\u of JSON inside a JSON string (a tool's result an agent passes on,
// written by an encoder that keeps to ASCII) loses its first backslash, so
// its labels match as \u ones. A src longer than dst keeps its last
// len(dst) bytes, the ones nearest the value.
func foldCase(dst *[foldMax]byte, src []byte) []byte {
	src = src[max(0, len(src)-len(dst)):]
	n := 0
	for i, c := range src {
		switch {
		case c == '\\' && i+2 < len(src) && src[i+1] == '\\' && src[i+2] == 'u':
			continue
		case c == 'U' && i > 0 && src[i-1] == '\\':
			dst[n] = c
		default:
			dst[n] = lowerASCII(c)
		}
		n++
	}
	return dst[:n]
}

// in reports which detectors have a label anywhere in folded, a text
// folded by foldCase, and none of their otherWords.
func (k *keywordIndex) in(folded []byte) contextClass {
	var c contextClass
	for d, m := range k.byDetector {
		if m.Contains(folded) && !k.otherWord(Detector(d), folded) {
			c |= 1 << d
		}
	}
	return c
}

// has reports whether a label of detector d occurs in folded, a label
// window folded by foldCase, in a key that holds none of d's otherWords.
// The keys of a window are its parts between ':', '：' and '=', so the
// label right before a value still counts after another key's otherWord
// (用户名：zhangwei 姓名：张伟, 商品名称：手机 收件人：张伟).
func (k *keywordIndex) has(d Detector, folded []byte) bool {
	if len(folded) == 0 || !k.byDetector[d].Contains(folded) {
		return false
	}
	if !k.otherWord(d, folded) {
		return true
	}
	for len(folded) > 0 {
		key, rest := cutKey(folded)
		if k.byDetector[d].Contains(key) && !k.otherWord(d, key) {
			return true
		}
		folded = rest
	}
	return false
}

// cutKey cuts b at its first ':', '=' or full-width colon '：' (EF BC 9A).
func cutKey(b []byte) (key, rest []byte) {
	for i, c := range b {
		switch {
		case c == ':' || c == '=':
			return b[:i], b[i+1:]
		case c == 0xEF && i+2 < len(b) && b[i+1] == 0xBC && b[i+2] == 0x9A:
			return b[:i], b[i+3:]
		}
	}
	return b, nil
}

// otherWord reports whether folded holds one of d's otherWords.
func (k *keywordIndex) otherWord(d Detector, folded []byte) bool {
	return k.other[d] != nil && k.other[d].Contains(folded)
}

// wireForms expands labels into every spelling they take on the wire: raw
// UTF-8, \u escapes and percent-encoding in both hex cases, and ASCII
// labels in lower, Title and UPPER case.
func wireForms(words []string) []string {
	var out []string
	for _, w := range words {
		if isASCII(w) {
			out = append(out, w, strings.ToLower(w), strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:])
			continue
		}
		out = append(out, w,
			jsonEscape(w, "\\u%04x"), jsonEscape(w, "\\u%04X"),
			percentEncode(w, "%%%02X"), percentEncode(w, "%%%02x"))
	}
	return dedupe(out)
}

// foldedForms returns the distinct foldCase forms of the wire spellings of
// words: what the automata hold.
func foldedForms(words []string) []string {
	forms := wireForms(words)
	for i, f := range forms {
		b := []byte(f)
		for j, c := range b {
			b[j] = lowerASCII(c)
		}
		forms[i] = string(b)
	}
	return dedupe(forms)
}

// dedupe drops repeated and empty strings, keeping the first of each.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
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

// LabelForms returns every wire spelling of every detector's labels that
// the engine finds (raw UTF-8, \u-escaped and percent-encoded forms in both
// hex cases, ASCII labels in lower, Title and UPPER case). Benchmarks use it
// to build the bare Aho-Corasick baseline: an automaton that finds the same
// spellings without folding the text first.
func LabelForms() []string {
	var all []string
	for _, words := range keywords {
		all = append(all, wireForms(words)...)
	}
	return all
}
