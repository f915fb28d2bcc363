package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// scanResult is what scan reports for one input; it is also the --json form.
type scanResult struct {
	Source  string              `json:"source"`
	Bytes   int64               `json:"bytes"`
	Counts  map[string]int      `json:"counts"`
	Samples map[string][]string `json:"samples,omitempty"`
	// Uninspectable lists why parts of the input could not be inspected
	// (policy reason ids: encrypted, over_limit, decode_error,
	// unsupported_encoding); Counts cover the rest.
	Uninspectable []string     `json:"uninspectable,omitempty"`
	Verdict       *scanVerdict `json:"verdict,omitempty"`
	Error         string       `json:"error,omitempty"`
}

// nothingFound reports whether res is of a clean input: read whole, no
// personal information, allowed.
func (res *scanResult) nothingFound() bool {
	return res.Error == "" && len(res.Counts) == 0 && len(res.Uninspectable) == 0 &&
		res.Verdict.Action != policy.Block.String()
}

// scanVerdict is what the policy would do with an input sent as a request
// body to the scan's --host.
type scanVerdict struct {
	Action string   `json:"action"`         // allow, log or block
	Rule   string   `json:"rule,omitempty"` // the rule that set Action
	Logs   []string `json:"logs,omitempty"` // every matching log rule
	// Uninspectable is the reason whose uninspectable setting set Action,
	// when it is more severe than the rules' decision.
	Uninspectable string `json:"uninspectable,omitempty"`
	Policy        string `json:"policy"` // policy version
}

// maxJobs bounds --jobs: each job holds an open file and a scanner, and
// the scans run up to 2*jobs inputs ahead of the output.
const maxJobs = 1024

// runScan implements `dlpproxy scan [--json] FILE|DIR... | -`.
func runScan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per input instead of a table")
	policyFile := fs.String("policy", "", "policy file for the verdict and exit status (default: the embedded default policy, verdict only)")
	host := fs.String("host", "upload.example.com", "destination host the verdict assumes (policy scopes match on it)")
	method := fs.String("method", "POST", "request method the verdict assumes")
	contentType := fs.String("content-type", "", "Content-Type the verdict assumes (empty: none, which matches only rules without content_types or with '*')")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "inputs scanned at once (each on one core; results print in argument order)")
	foundOnly := fs.Bool("found-only", false, "report only inputs with personal information, uninspectable parts, a block or an error (the summary still counts all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dlpproxy scan [--json] [--policy FILE] [--jobs N] [--found-only] FILE|DIR... | -")
		fmt.Fprintln(stderr, "Inspects files (or standard input, '-') with the proxy's engine and reports")
		fmt.Fprintln(stderr, "distinct values per detector with masked samples and the policy's verdict on")
		fmt.Fprintln(stderr, "the input sent as a request body. A directory stands for the regular files")
		fmt.Fprintln(stderr, "under it, in lexical order (links and special files under it are passed")
		fmt.Fprintln(stderr, "over); --jobs inputs are scanned at once, and reported in order.")
		fmt.Fprintln(stderr, "Parts that cannot be inspected (encrypted or over-limit archive members,")
		fmt.Fprintln(stderr, "corrupt containers) are listed under \"uninspectable\" with their reason;")
		fmt.Fprintln(stderr, "the counts cover the rest. The policy's uninspectable setting (and its")
		fmt.Fprintln(stderr, "per-reason overrides) applies: where it says block, the verdict is block.")
		fmt.Fprintln(stderr, "Exit status: 0 scanned (and, with --policy, nothing would be blocked);")
		fmt.Fprintln(stderr, "1 an input or the policy could not be read (even if another input would be")
		fmt.Fprintln(stderr, "blocked: the summary line counts both); 2 usage error; 3 --policy was given,")
		fmt.Fprintln(stderr, "every input was read and at least one would be blocked.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if first := slices.Index(fs.Args(), "-"); first >= 0 && slices.Contains(fs.Args()[first+1:], "-") {
		fmt.Fprintln(stderr, "dlpproxy scan: standard input ('-') can be read only once")
		return exitUsage
	}
	if *jobs < 1 || *jobs > maxJobs {
		fmt.Fprintf(stderr, "dlpproxy scan: --jobs must be between 1 and %d\n", maxJobs)
		return exitUsage
	}
	snap := policy.Default()
	if *policyFile != "" {
		var warnings []policy.Warning
		var err error
		snap, warnings, err = policy.Load(*policyFile)
		for _, w := range warnings {
			fmt.Fprintf(stderr, "dlpproxy scan: warning: %s\n", w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "dlpproxy scan: %v\n", err)
			return exitError
		}
	}
	cfg := inspect.Config{}
	if snap.HasAllowValues() {
		cfg.Allow = snap.AllowValue
	}
	engine, err := inspect.NewEngine(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "dlpproxy scan: %v\n", err)
		return exitError
	}
	scope := snap.Scope(policy.Message{Direction: policy.Request, Host: *host, Method: *method, ContentType: *contentType})
	code := exitOK
	var sum scanSummary
	enc := json.NewEncoder(stdout)
	sc := &sourceScanner{engine: engine, snap: snap, scope: scope, stdin: stdin, bufs: newReadAheadPool()}
	for res := range scanAll(expandInputs(fs.Args()), *jobs, func(in input) scanResult {
		if in.err != nil {
			return scanResult{Source: in.name, Counts: map[string]int{}, Error: openError(in.err)}
		}
		return sc.scan(in)
	}) {
		sum.add(res)
		if res.Error != "" {
			fmt.Fprintf(stderr, "dlpproxy scan: %s: %s\n", res.Source, res.Error)
			code = exitError
		}
		if *foundOnly && res.nothingFound() {
			continue
		}
		if *asJSON {
			if err := enc.Encode(res); err != nil {
				fmt.Fprintf(stderr, "dlpproxy scan: write output: %v\n", err)
				return exitError
			}
			continue
		}
		if res.Error == "" {
			printTable(stdout, res)
		}
	}
	if !*asJSON && sum.inputs != 1 {
		sum.print(stdout)
	}
	if code == exitOK && sum.blocked > 0 && *policyFile != "" {
		code = exitBlocked
	}
	return code
}

