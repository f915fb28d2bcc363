package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/proxy"
)

// The proxy takes a *CA as its leaf source.
var _ proxy.LeafSource = (*CA)(nil)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func initCA(t *testing.T, opts ...Option) (*CA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := Init(dir, opts...)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return c, dir
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	return st.Mode().Perm()
}

func TestInitWritesFilesAndCA(t *testing.T) {
	c, dir := initCA(t, WithClock(func() time.Time { return t0 }))
	tests := []struct {
		give string
		want fs.FileMode
	}{
		{give: dir, want: 0o700},
		{give: filepath.Join(dir, CertFile), want: 0o644},
		{give: filepath.Join(dir, KeyFile), want: 0o600},
	}
	for _, tt := range tests {
		if got := mode(t, tt.give); got != tt.want {
			t.Errorf("mode of %s = %04o, want %04o", tt.give, got, tt.want)
		}
	}
	cert := c.Certificate()
	if !cert.IsCA || !cert.BasicConstraintsValid || cert.MaxPathLen != 0 || !cert.MaxPathLenZero {
		t.Errorf("basic constraints: IsCA=%v valid=%v maxPathLen=%d zero=%v", cert.IsCA, cert.BasicConstraintsValid, cert.MaxPathLen, cert.MaxPathLenZero)
	}
	if cert.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("key usage = %v", cert.KeyUsage)
	}
	if want := "dlpproxy interception CA "; !strings.HasPrefix(cert.Subject.CommonName, want) || !strings.HasSuffix(cert.Subject.CommonName, " 2025-03-14") {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if got := cert.NotAfter.Sub(t0); got < 3650*24*time.Hour {
		t.Errorf("validity = %v, want 10 years", got)
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", cert.PublicKey)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("key file is not PEM PKCS#8")
	}
	if !bytes.Equal(c.CertPEM(), mustRead(t, filepath.Join(dir, CertFile))) {
		t.Errorf("CertPEM differs from ca.crt")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInitRefusesOverwrite(t *testing.T) {
	_, dir := initCA(t)
	keyBefore := mustRead(t, filepath.Join(dir, KeyFile))
	_, err := Init(dir)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Init error = %v, want fs.ErrExist", err)
	}
	if !bytes.Equal(keyBefore, mustRead(t, filepath.Join(dir, KeyFile))) {
		t.Fatal("second Init changed ca.key")
	}

	// A stray ca.crt without a key: Init fails and leaves no key behind.
	stray := t.TempDir()
	if err := os.WriteFile(filepath.Join(stray, CertFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(stray); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Init over stray ca.crt error = %v, want fs.ErrExist", err)
	}
	if _, err := os.Stat(filepath.Join(stray, KeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ca.key left behind: %v", err)
	}
}

func TestLoad(t *testing.T) {
	good, goodDir := initCA(t)
	_, otherDir := initCA(t)
	leaf, err := good.LeafFor("example.com")
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	goodCert := mustRead(t, filepath.Join(goodDir, CertFile))
	goodKey := mustRead(t, filepath.Join(goodDir, KeyFile))

	tests := []struct {
		name    string
		cert    []byte
		key     []byte
		keyMode fs.FileMode
		inGroup bool // the process is in the key file's group
		opts    []Option
		wantErr string
	}{
		{name: "good", cert: goodCert, key: goodKey, keyMode: 0o600},
		{name: "owner read-only key", cert: goodCert, key: goodKey, keyMode: 0o400},
		{name: "world-readable key", cert: goodCert, key: goodKey, keyMode: 0o644, inGroup: true, wantErr: "open to others"},
		{name: "others-only read", cert: goodCert, key: goodKey, keyMode: 0o604, inGroup: true, wantErr: "open to others"},
		{name: "group-writable key", cert: goodCert, key: goodKey, keyMode: 0o460, inGroup: true, wantErr: "writable by group"},
		{name: "group-executable key", cert: goodCert, key: goodKey, keyMode: 0o450, inGroup: true, wantErr: "writable by group"},
		{name: "Kubernetes fsGroup mount 0440", cert: goodCert, key: goodKey, keyMode: 0o440, inGroup: true},
		{name: "group-readable 0640, own group", cert: goodCert, key: goodKey, keyMode: 0o640, inGroup: true},
		{name: "group-readable, foreign group", cert: goodCert, key: goodKey, keyMode: 0o440, wantErr: "not a group of this process"},
		{name: "key of another CA", cert: goodCert, key: mustRead(t, filepath.Join(otherDir, KeyFile)), keyMode: 0o600, wantErr: "does not match"},
		{name: "leaf as CA", cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}),
			key: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: leafKey}), keyMode: 0o600, wantErr: "not a CA"},
		{name: "garbage cert", cert: []byte("hello"), key: goodKey, keyMode: 0o600, wantErr: "no PEM CERTIFICATE"},
		{name: "garbage key", cert: goodCert, key: []byte("hello"), keyMode: 0o600, wantErr: "no PEM PRIVATE KEY"},
		{name: "expired", cert: goodCert, key: goodKey, keyMode: 0o600,
			opts: []Option{WithClock(func() time.Time { return time.Now().AddDate(11, 0, 0) })}, wantErr: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, CertFile), tt.cert, 0o644); err != nil {
				t.Fatal(err)
			}
			keyPath := filepath.Join(dir, KeyFile)
			if err := os.WriteFile(keyPath, tt.key, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(keyPath, tt.keyMode); err != nil {
				t.Fatal(err)
			}
			opts := append([]Option{groupsOf(t, keyPath, tt.inGroup)}, tt.opts...)
			c, err := Load(dir, opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Fingerprint() != good.Fingerprint() {
				t.Errorf("loaded another certificate")
			}
		})
	}

	if _, err := Load(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of empty dir error = %v, want fs.ErrNotExist", err)
	}
}

