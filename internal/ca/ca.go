// Package ca is dlpproxy's interception certificate authority: it creates
// and loads the company CA and mints short-lived leaf certificates for the
// hosts whose TLS the proxy intercepts.
//
// API summary:
//
//	c, err := ca.Init(dir)         // new CA: dir/ca.crt (0644) and dir/ca.key (0600, never overwritten)
//	c, err := ca.Load(dir)         // existing CA; refuses a key open to others, or to a group the process is not in
//	cert, err := c.LeafFor(host)   // cached leaf for "example.com", "10.0.0.1" or "example.com:443"
//	cfg, err := c.TLSConfigForHost(host) // server-side tls.Config for goproxy's ConnectAction.TLSConfig
//	n := c.Len()                   // cached leaves, for dlp_leaf_cert_cache_entries
//	c.CertPEM()                    // the CA certificate, to hand to clients
//	fmt.Print(ca.InstallInstructions(path)) // how to make clients trust it
//
// Options (for Init and Load): WithCacheSize (default 1024 leaves) and
// WithClock.
//
// Keys are ECDSA P-256, for the CA and for leaves. Every TLS client in use
// today (browsers, Windows since Vista, macOS, Java 7+, OpenSSL, Go, curl,
// Python, Node) accepts P-256; signing and key generation are an order of
// magnitude faster than RSA 3072, which matters when a leaf is minted on the
// first request to every new host. RSA would only help pre-2010 embedded
// clients, which cannot be intercepted safely anyway.
//
// The CA private key is never logged or printed: CA's String and GoString
// show only the subject, fingerprint and expiry.
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File names inside the CA directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

const (
	caValidity  = 10 * 365 * 24 * time.Hour
	backdate    = time.Hour
	defaultSize = 1024
)

// Option configures Init and Load.
type Option interface {
	apply(*options)
}

type options struct {
	cacheSize int
	now       func() time.Time
	groups    func() []int // the process's groups, for a group-readable key
}

type cacheSizeOption int

func (o cacheSizeOption) apply(opts *options) { opts.cacheSize = int(o) }

// WithCacheSize bounds the leaf-certificate cache to n entries, least
// recently used evicted first. n <= 0 means the default, 1024.
func WithCacheSize(n int) Option { return cacheSizeOption(n) }

type clockOption func() time.Time

func (o clockOption) apply(opts *options) { opts.now = o }

// WithClock sets the clock used for validity periods and cache expiry
// (default time.Now).
func WithClock(now func() time.Time) Option { return clockOption(now) }

func buildOptions(opts []Option) options {
	o := options{cacheSize: defaultSize, now: time.Now, groups: processGroups}
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.cacheSize <= 0 {
		o.cacheSize = defaultSize
	}
	return o
}

// CA is a loaded certificate authority with its leaf cache. It is safe for
// concurrent use.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	now     func() time.Time
	leaves  *leafCache
}

func newCA(cert *x509.Certificate, certPEM []byte, key crypto.Signer, o options) *CA {
	return &CA{cert: cert, certPEM: certPEM, key: key, now: o.now, leaves: newLeafCache(o.cacheSize)}
}

// Init creates a new CA in dir: an ECDSA P-256 key in dir/ca.key (PEM
// PKCS#8, mode 0600) and a self-signed certificate in dir/ca.crt (PEM, mode
// 0644) valid for 10 years, with CN "dlpproxy interception CA <hostname>
// <date>". dir is created with mode 0700 if missing, and its missing
// parents with 0755 (as mkdir -p would: only the key's own directory is
// private). Existing files are never overwritten: Init then fails with an
// error matching fs.ErrExist.
func Init(dir string, opts ...Option) (*CA, error) {
	o := buildOptions(opts)
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
		return nil, fmt.Errorf("ca init: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("ca init: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca init: generate key: %w", err)
	}
	cert, certDER, err := selfSign(key, o.now())
	if err != nil {
		return nil, fmt.Errorf("ca init: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ca init: marshal key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	if err := writeExclusive(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, fmt.Errorf("ca init: %w", err)
	}
	if err := writeExclusive(certPath, certPEM, 0o644); err != nil {
		// Do not leave a key without its certificate behind.
		return nil, errors.Join(fmt.Errorf("ca init: %w", err), os.Remove(keyPath))
	}
	return newCA(cert, certPEM, key, o), nil
}

// selfSign creates the CA certificate for key.
func selfSign(key *ecdsa.PrivateKey, now time.Time) (*x509.Certificate, []byte, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"dlpproxy"},
			CommonName:   fmt.Sprintf("dlpproxy interception CA %s %s", host, now.UTC().Format(time.DateOnly)),
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, der, nil
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// writeExclusive creates path (failing if it exists), writes data and sets
// mode exactly, whatever the umask. A partly written file is removed.
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists, refusing to overwrite it: %w", path, err)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Chmod(mode), f.Sync(), f.Close())
	if err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), os.Remove(path))
	}
	return nil
}

