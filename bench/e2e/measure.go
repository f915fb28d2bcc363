package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// repeatReader reads size bytes cycling through buf.
type repeatReader struct {
	buf  []byte
	off  int
	left int64
}

func newRepeatReader(buf []byte, size int64) *repeatReader {
	return &repeatReader{buf: buf, left: size}
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.buf[r.off:])
	r.off = (r.off + n) % len(r.buf)
	r.left -= int64(n)
	return n, nil
}

// upstream serves the benchmark's origin: POST /sink reads and counts the
// body, GET /blob?n=N sends N bytes of the corpus with a Content-Length,
// GET /small sends 1 KiB.
func upstream(corpus []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sink", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("GET /blob", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		_, _ = io.CopyBuffer(w, newRepeatReader(corpus, n), make([]byte, 256<<10))
	})
	mux.HandleFunc("GET /small", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(corpus[:1024])
	})
	return mux
}

// newClient returns a client through proxyAddr (empty: direct) trusting
// roots. Buffers are 64 KiB so the client is not the bottleneck.
func newClient(proxyAddr string, roots *x509.CertPool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:    &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableCompression: true,
		WriteBufferSize:    64 << 10,
		ReadBufferSize:     64 << 10,
	}
	if proxyAddr != "" {
		tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr})
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Minute}
}

// upload POSTs size bytes of corpus to base/sink and checks the count.
func upload(c *http.Client, base string, corpus []byte, size int64) error {
	req, err := http.NewRequest(http.MethodPost, base+"/sink", newRepeatReader(corpus, size))
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "text/html; charset=utf-8")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != strconv.FormatInt(size, 10) {
		return fmt.Errorf("upload: status %d, upstream counted %.40q of %d bytes", resp.StatusCode, got, size)
	}
	return nil
}

// download GETs size bytes from base/blob and checks the count.
func download(c *http.Client, base string, size int64) error {
	resp, err := c.Get(base + "/blob?n=" + strconv.FormatInt(size, 10))
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK || n != size {
		return fmt.Errorf("download: status %d, %d of %d bytes: %v", resp.StatusCode, n, size, err)
	}
	return nil
}

// latencies times n small GETs after a warm-up, one at a time on a
// keep-alive connection, and returns the sorted durations.
func latencies(c *http.Client, base string, n int) ([]time.Duration, error) {
	get := func() error {
		resp, err := c.Get(base + "/small")
		if err != nil {
			return fmt.Errorf("small request: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("small request: status %d", resp.StatusCode)
		}
		return nil
	}
	for range 50 {
		if err := get(); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := get(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	slices.Sort(out)
	return out, nil
}

// percentile returns the q-quantile (0..1) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// selfCPU returns the CPU time (user+system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
