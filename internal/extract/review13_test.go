package extract

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// review13Encrypt is AES-256-CBC of data padded to 16 bytes, as Office's
// agile encryption writes a package's segments.
func review13Encrypt(tb testing.TB, data []byte) []byte {
	tb.Helper()
	key, iv := make([]byte, 32), make([]byte, 16)
	_, _ = rand.Read(key)
	_, _ = rand.Read(iv)
	blk, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	p := append([]byte(nil), data...)
	p = append(p, make([]byte, (16-len(p)%16)%16)...)
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(p, p)
	return p
}

// review13EncryptedOOXML is an xlsx saved by Excel with File > Info >
// Protect Workbook > Encrypt with Password: an OLE compound file with an
// EncryptionInfo stream (agile, version 4.4) and an EncryptedPackage
// stream (the package's size, then its AES segments).
func review13EncryptedOOXML(tb testing.TB, pkg []byte) []byte {
	tb.Helper()
	info := []byte{4, 0, 4, 0, 0x40, 0, 0, 0}
	info = append(info, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\r\n"+
		`<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">`+
		`<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>`+
		`<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password"><p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></keyEncryptor></keyEncryptors></encryption>`...)
	info = append(info, make([]byte, 4096-len(info))...)
	enc := make([]byte, 8)
	binary.LittleEndian.PutUint64(enc, uint64(len(pkg)))
	enc = append(enc, review13Encrypt(tb, pkg)...)
	return cfbOf(tb, []string{"EncryptionInfo", "EncryptedPackage"}, [][]byte{info, enc})
}

// TestReview13EncryptedOfficeUnreported: a password-protected workbook
// is what an employee is told to make before mailing a customer list.
// Its content cannot be read, which is fine, but it must be reported
// (`encrypted`, as an encrypted zip, RAR or 7z member is) so the policy
// decides; a silent pass with no counts is the bug.
func TestReview13EncryptedOfficeUnreported(t *testing.T) {
	e := newTestEngine(t)
	rows := csvRows(corpus.Records(13, 1000))
	bodies := map[string][]byte{
		"xlsx (agile)": review13EncryptedOOXML(t, buildXLSX(t, rows)),
		"docx (agile)": review13EncryptedOOXML(t, buildDOCX(t, rows)),
	}
	bodies["xls (password to open)"] = cfbOf(t, []string{"Workbook"}, [][]byte{review13EncryptedBIFF(t, csvBytes(rows))})
	for name, body := range bodies {
		got := extract(t, e, body, "", Limits{}, 0)
		if len(got.reasons) == 0 && got.counts[inspect.ResidentID] < 50 {
			t.Errorf("%s: %d IDs of 1000 and no reason: a password-protected document passes silently", name, got.counts[inspect.ResidentID])
		} else {
			t.Logf("%s: ids %d reasons %v", name, got.counts[inspect.ResidentID], got.reasons)
		}
	}
}

// review13Passports is a 1,000-row passport list (a travel agency's group
// visa list): name, passport number, address. Only the passport column
// can block it (cn_passport: 50), and a passport counts only in a column
// its header labels.
func review13Passports() [][]string {
	rows := [][]string{{"姓名", "护照号", "住址"}}
	for _, r := range corpus.Records(13, 1000) {
		rows = append(rows, []string{r.Name, r.Passport, r.Address})
	}
	return rows
}

// review13CheckPassports fails unless each body counts the list's 1,000
// passports (or reports a reason).
func review13CheckPassports(t *testing.T, bodies map[string][]byte) {
	t.Helper()
	e := newTestEngine(t)
	for name, body := range bodies {
		for _, chunk := range []int{0, 4096} {
			got := extract(t, e, body, "", Limits{}, chunk)
			if p := got.counts[inspect.Passport]; p < 1000 && len(got.reasons) == 0 {
				t.Errorf("%s, chunk %d: %d of 1000 passports, %d names, %d addresses, no reason", name, chunk, p, got.counts[inspect.Name], got.counts[inspect.Address])
			}
		}
	}
}

// TestReview13ReportTitleRows: Chinese registers (登记表) open with a
// title merged across the columns and often a second line (填报单位 /
// 填报日期 in two cells) above the header. Saved as CSV by Excel, WPS or
// LibreOffice the title is "title,," (empty cells of the merge); a title
// line is passed over only without a comma. In a sheet the 填报 line has
// cells in two columns. Either hides the header: 0 passports, allowed.
func TestReview13ReportTitleRows(t *testing.T) {
	rows := review13Passports()
	title := []string{"XX国际旅行社出境游客登记表", "", ""}
	filed := []string{"填报单位：市场部", "", "填报日期：2026-11-28"}
	review13CheckPassports(t, map[string][]byte{
		"csv, merged title":          csvBytes(append([][]string{title}, rows...)),
		"csv, title and 填报 line":     csvBytes(append([][]string{title, filed}, rows...)),
		"xlsx, title and 填报 line":    buildXLSX(t, append([][]string{{title[0]}, filed}, rows...)),
		"csv, title and a blank row": csvBytes(append([][]string{title, {"", "", ""}}, rows...)),
		"docx, merged title row":     review13DOCXTitled(t, title[0], rows),
	})
}

// review13DOCXTitled is rows as a Word table whose first row is the
// title, one cell merged across the columns (w:gridSpan).
func review13DOCXTitled(tb testing.TB, title string, rows [][]string) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:tbl>`)
	fmt.Fprintf(&b, `<w:tr><w:tc><w:tcPr><w:gridSpan w:val="%d"/></w:tcPr><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc></w:tr>`, len(rows[0]), title)
	for _, row := range rows {
		b.WriteString(`<w:tr>`)
		for _, v := range row {
			fmt.Fprintf(&b, `<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>`, v)
		}
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl></w:body></w:document>`)
	return buildZip(tb,
		zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types/>`)},
		zfile{name: "word/document.xml", data: []byte(b.String())},
	)
}

// review13EncryptedBIFF is the Workbook stream of an .xls saved with a
// password to open (Excel 2003 and later, WPS): BOF, FILEPASS (RC4
// CryptoAPI), then records whose bodies are RC4-encrypted (here AES
// output of the list, as random as RC4's): the SST first.
func review13EncryptedBIFF(tb testing.TB, list []byte) []byte {
	tb.Helper()
	rec := func(typ uint16, body []byte) []byte {
		h := make([]byte, 4)
		binary.LittleEndian.PutUint16(h, typ)
		binary.LittleEndian.PutUint16(h[2:], uint16(len(body)))
		return append(h, body...)
	}
	bof := make([]byte, 16)
	binary.LittleEndian.PutUint16(bof, 0x0600)
	binary.LittleEndian.PutUint16(bof[2:], 0x0005)
	filepass := make([]byte, 200)
	binary.LittleEndian.PutUint16(filepass, 1)     // RC4
	binary.LittleEndian.PutUint16(filepass[2:], 4) // CryptoAPI, version 4.2
	binary.LittleEndian.PutUint16(filepass[4:], 2)
	_, _ = rand.Read(filepass[8:])
	out := append(rec(0x0809, bof), rec(0x002f, filepass)...)
	enc := review13Encrypt(tb, list)
	for i := 0; i < len(enc); i += 8224 {
		typ := uint16(0x003c) // CONTINUE
		if i == 0 {
			typ = biffSST
		}
		out = append(out, rec(typ, enc[i:min(i+8224, len(enc))])...)
	}
	return append(out, rec(biffEOF, nil)...)
}