// Load reads dir/ca.crt and dir/ca.key. It refuses a key file readable or
// writable by group or others, a certificate that is not a CA or has
// expired, and a key that does not match the certificate.
func Load(dir string, opts ...Option) (*CA, error) {
	o := buildOptions(opts)
	keyPEM, err := readPrivate(filepath.Join(dir, KeyFile), o.groups)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	cert, key, err := parse(certPEM, keyPEM, o.now())
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return newCA(cert, certPEM, key, o), nil
}

// readPrivate reads a key file after checking, on the open file, that only
// its owner can access it, or its owner and its group when that group is one
// of groups() (read only: a Kubernetes Secret mounted 0440 with the pod's
// fsGroup, since a non-root container cannot own the volume).
func readPrivate(path string, groups func() []int) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrPermission) {
		// The usual cause: a key made by one user (ca init on the host) and
		// mounted for another (a container's own user).
		return nil, fmt.Errorf("%w: this process%s cannot read the key or enter its directory: "+
			"make the process's user the key's owner (mode 0600), or its group the key's group (mode 0640) "+
			"with the directory open to that group (0750)", err, processIdentity())
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkKeyMode(path, st, groups); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// checkKeyMode refuses a key others may use, or its group may write or
// execute, or its group may read when it is not a group of this process.
func checkKeyMode(path string, st fs.FileInfo, groups func() []int) error {
	perm := st.Mode().Perm()
	if perm&0o037 != 0 {
		return fmt.Errorf("%s has mode %04o, open to others or writable by group: run chmod 600 %s (group read, 0440, is allowed only for the process's own group)", path, perm, path)
	}
	if perm&0o040 == 0 {
		return nil
	}
	gid, ok := fileGroup(st)
	if !ok {
		return fmt.Errorf("%s has mode %04o, readable by group, and its group cannot be checked here: run chmod 600 %s", path, perm, path)
	}
	if !slices.Contains(groups(), gid) {
		return fmt.Errorf("%s has mode %04o, readable by group %d, which is not a group of this process: run chmod 600 %s, or run with that group (Kubernetes fsGroup)", path, perm, gid, path)
	}
	return nil
}

// processGroups returns the process's effective and supplementary groups.
func processGroups() []int {
	gs, _ := os.Getgroups() // unsupported or failing: only the effective group counts
	return append(gs, os.Getegid())
}

// parse decodes and checks a PEM certificate and PEM PKCS#8 key.
func parse(certPEM, keyPEM []byte, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, errors.New("certificate: no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, nil, errors.New("certificate is not a CA (needs basic constraints CA:TRUE and keyCertSign)")
	}
	if now.After(cert.NotAfter) {
		return nil, nil, fmt.Errorf("certificate expired on %s", cert.NotAfter.UTC().Format(time.DateOnly))
	}
	block, _ = pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("key: no PEM PRIVATE KEY (PKCS#8) block; convert with openssl pkcs8 -topk8 -nocrypt")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("key: unsupported type %T", parsed)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, errors.New("key does not match the certificate")
	}
	return cert, key, nil
}

// Certificate returns the CA certificate. Callers must not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// CertPEM returns a copy of the CA certificate in PEM form, e.g. to serve
// it to clients that need to trust it.
func (c *CA) CertPEM() []byte { return append([]byte(nil), c.certPEM...) }

// Fingerprint returns the SHA-256 of the CA certificate in hex.
func (c *CA) Fingerprint() string {
	sum := sha256.Sum256(c.cert.Raw)
	return hex.EncodeToString(sum[:])
}

// String describes the CA without its key: subject, fingerprint, expiry.
func (c *CA) String() string {
	return fmt.Sprintf("CA %q sha256:%s expires %s", c.cert.Subject.CommonName, c.Fingerprint(),
		c.cert.NotAfter.UTC().Format(time.DateOnly))
}

// GoString is String, so that %#v cannot print the private key either.
func (c *CA) GoString() string { return c.String() }
