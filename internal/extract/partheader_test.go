package extract

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// photo stands for a scanned ID card: bytes nothing can be read from.
var photo = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\x09\x09\x08\x0a\x0c\x14\x0d\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\xff\xd9")

// photoName is the file name HR gives a scanned ID card: the holder's name
// and ID number.
func photoName(r corpus.Record) string { return r.Name + "_" + r.ResidentID + ".jpg" }

// pct percent-encodes every byte of s (RFC 2231 allows any byte encoded):
// the ID's digits are no longer digits in the raw header.
func pct(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// continued is an RFC 2231 extended parameter split into continuations of
// seven encoded bytes each (filename*0*=UTF-8”..., filename*1*=...): the
// cuts fall inside the name's characters and the ID's digits.
func continued(attr, charset string, raw []byte) string {
	var segs []string
	for i := 0; i < len(raw); i += 7 {
		v := pct(string(raw[i:min(i+7, len(raw))]))
		if i == 0 {
			v = charset + "''" + v
		}
		segs = append(segs, fmt.Sprintf("%s*%d*=%s", attr, i/7, v))
	}
	return strings.Join(segs, ";\r\n ")
}

// bWord is s as one RFC 2047 encoded-word in base64 (B).
func bWord(charset string, s []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(s) + "?="
}

// partBody is a multipart body of one part per record: its header the
// fields head makes, its body a photo, base64 when b64.
func partBody(recs []corpus.Record, head func(corpus.Record) string, b64 bool) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString("--=_b\r\n" + head(r) + "\r\n")
		if b64 {
			b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n" + wrapped(photo, "\r\n") + "\r\n")
		} else {
			b.WriteString("\r\n" + string(photo) + "\r\n")
		}
	}
	b.WriteString("--=_b--\r\n")
	return b.String()
}

// nameShapes are the ways a part's header names its file, each spelling
// the name and ID of r in full only once decoded.
func nameShapes(t *testing.T) []struct {
	name string
	head func(corpus.Record) string
} {
	return []struct {
		name string
		head func(corpus.Record) string
	}{
		{"raw utf-8", func(r corpus.Record) string {
			return "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"" + photoName(r) + "\""
		}},
		{"rfc 2231", func(r corpus.Record) string {
			return "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=UTF-8''" + pct(photoName(r))
		}},
		{"rfc 2231 continued", func(r corpus.Record) string {
			return "Content-Type: image/jpeg\r\nContent-Disposition: attachment;\r\n " + continued("filename", "utf-8", []byte(photoName(r)))
		}},
		{"rfc 2231 gbk", func(r corpus.Record) string {
			return "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=GBK'zh'" + pct(string(encodeText(t, gbk, []byte(photoName(r)))))
		}},
		{"rfc 2231 continued gb18030 in the type", func(r corpus.Record) string {
			return "Content-Type: image/jpeg;\r\n " + continued("name", "gb18030", encodeText(t, corpusGB18030, []byte(photoName(r))))
		}},
		{"rfc 2047 b", func(r corpus.Record) string {
			w := bWord("UTF-8", []byte(photoName(r)))
			return "Content-Type: image/jpeg; name=\"" + w + "\"\r\nContent-Disposition: attachment; filename=\"" + w + "\""
		}},
		{"rfc 2047 q gb2312", func(r corpus.Record) string {
			var q strings.Builder
			for _, c := range encodeText(t, gbk, []byte(photoName(r))) {
				fmt.Fprintf(&q, "=%02X", c)
			}
			return "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"=?GB2312?Q?" + q.String() + "?=\""
		}},
	}
}