func TestLeafVerifies(t *testing.T) {
	c, _ := initCA(t)
	roots := x509.NewCertPool()
	roots.AddCert(c.Certificate())
	tests := []struct {
		give     string
		wantName string // name or address clients verify against
		wantIP   bool
	}{
		{give: "example.com", wantName: "example.com"},
		{give: "Example.COM:443", wantName: "example.com"},
		{give: "api.example.com.", wantName: "api.example.com"},
		{give: "my_host.internal", wantName: "my_host.internal"},
		{give: "10.1.2.3", wantName: "10.1.2.3", wantIP: true},
		{give: "10.1.2.3:8443", wantName: "10.1.2.3", wantIP: true},
		{give: "[::1]:443", wantName: "::1", wantIP: true},
		{give: "2001:DB8::1", wantName: "2001:db8::1", wantIP: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			cert, err := c.LeafFor(tt.give)
			if err != nil {
				t.Fatalf("LeafFor: %v", err)
			}
			leaf := cert.Leaf
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: tt.wantName, Roots: roots}); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if tt.wantIP {
				if len(leaf.IPAddresses) != 1 || len(leaf.DNSNames) != 0 || !leaf.IPAddresses[0].Equal(net.ParseIP(tt.wantName)) {
					t.Errorf("SANs: IP %v DNS %v, want IP %s only", leaf.IPAddresses, leaf.DNSNames, tt.wantName)
				}
			} else if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != tt.wantName || len(leaf.IPAddresses) != 0 {
				t.Errorf("SANs: DNS %v IP %v, want DNS %s only", leaf.DNSNames, leaf.IPAddresses, tt.wantName)
			}
			if leaf.IsCA {
				t.Error("leaf is a CA")
			}
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.example", Roots: roots}); err == nil {
				t.Error("leaf verifies for another host")
			}
		})
	}
}

func TestLeafRefusesBadHosts(t *testing.T) {
	c, _ := initCA(t)
	for _, give := range []string{"", "*.example.com", "example.*", "a..b", "-a.com", "a-.com", "exa mple.com", "é.com",
		":443", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "a"} {
		t.Run(give, func(t *testing.T) {
			if _, err := c.LeafFor(give); err == nil {
				t.Errorf("LeafFor(%q) succeeded", give)
			}
		})
	}
	if c.Len() != 0 {
		t.Errorf("failed mints cached: Len = %d", c.Len())
	}
}

func TestLeafValidity(t *testing.T) {
	clock := &fakeClock{now: t0}
	c, _ := initCA(t, WithClock(clock.Now))
	first, err := c.LeafFor("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := first.Leaf.NotBefore, t0.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("NotBefore = %v, want %v", got, want)
	}
	if got, want := first.Leaf.NotAfter, t0.Add(6*24*time.Hour+23*time.Hour); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
	tests := []struct {
		advance  time.Duration
		wantSame bool
	}{
		{advance: time.Hour, wantSame: true},
		{advance: 5 * 24 * time.Hour, wantSame: true}, // 5d1h: more than a day left
		{advance: 23 * time.Hour, wantSame: false},    // 6d: within a day of expiry, re-minted
		{advance: time.Minute, wantSame: false},       // compared with the first leaf
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		got, err := c.LeafFor("example.com")
		if err != nil {
			t.Fatal(err)
		}
		if same := got == first; same != tt.wantSame {
			t.Errorf("at %v: same leaf = %v, want %v", clock.Now().Sub(t0), same, tt.wantSame)
		}
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}
}

