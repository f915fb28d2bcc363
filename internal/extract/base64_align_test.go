package extract

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// extractSplit runs body through an extractor in writes of random sizes
// of 1 to 64 bytes drawn from r, and closes it.
func extractSplit(tb testing.TB, e *inspect.Engine, body []byte, ctype string, r *rand.Rand) [inspect.NumDetectors]int {
	tb.Helper()
	s := e.NewScanner()
	defer s.Release()
	x := New(s, ctype, Limits{})
	x.repanic = true
	defer x.Stop()
	for off := 0; off < len(body); {
		n := min(1+r.IntN(64), len(body)-off)
		if _, err := x.Write(body[off : off+n]); err != nil {
			tb.Fatalf("write: %v", err)
		}
		off += n
	}
	if err := x.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	return s.Tally().Counts
}

// TestBase64GluedPrefix: base64 glued to characters of its own alphabet
// (a dash, a word, a rule line) is decoded in the payload's alignment.
// Before, the run was decoded from its first character and every quantum
// was shifted: the 60-row list behind "-" counted 0 of each detector, and
// behind a 64-dash rule 39-41 of four detectors.
func TestBase64GluedPrefix(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(21, 60)))
	want := scanPlain(e, list)
	t.Logf("bare scan: %v", want)
	std := base64.StdEncoding.EncodeToString(list)
	url := base64.URLEncoding.EncodeToString(list)
	tests := []struct {
		name string
		give string
	}{
		{name: "alone", give: std},
		{name: "one dash", give: "-" + std},
		{name: "two dashes", give: "--" + std},
		{name: "three dashes", give: "---" + std},
		{name: "ab", give: "ab" + std},
		{name: "token", give: "token" + std},
		{name: "a three-character word", give: "x9Q" + std},
		{name: "four dashes", give: "----" + std},
		{name: "abcd", give: "abcd" + std},
		{name: "eight characters", give: "abcdefgh" + std},
		{name: "a long word", give: "attachment_customer_list_2026" + std},
		{name: "64 dashes", give: strings.Repeat("-", 64) + std},
		{name: "65 dashes", give: strings.Repeat("-", 65) + std},
		{name: "67 dashes", give: strings.Repeat("-", 67) + std},
		{name: "200 dashes", give: strings.Repeat("-", 200) + std},
		{name: "a rule then a word", give: strings.Repeat("-", 100) + "abc" + std},
		{name: "data uri", give: "data:text/csv;base64," + std},
		{name: "after text", give: "see the file -" + std + " attached\n"},
		{name: "url-safe after a dash", give: "-" + url},
		{name: "json after a word", give: `{"f":"key` + strings.ReplaceAll(std, "/", `\/`) + `"}`},
		{name: "form after a dash", give: "f=-" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(std)},
		{name: "wrapped after a dash", give: "-" + wrapped(list, "\r\n")},
		{name: "wrapped after a word", give: "abcde" + wrapped(list, "\n")},
	}
	r := rand.New(rand.NewPCG(21, 60))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.give)
			for _, chunk := range []int{0, 1, 7, 64} {
				if got := extract(t, e, body, "", Limits{}, chunk).counts; got != want {
					t.Errorf("chunk %d: counts %v, want %v", chunk, got, want)
				}
			}
			for range 3 {
				if got := extractSplit(t, e, body, "", r); got != want {
					t.Errorf("random writes: counts %v, want %v", got, want)
				}
			}
		})
	}
}

// TestBase64RandomPrefix: the list's base64 behind a random word of 0 to
// 32 characters of the alphabet counts the list's IDs, mobiles, cards and
// e-mail addresses. Where the prefix's last quantum in the payload's
// alignment decodes to text (printable ASCII: about one prefix of four or
// more characters in twenty), those bytes are glued to the header row's
// first cell and the names, addresses and passports that need its column
// context count 0: that may happen to one prefix in ten here, no more.
func TestBase64RandomPrefix(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(22, 60)))
	want := scanPlain(e, list)
	std := base64.StdEncoding.EncodeToString(list)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
	r := rand.New(rand.NewPCG(22, 32))
	n := 330
	if testing.Short() {
		n = 66
	}
	lost := 0
	for k := range n {
		prefix := make([]byte, k%33)
		for i := range prefix {
			prefix[i] = alphabet[r.IntN(len(alphabet))]
		}
		body := []byte("file: " + string(prefix) + std + "\n")
		got := extract(t, e, body, "", Limits{}, 0).counts
		for _, d := range []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.BankCard, inspect.Email} {
			if got[d] != want[d] {
				t.Errorf("prefix %q: counts %v, want %v", prefix, got, want)
			}
		}
		if got != want {
			t.Logf("prefix %q: counts %v (context lost)", prefix, got)
			lost++
		}
	}
	if lost > n/10 {
		t.Errorf("%d prefixes of %d lost the header's context, want at most %d", lost, n, n/10)
	}
}