// scanSummary counts the results of a scan of several inputs.
type scanSummary struct {
	inputs, found, blocked, failed int
	bytes                          int64
}

// add counts one result.
func (s *scanSummary) add(res scanResult) {
	s.inputs++
	s.bytes += res.Bytes
	switch {
	case res.Error != "":
		s.failed++
		return
	case res.Verdict.Action == policy.Block.String():
		s.blocked++
	}
	if len(res.Counts) > 0 {
		s.found++
	}
}

// print writes the summary line under the tables of several inputs (or of
// none: a directory with no regular file under it).
func (s *scanSummary) print(w io.Writer) {
	fmt.Fprintf(w, "%d inputs (%s): %d with personal information, %d would be blocked", s.inputs, humanBytes(s.bytes), s.found, s.blocked)
	if s.failed > 0 {
		fmt.Fprintf(w, ", %d could not be read", s.failed)
	}
	fmt.Fprintln(w)
}

// input is one source scan reports on: a file or '-' named, a file found
// in a directory named, or a part of a directory that could not be read.
type input struct {
	name  string
	err   error // why the directory at name could not be read
	found bool  // found in a directory: opened only if still a regular file
}

// expandInputs yields the inputs of the arguments: a directory stands for
// the regular files under it, in lexical order, as grep -r reads them;
// symbolic links and special files (devices, pipes, sockets) under it are
// passed over, so a walk never leaves the tree or waits on a pipe. A
// directory named through a link is walked, as grep -r does. Any other
// argument is an input as named. The walk goes on as the inputs are taken,
// so memory holds the listings of the directories on the current path, not
// the tree.
func expandInputs(args []string) iter.Seq[input] {
	return func(yield func(input) bool) {
		for _, arg := range args {
			if !walkInputs(arg, yield) {
				return
			}
		}
	}
}