// splitWriter writes body into an extractor in cuts of random sizes (1 to
// max bytes), checks Settled as extractWith does, and returns the counts.
func splitWriter(t *testing.T, e *inspect.Engine, body []byte, ctype string, rng *rand.Rand, most int) [inspect.NumDetectors]int {
	t.Helper()
	s := e.NewScanner()
	defer s.Release()
	x := New(s, ctype, Limits{})
	x.repanic = true
	defer x.Stop()
	last := int64(0)
	for off := 0; off < len(body); {
		end := min(off+1+rng.IntN(most), len(body))
		_, _ = x.Write(body[off:end])
		st := x.Settled()
		if st < last || st > int64(end) {
			t.Fatalf("settled %d after %d (written %d)", st, last, end)
		}
		last, off = st, end
	}
	if err := x.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if st := x.Settled(); st != int64(len(body)) {
		t.Fatalf("settled %d after close, want %d", st, len(body))
	}
	return s.Tally().Counts
}

// checkIDs extracts body whole, in 1-byte writes and in random cuts, and
// wants n ID numbers each time; it returns the whole extraction.
func checkIDs(t *testing.T, e *inspect.Engine, body []byte, ctype string, n int) result {
	t.Helper()
	whole := extract(t, e, body, ctype, Limits{}, 0)
	if got := whole.counts[inspect.ResidentID]; got != n || len(whole.reasons) > 0 {
		t.Fatalf("whole: %d IDs %v, want %d (%v)", got, whole.reasons, n, whole.counts)
	}
	checkCuts(t, e, body, ctype, whole.counts, 7)
	return whole
}

// checkCuts extracts body in 1-byte writes and in random cuts of up to 16,
// 700 and 9000 bytes (seeded by seed) and wants the whole extraction's
// counts each time.
func checkCuts(t *testing.T, e *inspect.Engine, body []byte, ctype string, whole [inspect.NumDetectors]int, seed uint64) {
	t.Helper()
	if got := extract(t, e, body, ctype, Limits{}, 1).counts; got != whole {
		t.Errorf("1-byte writes: %v, whole %v", got, whole)
	}
	rng := rand.New(rand.NewPCG(uint64(len(body)), seed))
	for _, most := range []int{16, 700, 9000} {
		if got := splitWriter(t, e, body, ctype, rng, most); got != whole {
			t.Errorf("random cuts of up to %d bytes: %v, whole %v", most, got, whole)
		}
	}
}

// photoParts returns one form part per record: a photo named after its
// holder (photoName), as a browser uploads scanned ID cards.
func photoParts(recs []corpus.Record) []filePart {
	parts := make([]filePart, len(recs))
	for i, r := range recs {
		parts[i] = filePart{field: "photos", file: photoName(r), ctype: "image/jpeg", data: photo}
	}
	return parts
}

// TestPartHeaderFormUpload: an upload of 300 scanned ID cards, each file
// named after its holder's name and ID (as a browser sends it, the name
// raw UTF-8 in a quoted filename): the photos hold nothing readable, the
// file names 300 IDs. Before part headers were read it counted 0. The
// parts are still recorded with their field and file names, and each
// part's Found counts the ID of its name.
func TestPartHeaderFormUpload(t *testing.T) {
	recs := corpus.Records(21, 300)
	body, ctype := buildMultipart(t, photoParts(recs)...)
	e := newTestEngine(t)
	got := checkIDs(t, e, body, ctype, len(recs))
	if len(got.parts) != maxParts {
		t.Fatalf("%d parts recorded, want %d", len(got.parts), maxParts)
	}
	for i, p := range got.parts {
		if p.Field != "photos" || p.File != photoName(recs[i]) || p.ContentType != "image/jpeg" || p.Found < 1 {
			t.Fatalf("part %d: field %q, content type %q, found %d; file name right: %v", i, p.Field, p.ContentType, p.Found, p.File == photoName(recs[i]))
		}
	}
}

