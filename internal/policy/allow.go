package policy

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"gopkg.in/yaml.v3"
)

// maxValueLen bounds an allowlisted value in bytes (the longest e-mail
// address is 254 bytes).
const maxValueLen = 320

// allowSet holds allowlisted values as HMAC-SHA256 digests under a key
// drawn when the snapshot is compiled; the raw values are not kept.
type allowSet struct {
	ipad, opad [sha256.BlockSize]byte
	digests    map[[sha256.Size]byte]struct{}
}

// newAllowSet draws a fresh key and hashes values, given per detector in
// normalized form.
func newAllowSet(values [inspect.NumDetectors][]string) (allowSet, error) {
	var a allowSet
	var key [sha256.Size]byte
	if _, err := rand.Read(key[:]); err != nil {
		return a, fmt.Errorf("allow_values key: %w", err)
	}
	for i := range a.ipad {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		a.ipad[i], a.opad[i] = k^0x36, k^0x5c
	}
	for d, vs := range values {
		for _, v := range vs {
			if a.digests == nil {
				a.digests = make(map[[sha256.Size]byte]struct{})
			}
			h, _ := a.digest(inspect.Detector(d), []byte(v))
			a.digests[h] = struct{}{}
		}
	}
	return a, nil
}

// digest returns HMAC-SHA256(key, d || v) without allocating; ok is false
// when v is longer than any value the set can hold.
func (a *allowSet) digest(d inspect.Detector, v []byte) (h [sha256.Size]byte, ok bool) {
	if len(v) > maxValueLen {
		return h, false
	}
	var in [sha256.BlockSize + 1 + maxValueLen]byte
	n := copy(in[:], a.ipad[:])
	in[n] = byte(d)
	n++
	n += copy(in[n:], v)
	inner := sha256.Sum256(in[:n])
	var out [sha256.BlockSize + sha256.Size]byte
	n = copy(out[:], a.opad[:])
	copy(out[n:], inner[:])
	return sha256.Sum256(out[:]), true
}

// contains reports whether v is allowlisted for d. It does not allocate.
func (a *allowSet) contains(d inspect.Detector, v []byte) bool {
	if len(a.digests) == 0 {
		return false
	}
	h, ok := a.digest(d, v)
	if !ok {
		return false
	}
	_, ok = a.digests[h]
	return ok
}

// NormalizeValue returns v in the form AllowValue compares for detector d,
// and whether v is plausible for d: resident IDs as 18 characters with an
// upper-case X (a 15-digit number as its upgrade, as the engine counts
// it), valid as the engine checks them (area code, birth date, check
// character); mobile numbers as 11 digits without +86; bank cards
// as 12 to 19 digits; e-mail addresses in lower case; passports and travel
// permits in upper case; names and addresses trimmed. Spaces and hyphens
// inside numbers are removed.
func NormalizeValue(d inspect.Detector, v string) (string, bool) {
	v = strings.TrimSpace(v)
	switch d {
	case inspect.ResidentID:
		v = strings.ToUpper(stripSeparators(v))
		if !(len(v) == 15 && digits(v) || len(v) == 18 && digits(v[:17]) && (digits(v[17:]) || v[17] == 'X')) {
			return v, false
		}
		return inspect.NormalResidentID(v) // the engine counts no other: it could never match
	case inspect.Mobile:
		v = stripSeparators(v)
		for _, prefix := range []string{"+86", "0086", "86"} {
			if len(v) == len(prefix)+11 && strings.HasPrefix(v, prefix) {
				v = v[len(prefix):]
			}
		}
		return v, len(v) == 11 && v[0] == '1' && digits(v)
	case inspect.BankCard:
		v = stripSeparators(v)
		return v, len(v) >= 12 && len(v) <= 19 && digits(v)
	case inspect.Email:
		v = strings.ToLower(v)
		at := strings.IndexByte(v, '@')
		return v, at > 0 && at == strings.LastIndexByte(v, '@') && at < len(v)-1 && !strings.ContainsAny(v, " \t")
	case inspect.Passport, inspect.TravelPermit:
		v = strings.ToUpper(stripSeparators(v))
		return v, v != "" && !strings.ContainsAny(v, " \t")
	}
	return v, v != ""
}

// stripSeparators removes spaces and hyphens.
func stripSeparators(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(s)
}

// digits reports whether s is all ASCII digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// allowValues parses the allow_values mapping: detector id to a list of
// values. Error messages never repeat a value, only its length.
func (p *parser) allowValues(n *yaml.Node, path string) [inspect.NumDetectors][]string {
	var out [inspect.NumDetectors][]string
	keys := make([]string, 0, inspect.NumDetectors)
	for _, d := range inspect.AllDetectors() {
		keys = append(keys, d.String())
	}
	p.mapping(n, path, keys, func(key string, _, v *yaml.Node, path string) {
		d, _ := inspect.ParseDetector(key)
		p.list(v, path, func(_ int, v *yaml.Node, path string) {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				p.errorf(v, path, "found %s, expected a quoted value", found(v))
				return
			}
			norm, ok := NormalizeValue(d, v.Value)
			if !ok || len(norm) > maxValueLen {
				want := "a valid " + key
				if d == inspect.ResidentID {
					want += " (a known area code, a real birth date and the right check character: the engine counts no other)"
				}
				p.errorf(v, path, "found a value of %d characters (not shown), expected %s", len([]rune(v.Value)), want)
				return
			}
			out[d] = append(out[d], norm)
		})
	})
	return out
}
