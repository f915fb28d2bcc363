package policy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Reload results passed to the onReload callback, e.g. as the label of a
// reload counter.
const (
	ReloadSuccess = "success"
	ReloadFailure = "failure"
)

// DefaultPollInterval is how often Run checks the policy file.
const DefaultPollInterval = time.Second

// Watcher holds the current policy Snapshot and replaces it when the file
// changes (Run) or on request (Reload, e.g. on SIGHUP). A new file is
// compiled completely before it is swapped in atomically; an invalid file
// keeps the running policy. Messages in flight keep the Scope, and so the
// Snapshot, they started with: a reload loses no request.
type Watcher struct {
	path     string
	log      *zap.Logger
	onReload func(result string, s *Snapshot)
	interval time.Duration

	cur atomic.Pointer[Snapshot]

	mu   sync.Mutex // serializes reloads; guards seen
	seen fileStamp  // the file as last read, valid or not
}

// fileStamp identifies a version of the file on disk.
type fileStamp struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// WatcherOption configures a Watcher.
type WatcherOption interface {
	apply(*Watcher)
}

type pollInterval time.Duration

func (d pollInterval) apply(w *Watcher) { w.interval = time.Duration(d) }

// WithPollInterval sets how often Run checks the file; values of zero or
// less mean DefaultPollInterval.
func WithPollInterval(d time.Duration) WatcherOption { return pollInterval(d) }

// NewWatcher loads the policy at path and returns a Watcher serving it.
// It fails if the file cannot be compiled: a proxy must not start on a
// policy nobody checked. logger receives reload outcomes and warnings (nil
// means no logging); onReload, if not nil, is called after every reload
// attempt with ReloadSuccess and the new snapshot, or ReloadFailure and
// the snapshot kept. The initial load does not call it.
func NewWatcher(path string, logger *zap.Logger, onReload func(result string, s *Snapshot), opts ...WatcherOption) (*Watcher, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	w := &Watcher{path: path, log: logger, onReload: onReload, interval: DefaultPollInterval}
	for _, o := range opts {
		o.apply(w)
	}
	if w.interval <= 0 {
		w.interval = DefaultPollInterval
	}
	data, stamp, err := w.read()
	if err != nil {
		return nil, fmt.Errorf("new watcher: %w", err)
	}
	s, warns, err := Compile(path, data)
	if err != nil {
		return nil, fmt.Errorf("new watcher: %w", err)
	}
	w.logWarnings(warns)
	w.seen = stamp
	w.cur.Store(s)
	return w, nil
}

// Current returns the policy in force. It is safe to call from any
// goroutine and never blocks.
func (w *Watcher) Current() *Snapshot {
	return w.cur.Load()
}

// Reload reads and compiles the file and swaps the result in; on any error
// the running policy stays, the error is logged and returned, and the
// failure is reported to onReload. It is safe to call concurrently (calls
// are serialized), e.g. from a SIGHUP handler while Run polls.
func (w *Watcher) Reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, stamp, err := w.read()
	if err != nil {
		return w.fail(err)
	}
	w.seen = stamp
	return w.swap(data)
}

// Run polls the file every interval and reloads it when its modification
// time, size and content hash show a change. A file that failed to compile
// is retried only after it changes again. Run returns when ctx is done.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		}
	}
}

// poll reloads the file if it changed since it was last read.
func (w *Watcher) poll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if err != nil || fi.ModTime().Equal(w.seen.modTime) && fi.Size() == w.seen.size {
		return // a vanished file keeps the policy; Reload reports it
	}
	data, stamp, err := w.read()
	if err != nil {
		return
	}
	changed := stamp.sum != w.seen.sum
	w.seen = stamp
	if changed {
		_ = w.swap(data) // logged and reported by swap
	}
}

// read returns the file's bytes and stamp.
func (w *Watcher) read() ([]byte, fileStamp, error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read policy: %w", err)
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read policy: %w", err)
	}
	return data, fileStamp{modTime: fi.ModTime(), size: fi.Size(), sum: sha256.Sum256(data)}, nil
}

// swap compiles data and makes it current, or keeps the running policy.
// The caller holds w.mu.
func (w *Watcher) swap(data []byte) error {
	s, warns, err := Compile(w.path, data)
	if err != nil {
		return w.fail(err)
	}
	w.logWarnings(warns)
	old := w.cur.Swap(s)
	w.log.Info("policy reloaded",
		zap.String("file", w.path),
		zap.String("version", s.Version()),
		zap.String("sha256", s.SHA256()),
		zap.String("old_version", old.Version()))
	if w.onReload != nil {
		w.onReload(ReloadSuccess, s)
	}
	return nil
}

// fail logs and reports a failed reload and returns err.
func (w *Watcher) fail(err error) error {
	kept := w.cur.Load()
	w.log.Error("policy reload failed; keeping the running policy",
		zap.String("file", w.path),
		zap.Error(err),
		zap.String("keep_version", kept.Version()))
	if w.onReload != nil {
		w.onReload(ReloadFailure, kept)
	}
	return err
}

// logWarnings logs each compile warning.
func (w *Watcher) logWarnings(warns []Warning) {
	for _, wn := range warns {
		w.log.Warn("policy warning", zap.String("file", wn.File), zap.Int("line", wn.Line), zap.String("rule", wn.Rule), zap.String("warning", wn.Message))
	}
}