// TestPartHeaderEncodedNames: 300 photos whose file names are encoded in
// each way a part's header may encode them (RFC 2231 percent-encoding in
// UTF-8, GBK and GB18030 with continuations cutting the ID's digits apart,
// RFC 2047 encoded-words in B and Q), as the attachments of an e-mail and
// as a form upload: 300 IDs each, where the raw headers count none.
func TestPartHeaderEncodedNames(t *testing.T) {
	recs := corpus.Records(22, 300)
	e := newTestEngine(t)
	for _, sh := range nameShapes(t) {
		t.Run(sh.name, func(t *testing.T) {
			parts := partBody(recs, sh.head, true)
			mail := emlHeader(recs, "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n") + "This is a multi-part message in MIME format.\r\n" + parts
			form := partBody(recs, func(r corpus.Record) string {
				return strings.Replace(sh.head(r), "attachment", "form-data; name=\"photos\"", 1)
			}, false)
			if sh.name != "raw utf-8" {
				if n := scanPlain(e, []byte(parts))[inspect.ResidentID]; n != 0 {
					t.Fatalf("the raw part headers hold %d IDs as they are", n)
				}
			}
			t.Run("e-mail", func(t *testing.T) { checkIDs(t, e, []byte(mail), "", len(recs)) })
			t.Run("form", func(t *testing.T) { checkIDs(t, e, []byte(form), "multipart/form-data; boundary==_b", len(recs)) })
		})
	}
}

// TestPartHeaderSettles: Settled releases no part header before its text
// is counted: 300 photos named in headers, and one part whose header holds
// a single file name of 300 names and IDs (11 KiB, folded, more than the
// multipart frame's 8 KiB of read-ahead: a prefix of it, no header any
// more, reads as text), written in the proxy's chunks and in small ones.
// The long header is released before it is counted when the part header
// being read is not held.
func TestPartHeaderSettles(t *testing.T) {
	recs := corpus.Records(23, 300)
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.Name + " " + r.ResidentID
	}
	long := "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"" + strings.Join(names, "\r\n ") + "\""
	shapes := []struct{ name, body string }{
		{"300 parts", partBody(recs, nameShapes(t)[0].head, true)},
		{"one long header", partBody(recs[:1], func(corpus.Record) string { return long }, true)},
	}
	e := newTestEngine(t)
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			body := []byte(sh.body)
			if got := extract(t, e, body, "multipart/mixed; boundary==_b", Limits{}, 0).counts[inspect.ResidentID]; got != len(recs) {
				t.Fatalf("%d IDs, want %d", got, len(recs))
			}
			for _, chunk := range []int{64, 4096, benchChunk} {
				stride := 0
				if chunk < 4096 {
					stride = 2048 // a prefix extraction per 2 KiB released
				}
				checkLeakBudget(t, e, body, "multipart/mixed; boundary==_b", Limits{}, chunk, stride)
				checkRawBudget(t, e, body, "multipart/mixed; boundary==_b", chunk)
			}
		})
	}
}

// checkRawBudget writes body in chunks of the given size and checks that
// the raw prefixes Settled releases, scanned as they are, hold no more IDs
// than were counted. checkLeakBudget extracts the prefix instead, which
// reads a part header cut off as nothing (mime/multipart keeps what it
// read of it): this is the check for headers whose raw bytes spell the
// IDs.
func checkRawBudget(t *testing.T, e *inspect.Engine, body []byte, ctype string, chunk int) {
	t.Helper()
	s := e.NewScanner()
	defer s.Release()
	x := New(s, ctype, Limits{})
	defer x.Stop()
	released := int64(0)
	for off := 0; off < len(body); off += chunk {
		_, _ = x.Write(body[off:min(off+chunk, len(body))])
		if st := x.Settled(); st > released {
			released = st
			if n, counted := scanPlain(e, body[:st])[inspect.ResidentID], s.Tally().Counts[inspect.ResidentID]; n > counted {
				t.Fatalf("chunk %d: released %d bytes holding %d IDs, only %d counted", chunk, st, n, counted)
			}
		}
	}
	_ = x.Close()
}

