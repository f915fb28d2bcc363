package corpus

import (
	"archive/zip"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
)

func TestShapesRoundTrip(t *testing.T) {
	recs := Records(1, 20)
	rows := Rows(recs)
	if len(rows) != 21 || rows[1][1] != recs[0].ResidentID {
		t.Fatalf("Rows: %d rows, first ID %q", len(rows), rows[1][1])
	}
	csvText := CSVBytes(rows)
	xlsx, err := XLSX(rows)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatalf("XLSX is no zip: %v", err)
	}
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			sheet, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if !bytes.Contains(sheet, []byte(recs[0].ResidentID)) || !bytes.Contains(sheet, []byte(recs[0].Mobile)) {
		t.Error("the sheet lacks the first record's ID or mobile")
	}
	body, ctype, err := Multipart(FormPart{Field: "file", File: "list.csv", ContentType: "text/csv", Data: csvText})
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	part, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(part)
	if part.FileName() != "list.csv" || !bytes.Equal(got, csvText) {
		t.Errorf("multipart part %q holds %d bytes, want list.csv with %d", part.FileName(), len(got), len(csvText))
	}
	stored, err := Zip(ZipFile{Name: "a.csv", Data: csvText, Store: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stored), recs[0].ResidentID) {
		t.Error("a stored member is not kept as is")
	}
}
