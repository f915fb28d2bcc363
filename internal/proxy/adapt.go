package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/window"
)

// PolicySource serves Proxy.Policy from compiled policy snapshots (a
// policy.Watcher's Current, or a fixed snapshot), building one engine per
// snapshot for the detectors its rules use.
type PolicySource struct {
	current func() *policy.Snapshot
	engine  inspect.Config
	windows *window.Tracker
	last    atomic.Pointer[policyRules]
	build   sync.Mutex // serialises building the rules of a new snapshot
}

// SourceOption configures a PolicySource.
type SourceOption interface {
	apply(*PolicySource)
}

type windowsOption struct{ tr *window.Tracker }

func (o windowsOption) apply(s *PolicySource) { s.windows = o.tr }

// WithWindows makes the source's scopes decide window rules through tr:
// their counts accumulate across messages per rule and key. Without it (or
// with a nil tr) window rules never match. The engine config's HashKey
// must be the tracker's, or replicas sharing a store do not count the
// same values as one.
func WithWindows(tr *window.Tracker) SourceOption { return windowsOption{tr} }

// NewPolicySource returns a source reading snapshots from current; engine
// configures the engines it builds (its Detectors field is replaced by the
// snapshot's).
func NewPolicySource(current func() *policy.Snapshot, engine inspect.Config, opts ...SourceOption) *PolicySource {
	s := &PolicySource{current: current, engine: engine}
	for _, o := range opts {
		o.apply(s)
	}
	return s
}

// Rules returns the snapshot in force; it is Proxy.Policy.
func (s *PolicySource) Rules() Rules {
	snap := s.current()
	if r := s.last.Load(); r != nil && r.snap == snap {
		return r
	}
	// One engine per snapshot: building one takes tens of MiB for a moment,
	// and the first requests after start or a reload arrive together.
	s.build.Lock()
	defer s.build.Unlock()
	if r := s.last.Load(); r != nil && r.snap == snap {
		return r
	}
	cfg := s.engine
	cfg.Detectors = snap.Detectors()
	if len(cfg.Detectors) == 0 {
		cfg.Detectors = []inspect.Detector{} // no rule needs a detector: detect nothing
	}
	if snap.HasAllowValues() {
		cfg.Allow = snap.AllowValue // the policy's value allowlist (test IDs) never counts
	}
	r := &policyRules{snap: snap, windows: s.windows, settings: Settings{
		HoldSize: snap.Settings().HoldSize, HoldWait: snap.Settings().HoldWait,
		InspectLimit: snap.Settings().InspectLimit, BlockStatus: snap.Settings().BlockStatus,
		Contact: snap.Settings().Contact,
	}}
	// An engine error leaves nil: the Proxy's engine (every detector) is used.
	r.engine, _ = inspect.NewEngine(cfg)
	s.last.Store(r)
	return r
}

// policyRules adapts one snapshot to Rules.
type policyRules struct {
	snap     *policy.Snapshot
	engine   *inspect.Engine
	windows  *window.Tracker // nil: window rules never match
	settings Settings
}

func (r *policyRules) Version() string              { return r.snap.Version() }
func (r *policyRules) Settings() Settings           { return r.settings }
func (r *policyRules) HostAllowed(host string) bool { return r.snap.HostAllowed(host) }
func (r *policyRules) TLSBypass(host string) bool   { return r.snap.TLSBypass(host) }
func (r *policyRules) Engine() *inspect.Engine      { return r.engine }

// FailClosed maps the proxy's reason to the policy's and reads its action.
// ReasonTunnelBypass is asked only of a tunnel without a CA (the policy's
// tunnel reason); tls_bypass hosts and allowlisting are explicit policy
// choices and always pass.
func (r *policyRules) FailClosed(reason string) bool {
	var pr policy.Reason
	switch reason {
	case ReasonOverLimit:
		pr = policy.ReasonOverLimit
	case ReasonDecodeError:
		pr = policy.ReasonDecodeError
	case ReasonEncrypted:
		pr = policy.ReasonEncrypted
	case ReasonUnsupportedEncoding:
		pr = policy.ReasonUnsupportedEncoding
	case ReasonWebSocket:
		pr = policy.ReasonWebSocket
	case ReasonHTTP2, ReasonTunnelBypass:
		pr = policy.ReasonTunnel
	default:
		return false
	}
	return r.snap.UninspectableAction(pr) == policy.Block
}

