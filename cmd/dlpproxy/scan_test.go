package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// writeZip writes an archive of named members to dir and returns its path;
// a member whose name starts with "secret" is flagged encrypted.
func writeZip(t *testing.T, dir, name string, members map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(members)) {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate}
		if strings.HasPrefix(n, "secret") {
			h.Flags |= 1
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip header: %v", err)
		}
		if _, err := f.Write(members[n]); err != nil {
			t.Fatalf("zip write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("zip close: %v", err)
	}
	return writeIn(t, dir, name, buf.Bytes())
}

// writeIn writes data to dir/name and returns the path.
func writeIn(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	writeFile(t, p, data)
	return p
}

// decodeResults reads the objects scan --json printed.
func decodeResults(t *testing.T, r io.Reader) []scanResult {
	t.Helper()
	var out []scanResult
	dec := json.NewDecoder(r)
	for dec.More() {
		var res scanResult
		if err := dec.Decode(&res); err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, res)
	}
	return out
}

// mobileList is a CSV of n distinct mobiles under a labelled header.
func mobileList(n int) []byte {
	var b bytes.Buffer
	b.WriteString("姓名,手机号\n")
	for _, r := range corpus.Records(3, n) {
		b.WriteString(r.Name + "," + r.Mobile + "\n")
	}
	return b.Bytes()
}

// TestScanUninspectable: a partly encrypted archive, or one with no
// decoder, reports the counts of what could be read and the reasons for
// the rest; the policy's
// uninspectable setting decides whether it would be blocked.
func TestScanUninspectable(t *testing.T) {
	dir := t.TempDir()
	list := mobileList(5)
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"open.csv": list, "secret.csv": list})
	plain := writeZip(t, dir, "plain.zip", map[string][]byte{"open.csv": list})
	// An xz block whose filters have no decoder here (x86 BCJ, then
	// LZMA2: xz --x86 --lzma2, which xz writes for executables) is
	// unsupported_encoding, and what follows its header is read as the
	// bytes it is: here the list.
	bcj := writeIn(t, dir, "list.xz", append([]byte("\xfd\x37\x7a\x58\x5a\x00\x00\x00\xff\x12\xd9\x41"+
		"\x02\x01\x04\x00\x21\x01\x16\x00\x0d\x86\x35\x1f"), list...))
	failClosed := writeIn(t, dir, "closed.yaml", []byte("version: t1\nsettings:\n  uninspectable: block\nrules: []\n"))
	override := writeIn(t, dir, "override.yaml", []byte("version: t2\nsettings:\n  uninspectable: block\n  uninspectable_overrides:\n    encrypted: allow\nrules: []\n"))
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantReason []string
		wantAction string
		wantBy     string // verdict.uninspectable
	}{
		{name: "encrypted, no policy", give: []string{encrypted}, wantCode: exitOK, wantReason: []string{"encrypted"}, wantAction: "allow"},
		{name: "encrypted, fail closed", give: []string{"--policy", failClosed, encrypted}, wantCode: exitBlocked, wantReason: []string{"encrypted"}, wantAction: "block", wantBy: "encrypted"},
		{name: "encrypted, overridden", give: []string{"--policy", override, encrypted}, wantCode: exitOK, wantReason: []string{"encrypted"}, wantAction: "allow"},
		{name: "readable, fail closed", give: []string{"--policy", failClosed, plain}, wantCode: exitOK, wantAction: "allow"},
		{name: "xz filter, no policy", give: []string{bcj}, wantCode: exitOK, wantReason: []string{"unsupported_encoding"}, wantAction: "allow"},
		{name: "xz filter, fail closed", give: []string{"--policy", failClosed, bcj}, wantCode: exitBlocked, wantReason: []string{"unsupported_encoding"}, wantAction: "block", wantBy: "unsupported_encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runScan(append([]string{"--json"}, tt.give...), nil, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			var res scanResult
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("decode %q: %v", stdout.String(), err)
			}
			if res.Error != "" || res.Counts["cn_mobile"] != 5 {
				t.Errorf("error %q, counts %v; want no error and the open member's 5 mobiles", res.Error, res.Counts)
			}
			if !slices.Equal(res.Uninspectable, tt.wantReason) {
				t.Errorf("uninspectable %v, want %v", res.Uninspectable, tt.wantReason)
			}
			if res.Verdict.Action != tt.wantAction || res.Verdict.Uninspectable != tt.wantBy {
				t.Errorf("verdict %+v, want action %s by uninspectable %q", *res.Verdict, tt.wantAction, tt.wantBy)
			}
			if strings.Contains(stdout.String()+stderr.String(), corpus.Records(3, 1)[0].Mobile) {
				t.Error("output holds a raw mobile number")
			}
		})
	}
}

