package window

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// redisServer is a redis-server process started for one test on
// 127.0.0.1, without persistence.
type redisServer struct {
	Addr string
	cmd  *exec.Cmd
	once sync.Once
}

// startRedis starts redis-server on a free 127.0.0.1 port in a temporary
// directory and stops it when the test ends. Without redis-server the test
// is skipped, or fails when the CI environment variable is set.
func startRedis(t testing.TB) *redisServer {
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
	s := &redisServer{Addr: "127.0.0.1:" + strconv.Itoa(port)}
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
func (s *redisServer) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
}

// fakeClock is an injectable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hashKey is the shared secret of the tests' engines and trackers.
var hashKey = []byte("window-test-hash-key-0123456789")

// newEngine returns an engine hashing values with hashKey.
func newEngine(t testing.TB) *inspect.Engine {
	t.Helper()
	e, err := inspect.NewEngine(inspect.Config{HashKey: hashKey})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// page renders records [first, first+n) of a fixed synthetic population
// as CSV: the same index always gives the same person.
func page(first, n int) []byte {
	recs := make([]corpus.Record, 0, n)
	for i := first; i < first+n; i++ {
		recs = append(recs, corpus.Records(uint64(i)+1, 1)...)
	}
	return corpus.CSV(recs, corpus.CSVOptions{}).Data
}