// TestEMLMessageIDList: a field named like a message identifier is read
// with its '@'s blanked only while it reads as message identifiers; a
// list of 60 addresses hidden in one (X-Foo-Message-ID, comma-separated,
// blank-separated, in angle brackets) counts its 60 addresses. Genuine
// identifiers (one per Message-ID field, a list in References, a bare one,
// an In-Reply-To with a dated comment) still count none.
func TestEMLMessageIDList(t *testing.T) {
	recs := corpus.Records(24, 60)
	list := func(pre, post, sep string) string { // folded every 5 addresses: a line of 1000 bytes is no header
		var b strings.Builder
		for i, r := range recs {
			if i > 0 {
				b.WriteString(sep)
				if i%5 == 0 {
					b.WriteString("\r\n ")
				}
			}
			b.WriteString(pre + r.Email + post)
		}
		return b.String()
	}
	head := "From: wang.fang@example.com\r\nTo: li.lei@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
	tests := []struct {
		name   string
		give   string
		emails int
	}{
		{"comma list", "X-Foo-Message-ID: " + list("", "", ", "), 62},
		{"blank list", "X-Foo-Message-ID: " + list("", "", " "), 62},
		{"angle list with commas", "X-Foo-Message-ID: " + list("<", ">", ", "), 62},
		{"angle list in one message id", "Resent-Message-ID: " + list("<", ">", " "), 62},
		{"angle list in one pair", "X-Foo-Message-ID: <" + list("", "", " ") + ">", 62},
		{"in-reply-to list", "In-Reply-To: " + list("", "", " "), 62},
		{"content-id list", "Content-ID: " + list("", "", ";"), 62},
		{"message-id", "Message-ID: <20261127.1234@mail.example.com>", 2},
		{"gmail message-id", "Message-ID: <CAF=abc+def@mail.gmail.com>\r\nX-Google-Original-Message-ID: <CAF=xyz-1@mail.gmail.com>", 2},
		{"bare message-id", "Message-ID: 20261127.1234@mail.example.com", 2},
		{"references", "References: <a1.x@mail.example.com> <CAF=abc+def@mail.gmail.com>\r\n <20261127.1234@mail.example.com>\r\n\t<b2@host.example.net> (forwarded)", 2},
		{"in-reply-to with a comment", "In-Reply-To: <20261127.1234@mail.example.com> (Wang Fang's message of \"Fri, 27 Nov 2026 10:00:00 +0800\")", 2},
		{"old in-reply-to", "In-Reply-To: chen.jing@example.cn's message of Fri, 27 Nov 2026 <20261127.1234@mail.example.com>", 2},
	}
	e := newTestEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(head + tt.give + "\r\n\r\nok\r\n")
			for _, chunk := range []int{0, 1, 7} {
				if got := extract(t, e, body, "", Limits{}, chunk).counts[inspect.Email]; got != tt.emails {
					t.Errorf("chunk %d: %d e-mail addresses, want %d", chunk, got, tt.emails)
				}
			}
		})
	}
}

// BenchmarkPartHeaders: an upload of 3,000 photos named after their
// holders (the form of TestPartHeaderFormUpload, 1.1 MB) and the same as
// an e-mail's base64 attachments with RFC 2231 names, in the proxy's
// chunks; MB/s are of raw input. The header text is most of what is read.
func BenchmarkPartHeaders(b *testing.B) {
	recs := corpus.Records(25, 3000)
	form, formType := buildMultipart(b, photoParts(recs)...)
	mail := emlHeader(recs, "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n") + partBody(recs, func(r corpus.Record) string {
		return "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=UTF-8''" + pct(photoName(r))
	}, true)
	e := newTestEngine(b)
	for _, sh := range []benchShape{
		{name: "form", body: form, ctype: formType},
		{name: "eml-2231", body: []byte(mail)},
	} {
		b.Run("shape="+sh.name, func(b *testing.B) { benchExtractor(b, e, sh) })
	}
}
