package accesslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
)

func TestNewIDSortsByTime(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	tests := []struct {
		name   string
		give   [2]time.Time
		wantLT bool
	}{
		{name: "later millisecond sorts after", give: [2]time.Time{t0, t0.Add(time.Millisecond)}, wantLT: true},
		{name: "later second sorts after", give: [2]time.Time{t0, t0.Add(time.Hour)}, wantLT: true},
	}
	for _, tt := range tests {
		a, b := NewID(tt.give[0]), NewID(tt.give[1])
		if len(a) != 32 || (a < b) != tt.wantLT {
			t.Errorf("%s: %s vs %s", tt.name, a, b)
		}
	}
	if first, second := NewID(t0), NewID(t0); first == second {
		t.Error("two ids in the same millisecond are equal")
	}
}

func TestRecords(t *testing.T) {
	var buf bytes.Buffer
	l, sink, err := New(Options{Stderr: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log := Log{Logger: l}
	log.Access(&Access{Client: "10.0.0.1", Method: "POST", Host: "h:443", Path: "/p", Status: 403, Outcome: "blocked"})
	log.Incident(&Incident{ID: "x", Rule: "r", Action: "block", Findings: []Finding{{Detector: "cn_mobile", Count: 2, Samples: []string{"138****5678"}}}})
	if err := errors.Join(sink.Reopen(), sink.Close()); err != nil {
		t.Errorf("Reopen, Close on stderr: %v", err)
	}
	out := buf.String()
	for _, want := range []string{`"msg":"access"`, `"status":403`, `"msg":"incident"`, `"level":"warn"`, `"counts":{"cn_mobile":2}`, `"samples":{"cn_mobile":["138****5678"]}`} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %s:\n%s", want, out)
		}
	}
	if _, _, err := New(Options{Level: "loud"}); err == nil {
		t.Error("bad level accepted")
	}
}

// TestSinkReopen: after the log file is moved away (logrotate's default),
// Reopen sends new lines to a new file under the same path, and the moved
// file keeps the lines before; a failed reopen keeps the old file in use.
func TestSinkReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dlpproxy.log")
	l, sink, err := New(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Info("after the move")
	if err := sink.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Info("after reopen")
	if err := os.Rename(dir, dir+"-gone"); err != nil { // the path cannot be opened again
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Rename(dir+"-gone", dir) })
	if err := sink.Reopen(); err == nil || !strings.Contains(err.Error(), "reopen log file") {
		t.Errorf("Reopen of a path in a vanished directory: %v", err)
	}
	l.Info("after a failed reopen")
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir+"-gone", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rotated, current := read("dlpproxy.log.1"), read("dlpproxy.log")
	if !strings.Contains(rotated, "before") || !strings.Contains(rotated, "after the move") || strings.Contains(rotated, "reopen") {
		t.Errorf("rotated file:\n%s", rotated)
	}
	if !strings.Contains(current, "after reopen") || !strings.Contains(current, "after a failed reopen") || strings.Contains(current, "before") {
		t.Errorf("current file:\n%s", current)
	}
	if st, err := os.Stat(filepath.Join(dir+"-gone", "dlpproxy.log")); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("new log file: %v, mode %v; want 0640", err, st.Mode())
	}
}

// TestSinkReopenAfterClose: a SIGHUP that races the end of serve must not
// open the log file again once the sink is closed (the file would stay
// open, and lines written after Close would go on silently).
func TestSinkReopenAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dlpproxy.log")
	l, sink, err := New(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("before close")
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := sink.Reopen(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Reopen after Close: %v, want os.ErrClosed", err)
	}
	if _, err := sink.Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v, want os.ErrClosed", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Reopen after Close created the log file again: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSinkReopenUnderLoad: lines written while the file is rotated again
// and again all land, whole and once, in one of the files.
func TestSinkReopenUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dlpproxy.log")
	l, sink, err := New(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	const writers, lines, rotations = 4, 500, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				l.Info("line", zap.Int("w", w), zap.Int("i", i))
			}
		})
	}
	for r := range rotations {
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, r)); err != nil {
			t.Fatal(err)
		}
		if err := sink.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	files, _ := filepath.Glob(path + "*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			var rec struct{ W, I *int }
			if line == "" {
				continue
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.W == nil || rec.I == nil {
				t.Fatalf("%s: broken line %q: %v", name, line, err)
			}
			seen[fmt.Sprint(*rec.W, " ", *rec.I)]++
		}
	}
	if len(seen) != writers*lines {
		t.Errorf("%d distinct lines in %d files, want %d", len(seen), len(files), writers*lines)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("line %s written %d times", k, n)
		}
	}
}

func TestMaskFileName(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{give: "张三客户.xlsx", want: "张***.xlsx"},
		{give: "customers.csv", want: "c********.csv"},
		{give: `C:\Users\李四\名单.zip`, want: "名*.zip"},
		{give: "../../etc/passwd", want: "p*****"},
		{give: "noext", want: "n****"},
		{give: ".bashrc", want: ".******"},
		{give: "a.tar.gz", want: "a****.gz"},
		{give: "王五.身份证", want: "王*****"},
		{give: "x.verylongextension", want: "x******************"},
		{give: "", want: ""},
		{give: "\x00abc.txt", want: "****.txt"},
	}
	for _, tt := range tests {
		if got := MaskFileName(tt.give); got != tt.want {
			t.Errorf("MaskFileName(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func FuzzMaskFileName(f *testing.F) {
	for _, s := range []string{"张三客户.xlsx", "a.b.c", `\\x\y.z`, "", "\xff\xfe.csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := MaskFileName(name)
		if utf8.RuneCountInString(got) > utf8.RuneCountInString(name) {
			t.Fatalf("MaskFileName(%q) = %q is longer", name, got)
		}
		stem := got
		if i := strings.LastIndexByte(got, '.'); i > 0 {
			stem = got[:i] // the kept extension
		}
		if kept := utf8.RuneCountInString(strings.ReplaceAll(stem, "*", "")); kept > 1 {
			t.Fatalf("MaskFileName(%q) = %q keeps %d characters", name, got, kept)
		}
	})
}
