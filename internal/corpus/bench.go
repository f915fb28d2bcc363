package corpus

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
)

// The benchmark corpora are exactly size bytes long. Text corpora are built
// from whole lines and padded with newlines, so no value is cut in half.

// fill appends pieces from next to a buffer until it holds at least size
// bytes, cuts it after the last newline at or before size, and pads it with
// newlines to exactly size bytes.
func fill(size int, next func() string) []byte {
	b := make([]byte, 0, size+64*1024)
	for len(b) < size {
		b = append(b, next()...)
	}
	b = b[:bytes.LastIndexByte(b[:size], '\n')+1]
	for len(b) < size {
		b = append(b, '\n')
	}
	return b
}

// CleanWeb returns size bytes of web traffic without PI: Chinese and
// English HTML pages, JavaScript and JSON API responses, full of prices,
// dates, ids, timestamps and hashes. Want is all zeros.
func CleanWeb(seed uint64, size int) Doc {
	z := noise{newRand(seed)}
	next := func() string {
		switch z.r.IntN(4) {
		case 0:
			return z.page("zh-CN", "新闻资讯", 2+z.r.IntN(6), z.zhSentence)
		case 1:
			return z.page("en", "Product news", 2+z.r.IntN(6), z.enSentence)
		case 2:
			return z.script()
		default:
			return z.apiResponse()
		}
	}
	return Doc{Name: "clean.html", Data: fill(size, next), Want: expect(0)}
}

// ChatRequests returns size bytes of LLM chat requests without PI, one
// JSON object per line: messages of Chinese and English sentences (with
// prices, dates, versions and hashes) and code, a line break every few
// dozen bytes, each escaped \n inside a JSON string, as a prompt carries
// them. Want is all zeros.
func ChatRequests(seed uint64, size int) Doc {
	z := noise{newRand(seed)}
	next := func() string {
		type message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}
		msgs := []message{{"system", "You are a helpful assistant. Answer briefly, with steps, examples and code."}}
		for range 2 + z.r.IntN(6) {
			var lines []string
			for range 2 + z.r.IntN(8) {
				switch z.r.IntN(3) {
				case 0:
					lines = append(lines, z.zhSentence())
				case 1:
					lines = append(lines, z.enSentence())
				default:
					lines = append(lines, z.enSentence()+" "+z.enSentence())
				}
			}
			if z.r.IntN(3) == 0 {
				lines = append(lines, "```html", z.script(), "```")
			}
			msgs = append(msgs, message{[]string{"user", "assistant"}[z.r.IntN(2)], strings.Join(lines, "\n")})
		}
		b, _ := json.Marshal(map[string]any{"model": "gpt-4o", "messages": msgs, "temperature": 0.2})
		return string(b) + "\n"
	}
	return Doc{Name: "chat.jsonl", Data: fill(size, next), Want: expect(0)}
}

// PIDenseCSV returns size bytes of the Chinese-header CSV (see CSV), with
// fresh records until the size is reached: every row is a new person. Want
// counts the rows for each of the seven columns.
func PIDenseCSV(seed uint64, size int) Doc {
	g := newRecordGen(seed)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := true
	data := fill(size, func() string {
		buf.Reset()
		if header {
			writeCSVHeader(w, false)
			header = false
		} else {
			writeCSVRow(w, g.next())
		}
		w.Flush()
		return buf.String()
	})
	// Every line but the header is one row; fill cuts and pads whole lines.
	rows := bytes.Count(bytes.TrimRight(data, "\n"), []byte{'\n'})
	return Doc{Name: "pi.csv", Data: data, Want: expect(rows, csvDetectors...)}
}

// Binary returns size bytes of random data standing in for compressed or
// encrypted content. The generator never emits ASCII digits or '@' (they are
// moved to 0xB0-0xB9 and 0xC0), so no number or e-mail address can occur by
// chance: uniform random bytes would hold a chance e-mail-like string about
// once every 30 MiB. Want is all zeros.
func Binary(seed uint64, size int) Doc {
	r := newRand(seed)
	b := make([]byte, size)
	for i := 0; i < size; i += 8 {
		v := r.Uint64()
		for k := 0; k < 8 && i+k < size; k++ {
			c := byte(v >> (8 * k))
			if isDigit(c) || c == '@' {
				c |= 0x80
			}
			b[i+k] = c
		}
	}
	return Doc{Name: "binary.bin", Data: b, Want: expect(0)}
}