// walkInputs yields the inputs of one argument and reports whether the
// consumer wants more.
func walkInputs(arg string, yield func(input) bool) bool {
	if st, err := os.Stat(arg); arg == "-" || err != nil || !st.IsDir() {
		return yield(input{name: arg})
	}
	root := arg
	if st, err := os.Lstat(arg); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not follow a root that is a link; with a trailing
		// separator the root is the directory it points to.
		root += string(filepath.Separator)
	}
	more := true
	// WalkDir reports a directory it cannot read with its error, after
	// the directory itself; the walk goes on.
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			more = yield(input{name: path, err: err})
		case d.Type().IsRegular():
			more = yield(input{name: path, found: true})
		}
		if !more {
			return filepath.SkipAll
		}
		return nil
	})
	return more
}

// scanAll scans the inputs, up to jobs at a time, and yields their results
// in order, each as soon as it and those before it are done. The inputs
// are taken as they are needed and the scans run at most 2*jobs inputs
// ahead of the results yielded, so memory is bounded by jobs, not by the
// number of inputs; stopping early (a failed write) lets the scans under
// way finish and starts no more.
func scanAll(ins iter.Seq[input], jobs int, scan func(input) scanResult) iter.Seq[scanResult] {
	type job struct {
		in  input
		out chan scanResult
	}
	return func(yield func(scanResult) bool) {
		next := make(chan job)
		// The results to come, in input order; with the one being waited
		// for or yielded, 2*jobs at most.
		pending := make(chan chan scanResult, 2*jobs-1)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range jobs {
			wg.Go(func() {
				for j := range next {
					j.out <- scan(j.in)
				}
			})
		}
		go func() {
			defer close(next)
			defer close(pending)
			for in := range ins {
				j := job{in: in, out: make(chan scanResult, 1)}
				select {
				case pending <- j.out:
				case <-stop:
					return
				}
				select {
				case next <- j:
				case <-stop:
					return
				}
			}
		}()
		defer wg.Wait()
		defer close(stop)
		for out := range pending {
			if !yield(<-out) {
				return
			}
		}
	}
}

// sourceScanner scans inputs with one engine and policy; its scan method
// is safe for concurrent use.
type sourceScanner struct {
	engine *inspect.Engine
	snap   *policy.Snapshot
	scope  *policy.Scope
	stdin  io.Reader
	bufs   *sync.Pool // copyReadAhead's buffers, shared by the scans
}

// scan streams one input through the extractor into a scanner; memory
// stays bounded (archives are held up to extract.DefaultHold). An input
// that could only partly be inspected (encrypted or over-limit archive
// members, corrupt containers) lists its reasons in Uninspectable, with
// the counts of what was inspected; the verdict applies the policy's
// uninspectable setting to them.
func (sc *sourceScanner) scan(in input) scanResult {
	res := scanResult{Source: in.name, Counts: map[string]int{}}
	var r io.Reader = sc.stdin
	if in.name == "-" {
		res.Source = "<stdin>"
	} else {
		f, err := openInput(in)
		if err != nil {
			res.Error = openError(err)
			return res
		}
		defer f.Close()
		r = f
	}
	s := sc.engine.NewScanner()
	defer s.Release()
	// The extractor sniffs the type from the content: multipart, zip and
	// Office files, OLE, base64 runs, GBK and UTF-16 text.
	x := extract.New(s, "", extract.Limits{})
	defer x.Stop()
	n, err := copyReadAhead(x, r, sc.bufs)
	if err != nil {
		res.Error = fmt.Sprintf("read: %v", err)
		return res
	}
	if err := x.Close(); err != nil {
		res.Error = err.Error()
		return res
	}
	res.Uninspectable = x.Reasons()
	t := s.Tally()
	res.Bytes = n // the input's size, not the extracted text's
	for _, d := range inspect.AllDetectors() {
		if t.Counts[d] == 0 {
			continue
		}
		res.Counts[d.String()] = t.Counts[d]
		if res.Samples == nil {
			res.Samples = map[string][]string{}
		}
		res.Samples[d.String()] = t.Samples(d)
	}
	res.Verdict = verdict(sc.snap, sc.scope, t, res.Uninspectable)
	return res
}

