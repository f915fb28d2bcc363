package policy

import (
	"fmt"
	"time"
)

// Action is what the policy does with a message.
type Action uint8

// Actions in increasing severity; Decide reports the most severe one.
const (
	Allow Action = iota // forward the message; nothing to record
	Log                 // forward the message and record an incident
	Block               // stop the message and record an incident
)

// String returns "allow", "log" or "block".
func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Log:
		return "log"
	case Block:
		return "block"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Direction says which bodies of an exchange a rule inspects. It is a bit
// set: Both is Request|Response.
type Direction uint8

// Directions. A Message has Request or Response; a rule may have Both.
const (
	Request  Direction            = 1 << iota // the request body, client to upstream
	Response                                  // the response body, upstream to client
	Both     = Request | Response             // either body
)

// String returns "request", "response" or "both".
func (d Direction) String() string {
	switch d {
	case Request:
		return "request"
	case Response:
		return "response"
	case Both:
		return "both"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// Reason names why a message cannot be inspected. The policy's
// uninspectable setting applies to every reason unless
// uninspectable_overrides names it.
type Reason uint8

// Reasons a message cannot be inspected, as named in the policy file.
const (
	ReasonOverLimit           Reason = iota // over_limit: the body is larger than inspect_limit
	ReasonDecodeError                       // decode_error: the content encoding or container is corrupt
	ReasonEncrypted                         // encrypted: an encrypted archive or document
	ReasonUnsupportedEncoding               // unsupported_encoding: a Content-Encoding the engine cannot decode
	ReasonWebSocket                         // websocket: an upgraded WebSocket connection
	ReasonTunnel                            // tunnel: a CONNECT tunnel that cannot be intercepted (not TLS, HTTP/2 prior knowledge)

	// NumReasons is the number of reasons; arrays indexed by Reason use it.
	NumReasons
)

// String returns the reason's id as written in the policy file.
func (r Reason) String() string {
	switch r {
	case ReasonOverLimit:
		return "over_limit"
	case ReasonDecodeError:
		return "decode_error"
	case ReasonEncrypted:
		return "encrypted"
	case ReasonUnsupportedEncoding:
		return "unsupported_encoding"
	case ReasonWebSocket:
		return "websocket"
	case ReasonTunnel:
		return "tunnel"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Settings are the policy's global settings, with defaults filled in. The
// struct holds only values, so a copy cannot change a Snapshot.
type Settings struct {
	// HoldSize is the largest body held whole before forwarding, so a
	// block is a clean error response; default 1 MiB; 0 holds nothing.
	HoldSize int64
	// HoldWait is how long a body of unknown length (chunked) is held
	// waiting for its end: then what has passed inspection goes out and
	// the rest streams, so a watch or a long poll is not stalled until
	// it has sent HoldSize. Default 1s; 0 waits for the end or HoldSize.
	HoldWait time.Duration
	// InspectLimit is the most bytes inspected per message; beyond it the
	// message is uninspectable (ReasonOverLimit). Default 64 MiB.
	InspectLimit int64
	// Uninspectable is Allow (fail open) or Block (fail closed) for
	// traffic that cannot be inspected. Default Allow.
	Uninspectable Action
	// Overrides holds the action per Reason; reasons the file does not
	// override hold Uninspectable.
	Overrides [NumReasons]Action
	// BlockStatus is the HTTP status of a block response; default 403.
	BlockStatus int
	// Insider halves the legal thresholds (judicial interpretation
	// art. 5): set it when the data was entrusted to the organisation.
	Insider bool
	// Contact tells an employee on the block page whom to ask (a team,
	// an address, an extension); empty: "the security team".
	Contact string
}

// RuleInfo describes one compiled rule.
type RuleInfo struct {
	Name      string    // rule name from the file
	Action    Action    // Block or Log
	Direction Direction // bodies the rule inspects
	Line      int       // line of the rule in the file
	// Message is the rule's explanation for the employee on the block
	// page, in the policy author's words; empty for none.
	Message string
	// Window is how a window rule counts across messages; the zero
	// Window (Duration 0) marks a rule on one message's counts.
	Window Window
}

// IsWindow reports whether the rule counts over a time window.
func (r RuleInfo) IsWindow() bool { return r.Window.Duration > 0 }
