package extract

import (
	"encoding/base64"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// fuzzExtract runs body through an extractor whole and in 7-byte chunks:
// it must not panic or hang, must settle the whole body at Close, and the
// counts must not depend on the chunking.
func fuzzExtract(t *testing.T, e *inspect.Engine, body []byte, ctype string) {
	lim := Limits{Hold: 1 << 20, MaxTotal: 4 << 20, MaxEntries: 100}
	whole := extract(t, e, body, ctype, lim, 0)
	split := extract(t, e, body, ctype, lim, 7)
	if whole.counts != split.counts {
		t.Fatalf("counts depend on chunking: %v whole, %v in 7-byte chunks", whole.counts, split.counts)
	}
}

func fuzzSeeds(tb testing.TB) (csvData, xlsx []byte) {
	rows := csvRows(corpus.Records(1, 5))
	return csvBytes(rows), buildXLSX(tb, rows)
}

func FuzzMultipart(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	body, ctype := buildMultipart(f,
		filePart{field: "a", data: []byte("姓名：张三")},
		filePart{field: "f", file: "x.csv", ctype: "text/csv; charset=gbk", data: encodeText(f, gbk, csvData)},
		filePart{field: "x", file: "x.xlsx", data: xlsx},
	)
	f.Add(body, ctype)
	f.Add(body, "")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n13800138000\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) { fuzzExtract(t, e, body, ctype) })
}

func FuzzZip(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	f.Add(xlsx)
	f.Add(buildDOCX(f, csvRows(corpus.Records(2, 3))))
	f.Add(buildZip(f, zfile{name: "a.csv", data: csvData, store: true}, zfile{name: "n.zip", data: buildZip(f, zfile{name: "b.csv", data: csvData})}))
	f.Add(buildZip(f, zfile{name: "s.csv", data: csvData, flags: 1}))
	f.Add(append(append([]byte{}, oleMagic...), encodeText(f, utf16LEPlain, csvData)...))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "") })
}

func FuzzBase64(f *testing.F) {
	csvData, xlsx := fuzzSeeds(f)
	f.Add([]byte(`{"f":"` + base64.StdEncoding.EncodeToString(csvData) + `"}`))
	f.Add([]byte(`{"f":"` + wrapped(csvData, `\r\n`) + `"}`))
	f.Add([]byte("data:;base64," + wrapped(xlsx, "\n") + "\n1101011990"))
	f.Add([]byte(`a=` + base64.URLEncoding.EncodeToString(csvData) + `%3D%3D&b=%2F%2B`))
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzExtract(t, e, body, "application/json") })
}

func FuzzCharset(f *testing.F) {
	csvData, _ := fuzzSeeds(f)
	f.Add(encodeText(f, gbk, csvData), "")
	f.Add(encodeText(f, corpusGB18030, csvData), "text/plain; charset=gb18030")
	f.Add(encodeText(f, utf16LE, csvData), "")
	f.Add(encodeText(f, utf16BE, csvData), "text/csv; charset=utf-16")
	f.Add(csvData, "text/csv; charset=big5")
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) { fuzzExtract(t, e, body, ctype) })
}