// TestScanUninspectableTable: the table names the uninspectable parts and
// the reason behind a block.
func TestScanUninspectableTable(t *testing.T) {
	dir := t.TempDir()
	list := mobileList(5)
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"open.csv": list, "secret.csv": list})
	failClosed := writeIn(t, dir, "closed.yaml", []byte("version: t1\nsettings:\n  uninspectable: block\nrules: []\n"))
	var stdout, stderr bytes.Buffer
	if code := runScan([]string{"--policy", failClosed, encrypted}, nil, &stdout, &stderr); code != exitBlocked {
		t.Errorf("exit %d, want %d; stderr %q", code, exitBlocked, stderr.String())
	}
	for _, want := range []string{"uninspectable parts: encrypted", "cn_mobile", "verdict: BLOCK: uninspectable (encrypted) (policy t1)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestScanJobs: inputs scanned several at a time report exactly what one
// at a time reports, in the order named (a large input first, small ones
// and a missing one after it), with the same exit status.
func TestScanJobs(t *testing.T) {
	dir := t.TempDir()
	large := writeIn(t, dir, "large.csv", corpus.PIDenseCSV(5, 4<<20).Data)
	var names []string
	for n := range 6 {
		names = append(names, writeIn(t, dir, fmt.Sprintf("list%d.csv", n), mobileList(10*n+1)))
	}
	args := append([]string{large, filepath.Join(dir, "missing.csv")}, names...)
	run := func(jobs int) (string, string, int) {
		var stdout, stderr bytes.Buffer
		code := runScan(append([]string{"--json", "--jobs", strconv.Itoa(jobs)}, args...), nil, &stdout, &stderr)
		return stdout.String(), stderr.String(), code
	}
	wantOut, wantErr, wantCode := run(1)
	if wantCode != exitError || !strings.Contains(wantErr, "missing.csv") {
		t.Fatalf("one at a time: exit %d, stderr %q; want exit %d naming missing.csv", wantCode, wantErr, exitError)
	}
	var sources []string
	for _, res := range decodeResults(t, strings.NewReader(wantOut)) {
		sources = append(sources, res.Source)
	}
	if !slices.Equal(sources, args) {
		t.Fatalf("sources %v, want %v", sources, args)
	}
	for _, jobs := range []int{2, 3, 8} {
		if out, errOut, code := run(jobs); out != wantOut || errOut != wantErr || code != wantCode {
			t.Errorf("--jobs %d: exit %d, output differs from --jobs 1: %v, stderr %q", jobs, code, out != wantOut, errOut)
		}
	}
}

// TestScanAllStopsEarly: when the reader of the results stops, the scans
// under way finish, no more start, and nothing is left running; the inputs
// are taken as needed, so an endless sequence of them is no problem.
func TestScanAllStopsEarly(t *testing.T) {
	for _, jobs := range []int{1, 2, 4} {
		var taken, started atomic.Int32
		endless := func(yield func(input) bool) {
			for taken.Add(1); yield(input{}); taken.Add(1) {
			}
		}
		for range scanAll(endless, jobs, func(input) scanResult {
			started.Add(1)
			return scanResult{}
		}) {
			break
		}
		if n := started.Load(); n > int32(2*jobs) {
			t.Errorf("--jobs %d: %d scans started after the reader stopped at the first; want at most %d", jobs, n, 2*jobs)
		}
		if n := taken.Load(); n > int32(2*jobs+1) {
			t.Errorf("--jobs %d: %d inputs taken; want at most %d", jobs, n, 2*jobs+1)
		}
	}
}

// TestExpandInputsStops: a walk stops where its reader stops (WalkDir is
// told to skip the rest, or the range over it panics).
func TestExpandInputsStops(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv", "c.csv"} {
		writeIn(t, dir, name, nil)
	}
	var got []string
	for in := range expandInputs([]string{dir, dir}) {
		got = append(got, filepath.Base(in.name))
		if len(got) == 2 {
			break
		}
	}
	if want := []string{"a.csv", "b.csv"}; !slices.Equal(got, want) {
		t.Errorf("inputs %v, want %v", got, want)
	}
}

