package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// hostSet matches host names against exact names, "*.suffix" patterns
// and "*". The zero value matches nothing.
type hostSet struct {
	any      bool
	exact    map[string]struct{}
	suffixes []string // ".example.com" for "*.example.com"
}

// add parses pattern and adds it, reporting whether it is valid.
func (h *hostSet) add(pattern string) bool {
	raw := strings.ToLower(strings.TrimSpace(pattern))
	p := strings.TrimSuffix(raw, ".")
	switch {
	case raw == "*":
		h.any = true
	case strings.HasPrefix(p, "*."):
		if !validHostname(p[2:]) {
			return false
		}
		h.suffixes = append(h.suffixes, p[1:])
	default:
		if a, err := netip.ParseAddr(strings.Trim(p, "[]")); err == nil {
			p = a.Unmap().String()
		} else if !validHostname(p) {
			return false
		}
		if h.exact == nil {
			h.exact = make(map[string]struct{})
		}
		h.exact[p] = struct{}{}
	}
	return true
}

// match reports whether the normalized host matches a pattern.
func (h *hostSet) match(host string) bool {
	if h.any {
		return true
	}
	if _, ok := h.exact[host]; ok {
		return true
	}
	for _, s := range h.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// validHostname reports whether s is a DNS name made of letters, digits,
// hyphens and underscores in non-empty dot-separated labels.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// NormalizeHost returns host as patterns are matched: lower case, without
// a port, brackets or a trailing dot, and IP addresses in canonical form.
// It accepts a URL host ("Example.COM:443", "[::1]:8080") or a bare name.
func NormalizeHost(host string) string {
	h := host
	if strings.HasPrefix(h, "[") {
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return h
}

// mediaRange is a content-type pattern: "type/subtype", "type/*" or "*/*".
type mediaRange struct {
	typ, sub string // "*" matches anything
}

// parseMediaRange parses a content-type pattern; "*" means "*/*".
func parseMediaRange(s string) (mediaRange, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "*" {
		return mediaRange{"*", "*"}, true
	}
	typ, sub, ok := strings.Cut(s, "/")
	if !ok || !validToken(typ) || !validToken(sub) || typ == "*" && sub != "*" {
		return mediaRange{}, false
	}
	return mediaRange{typ, sub}, true
}

// match reports whether a bare, lower-case media type ("text/plain")
// matches. "*/*" also matches a message without a content type.
func (m mediaRange) match(mediaType string) bool {
	if m.typ == "*" {
		return true
	}
	typ, sub, _ := strings.Cut(mediaType, "/")
	return typ == m.typ && (m.sub == "*" || sub == m.sub)
}

// bareMediaType strips parameters and case from a Content-Type value.
func bareMediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// validToken reports whether s is a non-empty HTTP token (RFC 9110),
// or "*".
func validToken(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// parseClient parses a CIDR prefix or a single IP address.
func parseClient(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), p.Bits() >= 0
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// containsAddr reports whether any prefix contains a.
func containsAddr(prefixes []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	return slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(a) })
}
