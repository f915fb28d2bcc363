package main

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestCAKeyNeverExposed runs serve with interception, pprof on and debug
// logs, sends clean, blocked and failing traffic, then scrapes every admin
// endpoint: neither the CA key's PEM nor its base64 body (whole or any
// line of it) appears in a response or in the log.
func TestCAKeyNeverExposed(t *testing.T) {
	f := newFixture(t)
	keyPEM, err := os.ReadFile(filepath.Join(f.caDir, ca.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("no PEM block in the key file")
	}
	logs := &syncBuffer{}
	logger, logSink, err := accesslog.New(accesslog.Options{Level: "debug", Stderr: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer logSink.Close()
	cfg := f.config(t)
	cfg.Pprof = true
	proxyAddr, adminAddr := startServe(t, cfg, serveDeps{logger: logger})
	client := f.client(t, proxyAddr)
	for _, body := range [][]byte{[]byte("hello"), corpus.CSV(corpus.Records(9, 100), corpus.CSVOptions{}).Data} {
		resp, err := client.Post(f.upstream.URL+"/u", "text/csv", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if resp, err := client.Get("https://127.0.0.1:1/"); err == nil { // a refused port: an error path
		resp.Body.Close()
	}
	var served strings.Builder
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/debug/pprof/", "/debug/pprof/goroutine?debug=2",
		"/debug/pprof/heap?debug=1", "/debug/pprof/cmdline", "/ca.crt", "/ca.key", "/debug/pprof/../../ca.key"} {
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served.Write(b)
	}
	b64 := base64.StdEncoding.EncodeToString(block.Bytes)
	secrets := []string{string(keyPEM), b64}
	for len(b64) > 0 { // each PEM line
		n := min(64, len(b64))
		secrets, b64 = append(secrets, b64[:n]), b64[n:]
	}
	for where, text := range map[string]string{"admin endpoints": served.String(), "log": logs.String()} {
		if text == "" {
			t.Fatalf("%s: nothing captured", where)
		}
		for _, s := range secrets {
			if len(s) >= 16 && strings.Contains(text, s) {
				t.Errorf("%s contain the CA key (%d characters of it)", where, len(s))
			}
		}
	}
}