// TestScanUsageErrors: a bad --jobs and standard input named twice are
// usage errors that say why.
func TestScanUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		give []string
		want string
	}{
		{[]string{"--jobs", "0", "x.csv"}, "--jobs must be between 1 and 1024"},
		{[]string{"--jobs", "1025", "x.csv"}, "--jobs must be between 1 and 1024"},
		{[]string{"--jobs", "4611686018427387904", "x.csv"}, "--jobs must be between 1 and 1024"},
		{[]string{"-", "x.csv", "-"}, "standard input ('-') can be read only once"},
	} {
		var stdout, stderr bytes.Buffer
		if code := runScan(tt.give, strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.give, code, stderr.String(), exitUsage, tt.want)
		}
	}
}

// TestScanDirectory: a directory stands for the regular files under it, in
// lexical order, with what is named beside it before and after; links and
// special files under it are passed over; the counts are the files' own.
func TestScanDirectory(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "exports")
	for _, sub := range []string{"b", "a/deep", "empty"} {
		if err := os.MkdirAll(filepath.Join(tree, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]int{"b/list.csv": 3, "a/deep/list.csv": 5, "a/z.csv": 7, "top.csv": 11}
	for name, n := range files {
		writeFile(t, filepath.Join(tree, name), mobileList(n))
	}
	outside := writeIn(t, dir, "outside.csv", mobileList(13))
	if err := os.Symlink(outside, filepath.Join(tree, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(tree, "b", "loop")); err != nil {
		t.Fatal(err)
	}
	makeFIFO(t, filepath.Join(tree, "a", "pipe"))

	link := filepath.Join(dir, "exports-link")
	if err := os.Symlink(tree, link); err != nil {
		t.Fatal(err)
	}
	inTree := []string{"a/deep/list.csv=5", "a/z.csv=7", "b/list.csv=3", "top.csv=11"}
	for _, tt := range []struct {
		name string
		give []string
		root string // the directory named, to which sources are relative
		want []string
	}{
		{"between files", []string{outside, tree, outside}, tree, slices.Concat([]string{"outside.csv=13"}, inTree, []string{"outside.csv=13"})},
		{"through a link", []string{link}, link, inTree},
		{"named twice, a file in it too", []string{tree, filepath.Join(tree, "top.csv"), tree}, tree, slices.Concat(inTree, []string{"top.csv=11"}, inTree)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runScan(append([]string{"--json"}, tt.give...), nil, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			var got []string
			for _, res := range decodeResults(t, &stdout) {
				rel, err := filepath.Rel(tt.root, res.Source)
				if err != nil || strings.HasPrefix(rel, "..") {
					rel = filepath.Base(res.Source)
				}
				got = append(got, fmt.Sprintf("%s=%d", filepath.ToSlash(rel), res.Counts["cn_mobile"]))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("results %v, want %v", got, tt.want)
			}
		})
	}
}

// TestScanSummary: the table form of several inputs ends with a line that
// counts them: with personal information, would be blocked, unreadable.
func TestScanSummary(t *testing.T) {
	dir := t.TempDir()
	args := []string{
		writeIn(t, dir, "bulk.csv", corpus.PIDenseCSV(9, 64<<10).Data),
		writeIn(t, dir, "few.csv", mobileList(2)),
		writeIn(t, dir, "clean.txt", []byte("nothing to see here, order 2024-11-27 total 1299.00\n")),
		filepath.Join(dir, "missing.csv"),
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		give []string
		want string // the last line; "" for none
	}{
		{args, "4 inputs (%s): 2 with personal information, 1 would be blocked, 1 could not be read"},
		{args[1:3], "2 inputs (%s): 1 with personal information, 0 would be blocked"},
		{args[:1], ""},
		{[]string{empty}, "0 inputs (%s): 0 with personal information, 0 would be blocked"},
	} {
		var stdout, stderr bytes.Buffer
		runScan(tt.give, nil, &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		last := lines[len(lines)-1]
		if tt.want == "" {
			if strings.Contains(last, "inputs (") {
				t.Errorf("%d input: summary %q, want none", len(tt.give), last)
			}
			continue
		}
		size := last[strings.Index(last, "(")+1 : max(strings.Index(last, ")"), 0)]
		if want := fmt.Sprintf(tt.want, size); last != want {
			t.Errorf("%d inputs: last line %q, want %q", len(tt.give), last, want)
		}
	}
}

// TestOpenInput: a file named is opened as named, even through a link; one
// found in a directory only while it is still a regular file: a link or a
// pipe in its place is refused at once, never opened (opening a pipe with
// no writer would wait for ever).
func TestOpenInput(t *testing.T) {
	dir := t.TempDir()
	file := writeIn(t, dir, "list.csv", mobileList(1))
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "pipe")
	makeFIFO(t, pipe)
	tests := []struct {
		name    string
		give    input
		wantErr error
	}{
		{name: "named file", give: input{name: file}},
		{name: "named link", give: input{name: link}},
		{name: "found file", give: input{name: file, found: true}},
		{name: "found link", give: input{name: link, found: true}, wantErr: errChanged},
		{name: "found pipe", give: input{name: pipe, found: true}, wantErr: errChanged},
		{name: "found, gone", give: input{name: filepath.Join(dir, "gone.csv"), found: true}, wantErr: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.give.name == pipe && runtime.GOOS != "linux" {
				t.Skip("named pipes are made on Linux only")
			}
			done := make(chan error, 1)
			go func() {
				f, err := openInput(tt.give)
				if err == nil {
					err = f.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("openInput still waiting after 5 s")
			}
		})
	}
}

// TestScanExitStatus: the exit status of every mix of results, with and
// without --policy: an unreadable input (1) outranks a block (3), which
// only --policy turns into an exit status.
func TestScanExitStatus(t *testing.T) {
	dir := t.TempDir()
	list := mobileList(5)
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"open.csv": list, "secret.csv": list})
	plain := writeIn(t, dir, "plain.csv", list)
	missing := filepath.Join(dir, "missing.csv")
	failClosed := writeIn(t, dir, "closed.yaml", []byte("version: t1\nsettings:\n  uninspectable: block\nrules: []\n"))
	for _, tt := range []struct {
		name string
		give []string
		want int
	}{
		{"clean, no policy", []string{plain}, exitOK},
		{"clean, policy", []string{"--policy", failClosed, plain}, exitOK},
		{"block, no policy", []string{encrypted, plain}, exitOK},
		{"block, policy", []string{"--policy", failClosed, plain, encrypted}, exitBlocked},
		{"unreadable, no policy", []string{plain, missing}, exitError},
		{"unreadable and block, policy", []string{"--policy", failClosed, encrypted, missing}, exitError},
		{"unreadable and block, policy, json", []string{"--json", "--policy", failClosed, missing, encrypted}, exitError},
		{"policy unreadable", []string{"--policy", missing, plain}, exitError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runScan(tt.give, nil, &stdout, &stderr); code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.want, stderr.String())
			}
		})
	}
}