func (r *policyRules) Scope(m Message) Scope {
	dir := policy.Request
	if m.Direction == Response {
		dir = policy.Response
	}
	sc := r.snap.Scope(policy.Message{Direction: dir, Host: m.Host, Method: m.Method,
		ContentType: m.ContentType, User: m.User, Client: m.Client})
	if sc.Empty() {
		return nil
	}
	ps := &policyScope{sc: sc, snap: r.snap}
	if r.windows != nil && len(sc.Windows()) > 0 {
		ps.wm = r.windows.Begin(sc)
	}
	return ps
}

// policyScope adapts a policy scope, naming rules only when the verdict
// changes, so Decide stays allocation-free per chunk.
type policyScope struct {
	sc     *policy.Scope
	wm     *window.Message // the message's window accounting; nil without window rules
	snap   *policy.Snapshot
	logs   policy.RuleSet
	names  []string
	status window.Status // of the last deciding window rule; Decision.Window points here
}

func (s *policyScope) Decide(t *inspect.Tally) Decision {
	var d policy.Decision
	if s.wm != nil {
		d = s.wm.Decide(t)
	} else {
		d = s.sc.Decide(t)
	}
	if d.Logs != s.logs {
		s.logs, s.names = d.Logs, s.snap.RuleNames(d.Logs)
	}
	out := Decision{LogRules: s.names}
	switch d.Action {
	case policy.Block:
		out.Action = Block
	case policy.Log:
		out.Action = Log
	default:
		return out
	}
	rule := s.snap.Rule(d.Rule)
	out.Rule, out.Message = rule.Name, rule.Message
	if s.wm != nil && rule.IsWindow() {
		s.status, _ = s.wm.Status(d.Rule) // a window rule in scope always has a status
		out.Window = &s.status
	}
	return out
}

// PromMetrics adapts internal/metrics to Metrics.
type PromMetrics struct{ M *metrics.Metrics }

var _ Metrics = PromMetrics{}

func mdir(d Direction) metrics.Direction {
	if d == Response {
		return metrics.Response
	}
	return metrics.Request
}

func maction(blocked bool) metrics.Action {
	if blocked {
		return metrics.ActionBlock
	}
	return metrics.ActionAllow
}

// InspectedBytes implements Metrics.
func (p PromMetrics) InspectedBytes(d Direction, n int64) { p.M.InspectedBytes(mdir(d), n) }

// UninspectedBytes implements Metrics.
func (p PromMetrics) UninspectedBytes(d Direction, reason string, n int64) {
	p.M.UninspectedBytes(mdir(d), metrics.Reason(reason), n)
}

// UninspectedMessage implements Metrics.
func (p PromMetrics) UninspectedMessage(d Direction, reason string, blocked bool) {
	p.M.UninspectedMessage(mdir(d), metrics.Reason(reason), maction(blocked))
}

// Findings implements Metrics.
func (p PromMetrics) Findings(d inspect.Detector, n int) { p.M.Findings(d, n) }

// Incident implements Metrics.
func (p PromMetrics) Incident(rule string, blocked bool) {
	a := metrics.ActionLog
	if blocked {
		a = metrics.ActionBlock
	}
	p.M.Incident(rule, a)
}

// Block implements Metrics.
func (p PromMetrics) Block(d Direction, phase string) { p.M.Block(mdir(d), metrics.Phase(phase)) }

// Request implements Metrics.
func (p PromMetrics) Request(outcome string, d time.Duration) {
	p.M.Request(metrics.Outcome(outcome), d)
}

// AccessDenied implements Metrics.
func (p PromMetrics) AccessDenied(reason string) { p.M.AccessDenied(metrics.DenyReason(reason)) }

// InspectionDuration implements Metrics.
func (p PromMetrics) InspectionDuration(d Direction, el time.Duration) {
	p.M.ObserveInspection(mdir(d), el)
}

// ActiveConnections implements Metrics.
func (p PromMetrics) ActiveConnections(delta int) { p.M.ActiveConnections.Add(float64(delta)) }

// ActiveInspections implements Metrics.
func (p PromMetrics) ActiveInspections(delta int) { p.M.ActiveInspections.Add(float64(delta)) }

// TLSInterceptError implements Metrics.
func (p PromMetrics) TLSInterceptError(stage string) { p.M.TLSInterceptError(metrics.Stage(stage)) }