// TestBase64AlignNegatives: text that holds no personal information
// counts nothing, whole, in 1-byte writes and in random writes: prose,
// minified JavaScript with long identifiers, a source map, hex digests,
// subresource-integrity hashes ("sha384-" glued to base64 of a digest),
// JWTs, and the base64 of prose behind a glued prefix.
func TestBase64AlignNegatives(t *testing.T) {
	e := newTestEngine(t)
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawURLEncoding.EncodeToString
	en, zh := corpus.NegEnglishPage(23, 12).Data, corpus.NegChinesePage(24, 12).Data
	digest := "9f86d081884c7d659a2fea0aa5a06dc1e3f2f0a6b7c8d9e0f1a2b3c4d5e6f708"
	sig := make([]byte, 256) // an RS256 signature: random bytes
	rs := rand.New(rand.NewPCG(23, 24))
	for i := range sig {
		sig[i] = byte(rs.Uint32())
	}
	jwt := raw([]byte(`{"alg":"RS256","typ":"JWT","kid":"2026-11-27-signing-key-rotation"}`)) + "." +
		raw([]byte(`{"sub":"1234567890","name":"John Doe","admin":true,"iat":1516239022,"scope":"read:orders write:orders"}`)) + "." + raw(sig)
	js := `!function(){var __webpack_require__moduleFederationRuntimeRemoteEntryInitSharingScopeLoaderFactory=` +
		`function(){return window.localStorageSessionTokenRefreshIntervalInMillisecondsDefaultValueProvider}}();` + "\n" +
		`//# sourceMappingURL=data:application/json;charset=utf-8;base64,` +
		b64([]byte(`{"version":3,"sources":["webpack:///./src/index.js"],"names":["render","App"],"mappings":"AAAA,SAASA,OAAO,CAACC,GAAG;AACnB,OAAO,IAAI"}`)) + "\n"
	tests := []struct {
		name string
		give []byte
	}{
		{name: "english page", give: en},
		{name: "chinese page", give: zh},
		{name: "javascript", give: []byte(js)},
		{name: "hex digests", give: []byte("sha256:" + digest + "\ncommit-" + digest + "\n-" + strings.ToUpper(digest) + strings.ToUpper(digest) + "\n")},
		{name: "integrity hashes", give: []byte(`<script integrity="sha384-` + b64(sig[:48]) + `"></script><link integrity="sha512-` + b64(sig[:64]) + `">`)},
		{name: "jwt", give: []byte("Authorization: Bearer " + jwt + "\n")},
		{name: "english page in base64 after a dash", give: []byte("-" + b64(en))},
		{name: "chinese page in base64 after a word", give: []byte("token" + b64(zh))},
		{name: "random bytes in base64 after a dash", give: []byte("-" + b64(sig) + b64(sig))},
	}
	r := rand.New(rand.NewPCG(23, 25))
	var none [inspect.NumDetectors]int
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1} {
				if got := extract(t, e, tt.give, "", Limits{}, chunk).counts; got != none {
					t.Errorf("chunk %d: counts %v, want none", chunk, got)
				}
			}
			if got := extractSplit(t, e, tt.give, "", r); got != none {
				t.Errorf("random writes: counts %v, want none", got)
			}
		})
	}
}

// TestBase64AlignLegacyCharset: base64 of a GBK list is decoded from its
// first character, as before: its window is not UTF-8, and a start past
// its header (where the rows read as ASCII) would cut the header off.
func TestBase64AlignLegacyCharset(t *testing.T) {
	e := newTestEngine(t)
	list := encodeText(t, gbk, csvBytes(csvRows(corpus.Records(25, 60))))
	want := extract(t, e, list, "", Limits{}, 0).counts
	if want[inspect.Name] != 60 {
		t.Fatalf("the GBK list counts %v as text: the reference is wrong", want)
	}
	for _, give := range []string{base64.StdEncoding.EncodeToString(list), "data:text/csv;base64," + wrapped(list, "\n")} {
		for _, chunk := range []int{0, 1, 7} {
			if got := extract(t, e, []byte(give), "", Limits{}, chunk).counts; got != want {
				t.Errorf("%.30s, chunk %d: counts %v, want %v", give, chunk, got, want)
			}
		}
	}
}

