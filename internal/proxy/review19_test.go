package proxy

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Review 19 (red team): the scanner now unescapes markup by removing bytes
// and maps Settled back to the caller's offsets; these tests follow that
// through the extractor and the proxy.

// r19Slow delivers its bytes n at a time, pausing before each read, as a
// slow chunked upload does.
type r19Slow struct {
	b     []byte
	n     int
	pause time.Duration
}

func (r *r19Slow) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// r19Passports counts the passports of recs that appear whole in b.
func r19Passports(recs []corpus.Record, b []byte) int {
	n := 0
	for _, r := range recs {
		if bytes.Contains(b, []byte(r.Passport)) {
			n++
		}
	}
	return n
}

// TestReview19ProxySlowEscapedMail (pinned, passes). Input: a SendGrid-
// style mail request (200-row HTML table of names, passports and
// addresses) encoded by json.Marshal's rules (\u003ctd\u003e, 41 KB) and,
// as a control, with SetEscapeHTML(false) (24 KB), uploaded chunked and
// slowly (700 bytes per read) through the real proxy, plain HTTP and
// intercepted HTTPS, under the default policy streaming at once
// (hold_size: 0). Expected and got: 403 (or the upload cut), and the
// origin receives fewer than the 50 passports of block-bulk-ids-and-cards
// in both encodings (48 and 45 seen over HTTPS).
func TestReview19ProxySlowEscapedMail(t *testing.T) {
	recs := corpus.Records(1931, 200)
	html := corpus.HTMLTable(recs)
	snap := compilePolicy(t, "hold_size: 1MiB", "hold_size: 0")
	for _, escapeHTML := range []bool{false, true} {
		body := corpus.MailRequest(html, escapeHTML)
		if escapeHTML != bytes.Contains(body, []byte(`\u003ctd\u003e`)) {
			t.Fatalf("escapeHTML=%v: markup escaped %v", escapeHTML, !escapeHTML)
		}
		e := newPIEnv(t, snap, nil)
		for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
			resp, err := e.client.Post(base+"/v3/mail/send", "application/json", &r19Slow{b: body, n: 700, pause: 200 * time.Microsecond})
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("escapeHTML=%v %s: status %d, want 403", escapeHTML, scheme, resp.StatusCode)
				}
			}
			if n := r19Passports(recs, e.received.last()); n >= 50 {
				t.Errorf("escapeHTML=%v %s: the origin received %d passports, want fewer than 50", escapeHTML, scheme, n)
			}
		}
	}
}

// r19Extract writes body to a fresh extractor (NewLive when live) in
// writes of next() bytes and returns the final counts and the first breach
// of Settled's contract: Settled goes back or past what was written; a
// passport of recs lying whole before Settled in the raw body (when
// inRaw: the body holds them as they are) is not counted yet; Settled is
// not the body's length at Close.
func r19Extract(e *inspect.Engine, body []byte, ctype string, live bool, next func() int, recs []corpus.Record, inRaw bool) ([inspect.NumDetectors]int, string) {
	s := e.NewScanner()
	defer s.Release()
	newX := extract.New
	if live {
		newX = extract.NewLive
	}
	x := newX(s, ctype, extract.Limits{})
	defer x.Stop()
	var ends []int
	for _, r := range recs {
		if k := bytes.Index(body, []byte(r.Passport)); inRaw && k >= 0 {
			ends = append(ends, k+len(r.Passport))
		}
	}
	var prev int64
	for at := 0; at < len(body); {
		n := min(next(), len(body)-at)
		_, _ = x.Write(body[at : at+n])
		at += n
		st := x.Settled()
		if st < prev || st > int64(at) {
			return s.Tally().Counts, fmt.Sprintf("%d written: Settled %d after %d", at, st, prev)
		}
		prev = st
		k := 0
		for _, end := range ends {
			if int64(end) <= st {
				k++
			}
		}
		if c := s.Tally().Counts[inspect.Passport]; c < k {
			return s.Tally().Counts, fmt.Sprintf("%d written, Settled %d: %d passports released, %d counted", at, st, k, c)
		}
	}
	_ = x.Close()
	if st := x.Settled(); st != int64(len(body)) {
		return s.Tally().Counts, fmt.Sprintf("Settled %d at Close, want %d", st, len(body))
	}
	return s.Tally().Counts, ""
}

// TestReview19ExtractorSettledEscaped (pinned, passes). Input: the mail
// request of a 60-row table, Go-escaped and not, as the JSON part of a
// multipart/form-data upload after a text field holding &amp;, as a live
// NDJSON stream (a record per 5 rows, settled at each line feed), base64
// in a JSON field, in a gzip file, and alone. Written whole, in 1-, 100-,
// 511- and 4096-byte writes and in random writes. Expected and got: the
// same counts every way and in both encodings (60 names, passports and
// addresses, 2 e-mails); Extractor.Settled never goes back, never passes
// what was written, releases no passport before counting it (checked
// where the raw body holds them), and is the body's length at Close.
func TestReview19ExtractorSettledEscaped(t *testing.T) {
	e, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1932, 1933))
	recs := corpus.Records(1932, 60)
	// The sender's and recipient's addresses, in the mail's text.
	html := corpus.HTMLTable(recs) + "<p>ops@example.com partner@example.com</p>"
	want := [inspect.NumDetectors]int{}
	want[inspect.Email], want[inspect.Passport], want[inspect.Address] = 2, 60, 60
	names := map[string]bool{}
	for _, rec := range recs {
		names[rec.Name] = true
	}
	want[inspect.Name] = len(names)
	for _, escapeHTML := range []bool{false, true} {
		mail := corpus.MailRequest(html, escapeHTML)
		var mp bytes.Buffer
		mp.WriteString("--XB\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n请查收 A&amp;B\r\n")
		mp.WriteString("--XB\r\nContent-Disposition: form-data; name=\"mail\"; filename=\"mail.json\"\r\nContent-Type: application/json\r\n\r\n")
		mp.Write(mail)
		mp.WriteString("\r\n--XB--\r\n")
		var nd bytes.Buffer
		for i := 0; i < len(recs); i += 5 {
			nd.Write(corpus.MailRequest(corpus.HTMLTable(recs[i:i+5])+"<p>ops@example.com partner@example.com</p>", escapeHTML))
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(mail)
		_ = zw.Close()
		for _, c := range []struct {
			name, ctype string
			live, inRaw bool
			body        []byte
		}{
			{"multipart", "multipart/form-data; boundary=XB", false, true, mp.Bytes()},
			{"NDJSON, live", "application/x-ndjson", true, true, nd.Bytes()},
			{"base64 in JSON", "application/json", false, false, []byte(`{"attachment":"` + base64.StdEncoding.EncodeToString(mail) + `"}`)},
			{"gzip file", "application/gzip", false, false, gz.Bytes()},
			{"alone", "application/json", false, true, mail},
		} {
			name := fmt.Sprintf("%s, escapeHTML=%v", c.name, escapeHTML)
			for _, n := range []int{len(c.body), 1, 100, 511, 4096, 0} {
				next := func() int { return n }
				if n == 0 {
					next = func() int { return 1 + r.IntN(900) }
				}
				got, why := r19Extract(e, c.body, c.ctype, c.live, next, recs, c.inRaw)
				if why != "" || got != want {
					t.Errorf("%s, writes of %d (0: random): %s; got %v, want %v", name, n, why, got, want)
				}
			}
		}
	}
}
