// Package windowtest holds test helpers shared by the window, proxy and
// command tests of drip detection: a redis-server started per test on
// 127.0.0.1, an injectable clock, and a paging API that serves 20 records
// a page with a scraper that walks it through proxies.
package windowtest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// Redis is a redis-server process started for one test on 127.0.0.1,
// without persistence.
type Redis struct {
	// Addr is the server's 127.0.0.1:port.
	Addr string
	cmd  *exec.Cmd
	once sync.Once
}

// StartRedis starts redis-server on a free 127.0.0.1 port in a temporary
// directory and stops it when the test ends. Without redis-server the
// test is skipped, or fails when the CI environment variable is set.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not installed (CI requires it): %v", err)
		}
		t.Skip("redis-server not installed; apt-get install redis-server to run the Redis tests")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Redis{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer func() { _ = c.Close() }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return s
		} else if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer: %v", s.Addr, err)
		}
	}
}

// Stop kills the server and waits for it; it may be called more than once.
func (s *Redis) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
}

// Clock is an injectable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to 2026-03-01 09:00 UTC.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// PageSize is the number of records on one page of the paging API.
const PageSize = 20

// Page renders records [first, first+n) of a fixed synthetic population
// as CSV: the same index always gives the same person.
func Page(first, n int) []byte {
	recs := make([]corpus.Record, 0, n)
	for i := first; i < first+n; i++ {
		recs = append(recs, corpus.Records(uint64(i)+1, 1)...)
	}
	return corpus.CSV(recs, corpus.CSVOptions{}).Data
}

// PageServer serves /page?n=N on 127.0.0.1: records PageSize*N to
// PageSize*N+PageSize-1 as CSV, the internal API a scraper pages through.
func PageServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil {
			http.Error(w, "bad page", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(Page(PageSize*n, PageSize))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Scraper pages through a PageServer via proxies, one page a minute of
// Clock time, taking the proxies in turn.
type Scraper struct {
	T        testing.TB
	Upstream string         // PageServer URL
	Proxies  []*http.Client // clients of the proxies, used in turn by page number
	Clock    *Clock         // advanced by a minute before each page
}

// Get fetches page n through proxy n%len(Proxies) and returns the status,
// the body and the response headers.
func (s *Scraper) Get(n int) (int, string, http.Header) {
	s.T.Helper()
	resp, err := s.Proxies[n%len(s.Proxies)].Get(s.Upstream + "/page?n=" + strconv.Itoa(n))
	if err != nil {
		s.T.Fatalf("page %d: %v", n, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.T.Fatalf("page %d body: %v", n, err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// WantPages fetches pages from to to-1, advancing the clock a minute
// before each, and expects status 200 with a whole page before page
// blockAt and 403 from it on.
func (s *Scraper) WantPages(from, to, blockAt int) {
	s.T.Helper()
	for n := from; n < to; n++ {
		s.Clock.Advance(time.Minute)
		status, body, _ := s.Get(n)
		want := http.StatusOK
		if n >= blockAt {
			want = http.StatusForbidden
		}
		if status != want {
			s.T.Fatalf("page %d via proxy %d: status %d, want %d", n, n%len(s.Proxies), status, want)
		}
		if want == http.StatusOK && len(body) < PageSize*18 {
			s.T.Fatalf("page %d: short body (%d bytes)", n, len(body))
		}
	}
}
