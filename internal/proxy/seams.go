package proxy

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/window"
)

// Direction says which body of an exchange a message is.
type Direction uint8

// The two message directions.
const (
	Request Direction = iota
	Response
)

// String returns "request" or "response", the metric label and log value.
func (d Direction) String() string {
	if d == Response {
		return "response"
	}
	return "request"
}

// Action is what a policy decides for a message.
type Action uint8

// Policy actions, in increasing severity.
const (
	Allow Action = iota
	Log
	Block
)

// Decision is a policy verdict on a tally.
type Decision struct {
	Action Action
	// Rule names the deciding rule: the blocking rule for Block, the first
	// matching log rule for Log.
	Rule string
	// LogRules lists every matching log rule (shared, do not modify).
	LogRules []string
	// Message is the blocking rule's explanation for the block page, in
	// the policy author's words; empty for none.
	Message string
	// Reason is why the message could not be inspected (a Reason
	// constant) when the policy blocks what it cannot inspect; empty for
	// a block on counts.
	Reason string
	// Window, when Rule is a window rule, is its count for the message's
	// key over the window: rule, key, window and distinct counts, never a
	// value. It goes to the incident and the block page. Nil for
	// per-message rules. Shared: valid until the next Decide.
	Window *window.Status
}

// Scope decides messages of one kind; it is resolved once per message.
type Scope interface {
	// Decide is called after every scanned chunk with the live tally.
	Decide(*inspect.Tally) Decision
}

// Message describes a message for scope resolution.
type Message struct {
	Direction   Direction
	Host        string // destination host name, without port
	Method      string
	ContentType string
	User        string
	Client      netip.Addr
}

// Settings are the policy's global enforcement settings.
type Settings struct {
	// HoldSize is the largest body held whole before forwarding, so that a
	// block is a clean response; zero holds nothing (every body streams).
	HoldSize int64
	// HoldWait is how long a body of unknown length is held waiting for
	// its end before what has passed inspection goes out and the rest
	// streams; zero waits for the end or HoldSize.
	HoldWait time.Duration
	// InspectLimit is how many body bytes of one message are inspected;
	// the rest is uninspectable (reason over_limit). Zero means no limit.
	InspectLimit int64
	// BlockStatus is the status of a block response; zero means 403.
	BlockStatus int
	// Contact is whom the block page tells an employee to ask; empty
	// means the security team, unnamed.
	Contact string
}

// Rules is one immutable policy snapshot as the proxy uses it.
type Rules interface {
	// Version names the snapshot in incidents.
	Version() string
	// Settings returns the global settings.
	Settings() Settings
	// FailClosed reports whether a message that cannot be inspected for
	// reason (one of the Reason constants) is blocked; false lets it pass,
	// counted and logged either way.
	FailClosed(reason string) bool
	// HostAllowed reports whether host is on the allowlist: its bodies are
	// forwarded without inspection (counted as allowlisted_host).
	HostAllowed(host string) bool
	// TLSBypass reports whether CONNECT to host is tunnelled without
	// interception (counted as tunnel_bypass).
	TLSBypass(host string) bool
	// Scope returns the decider for a message, or nil when no rule applies.
	Scope(Message) Scope
	// Engine returns the engine built for this snapshot's detectors; nil
	// means the Proxy's Engine.
	Engine() *inspect.Engine
}

// LeafSource issues TLS leaf certificates for intercepted hosts; internal/ca
// implements it with a bounded cache.
type LeafSource interface {
	LeafFor(host string) (*tls.Certificate, error)
}

// Authenticator checks proxy Basic credentials.
type Authenticator interface {
	Authenticate(user, password string) bool
}

// Uninspectable reasons (metric label values).
const (
	ReasonOverLimit           = "over_limit"
	ReasonDecodeError         = "decode_error"
	ReasonUnsupportedEncoding = "unsupported_encoding"
	ReasonTunnelBypass        = "tunnel_bypass"
	ReasonWebSocket           = "websocket"
	ReasonHTTP2               = "http2"
	ReasonEncrypted           = "encrypted"
	ReasonAllowlistedHost     = "allowlisted_host"
)

// Request outcomes (metric label values and access-log outcome).
const (
	OutcomeAllowed  = "allowed"
	OutcomeBlocked  = "blocked"
	OutcomeDenied   = "denied"
	OutcomeError    = "error"
	OutcomeBypassed = "bypassed"
)

// Access-denied reasons.
const (
	DeniedClientCIDR  = "client_cidr"
	DeniedAuth        = "auth"
	DeniedPort        = "port"
	DeniedSelf        = "self"
	DeniedDestination = "destination"
	DeniedAuthRate    = "auth_rate"   // too many failed authentications: 429
	DeniedBadRequest  = "bad_request" // ambiguous framing (smuggling): 400
	DeniedOverload    = "overload"    // no inspection slot in time: 503
)

// Block phases.
const (
	PhaseHeld      = "held"
	PhaseStreaming = "streaming"
)

// TLS interception error stages.
const (
	StageClientHandshake   = "client_handshake"
	StageUpstreamVerify    = "upstream_verify"
	StageUpstreamHandshake = "upstream_handshake"
	StageLeafCert          = "leaf_cert"
)

// Metrics receives the proxy's measurements; internal/metrics implements it
// on a Prometheus registry. Label values are the constants above, detector
// ids and policy rule names: never a host, client, user or value.
type Metrics interface {
	InspectedBytes(dir Direction, n int64)
	UninspectedBytes(dir Direction, reason string, n int64)
	UninspectedMessage(dir Direction, reason string, blocked bool)
	Findings(d inspect.Detector, n int)
	Incident(rule string, blocked bool)
	Block(dir Direction, phase string)
	Request(outcome string, d time.Duration)
	AccessDenied(reason string)
	InspectionDuration(dir Direction, d time.Duration)
	ActiveConnections(delta int)
	ActiveInspections(delta int)
	TLSInterceptError(stage string)
}

// nopMetrics discards every measurement.
type nopMetrics struct{}

func (nopMetrics) InspectedBytes(Direction, int64)             {}
func (nopMetrics) UninspectedBytes(Direction, string, int64)   {}
func (nopMetrics) UninspectedMessage(Direction, string, bool)  {}
func (nopMetrics) Findings(inspect.Detector, int)              {}
func (nopMetrics) Incident(string, bool)                       {}
func (nopMetrics) Block(Direction, string)                     {}
func (nopMetrics) Request(string, time.Duration)               {}
func (nopMetrics) AccessDenied(string)                         {}
func (nopMetrics) InspectionDuration(Direction, time.Duration) {}
func (nopMetrics) ActiveConnections(int)                       {}
func (nopMetrics) ActiveInspections(int)                       {}
func (nopMetrics) TLSInterceptError(string)                    {}

var _ Metrics = nopMetrics{}
