package policy

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"gopkg.in/yaml.v3"
)

// MaxRules is the most rules a policy may have; Decision reports matching
// log rules in a fixed-size bit set of this many bits.
const MaxRules = 256

// rule is one compiled rule.
type rule struct {
	info  RuleInfo
	index int
	scope scopeSpec
	cond  condition
	reads []inspect.Detector // detectors cond reads; set for window rules
}

// scopeSpec restricts a rule to some messages. An empty dimension matches
// every message.
type scopeSpec struct {
	hosts   hostSet
	methods []string
	types   []mediaRange
	clients []netip.Prefix
	users   []string
	// keys holds the sorted patterns of each dimension as one string, ""
	// when unrestricted; equal keys mean equal scopes.
	keys [5]string
}

// match reports whether a message (already normalized) is in scope.
func (s *scopeSpec) match(m *Message) bool {
	return (s.keys[0] == "" || s.hosts.match(m.Host)) &&
		(len(s.methods) == 0 || slices.Contains(s.methods, m.Method)) &&
		(len(s.types) == 0 || slices.ContainsFunc(s.types, func(r mediaRange) bool { return r.match(m.ContentType) })) &&
		(len(s.clients) == 0 || m.Client.IsValid() && containsAddr(s.clients, m.Client)) &&
		(len(s.users) == 0 || m.User != "" && slices.Contains(s.users, m.User))
}

// covers reports whether every message in o's scope is also in s's scope,
// judged conservatively: each dimension of s is unrestricted or equal.
func (s *scopeSpec) covers(o *scopeSpec) bool {
	for i, k := range s.keys {
		if k != "" && k != o.keys[i] {
			return false
		}
	}
	return true
}

// measure is what a threshold compares: a detector's distinct count (the
// values below NumDetectors), the total count, or the legal score.
type measure uint8

const (
	measureTotal = measure(inspect.NumDetectors) + iota
	measureLegal
)

// threshold holds when its measure is at least count (or score).
type threshold struct {
	measure measure
	count   int
	score   float64
}

// scoreEpsilon absorbs float rounding, so 5 bank cards meet legal_score 0.1.
const scoreEpsilon = 1e-9

// holds reports whether the counts meet the threshold. It does not allocate.
func (t *threshold) holds(counts *[inspect.NumDetectors]int, insider bool) bool {
	switch t.measure {
	case measureLegal:
		return LegalScore(counts, insider)+scoreEpsilon >= t.score
	case measureTotal:
		n := 0
		for _, c := range counts {
			n += c
		}
		return n >= t.count
	}
	return counts[t.measure] >= t.count
}

// condition holds when every all-threshold holds and, if there are
// any-thresholds, at least one of them holds. The zero value always holds.
type condition struct {
	any, all []threshold
}

// always reports whether the condition has no thresholds.
func (c *condition) always() bool {
	return len(c.any) == 0 && len(c.all) == 0
}

// holds evaluates the condition. It does not allocate.
func (c *condition) holds(counts *[inspect.NumDetectors]int, insider bool) bool {
	for i := range c.all {
		if !c.all[i].holds(counts, insider) {
			return false
		}
	}
	if len(c.any) == 0 {
		return true
	}
	for i := range c.any {
		if c.any[i].holds(counts, insider) {
			return true
		}
	}
	return false
}

// detectors adds the detectors the condition reads to set.
func (c *condition) detectors(set *[inspect.NumDetectors]bool) {
	for _, t := range slices.Concat(c.any, c.all) {
		if t.measure < measure(inspect.NumDetectors) {
			set[t.measure] = true
			continue
		}
		for d := range set {
			set[d] = true
		}
	}
}

