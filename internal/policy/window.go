package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"gopkg.in/yaml.v3"
)

// KeyParts says which attributes of a message form the key a window rule
// counts under. It is a bit set; a window rule has at least one part.
type KeyParts uint8

// Key parts, in the order they appear in a key.
const (
	KeyClient KeyParts = 1 << iota // the client address
	KeyUser                        // the authenticated proxy user; anonymous messages use the client address
	KeyHost                        // the destination host, normalized
)

// keyPartNames returns the policy file's names for the key parts, in bit
// order.
func keyPartNames() []string { return []string{"client", "user", "host"} }

// String returns the parts joined with "+", e.g. "client+host".
func (k KeyParts) String() string {
	var parts []string
	for i, n := range keyPartNames() {
		if k&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Window says how a window rule counts: distinct values per detector over
// the last Duration, per key. The zero Window marks a per-message rule.
type Window struct {
	Key      KeyParts      // attributes forming the key
	Duration time.Duration // length of the sliding window
}

// Window durations a rule may use.
const (
	MinWindow = time.Minute
	MaxWindow = 30 * 24 * time.Hour
)

// window parses a rule's window mapping: key (a list of key parts) and
// duration.
func (p *parser) window(n *yaml.Node, path string) Window {
	var w Window
	var hasKey, hasDuration bool
	p.mapping(n, path, []string{"key", "duration"}, func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "key":
			hasKey = true
			w.Key = p.keyParts(v, path)
		case "duration":
			hasDuration = true
			w.Duration, _ = p.duration(v, path)
		}
	})
	if n.Kind != yaml.MappingNode {
		return w
	}
	if !hasKey {
		p.errorf(n, field(path, "key"), "found no key, expected a list of client, user, host")
	}
	if !hasDuration {
		p.errorf(n, field(path, "duration"), "found no duration, expected a duration such as 1h")
	}
	return w
}

// keyParts parses a non-empty list of distinct key part names.
func (p *parser) keyParts(n *yaml.Node, path string) KeyParts {
	var k KeyParts
	p.list(n, path, func(_ int, v *yaml.Node, path string) {
		i, ok := p.enum(v, path, keyPartNames()...)
		switch {
		case !ok:
		case k&(1<<i) != 0:
			p.errorf(v, path, "found %s a second time, expected each key part once", show(v.Value))
		default:
			k |= 1 << i
		}
	})
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errorf(n, path, "found an empty list, expected at least one of client, user, host")
	}
	return k
}

// duration parses a window duration: Go syntax ("90m", "1h30m") or whole
// days ("7d"), from MinWindow to MaxWindow.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	const want = "a duration from 1m to 30d such as 1h, 24h or 7d"
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	d, err := ParseWindow(s)
	if err != nil {
		p.errorf(n, path, "found %s, expected %s", show(s), want)
		return 0, false
	}
	return d, true
}

// ParseWindow parses a window duration as the policy file writes it: Go
// duration syntax ("90m", "1h30m") or a whole number of days ("7d"). It
// accepts MinWindow to MaxWindow.
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > int(MaxWindow/(24*time.Hour)) {
			return 0, fmt.Errorf("parse window %q: want whole days", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("parse window: %w", err)
		}
	}
	if d < MinWindow || d > MaxWindow {
		return 0, fmt.Errorf("parse window %q: out of range %v..%v", s, MinWindow, MaxWindow)
	}
	return d, nil
}

// WindowCheck is a window rule that applies to one message, and the key
// the message is counted under.
type WindowCheck struct {
	// Rule is the Snapshot.Rule index of the window rule.
	Rule int
	// Key is the key as text, parts in KeyParts order separated by
	// spaces, e.g. "client=10.0.0.5 host=paste.example.com". It names a
	// client, user or host, never a value; a store keeps only its keyed
	// hash.
	Key string
	// Window is the rule's window.
	Window Window
	// Detectors lists the detectors the rule's condition reads.
	Detectors []inspect.Detector
}

// windowKey renders the key of message m (normalized) for parts k.
// Anonymous messages keyed by user are keyed by client address instead,
// so anonymous clients do not share one budget.
func windowKey(k KeyParts, m *Message) string {
	client := "client=unknown"
	if m.Client.IsValid() {
		client = "client=" + m.Client.Unmap().String()
	}
	var parts []string
	if k&KeyClient != 0 || k&KeyUser != 0 && m.User == "" {
		parts = append(parts, client)
	}
	if k&KeyUser != 0 && m.User != "" {
		parts = append(parts, "user="+m.User)
	}
	if k&KeyHost != 0 {
		parts = append(parts, "host="+m.Host)
	}
	return strings.Join(parts, " ")
}

// WindowCounts holds the distinct counts over its window of one
// WindowCheck, per detector.
type WindowCounts = [inspect.NumDetectors]int
