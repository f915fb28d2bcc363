package policy

import (
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// Snapshot is a compiled policy. It is immutable and safe for concurrent
// use: it copies what it is built from and hands out only copies.
type Snapshot struct {
	version    string
	sha256     string
	source     string
	settings   Settings
	allowHosts hostSet
	tlsBypass  hostSet
	values     allowSet
	rules      []rule
	detectors  []inspect.Detector
}

// Version returns the file's version field, or "sha256:" and the first 12
// hex digits of SHA256 when the file has none.
func (s *Snapshot) Version() string { return s.version }

// SHA256 returns the hex SHA-256 of the policy file's bytes.
func (s *Snapshot) SHA256() string { return s.sha256 }

// Source returns the file name the policy was compiled from.
func (s *Snapshot) Source() string { return s.source }

// Settings returns the global settings.
func (s *Snapshot) Settings() Settings { return s.settings }

// UninspectableAction returns Allow or Block for a message that cannot be
// inspected for reason r.
func (s *Snapshot) UninspectableAction(r Reason) Action {
	if r < NumReasons {
		return s.settings.Overrides[r]
	}
	return s.settings.Uninspectable
}

// HostAllowed reports whether host is on allow_hosts: its traffic is
// forwarded without inspection. host may carry a port.
func (s *Snapshot) HostAllowed(host string) bool {
	return s.allowHosts.match(NormalizeHost(host))
}

// TLSBypass reports whether CONNECT tunnels to host are passed through
// without TLS interception (and so without inspection).
func (s *Snapshot) TLSBypass(host string) bool {
	return s.tlsBypass.match(NormalizeHost(host))
}

// AllowValue reports whether v, a value detector d found in normalized
// form (see NormalizeValue), is on allow_values and must not be counted.
// It hashes v with the snapshot's key and does not allocate.
func (s *Snapshot) AllowValue(d inspect.Detector, v []byte) bool {
	return s.values.contains(d, v)
}

// HasAllowValues reports whether allow_values lists any value, so the
// engine can skip AllowValue entirely.
func (s *Snapshot) HasAllowValues() bool {
	return len(s.values.digests) > 0
}

// Rules describes every rule in file order; Decision indices refer to it.
func (s *Snapshot) Rules() []RuleInfo {
	out := make([]RuleInfo, len(s.rules))
	for i := range s.rules {
		out[i] = s.rules[i].info
	}
	return out
}

// Rule describes rule i (an index from a Decision). It does not allocate.
func (s *Snapshot) Rule(i int) RuleInfo {
	return s.rules[i].info
}

// RuleNames returns the names of the rules in set, in file order.
func (s *Snapshot) RuleNames(set RuleSet) []string {
	var names []string
	for i := range s.rules {
		if set.Has(i) {
			names = append(names, s.rules[i].info.Name)
		}
	}
	return names
}

// Detectors returns the detectors some rule reads, in report order; a
// rule on total or legal_score reads them all. An engine built for just
// these finds everything the policy can act on.
func (s *Snapshot) Detectors() []inspect.Detector {
	return slices.Clone(s.detectors)
}

// Message describes one message (a request or response body) when it
// starts, for Scope.
type Message struct {
	Direction   Direction  // Request or Response
	Host        string     // upstream host, port allowed ("Example.com:443")
	Method      string     // request method, also for responses
	ContentType string     // Content-Type header value; parameters are ignored
	User        string     // authenticated proxy user; "" when anonymous
	Client      netip.Addr // client address; the zero Addr matches no clients list
}

// Scope is the set of rules that apply to one message, resolved once when
// the message starts. It is immutable and keeps its Snapshot alive, so a
// message finishes under the policy it started with even across a reload.
type Scope struct {
	snap    *Snapshot
	rules   []*rule
	windows []WindowCheck // the window rules among rules, in file order
	insider bool
}

// Scope resolves which rules apply to message m. A host on allow_hosts
// gets an empty scope. Host patterns are case-insensitive and ignore the
// port; content types are matched without parameters.
func (s *Snapshot) Scope(m Message) *Scope {
	sc := &Scope{snap: s, insider: s.settings.Insider}
	m.Host = NormalizeHost(m.Host)
	if s.allowHosts.match(m.Host) {
		return sc
	}
	m.Method = strings.ToUpper(m.Method)
	m.ContentType = bareMediaType(m.ContentType)
	for i := range s.rules {
		r := &s.rules[i]
		if r.info.Direction&m.Direction == 0 || !r.scope.match(&m) {
			continue
		}
		sc.rules = append(sc.rules, r)
		if r.info.IsWindow() {
			sc.windows = append(sc.windows, WindowCheck{
				Rule: r.index, Key: windowKey(r.info.Window.Key, &m), Window: r.info.Window, Detectors: r.reads,
			})
		}
	}
	return sc
}

// Snapshot returns the policy the scope was resolved from.
func (sc *Scope) Snapshot() *Snapshot { return sc.snap }

// Empty reports whether no rule applies, so the message needs no decision.
func (sc *Scope) Empty() bool { return len(sc.rules) == 0 }

// Windows returns the window rules that apply to the message, in file
// order, each with the key the message counts under. DecideWindows takes
// their counts in the same order.
func (sc *Scope) Windows() []WindowCheck {
	out := slices.Clone(sc.windows)
	for i := range out {
		out[i].Detectors = slices.Clone(out[i].Detectors)
	}
	return out
}

// RuleSet is a set of rule indices (below MaxRules). The zero value is
// empty; sets are comparable with ==.
type RuleSet [MaxRules / 64]uint64

// Has reports whether rule i is in the set.
func (r *RuleSet) Has(i int) bool {
	return i >= 0 && i < MaxRules && r[i/64]&(1<<(i%64)) != 0
}

// Len returns the number of rules in the set.
func (r *RuleSet) Len() int {
	n := 0
	for _, w := range r {
		n += bits.OnesCount64(w)
	}
	return n
}

// add puts rule i in the set.
func (r *RuleSet) add(i int) {
	r[i/64] |= 1 << (i % 64)
}

// Decision is the policy's verdict on a message's findings so far. It is
// a plain value: compare it with the previous one to see when the verdict
// changes, and build incident text (Snapshot.Rule, RuleNames) only then.
type Decision struct {
	// Action is Block if a block rule matches, else Log if a log rule
	// matches, else Allow.
	Action Action
	// Rule is the Snapshot.Rule index that set Action: the first
	// matching block rule, else the first matching log rule; -1 for Allow.
	Rule int
	// Logs holds every matching log rule, also when a block rule wins.
	Logs RuleSet
}

// Decide evaluates the scope's per-message rules against the tally: the
// first matching block rule wins and every matching log rule is recorded.
// Window rules are skipped: DecideWindows evaluates them. Decide is meant
// to be called after every chunk and neither allocates nor locks. Counts
// only grow, so a decision never weakens within a message.
func (sc *Scope) Decide(t *inspect.Tally) Decision {
	return sc.DecideWindows(t, nil)
}

// DecideWindows is Decide with window rules: windows[i] holds the counts
// over the window of Windows()[i] (the message's own values included).
// Rules are evaluated in file order whatever their kind; a window rule
// without counts (windows too short or nil) does not match. It does not
// allocate.
func (sc *Scope) DecideWindows(t *inspect.Tally, windows []WindowCounts) Decision {
	d := Decision{Rule: -1}
	w := 0
	for _, r := range sc.rules {
		counts := &t.Counts
		if r.info.IsWindow() {
			if w >= len(windows) {
				w++
				continue
			}
			counts = &windows[w]
			w++
		}
		if r.info.Action == Block && d.Action == Block || !r.cond.holds(counts, sc.insider) {
			continue
		}
		if r.info.Action == Block {
			d.Action, d.Rule = Block, r.index
			continue
		}
		d.Logs.add(r.index)
		if d.Action == Allow {
			d.Action, d.Rule = Log, r.index
		}
	}
	return d
}