// rule parses one element of rules.
func (p *parser) rule(n *yaml.Node, path string, index int) rule {
	r := rule{index: index, info: RuleInfo{Direction: Request, Line: n.Line}}
	var hasName, hasAction, hasWindow, hasWhen bool
	keys := []string{"name", "direction", "scope", "window", "when", "action", "message"}
	p.mapping(n, path, keys, func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "name":
			hasName = true
			r.info.Name, _ = p.str(v, path)
		case "direction":
			if i, ok := p.enum(v, path, "request", "response", "both"); ok {
				r.info.Direction = [...]Direction{Request, Response, Both}[i]
			}
		case "scope":
			r.scope = p.scope(v, path)
		case "window":
			hasWindow = true
			r.info.Window = p.window(v, path)
		case "when":
			hasWhen = true
			r.cond = p.when(v, path)
		case "action":
			hasAction = true
			if i, ok := p.enum(v, path, "block", "log"); ok {
				r.info.Action = [...]Action{Block, Log}[i]
			}
		case "message":
			r.info.Message, _ = p.text(v, path)
		}
	})
	if n.Kind != yaml.MappingNode {
		return r
	}
	if !hasName {
		p.errorf(n, field(path, "name"), "found no name, expected a rule name")
		r.info.Name = item("rule", index)
	}
	if !hasAction {
		p.errorf(n, field(path, "action"), "found no action, expected block or log")
	}
	if hasWindow && !hasWhen {
		p.errorf(n, field(path, "when"), "found no when, expected thresholds over the window such as {any: {cn_resident_id: 200}}")
	}
	return r
}

// scope parses a rule's scope mapping.
func (p *parser) scope(n *yaml.Node, path string) scopeSpec {
	var s scopeSpec
	var keys [5][]string
	add := func(dim int, text string) { keys[dim] = append(keys[dim], text) }
	names := []string{"hosts", "methods", "content_types", "clients", "users"}
	p.mapping(n, path, names, func(key string, _, v *yaml.Node, path string) {
		p.strList(v, path, func(str string, v *yaml.Node, path string) {
			switch key {
			case "hosts":
				if !s.hosts.add(str) {
					p.errorf(v, path, `found %s, expected a host name, "*.domain" or "*"`, show(str))
				}
				if str != "*" {
					add(0, NormalizeHost(str))
				}
			case "methods":
				m := strings.ToUpper(str)
				if !validToken(m) || m == "*" {
					p.errorf(v, path, "found %s, expected an HTTP method such as POST", show(str))
				}
				s.methods = append(s.methods, m)
				add(1, m)
			case "content_types":
				mr, ok := parseMediaRange(str)
				if !ok {
					p.errorf(v, path, `found %s, expected a media type such as "application/json", "text/*" or "*"`, show(str))
				}
				s.types = append(s.types, mr)
				add(2, mr.typ+"/"+mr.sub)
			case "clients":
				pfx, ok := parseClient(str)
				if !ok {
					p.errorf(v, path, `found %s, expected an IP address or CIDR such as "10.0.0.0/8"`, show(str))
				}
				s.clients = append(s.clients, pfx)
				add(3, pfx.String())
			case "users":
				s.users = append(s.users, str)
				add(4, str)
			}
		})
	})
	if s.hosts.any {
		keys[0] = nil
	}
	for i, k := range keys {
		slices.Sort(k)
		s.keys[i] = strings.Join(slices.Compact(k), "\n")
	}
	return s
}

// when parses a rule's condition: a mapping with any and/or all.
func (p *parser) when(n *yaml.Node, path string) condition {
	var c condition
	p.mapping(n, path, []string{"any", "all"}, func(key string, _, v *yaml.Node, path string) {
		ts := p.thresholds(v, path)
		if key == "any" {
			c.any = ts
		} else {
			c.all = ts
		}
	})
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.errorf(n, path, "found an empty mapping, expected any or all")
	}
	return c
}

// thresholds parses a mapping from measure (a detector id, total or
// legal_score) to its threshold.
func (p *parser) thresholds(n *yaml.Node, path string) []threshold {
	var ts []threshold
	keys := make([]string, 0, inspect.NumDetectors+2)
	for _, d := range inspect.AllDetectors() {
		keys = append(keys, d.String())
	}
	keys = append(keys, "total", "legal_score")
	p.mapping(n, path, keys, func(key string, _, v *yaml.Node, path string) {
		t := threshold{measure: measureTotal}
		var ok bool
		if key == "legal_score" {
			t.measure = measureLegal
			t.score, ok = p.score(v, path)
		} else {
			if d, isDet := inspect.ParseDetector(key); isDet {
				t.measure = measure(d)
			}
			t.count, ok = p.count(v, path)
		}
		if !ok {
			return
		}
		if t.count == 0 && t.score == 0 {
			p.warnf(v.Line, path, "threshold 0 always holds")
		}
		ts = append(ts, t)
	})
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.errorf(n, path, "found an empty mapping, expected at least one threshold such as cn_resident_id: 50")
	}
	return ts
}