// TestScanFoundOnly: --found-only reports the inputs with findings, an
// uninspectable part or an error, in order, and the summary still counts
// every input.
func TestScanFoundOnly(t *testing.T) {
	dir := t.TempDir()
	clean := writeIn(t, dir, "clean.txt", []byte("order 2024-11-27 total 1299.00\n"))
	few := writeIn(t, dir, "few.csv", mobileList(2))
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"secret.csv": []byte("x")})
	missing := filepath.Join(dir, "missing.csv")
	args := []string{clean, few, clean, encrypted, missing, clean}
	for _, tt := range []struct {
		name string
		give []string
		want []string // the sources reported
	}{
		{"json", []string{"--json", "--found-only"}, []string{few, encrypted, missing}},
		{"json, all", []string{"--json"}, args},
		{"table", []string{"--found-only"}, []string{few, encrypted}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			runScan(append(tt.give, args...), nil, &stdout, &stderr)
			var got []string
			if strings.Contains(tt.name, "json") {
				for _, res := range decodeResults(t, &stdout) {
					got = append(got, res.Source)
				}
			} else {
				for line := range strings.Lines(stdout.String()) {
					if name, _, ok := strings.Cut(line, " ("); ok && strings.HasPrefix(name, dir) {
						got = append(got, name)
					}
				}
				if !strings.Contains(stdout.String(), "6 inputs (") {
					t.Errorf("no summary of all 6 inputs in %q", stdout.String())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("reported %v, want %v", got, tt.want)
			}
		})
	}
}

