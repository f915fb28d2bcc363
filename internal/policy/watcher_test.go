package policy

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// policyV returns a valid policy with the given version that blocks at
// n distinct resident IDs.
func policyV(version string, n int) string {
	return "version: " + version + "\nrules:\n  - name: ids\n    when: {any: {cn_resident_id: " +
		strconv.Itoa(n) + "}}\n    action: block\n"
}

// reloads records onReload calls.
type reloads struct {
	mu      sync.Mutex
	results []string
	kept    []string
}

func (r *reloads) record(result string, s *Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, result)
	r.kept = append(r.kept, s.Version())
}

func (r *reloads) get() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.results...), append([]string(nil), r.kept...)
}

// newTestWatcher writes content to a temp file and watches it.
func newTestWatcher(t *testing.T, content string, opts ...WatcherOption) (*Watcher, string, *reloads, *observer.ObservedLogs) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	rec := &reloads{}
	w, err := NewWatcher(path, zap.New(core), rec.record, opts...)
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	return w, path, rec, logs
}

func TestWatcherReload(t *testing.T) {
	w, path, rec, logs := newTestWatcher(t, policyV("v1", 50))
	if got := w.Current().Version(); got != "v1" {
		t.Fatalf("initial version %q", got)
	}
	steps := []struct {
		give        string
		wantErr     bool
		wantVersion string
	}{
		{policyV("v2", 40), false, "v2"},
		{"version: v3\nrules: [\n", true, "v2"},
		{"version: v4\nrules:\n  - {name: x, action: deny}\n", true, "v2"},
		{policyV("v5", 30), false, "v5"},
	}
	for i, st := range steps {
		if err := os.WriteFile(path, []byte(st.give), 0o600); err != nil {
			t.Fatal(err)
		}
		err := w.Reload()
		if (err != nil) != st.wantErr || w.Current().Version() != st.wantVersion {
			t.Errorf("step %d: Reload err %v, version %q; want error %v, version %q", i, err, w.Current().Version(), st.wantErr, st.wantVersion)
		}
	}
	results, kept := rec.get()
	wantResults := []string{ReloadSuccess, ReloadFailure, ReloadFailure, ReloadSuccess}
	wantKept := []string{"v2", "v2", "v2", "v5"}
	if strings.Join(results, ",") != strings.Join(wantResults, ",") || strings.Join(kept, ",") != strings.Join(wantKept, ",") {
		t.Errorf("onReload results %v kept %v, want %v %v", results, kept, wantResults, wantKept)
	}
	failed := logs.FilterMessage("policy reload failed; keeping the running policy").All()
	if len(failed) != 2 {
		t.Fatalf("failure logs = %d, want 2", len(failed))
	}
	fields := failed[1].ContextMap()
	if fields["file"] != path || fields["keep_version"] != "v2" || !strings.Contains(fields["error"].(string), "rules[0].action") {
		t.Errorf("failure log fields = %v", fields)
	}
	os.Remove(path)
	if err := w.Reload(); err == nil || w.Current().Version() != "v5" {
		t.Errorf("Reload of a vanished file: err %v, version %q", err, w.Current().Version())
	}
}

func TestNewWatcherRejectsInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("rules: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewWatcher(path, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "policy.yaml:1:8: rules: found a mapping, expected a list") {
		t.Errorf("NewWatcher error = %v", err)
	}
}

func TestWatcherRunPolls(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, path, rec, _ := newTestWatcher(t, policyV("v1", 50), WithPollInterval(5*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Each version replaces the file at once (write, then rename), as
	// deployment tools do: a poll that caught os.WriteFile between its
	// truncate and its write would see an empty file, a failure of its own.
	write := func(content string) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(policyV("v2-longer", 50))
	waitFor("v2", func() bool { return w.Current().Version() == "v2-longer" })
	write("version: broken\nrules: [\n")
	waitFor("failure", func() bool { r, _ := rec.get(); return len(r) == 2 })
	time.Sleep(30 * time.Millisecond) // several polls: the broken file is not retried
	if r, _ := rec.get(); len(r) != 2 || r[1] != ReloadFailure || w.Current().Version() != "v2-longer" {
		t.Errorf("after broken file: results %v, version %q", r, w.Current().Version())
	}
	write(policyV("v3", 50))
	waitFor("v3", func() bool { return w.Current().Version() == "v3" })
	cancel()
	<-done
}

// TestWatcherConcurrent reloads while many goroutines decide under the
// current policy; run with -race. Every decision uses a whole snapshot.
func TestWatcherConcurrent(t *testing.T) {
	w, path, _, _ := newTestWatcher(t, policyV("v50", 50))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	tl := &inspect.Tally{}
	tl.Counts[inspect.ResidentID] = 45
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := w.Current()
				d := s.Scope(Message{Direction: Request}).Decide(tl)
				want := Allow
				if s.Version() == "v40" {
					want = Block
				}
				if d.Action != want {
					t.Errorf("version %s decided %v, want %v", s.Version(), d.Action, want)
					return
				}
			}
		})
	}
	for i := range 40 {
		content := policyV("v50", 50)
		if i%2 == 1 {
			content = policyV("v40", 40)
		}
		if i%5 == 4 {
			content = "broken: [\n"
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = w.Reload() })
	}
	close(stop)
	wg.Wait()
}
