package corpus

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Renderers turn records into the forms PI travels in. Each returns a Doc
// whose Want counts len(recs) for every detector the form shows (Records
// makes all values of a field distinct) and zero for the others.

// csvHeaders are the CSV header rows: Chinese and English.
var csvHeaders = [2][]string{
	{"姓名", "身份证号", "手机号", "银行卡号", "邮箱", "住址", "护照号"},
	{"name", "id_card", "mobile", "bank_card", "email", "address", "passport"},
}

// csvDetectors are the detectors of the CSV columns, in column order.
var csvDetectors = []string{DetName, DetResidentID, DetMobile, DetBankCard, DetEmail, DetAddress, DetPassport}

// csvFields returns the record's values in CSV column order.
func csvFields(r Record) []string {
	return []string{r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport}
}

// CSVOptions selects a CSV variant.
type CSVOptions struct {
	// EnglishHeader selects the header name,id_card,mobile,bank_card,email,
	// address,passport; false selects 姓名,身份证号,手机号,银行卡号,邮箱,住址,护照号.
	EnglishHeader bool
}

func writeCSVHeader(w *csv.Writer, english bool) {
	_ = w.Write(csvHeaders[boolIndex(english)]) // a bytes.Buffer never fails
}

func writeCSVRow(w *csv.Writer, r Record) {
	_ = w.Write(csvFields(r)) // a bytes.Buffer never fails
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CSV renders recs as a customer export: a header row, then one row per
// record with name, ID, mobile, card, e-mail, address and passport.
func CSV(recs []Record, o CSVOptions) Doc {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	writeCSVHeader(w, o.EnglishHeader)
	for _, r := range recs {
		writeCSVRow(w, r)
	}
	w.Flush()
	name := "customers.csv"
	if o.EnglishHeader {
		name = "customers_en.csv"
	}
	return Doc{Name: name, Data: buf.Bytes(), Want: expect(len(recs), csvDetectors...)}
}

// jsonKeys are the object keys of JSON and JSONEscaped, in csvFields order.
var jsonKeys = []string{"name", "idCard", "mobile", "bankCard", "email", "address", "passport"}

// appendJSONString appends s as a JSON string. If ascii, every non-ASCII
// character is written as \uXXXX (a UTF-16 surrogate pair above U+FFFF), as
// Java and JavaScript serialisers do.
func appendJSONString(b []byte, s string, ascii bool) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c < 0x20 || (ascii && c > 0x7e):
			if r1, r2 := utf16.EncodeRune(c); r1 != '\uFFFD' {
				b = fmt.Appendf(b, `\u%04x\u%04x`, r1, r2)
			} else {
				b = fmt.Appendf(b, `\u%04x`, c)
			}
		default:
			b = append(b, string(c)...)
		}
	}
	return append(b, '"')
}

// renderJSON writes recs as a pretty-printed array of objects.
func renderJSON(name string, recs []Record, ascii bool) Doc {
	b := []byte("[\n")
	for i, r := range recs {
		b = append(b, "  {"...)
		for k, v := range csvFields(r) {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = appendJSONString(b, jsonKeys[k], false)
			b = append(b, ": "...)
			b = appendJSONString(b, v, ascii)
		}
		b = append(b, '}')
		if i < len(recs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "]\n"...)
	return Doc{Name: name, Data: b, Want: expect(len(recs), csvDetectors...)}
}

// JSON renders recs as a JSON array of objects with the keys name, idCard,
// mobile, bankCard, email, address and passport, UTF-8 unescaped.
func JSON(recs []Record) Doc { return renderJSON("customers.json", recs, false) }

// JSONEscaped renders recs like JSON but with every non-ASCII character
// escaped as \uXXXX, so names read \u5f20\u4f1f and the labels are absent
// from the raw UTF-8.
func JSONEscaped(recs []Record) Doc { return renderJSON("customers_escaped.json", recs, true) }

// Prose renders recs as running text in Chinese and English, one paragraph
// per record, every value right after a label (客户姓名, 身份证号, 手机,
// name, id_no, tel, 港澳通行证 ...), with filler sentences full of harmless
// numbers between the records. All eight detectors count len(recs).
func Prose(recs []Record) Doc {
	z := noise{newRand(0)}
	var b strings.Builder
	for i, r := range recs {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "客户姓名：%s，身份证号：%s，手机：%s，银行卡号：%s，邮箱：%s，住址：%s，护照号：%s，港澳通行证：%s。",
				r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport, r.TravelPermit)
		case 1:
			fmt.Fprintf(&b, "Customer name: %s; ID card: %s; mobile: +86 %s; bank card: %s; email: %s; address: %s; passport: %s; 港澳通行证: %s.",
				r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport, r.TravelPermit)
		case 2:
			fmt.Fprintf(&b, "经核实，该用户姓名为%s（身份证号码%s），联系电话%s，银行卡%s，电子邮箱%s，家庭住址为%s，护照%s，回乡证%s。",
				r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport, r.TravelPermit)
		default:
			fmt.Fprintf(&b, "record: real_name=%s, id_no=%s, tel=%s, card_no=%s, mail=%s, address=%s, passport=%s, 港澳通行证=%s;",
				r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport, r.TravelPermit)
		}
		if z.r.IntN(2) == 0 {
			b.WriteString(" " + z.zhSentence() + " " + z.enSentence())
		}
		b.WriteString("\n\n")
	}
	return Doc{Name: "customers.txt", Data: []byte(b.String()), Want: expect(len(recs), DetectorIDs()...)}
}

