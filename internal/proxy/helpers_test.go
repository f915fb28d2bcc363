package proxy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// byteRules is a test policy that decides on bytes scanned, so the proxy's
// mechanics are testable independently of the detectors.
type byteRules struct {
	blockAt  int64 // block once this many bytes were scanned; 0 never
	logAt    int64
	settings Settings
	closed   bool   // fail closed for every reason
	bypass   string // host tunnelled without interception
	allow    string // allowlisted host
}

func (r *byteRules) Version() string              { return "test-1" }
func (r *byteRules) Settings() Settings           { return r.settings }
func (r *byteRules) FailClosed(string) bool       { return r.closed }
func (r *byteRules) Engine() *inspect.Engine      { return nil }
func (r *byteRules) HostAllowed(host string) bool { return host == r.allow }
func (r *byteRules) TLSBypass(host string) bool   { return host == r.bypass }
func (r *byteRules) Scope(Message) Scope          { return byteScope{r.blockAt, r.logAt} }
func (r *byteRules) rules() Rules                 { return r }
func (r *byteRules) policy() func() Rules         { return r.rules }

type byteScope struct{ blockAt, logAt int64 }

func (s byteScope) Decide(t *inspect.Tally) Decision {
	switch {
	case s.blockAt > 0 && t.Bytes >= s.blockAt:
		return Decision{Action: Block, Rule: "bytes_block", LogRules: []string{"bytes_log"}}
	case s.logAt > 0 && t.Bytes >= s.logAt:
		return Decision{Action: Log, Rule: "bytes_log", LogRules: []string{"bytes_log"}}
	}
	return Decision{}
}

// startProxy serves p on 127.0.0.1 and returns its URL; cleanup shuts it
// down and closes tunnels.
// allowLoopback opts p in to loopback destinations, refused by default:
// test upstreams listen on 127.0.0.1. The opt-in is explicit, as a
// deployment's allowed_destinations would be.
func allowLoopback(p *Proxy) {
	p.AllowedDestinations = append(p.AllowedDestinations, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
}

func startProxy(t testing.TB, p *Proxy) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.SelfAddrs = append(p.SelfAddrs, ln.Addr().String())
	allowLoopback(p)
	srv := p.NewServer(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(p.Listener(ln))
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		p.CloseConnections()
		<-done
		p.tr.CloseIdleConnections()
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// proxyClient returns a client that goes through proxyURL and trusts roots
// (nil: system roots).
func proxyClient(t *testing.T, proxyURL *url.URL, roots *x509.CertPool) *http.Client {
	t.Helper()
	tr := &http.Transport{
		Proxy:              http.ProxyURL(proxyURL),
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		DisableCompression: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// testCA is a throwaway interception CA.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool

	mu    sync.Mutex
	leafs map[string]*tls.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dlpproxy test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, leafs: map[string]*tls.Certificate{}}
}

func (c *testCA) LeafFor(host string) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.leafs[host]; ok {
		return l, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, err
	}
	l := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	c.leafs[host] = l
	return l, nil
}

// postEncoded POSTs body through e's proxy to its plain upstream with the
// given Content-Encoding (none when empty) and returns the status and what
// came back: the upstream's digest of what it received, or the block page.
func postEncoded(t *testing.T, e *env, body []byte, coding string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.plain.URL+"/u", bytes.NewReader(body))
	if coding != "" {
		req.Header.Set("Content-Encoding", coding)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(got)
}

// residentIDs returns the resident ID numbers of recs, in order.
func residentIDs(recs []corpus.Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ResidentID
	}
	return ids
}
