package extract

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// sniffLen is how many leading bytes decide what a stream is.
const sniffLen = 512

// Magic numbers of the containers sniffed from content.
var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06")
	oleMagic      = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// content inspects one stream: a message, a part, a member or decoded
// base64. ctype is its declared Content-Type, if any; the rest is sniffed.
func (x *Extractor) content(r io.Reader, ctype string, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	mt, params, _ := mime.ParseMediaType(ctype)
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		return x.multipart(r, params["boundary"], depth)
	}
	// The head is held from the first byte read: its bytes have no text yet.
	head := x.getBuf(sniffLen)
	defer x.putBuf(head)
	n := 0
	var hr *bytes.Reader
	x.push(&frame{held: func() int64 {
		if hr == nil {
			return int64(n)
		}
		return int64(hr.Len())
	}})
	defer x.pop()
	for n < len(head) {
		m, err := r.Read(head[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	head = head[:n]
	hr = bytes.NewReader(head)
	r = io.MultiReader(hr, r)
	switch {
	case bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmptyMagic):
		return x.zip(r, depth+1)
	case bytes.HasPrefix(head, oleMagic):
		return x.ole(r)
	}
	if b := sniffBoundary(head); b != "" {
		return x.multipart(r, b, depth)
	}
	return x.text(r, sniffCharset(head, params["charset"]), depth)
}

// sniffBoundary returns the boundary of a multipart body that starts with
// its first delimiter line and a part header, or "".
func sniffBoundary(head []byte) string {
	line, rest, ok := bytes.Cut(head, []byte("\n"))
	if !ok || !bytes.HasPrefix(line, []byte("--")) {
		return ""
	}
	b := bytes.TrimSuffix(line[2:], []byte("\r"))
	if len(b) == 0 || len(b) > 70 || bytes.ContainsAny(b, " \t\"") {
		return ""
	}
	if !bytes.HasPrefix(bytes.ToLower(rest), []byte("content-")) {
		return ""
	}
	return string(b)
}

// multipart inspects each part of a multipart body on its own.
func (x *Extractor) multipart(r io.Reader, boundary string, depth int) error {
	// mime/multipart reads ahead through a 4 KiB bufio.Reader and peeks
	// for the boundary; 8 KiB bounds what it holds.
	x.push(&frame{fixed: 8 << 10})
	defer x.pop()
	mr := multipart.NewReader(r, boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			x.fail(ReasonDecodeError)
			return nil
		}
		x.boundary()
		before := x.s.Tally().Total()
		err = x.content(p, p.Header.Get("Content-Type"), depth+1)
		x.boundary() // decides the part, so Found is exact
		if len(x.parts) < maxParts {
			x.parts = append(x.parts, Part{
				Field:       p.FormName(),
				File:        p.FileName(),
				ContentType: p.Header.Get("Content-Type"),
				Found:       x.s.Tally().Total() - before,
			})
		}
		if err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			x.fail(ReasonDecodeError)
			return nil
		}
	}
}