// group splits s into groups of the given sizes (the last group takes the
// rest) joined by sep.
func group(s, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		if len(s) <= n {
			break
		}
		parts, s = append(parts, s[:n]), s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// Grouped renders the numbers of recs the way people type them: IDs 6-8-4
// with spaces or hyphens; mobiles 3-4-4 with a +86, 0086 or 86 prefix or
// none; cards in groups of four. Only IDs, mobiles and cards are shown.
func Grouped(recs []Record) Doc {
	var b strings.Builder
	for i, r := range recs {
		sep := []string{" ", "-"}[i%2]
		mobile := group(r.Mobile, sep, 3, 4)
		prefix := []string{"", "+86 ", "0086 ", "86-"}[i%4]
		card := group(r.BankCard, []string{" ", "-"}[i/2%2], 4, 4, 4, 4)
		fmt.Fprintf(&b, "身份证号：%s，手机：%s%s，银行卡号：%s\n", group(r.ResidentID, sep, 6, 8), prefix, mobile, card)
	}
	return Doc{Name: "grouped.txt", Data: []byte(b.String()), Want: expect(len(recs), DetResidentID, DetMobile, DetBankCard)}
}

// toFullWidth maps ASCII digits and 'X' to their full-width forms (０-９, Ｘ).
func toFullWidth(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= '0' && c <= '9':
			return c - '0' + '０'
		case c == 'X':
			return 'Ｘ'
		}
		return c
	}, s)
}

// FullWidth renders the IDs, mobiles and cards of recs with full-width
// digits and Ｘ, as Chinese input methods produce them.
func FullWidth(recs []Record) Doc {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "身份证号：%s，手机：%s，银行卡号：%s\n", toFullWidth(r.ResidentID), toFullWidth(r.Mobile), toFullWidth(r.BankCard))
	}
	return Doc{Name: "fullwidth.txt", Data: []byte(b.String()), Want: expect(len(recs), DetResidentID, DetMobile, DetBankCard)}
}

// PercentEncoded renders recs as one application/x-www-form-urlencoded body:
// for each record, seven pairs keyed by the Chinese CSV labels, so both the
// labels and the Chinese values are percent-encoded (%E5%A7%93%E5%90%8D=...)
// and '@' reads %40. Keys repeat once per record.
func PercentEncoded(recs []Record) Doc {
	var b strings.Builder
	for i, r := range recs {
		for k, v := range csvFields(r) {
			if i > 0 || k > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(csvHeaders[0][k]) + "=" + url.QueryEscape(v))
		}
	}
	return Doc{Name: "form.txt", Data: []byte(b.String()), Want: expect(len(recs), csvDetectors...)}
}

// entities writes every character of s as a decimal character reference
// (1 becomes &#49;).
func entities(s string) string {
	var b strings.Builder
	for _, c := range s {
		b.WriteString("&#" + strconv.Itoa(int(c)) + ";")
	}
	return b.String()
}

// HTMLEntities renders recs as an HTML table headed 姓名, 身份证号, 手机号,
// 银行卡号: names in plain text, every character of the numbers as a decimal
// character reference (&#49;&#49;&#48;...).
func HTMLEntities(recs []Record) Doc {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\"><title>客户列表</title></head>\n<body>\n<table>\n<tr><th>姓名</th><th>身份证号</th><th>手机号</th><th>银行卡号</th></tr>\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", r.Name, entities(r.ResidentID), entities(r.Mobile), entities(r.BankCard))
	}
	b.WriteString("</table>\n</body>\n</html>\n")
	return Doc{Name: "entities.html", Data: []byte(b.String()), Want: expect(len(recs), DetName, DetResidentID, DetMobile, DetBankCard)}
}

// Renderings returns every rendering of recs: both CSVs, JSON, JSONEscaped,
// Prose, Grouped, FullWidth, PercentEncoded and HTMLEntities.
func Renderings(recs []Record) []Doc {
	return []Doc{
		CSV(recs, CSVOptions{}),
		CSV(recs, CSVOptions{EnglishHeader: true}),
		JSON(recs),
		JSONEscaped(recs),
		Prose(recs),
		Grouped(recs),
		FullWidth(recs),
		PercentEncoded(recs),
		HTMLEntities(recs),
	}
}
