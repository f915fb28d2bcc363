package proxy

import (
	"sync/atomic"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// PolicySource serves Proxy.Policy from compiled policy snapshots (a
// policy.Watcher's Current, or a fixed snapshot), building one engine per
// snapshot for the detectors its rules use.
type PolicySource struct {
	current func() *policy.Snapshot
	engine  inspect.Config
	last    atomic.Pointer[policyRules]
}

// NewPolicySource returns a source reading snapshots from current; engine
// configures the engines it builds (its Detectors field is replaced by the
// snapshot's).
func NewPolicySource(current func() *policy.Snapshot, engine inspect.Config) *PolicySource {
	return &PolicySource{current: current, engine: engine}
}

// Rules returns the snapshot in force; it is Proxy.Policy.
func (s *PolicySource) Rules() Rules {
	snap := s.current()
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
	r := &policyRules{snap: snap, settings: Settings{
		HoldSize: snap.Settings().HoldSize, InspectLimit: snap.Settings().InspectLimit, BlockStatus: snap.Settings().BlockStatus,
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
	settings Settings
}

func (r *policyRules) Version() string              { return r.snap.Version() }
func (r *policyRules) Settings() Settings           { return r.settings }
func (r *policyRules) HostAllowed(host string) bool { return r.snap.HostAllowed(host) }
func (r *policyRules) TLSBypass(host string) bool   { return r.snap.TLSBypass(host) }
func (r *policyRules) Engine() *inspect.Engine      { return r.engine }

// FailClosed maps the proxy's reason to the policy's and reads its action.
// Tunnel bypass and allowlisting are explicit policy choices and always pass.
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
	case ReasonHTTP2:
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
	return &policyScope{sc: sc, snap: r.snap}
}

// policyScope adapts a policy scope, naming rules only when the verdict
// changes, so Decide stays allocation-free per chunk.
type policyScope struct {
	sc    *policy.Scope
	snap  *policy.Snapshot
	logs  policy.RuleSet
	names []string
}

func (s *policyScope) Decide(t *inspect.Tally) Decision {
	d := s.sc.Decide(t)
	if d.Logs != s.logs {
		s.logs, s.names = d.Logs, s.snap.RuleNames(d.Logs)
	}
	out := Decision{LogRules: s.names}
	switch d.Action {
	case policy.Block:
		out.Action, out.Rule = Block, s.snap.Rule(d.Rule).Name
	case policy.Log:
		out.Action, out.Rule = Log, s.snap.Rule(d.Rule).Name
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