func TestPayloadStart(t *testing.T) {
	list := csvBytes(csvRows(corpus.Records(26, 3)))
	zip := buildZip(t, zfile{name: "a.csv", data: list})
	noise := make([]byte, 96)
	for i := range noise {
		noise[i] = byte(i*73 + 41)
	}
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name string
		give string
		want int
	}{
		{name: "alone", give: b64(list), want: 0},
		{name: "one dash", give: "-" + b64(list), want: 1},
		{name: "ab", give: "ab" + b64(list), want: 2},
		{name: "token", give: "token" + b64(list), want: 5},
		{name: "escaped slash", give: `x\/` + b64(list), want: 3},
		{name: "form escape", give: "%2Fab" + b64(list), want: 5},
		{name: "zip after ab", give: "ab" + b64(zip), want: 2},
		{name: "zip alone", give: b64(zip), want: 0},
		{name: "noise after a dash", give: "-" + b64(noise), want: 0},
		{name: "gbk", give: b64(encodeText(t, gbk, list)), want: 0},
	}
	for _, tt := range tests {
		if got := payloadStart([]byte(tt.give[:64+tt.want])); got != tt.want {
			t.Errorf("%s: payloadStart = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// BenchmarkBase64Align is payloadStart's cost per run, on a window of
// alignChars characters (what alignWindow hands it of a longer run): text
// from the first character (the usual case), text behind a dash, and
// noise (every start tried).
func BenchmarkBase64Align(b *testing.B) {
	list := csvBytes(csvRows(corpus.Records(27, 3)))
	noise := make([]byte, 96)
	for i := range noise {
		noise[i] = byte(i*73 + 41)
	}
	for _, bb := range []struct{ name, run string }{
		{"text", base64.StdEncoding.EncodeToString(list)[:alignChars]},
		{"dash", ("-" + base64.StdEncoding.EncodeToString(list))[:alignChars]},
		{"noise", base64.StdEncoding.EncodeToString(noise)[:alignChars]},
	} {
		b.Run(bb.name, func(b *testing.B) {
			run := []byte(bb.run)
			b.ReportAllocs()
			for b.Loop() {
				payloadStart(run)
			}
		})
	}
}

// TestBase64LongPrefix: base64 behind a longer prefix of its alphabet (a
// word of 33 to 90 characters, a hex digest or rule of 4,096 or more) and
// base64 of a list saved as UTF-16 ("Unicode text", opening with a
// byte-order mark) behind a short one count the list's values. The loop
// finds a run at its first MinBase64 characters, and payloadStart was
// handed those 64 alone: behind 33 or more characters no start left 24
// decoded bytes, and every case of a word counted 0 of each detector; a
// UTF-16 list holds NUL bytes, which no start read as text (0 of each).
func TestBase64LongPrefix(t *testing.T) {
	e := newTestEngine(t)
	list := csvBytes(csvRows(corpus.Records(28, 60)))
	want := scanPlain(e, list)
	std := base64.StdEncoding.EncodeToString
	word := strings.Repeat("attachment-customer_list-", 4)
	hex := strings.Repeat("9f86d081884c7d659a2fea0aa5a06dc1", 129)
	tests := []struct{ name, give string }{
		{name: "a 33-character word", give: word[:33] + std(list)},
		{name: "a 42-character word", give: word[:42] + std(list)},
		{name: "a 65-character word", give: word[:65] + std(list)},
		{name: "a 90-character word", give: word[:90] + std(list)},
		{name: "a 91-character word, wrapped", give: word[:91] + wrapped(list, "\r\n")},
		{name: "4,096 hex digits", give: hex[:4096] + std(list)},
		{name: "4,097 hex digits", give: hex[:4097] + std(list)},
		{name: "4,099 hex digits", give: hex[:4099] + std(list)},
		{name: "a rule of 4,097", give: strings.Repeat("-", 4097) + std(list)},
		{name: "utf-16le after a dash", give: "-" + std(encodeText(t, utf16LEBOM, list))},
		{name: "utf-16be after a word", give: "token" + std(encodeText(t, utf16BEBOM, list))},
		{name: "utf-8 with a bom after a word", give: "ab" + std(append([]byte("\xef\xbb\xbf"), list...))},
	}
	r := rand.New(rand.NewPCG(28, 60))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.give)
			for _, chunk := range []int{0, 1, 61} {
				if got := extract(t, e, body, "", Limits{}, chunk).counts; got != want {
					t.Errorf("chunk %d: counts %v, want %v", chunk, got, want)
				}
			}
			if got := extractSplit(t, e, body, "", r); got != want {
				t.Errorf("random writes: counts %v, want %v", got, want)
			}
		})
	}
}