// TestScanWindowRule: a window rule counts the input as the first message
// of an empty window, so one input alone crossing its threshold matches;
// below it the rule does not.
func TestScanWindowRule(t *testing.T) {
	dir := t.TempDir()
	pol := writeIn(t, dir, "drip.yaml", []byte("version: drip\nrules:\n"+
		"  - name: drip-mobiles\n    direction: request\n    window: {key: [client], duration: 1h}\n"+
		"    when: {any: {cn_mobile: 10}}\n    action: block\n"))
	for _, tt := range []struct {
		rows       int
		wantCode   int
		wantAction string
	}{
		{rows: 10, wantCode: exitBlocked, wantAction: "block"},
		{rows: 9, wantCode: exitOK, wantAction: "allow"},
	} {
		list := writeIn(t, dir, fmt.Sprintf("list%d.csv", tt.rows), mobileList(tt.rows))
		var stdout, stderr bytes.Buffer
		code := runScan([]string{"--json", "--policy", pol, list}, nil, &stdout, &stderr)
		var res scanResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("decode %q: %v (stderr %q)", stdout.String(), err, stderr.String())
		}
		if code != tt.wantCode || res.Verdict.Action != tt.wantAction || tt.wantAction == "block" && res.Verdict.Rule != "drip-mobiles" {
			t.Errorf("%d mobiles: exit %d, verdict %+v; want exit %d, %s", tt.rows, code, *res.Verdict, tt.wantCode, tt.wantAction)
		}
	}
}

// TestScanUnreadableSubdirectory: a subdirectory that cannot be read is
// reported, naming it and the reason, with exit 1, and the walk goes on to
// the files after it. Root reads everything, so as root the built binary
// runs as nobody.
func TestScanUnreadableSubdirectory(t *testing.T) {
	dir, err := os.MkdirTemp("", "dlpproxy-scanperm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(filepath.Join(dir, "b-locked"), 0o755)
		_ = os.RemoveAll(dir)
	})
	for _, sub := range []string{"a", "b-locked", "c"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, sub, "list.csv"), mobileList(3))
	}
	for _, p := range []string{dir, filepath.Join(dir, "a"), filepath.Join(dir, "c")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "b-locked"), 0); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runUnprivileged(t, "scan", "--json", dir)
	var got []string
	for _, res := range decodeResults(t, stdout) {
		rel, _ := filepath.Rel(dir, res.Source)
		got = append(got, fmt.Sprintf("%s:%d:%s", filepath.ToSlash(rel), res.Counts["cn_mobile"], res.Error))
	}
	want := []string{"a/list.csv:3:", "b-locked:0:permission denied", "c/list.csv:3:"}
	if code != exitError || !slices.Equal(got, want) || !strings.Contains(stderr.String(), "b-locked: permission denied") {
		t.Errorf("exit %d, results %v, stderr %q; want exit %d, %v and the locked directory named", code, got, stderr.String(), exitError, want)
	}
}

// runUnprivileged runs the built binary with args and returns its exit
// status and output. Root may read everything, so as root it runs as the
// unprivileged user nobody, for permissions to apply.
func runUnprivileged(t *testing.T, args ...string) (code int, stdout, stderr *bytes.Buffer) {
	t.Helper()
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	dieWithTest(cmd)
	if os.Geteuid() == 0 {
		if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if !asNobody(cmd) {
			t.Skip("running as root and cannot run a command as another user on this system")
		}
	}
	var exit *exec.ExitError
	if err := cmd.Run(); errors.As(err, &exit) {
		return exit.ExitCode(), stdout, stderr
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout, stderr
}

// TestOpenError: the reason an input could not be opened, without the path
// (printed before it).
func TestOpenError(t *testing.T) {
	for _, tt := range []struct {
		give error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/x/y.csv", Err: fs.ErrNotExist}, "no such file"},
		{&fs.PathError{Op: "open", Path: "/x/y.csv", Err: fs.ErrPermission}, "permission denied"},
		{&fs.PathError{Op: "open", Path: "/x/y.csv", Err: syscall.EMFILE}, "open: too many open files"},
		{&fs.PathError{Op: "readdirent", Path: "/x", Err: syscall.EIO}, "readdirent: input/output error"},
		{errChanged, errChanged.Error()},
	} {
		if got := openError(tt.give); got != tt.want {
			t.Errorf("openError(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
