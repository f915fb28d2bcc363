package corpus

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"hash/crc32"
	"html"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// The builders below render records in the shapes real leaks take (an
// archive, a spreadsheet, a form upload), for the tests of the extractor
// and of the proxy, which must count them like the plain CSV.

// ZipFile is one member of an archive built by Zip.
type ZipFile struct {
	Name  string
	Data  []byte
	Store bool   // no compression, sizes in the local header
	Flags uint16 // general-purpose flags (1: encrypted)
}

// Zip writes an archive of files.
func Zip(files ...ZipFile) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Flags: f.Flags}
		create := w.CreateHeader
		if f.Store {
			h.Method = zip.Store
			h.CRC32 = crc32.ChecksumIEEE(f.Data)
			h.CompressedSize64 = uint64(len(f.Data))
			h.UncompressedSize64 = uint64(len(f.Data))
			create = w.CreateRaw
		}
		fw, err := create(h)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}

// Rows returns the records as table rows under the corpus's Chinese header
// (姓名, 身份证号, 手机号, 银行卡号, 邮箱, 住址, 护照号).
func Rows(recs []Record) [][]string {
	rows := [][]string{{"姓名", "身份证号", "手机号", "银行卡号", "邮箱", "住址", "护照号"}}
	for _, r := range recs {
		rows = append(rows, []string{r.Name, r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Address, r.Passport})
	}
	return rows
}

// CSVBytes renders rows as CSV.
func CSVBytes(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows) // a bytes.Buffer never fails
	return buf.Bytes()
}

// XLSX renders rows of Rows as a minimal spreadsheet the way Excel stores
// it: the sheet before the shared strings; names, e-mail and addresses as
// shared strings, IDs and passports as inline strings, mobiles and cards as
// numbers, empty cells omitted, and a styles part holding a number that is
// no personal information.
func XLSX(rows [][]string) ([]byte, error) {
	var sheet, sst strings.Builder
	var shared []string
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, v := range row {
			ref := fmt.Sprintf("%c%d", 'A'+j, i+1)
			switch {
			case v == "":
			case i > 0 && (j == 2 || j == 3):
				fmt.Fprintf(&sheet, `<c r="%s"><v>%s</v></c>`, ref, v)
			case i > 0 && (j == 1 || j == 6):
				fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, html.EscapeString(v))
			default:
				fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, len(shared))
				shared = append(shared, v)
			}
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	fmt.Fprintf(&sst, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(shared), len(shared))
	for _, s := range shared {
		fmt.Fprintf(&sst, `<si><t>%s</t></si>`, html.EscapeString(s))
	}
	sst.WriteString(`</sst>`)
	return Zip(
		ZipFile{Name: "[Content_Types].xml", Data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		ZipFile{Name: "_rels/.rels", Data: []byte(`<?xml version="1.0"?><Relationships/>`)},
		ZipFile{Name: "xl/workbook.xml", Data: []byte(`<?xml version="1.0"?><workbook><sheets><sheet name="客户" sheetId="1"/></sheets></workbook>`)},
		ZipFile{Name: "xl/worksheets/sheet1.xml", Data: []byte(sheet.String())},
		ZipFile{Name: "xl/styles.xml", Data: []byte(`<?xml version="1.0"?><styleSheet><numFmts count="1"><numFmt numFmtId="164" formatCode="13800138000"/></numFmts></styleSheet>`)},
		ZipFile{Name: "xl/sharedStrings.xml", Data: []byte(sst.String())},
	)
}

// FormPart is one part of a form built by Multipart.
type FormPart struct {
	Field, File, ContentType string
	Data                     []byte
}

// Multipart writes a multipart/form-data body of parts and returns it with
// its Content-Type.
func Multipart(parts ...FormPart) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.Field)
		if p.File != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.File)
		}
		h.Set("Content-Disposition", disp)
		if p.ContentType != "" {
			h.Set("Content-Type", p.ContentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("multipart %s: %w", p.Field, err)
		}
		if _, err := pw.Write(p.Data); err != nil {
			return nil, "", fmt.Errorf("multipart %s: %w", p.Field, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("multipart: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
