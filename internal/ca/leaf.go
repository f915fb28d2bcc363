package ca

import (
	"container/list"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	// leafValidity is how long a minted leaf is valid (after backdating).
	leafValidity = 7 * 24 * time.Hour
	// renewBefore is how long before expiry a cached leaf is re-minted.
	renewBefore = 24 * time.Hour
)

// LeafFor returns a leaf certificate for host, signed by the CA, minting it
// on first use. host is a DNS name or an IP address, optionally with a port
// ("example.com:443", "[::1]:8443"); names get a DNS SAN, addresses an IP
// SAN, and wildcards are refused. Leaves are ECDSA P-256, valid 7 days
// (back-dated 1 hour, never beyond the CA's expiry) and cached until a day
// before they expire. Concurrent calls for one host mint once. The returned
// certificate is shared: callers must not modify it.
func (c *CA) LeafFor(host string) (*tls.Certificate, error) {
	name, err := normalizeHost(host)
	if err != nil {
		return nil, fmt.Errorf("leaf: %w", err)
	}
	return c.leaves.get(name, c.now, c.mint)
}

// TLSConfigForHost returns a server-side TLS configuration presenting the
// leaf for host. Its signature fits goproxy's ConnectAction.TLSConfig once
// the unused *goproxy.ProxyCtx argument is dropped by a small closure. ALPN
// offers only http/1.1, because the interception path speaks HTTP/1.1.
func (c *CA) TLSConfigForHost(host string) (*tls.Config, error) {
	leaf, err := c.LeafFor(host)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{*leaf},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}

// Len returns the number of cached leaf certificates.
func (c *CA) Len() int { return c.leaves.len() }

// mint creates a leaf for the normalized host name.
func (c *CA) mint(name string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("leaf: generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("leaf: %w", err)
	}
	notAfter := now.Add(leafValidity - backdate)
	if notAfter.After(c.cert.NotAfter) {
		notAfter = c.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return nil, fmt.Errorf("leaf: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("leaf: parse certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, c.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// normalizeHost turns a CONNECT or SNI host into the name a leaf is minted
// for: port and IPv6 brackets removed, lower case, no trailing dot; IP
// addresses in canonical form. It refuses wildcards and anything that is
// not a syntactically valid DNS name or IP address.
func normalizeHost(host string) (string, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	if host == "" || len(host) > 253 {
		return "", errors.New("invalid host name: empty or longer than 253 bytes")
	}
	for label := range strings.SplitSeq(host, ".") {
		if err := checkLabel(label); err != nil {
			return "", fmt.Errorf("invalid host name %q: %w", host, err)
		}
	}
	return host, nil
}

// checkLabel accepts one DNS label: 1-63 bytes of letters, digits, '-' and
// '_' (seen in real host names), not starting or ending with '-'.
func checkLabel(label string) error {
	if label == "" || len(label) > 63 {
		return errors.New("label empty or longer than 63 bytes")
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return errors.New("label starts or ends with '-'")
	}
	for i := range len(label) {
		b := label[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return fmt.Errorf("byte %q not allowed (wildcards are refused)", b)
		}
	}
	return nil
}

// leafCache is an LRU of minted leaves bounded by entry count, with
// single-flight minting: concurrent misses for one host wait for one mint.
type leafCache struct {
	max int

	mu       sync.Mutex
	order    *list.List // of *leafEntry, most recently used first
	entries  map[string]*list.Element
	inflight map[string]*mintCall
}

type leafEntry struct {
	name string
	cert *tls.Certificate
}

type mintCall struct {
	done chan struct{}
	cert *tls.Certificate
	err  error
}

func newLeafCache(maxEntries int) *leafCache {
	return &leafCache{
		max:      maxEntries,
		order:    list.New(),
		entries:  make(map[string]*list.Element),
		inflight: make(map[string]*mintCall),
	}
}

func (lc *leafCache) len() int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.order.Len()
}

// get returns the cached leaf for name unless it is within renewBefore of
// expiry, otherwise mints one (once, however many callers wait) and caches
// it, evicting the least recently used entry beyond the bound. Failures are
// not cached.
func (lc *leafCache) get(name string, clock func() time.Time, mint func(string, time.Time) (*tls.Certificate, error)) (*tls.Certificate, error) {
	now := clock()
	lc.mu.Lock()
	if el, ok := lc.entries[name]; ok {
		e := el.Value.(*leafEntry)
		if now.Before(e.cert.Leaf.NotAfter.Add(-renewBefore)) {
			lc.order.MoveToFront(el)
			lc.mu.Unlock()
			return e.cert, nil
		}
	}
	if call, ok := lc.inflight[name]; ok {
		lc.mu.Unlock()
		<-call.done
		return call.cert, call.err
	}
	call := &mintCall{done: make(chan struct{})}
	lc.inflight[name] = call
	lc.mu.Unlock()

	call.cert, call.err = mint(name, now)

	lc.mu.Lock()
	delete(lc.inflight, name)
	if call.err == nil {
		lc.store(name, call.cert)
	}
	lc.mu.Unlock()
	close(call.done)
	return call.cert, call.err
}

// store inserts or replaces name's entry; lc.mu must be held.
func (lc *leafCache) store(name string, cert *tls.Certificate) {
	if el, ok := lc.entries[name]; ok {
		el.Value.(*leafEntry).cert = cert
		lc.order.MoveToFront(el)
		return
	}
	lc.entries[name] = lc.order.PushFront(&leafEntry{name: name, cert: cert})
	for lc.order.Len() > lc.max {
		oldest := lc.order.Back()
		lc.order.Remove(oldest)
		delete(lc.entries, oldest.Value.(*leafEntry).name)
	}
}