// errChanged says a file found in a directory was replaced by something
// other than a regular file (a link, pipe or device) before it was opened.
var errChanged = errors.New("no longer a regular file (changed since the directory was read)")

// openInput opens an input. A file named is opened as named (a pipe such
// as bash's <(...) too); one found in a directory only if it is still the
// regular file the walk listed: it is opened without blocking (a pipe put
// in its place cannot stall the scan) and checked after the open (a link
// or special file put in its place is refused, so the scan never leaves
// the tree).
func openInput(in input) (*os.File, error) {
	if !in.found {
		return os.Open(in.name)
	}
	before, err := os.Lstat(in.name)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, errChanged
	}
	f, err := os.OpenFile(in.name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	after, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("stat after open: %w", err)
	case !after.Mode().IsRegular() || !os.SameFile(before, after):
		f.Close()
		return nil, errChanged
	}
	return f, nil
}

// verdict is the policy's decision on a tally, made more severe by the
// uninspectable setting of any reason in reasons. A window rule counts the
// input as the first message of an empty window, as the proxy counts a
// client's first upload: one input alone crossing its threshold matches.
func verdict(snap *policy.Snapshot, scope *policy.Scope, t *inspect.Tally, reasons []string) *scanVerdict {
	windows := make([]policy.WindowCounts, len(scope.Windows()))
	for i := range windows {
		windows[i] = t.Counts
	}
	dec := scope.DecideWindows(t, windows)
	v := &scanVerdict{Action: dec.Action.String(), Logs: snap.RuleNames(dec.Logs), Policy: snap.Version()}
	if dec.Rule >= 0 {
		v.Rule = snap.Rule(dec.Rule).Name
	}
	action := dec.Action
	for _, r := range reasons {
		if a := snap.UninspectableAction(policyReason(r)); a > action {
			action = a
			v.Action, v.Rule, v.Uninspectable = a.String(), "", r
		}
	}
	return v
}

// policyReason returns the policy reason spelled id; an unknown id maps to
// NumReasons, for which the policy's general uninspectable setting holds.
func policyReason(id string) policy.Reason {
	for r := range policy.NumReasons {
		if r.String() == id {
			return r
		}
	}
	return policy.NumReasons
}

// openError explains a failed open without Go's *PathError wrapping.
func openError(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe): // the path is printed before the reason already
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// printTable writes the human form of one result.
func printTable(w io.Writer, res scanResult) {
	fmt.Fprintf(w, "%s (%s)\n", res.Source, humanBytes(res.Bytes))
	defer printVerdict(w, res.Verdict)
	if len(res.Uninspectable) > 0 {
		fmt.Fprintf(w, "  uninspectable parts: %s (counts cover the rest)\n", strings.Join(res.Uninspectable, ", "))
	}
	if len(res.Counts) == 0 {
		fmt.Fprintln(w, "  no personal information found")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DETECTOR\tDISTINCT\tSAMPLES (masked)")
	for _, d := range inspect.AllDetectors() {
		n, ok := res.Counts[d.String()]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", d, n, strings.Join(res.Samples[d.String()], ", "))
	}
	tw.Flush()
}

// printVerdict writes the policy line under a result table.
func printVerdict(w io.Writer, v *scanVerdict) {
	switch {
	case v.Uninspectable != "" && v.Action == policy.Block.String():
		fmt.Fprintf(w, "  verdict: BLOCK: uninspectable (%s) (policy %s)\n\n", v.Uninspectable, v.Policy)
	case v.Uninspectable != "":
		fmt.Fprintf(w, "  verdict: %s: uninspectable (%s) (policy %s)\n\n", v.Action, v.Uninspectable, v.Policy)
	case v.Rule == "":
		fmt.Fprintf(w, "  verdict: allow (policy %s)\n\n", v.Policy)
	case v.Action == policy.Block.String():
		fmt.Fprintf(w, "  verdict: BLOCK by rule %q (policy %s)\n\n", v.Rule, v.Policy)
	default:
		fmt.Fprintf(w, "  verdict: %s by rules %s (policy %s)\n\n", v.Action, strings.Join(v.Logs, ", "), v.Policy)
	}
}

// humanBytes renders a size such as 1.5 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
