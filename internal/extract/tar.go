package extract

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
)

// tar archives (.tar, and what a .tar.gz, .tar.xz, .tar.bz2 or .tar.zst
// decompresses to) are read member by member by archive/tar. Read as
// text, a tar's 512-byte headers glued to each file's first line (a CSV's
// header row gave no column context) and their octal fields read as
// numbers: the modification time of a file of 2023-2027 is 11 octal
// digits from 14 to 15, a mobile number, so a source tarball of 300 files
// counted 301 mobiles.

// tarMagicOffset is where a POSIX or GNU header holds its magic.
const tarMagicOffset = 257

// isTar reports whether head starts a tar archive: a POSIX ("ustar\0") or
// GNU ("ustar  \0") header whose checksum holds.
func isTar(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	magic := head[tarMagicOffset : tarMagicOffset+8]
	if !bytes.HasPrefix(magic, []byte("ustar\x00")) && !bytes.Equal(magic, []byte("ustar  \x00")) {
		return false
	}
	return tarChecksum(head[:512])
}

// tarChecksum reports whether a header's checksum field (octal, at 148)
// is the sum of its bytes with that field taken as blanks.
func tarChecksum(h []byte) bool {
	sum := 0
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int(c)
	}
	want, digits := 0, 0
	for _, c := range h[148:156] {
		switch {
		case c >= '0' && c <= '7':
			want = want*8 + int(c-'0')
			digits++
		case c == ' ' || c == 0:
			if digits > 0 {
				return want == sum
			}
		default:
			return false
		}
	}
	return digits > 0 && want == sum
}

// untar inspects a tar archive member by member, each a part of its own
// after a line with its name (see memberName), under MaxEntries, MaxTotal
// and MaxDepth; directories, links and other entries are named only.
// What follows the archive's end is content of its own; an archive whose
// headers stop parsing is a decode error, and its rest is read as text.
func (x *Extractor) untar(r io.Reader, depth int) error {
	if depth > x.lim.MaxDepth {
		x.fail(ReasonOverLimit)
		return nil
	}
	// A header is held from its first byte until its name is counted:
	// archive/tar reads it whole (up to a 1 MiB PAX or GNU long-name
	// header) before Next returns. A file's content passes as it is.
	cr, header := x.readingHeld(r)
	defer x.pop()
	in := &tarInput{cr: cr}
	tr := tar.NewReader(in)
	for entries := 0; ; entries++ {
		if entries >= x.lim.MaxEntries {
			x.fail(ReasonOverLimit)
			return x.asText(cr, nil, depth)
		}
		// What the last member left unread is skipped (as Next would), so
		// that what is kept from here on is the next header.
		if _, err := io.Copy(io.Discard, tr); errors.Is(err, errStopped) {
			return err
		}
		*header = cr.n
		in.keep, in.kept = true, in.kept[:0]
		h, err := tr.Next()
		in.keep = false
		switch {
		case errors.Is(err, io.EOF):
			*header = -1
			return x.outside(cr, depth)
		case errors.Is(err, errStopped):
			return err
		case err != nil:
			// The header read so far is read again, as text, with the rest.
			*header = -1
			x.fail(boolString(errors.Is(err, errTarHeader), ReasonOverLimit, ReasonDecodeError))
			return x.asText(io.MultiReader(bytes.NewReader(in.kept), cr), in.kept, depth)
		}
		if err := x.memberName(tarText(h), depth); err != nil {
			return err
		}
		*header = -1
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeGNUSparse {
			continue
		}
		start := cr.n
		m := x.member(tr, func() int64 { return cr.n - start })
		if err := x.entry(m, h.Name, &office{}, depth); err != nil {
			return err
		}
	}
}

// tarMaxHeader bounds what archive/tar may read for one header: a chain
// of PAX and GNU long-name headers (each up to 1 MiB) before a file's.
const tarMaxHeader = 4 << 20

// errTarHeader reports a header chain over tarMaxHeader.
var errTarHeader = errors.New("tar: header over 4 MiB")

// tarInput is the archive as archive/tar reads it; while a header is
// read (keep) it keeps what was read, so that a header tar rejects (its
// checksum, a field) is read as text rather than dropped unread.
type tarInput struct {
	cr   *countReader
	keep bool
	kept []byte
}

func (t *tarInput) Read(p []byte) (int, error) {
	if !t.keep {
		return t.cr.Read(p)
	}
	if len(t.kept) >= tarMaxHeader {
		return 0, errTarHeader
	}
	n, err := t.cr.Read(p[:min(len(p), tarMaxHeader-len(t.kept))])
	t.kept = append(t.kept, p[:n]...)
	return n, err
}

func boolString(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}

// tarNumeric are the PAX records that hold numbers (or the name and link
// target, read from the header): a time's digits are no data.
var tarNumeric = []string{"path", "linkpath", "size", "uid", "gid", "mtime", "atime", "ctime"}

// tarText is the text of a header: its name, then the target of a link
// and the values of its other PAX records (a comment, an extended
// attribute) in the order of their keys, a line each.
func tarText(h *tar.Header) string {
	var b strings.Builder
	b.WriteString(h.Name)
	if h.Linkname != "" {
		b.WriteString("\n" + h.Linkname)
	}
	for _, k := range slices.Sorted(maps.Keys(h.PAXRecords)) {
		if !slices.Contains(tarNumeric, k) && !strings.HasPrefix(k, "GNU.sparse.") {
			b.WriteString("\n" + h.PAXRecords[k])
		}
	}
	return b.String()
}
