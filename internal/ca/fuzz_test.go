package ca

import (
	"crypto"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzNormalizeHost checks that an accepted host is stable under
// normalization and is either an IP address or wildcard-free lower-case
// DNS name that a leaf can carry.
func FuzzNormalizeHost(f *testing.F) {
	for _, seed := range []string{"example.com", "Example.COM:443", "[::1]:8443", "10.0.0.1", "*.example.com",
		"a..b", "", ":", "[", "xn--fsq.example.", "my_host.internal", "2001:db8::1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, err := normalizeHost(host)
		if err != nil {
			return
		}
		again, err := normalizeHost(name)
		if err != nil || again != name {
			t.Fatalf("normalize(%q) = %q, renormalized to %q, %v", host, name, again, err)
		}
		if net.ParseIP(name) != nil {
			return
		}
		for i := range len(name) {
			if b := name[i]; b == '*' || b >= 'A' && b <= 'Z' || b > 0x7e {
				t.Fatalf("normalize(%q) = %q contains %q", host, name, b)
			}
		}
	})
}

// FuzzParse feeds arbitrary certificate and key files to the loader's
// parser: it must never panic, and must only accept a CA certificate with its own key.
func FuzzParse(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "ca")
	if _, err := Init(dir); err != nil {
		f.Fatal(err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(certPEM, keyPEM)
	f.Add(certPEM, certPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyPEM)
	f.Add([]byte{}, []byte{})
	now := time.Now()
	f.Fuzz(func(t *testing.T, certIn, keyIn []byte) {
		cert, key, err := parse(certIn, keyIn, now)
		if err != nil {
			return
		}
		if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			t.Fatalf("accepted a non-CA certificate")
		}
		if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
			t.Fatalf("accepted a key that does not match the certificate")
		}
	})
}