func TestCacheBoundAndEviction(t *testing.T) {
	c, _ := initCA(t, WithCacheSize(2))
	get := func(host string) *tls.Certificate {
		t.Helper()
		cert, err := c.LeafFor(host)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	a, b := get("a.example"), get("b.example")
	if get("a.example") != a { // a is now most recently used
		t.Fatal("a re-minted while cached")
	}
	get("c.example") // evicts b
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
	if get("a.example") != a {
		t.Error("a evicted, want b (least recently used) evicted")
	}
	if get("b.example") == b {
		t.Error("b still cached after eviction")
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}

func TestCacheDefaultSize(t *testing.T) {
	for _, give := range []int{0, -5} {
		c, _ := initCA(t, WithCacheSize(give))
		if c.leaves.max != 1024 {
			t.Errorf("WithCacheSize(%d): bound %d, want 1024", give, c.leaves.max)
		}
	}
}

// TestConcurrentLeafForMintsOnce checks single flight: every concurrent
// caller for one host gets the very same certificate.
func TestConcurrentLeafForMintsOnce(t *testing.T) {
	c, _ := initCA(t)
	hosts := []string{"a.example", "b.example", "10.0.0.1", "c.example"}
	const perHost = 16
	got := make([][]*tls.Certificate, len(hosts))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for h, host := range hosts {
		got[h] = make([]*tls.Certificate, perHost)
		for i := range perHost {
			wg.Go(func() {
				<-start
				cert, err := c.LeafFor(host)
				if err != nil {
					t.Error(err)
				}
				got[h][i] = cert
			})
		}
	}
	close(start)
	wg.Wait()
	for h, certs := range got {
		for i, cert := range certs {
			if cert == nil || cert != certs[0] {
				t.Fatalf("%s: caller %d got a different certificate: minted more than once", hosts[h], i)
			}
		}
	}
	if c.Len() != len(hosts) {
		t.Errorf("Len = %d, want %d", c.Len(), len(hosts))
	}
}

func TestTLSHandshake(t *testing.T) {
	c, _ := initCA(t)
	tests := []struct {
		give       string // CONNECT host the leaf is minted for
		serverName string // what the client verifies
	}{
		{give: "127.0.0.1:443", serverName: "127.0.0.1"},
		{give: "intranet.example:443", serverName: "intranet.example"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			cfg, err := c.TLSConfigForHost(tt.give)
			if err != nil {
				t.Fatalf("TLSConfigForHost: %v", err)
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			served := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					served <- err
					return
				}
				defer conn.Close()
				_, err = io.WriteString(conn, "hello")
				served <- err
			}()

			roots := x509.NewCertPool()
			roots.AddCert(c.Certificate())
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
				RootCAs:    roots,
				ServerName: tt.serverName,
				NextProtos: []string{"h2", "http/1.1"},
			})
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer conn.Close()
			if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
				t.Errorf("ALPN = %q, want http/1.1", p)
			}
			msg, err := io.ReadAll(conn)
			if err != nil || string(msg) != "hello" {
				t.Errorf("read %q, %v", msg, err)
			}
			if err := <-served; err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}

	// A client that does not trust the CA must fail.
	cfg, err := c.TLSConfigForHost("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if conn, err := ln.Accept(); err == nil {
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	if conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: x509.NewCertPool()}); err == nil {
		conn.Close()
		t.Error("handshake succeeded without trusting the CA")
	}
}

func TestStringHidesKey(t *testing.T) {
	c, _ := initCA(t)
	key := c.key.(*ecdsa.PrivateKey)
	raw, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{fmt.Sprintf("%x", raw), new(big.Int).SetBytes(raw).String(), "PRIVATE KEY"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		if !strings.Contains(out, c.Fingerprint()) {
			t.Errorf("%s: %q lacks the fingerprint", format, out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s prints the private key", format)
			}
		}
	}
}

func TestInstallInstructions(t *testing.T) {
	const path = "/etc/dlpproxy/ca/ca.crt"
	got := InstallInstructions(path)
	for _, want := range []string{
		"update-ca-certificates", "update-ca-trust", "security add-trusted-cert", "certutil -addstore Root",
		"Group Policy", "ImportEnterpriseRoots", "certutil -A", "$HOME/.local/share/pki/nssdb", `"sql:$db"`, "keytool -importcert", "--cacert " + path,
		"REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS=" + path, "Keep ca.key SECRET",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("instructions lack %q", want)
		}
	}
	if strings.Contains(got, "{{cert}}") {
		t.Error("placeholder left in instructions")
	}
}

// groupsOption stands in for the process's groups.
type groupsOption []int

func (g groupsOption) apply(o *options) { o.groups = func() []int { return g } }

// groupsOf makes the process a member of path's group, or of another group
// only.
func groupsOf(t *testing.T, path string, member bool) Option {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	gid, ok := fileGroup(st)
	if !ok {
		t.Skip("file groups are not available on this system")
	}
	if member {
		return groupsOption{gid + 1, gid}
	}
	return groupsOption{gid + 1}
}

// TestLoadGroupReadableWithProcessGroups checks the default group lookup:
// a key the test created belongs to one of its groups, so 0440 loads.
func TestLoadGroupReadableWithProcessGroups(t *testing.T) {
	c, dir := initCA(t)
	keyPath := filepath.Join(dir, KeyFile)
	if err := os.Chmod(keyPath, 0o440); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if gid, ok := fileGroup(st); !ok || !slices.Contains(processGroups(), gid) {
		t.Skip("the key file's group is not one of the test process's groups")
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatalf("Load of a 0440 key in the process's group: %v", err)
	}
	if got.Fingerprint() != c.Fingerprint() {
		t.Error("loaded another CA")
	}
}
