// Package policy loads, validates and compiles the dlpproxy policy file
// into an immutable Snapshot, decides per message what to do with the
// findings of the inspect engine, and reloads the file when it changes.
//
// The file is documented in docs/policy.md. There is one compile path:
// serve, reload and "dlpproxy policy check" all call Compile, which runs
// three phases: parse (strict YAML walk; every error carries
// file:line:col), validate (cross-rule checks and warnings) and build.
package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultPolicy []byte

// DefaultName is the file name errors and Source report for the embedded
// default policy.
const DefaultName = "default.yaml"

// Default returns the embedded default policy. Its compilation is tested,
// so Default panics only if the binary itself is broken.
func Default() *Snapshot {
	s, _, err := Compile(DefaultName, defaultPolicy)
	if err != nil {
		panic(fmt.Sprintf("policy: embedded default: %v", err))
	}
	return s
}

// DefaultYAML returns a copy of the embedded default policy file, e.g. for
// a command that writes a starting policy.
func DefaultYAML() []byte {
	return slices.Clone(defaultPolicy)
}

// Load reads the policy file at path and compiles it.
func Load(path string) (*Snapshot, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load policy: %w", err)
	}
	return Compile(path, data)
}

// Compile parses, validates and compiles a policy file; name is used in
// errors, warnings and Source. On error it returns every problem found,
// joined with errors.Join; each is an *Error with a position. Warnings are
// returned even when compilation fails.
func Compile(name string, data []byte) (*Snapshot, []Warning, error) {
	p := &parser{file: name}
	var f file
	if root := p.document(data); root != nil {
		f = p.parse(root)
	}
	if len(p.errs) == 0 {
		p.validate(&f)
	}
	slices.SortStableFunc(p.warns, func(a, b Warning) int { return a.Line - b.Line })
	if len(p.errs) > 0 {
		return nil, p.warns, errors.Join(p.errs...)
	}
	s, err := f.build(name, data)
	if err != nil {
		return nil, p.warns, fmt.Errorf("compile policy: %w", err)
	}
	return s, p.warns, nil
}

// file is a parsed policy file before it is built into a Snapshot.
type file struct {
	version     string
	settings    Settings
	allowHosts  hostSet
	tlsBypass   hostSet
	allowValues [inspect.NumDetectors][]string
	rules       []rule
	root        *yaml.Node
}

// parse walks the root mapping.
func (p *parser) parse(root *yaml.Node) file {
	f := file{settings: defaultSettings(), root: root}
	keys := []string{"version", "settings", "allow_hosts", "tls_bypass", "allow_values", "rules"}
	p.mapping(root, "", keys, func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "version":
			f.version, _ = p.str(v, path)
		case "settings":
			f.settings = p.settings(v, path)
		case "allow_hosts":
			p.hostList(&f.allowHosts, v, path)
		case "tls_bypass":
			p.hostList(&f.tlsBypass, v, path)
		case "allow_values":
			f.allowValues = p.allowValues(v, path)
		case "rules":
			p.list(v, path, func(i int, v *yaml.Node, path string) {
				if i == MaxRules {
					p.errorf(v, path, "found more than %d rules, expected at most %d", MaxRules, MaxRules)
				}
				f.rules = append(f.rules, p.rule(v, path, i))
			})
		}
	})
	return f
}

// hostList parses a list of host patterns into set.
func (p *parser) hostList(set *hostSet, n *yaml.Node, path string) {
	p.strList(n, path, func(s string, v *yaml.Node, path string) {
		if !set.add(s) {
			p.errorf(v, path, `found %s, expected a host name, "*.domain" or "*"`, show(s))
		}
	})
}

// defaultSettings returns the settings used where the file is silent.
func defaultSettings() Settings {
	return Settings{HoldSize: 1 << 20, HoldWait: time.Second, InspectLimit: 64 << 20, BlockStatus: 403}
}

// settings parses the settings mapping.
func (p *parser) settings(n *yaml.Node, path string) Settings {
	s := defaultSettings()
	var holdNode *yaml.Node
	var overrides [NumReasons]*Action
	keys := []string{"hold_size", "hold_wait", "inspect_limit", "uninspectable", "uninspectable_overrides", "block_status", "insider", "contact"}
	p.mapping(n, path, keys, func(key string, _, v *yaml.Node, path string) {
		switch key {
		case "hold_size":
			s.HoldSize, _ = p.size(v, path)
			holdNode = v
		case "hold_wait":
			if d, ok := p.holdWait(v, path); ok {
				s.HoldWait = d
			}
		case "inspect_limit":
			if lim, ok := p.size(v, path); ok && lim == 0 {
				p.errorf(v, path, "found 0, expected a positive size")
			} else if ok {
				s.InspectLimit = lim
			}
		case "uninspectable":
			s.Uninspectable = p.failMode(v, path)
		case "uninspectable_overrides":
			reasons := make([]string, NumReasons)
			for r := range reasons {
				reasons[r] = Reason(r).String()
			}
			p.mapping(v, path, reasons, func(key string, _, v *yaml.Node, path string) {
				a := p.failMode(v, path)
				overrides[slices.Index(reasons, key)] = &a
			})
		case "block_status":
			code, ok := p.count(v, path)
			if ok && (code < 400 || code > 599) {
				p.errorf(v, path, "found %d, expected an HTTP status from 400 to 599", code)
			} else if ok {
				s.BlockStatus = code
			}
		case "insider":
			s.Insider, _ = p.boolean(v, path)
		case "contact":
			s.Contact, _ = p.text(v, path)
		}
	})
	for r, a := range overrides {
		s.Overrides[r] = s.Uninspectable
		if a != nil {
			s.Overrides[r] = *a
		}
	}
	if holdNode != nil && s.HoldSize > s.InspectLimit {
		p.errorf(holdNode, field(path, "hold_size"), "found %d bytes, expected at most inspect_limit (%d bytes)", s.HoldSize, s.InspectLimit)
	}
	return s
}

// maxHoldWait bounds hold_wait: a client waits that long for the first
// byte of a chunked response at most.
const maxHoldWait = time.Minute

// holdWait parses hold_wait: a Go duration from 0 to maxHoldWait.
func (p *parser) holdWait(n *yaml.Node, path string) (time.Duration, bool) {
	const want = "a duration from 0s to 1m such as 500ms or 2s"
	s, ok := p.scalar(n, path, want)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 || d > maxHoldWait {
		p.errorf(n, path, "found %s, expected %s", show(s), want)
		return 0, false
	}
	return d, true
}

// failMode parses allow or block.
func (p *parser) failMode(n *yaml.Node, path string) Action {
	i, _ := p.enum(n, path, "allow", "block")
	return [...]Action{Allow, Block}[i]
}

// validate checks the parsed file as a whole and records warnings: a
// missing version, no rules, duplicate rule names, rules without a
// condition, messages of rules that never block, and block rules that an
// earlier unconditional block makes unreachable (a log rule after it is
// still recorded when it matches).
func (p *parser) validate(f *file) {
	if f.version == "" {
		p.warnf(f.root.Line, "version", "no version; metrics and incidents show the SHA-256 prefix instead")
	}
	if len(f.rules) == 0 {
		p.warnf(f.root.Line, "rules", "no rules; every message is allowed")
	}
	first := make(map[string]int, len(f.rules))
	for i := range f.rules {
		r := &f.rules[i]
		at := r.info.Line
		if line, dup := first[r.info.Name]; dup {
			p.warnf(at, r.info.Name, "duplicate rule name; first used at line %d", line)
		} else {
			first[r.info.Name] = r.info.Line
		}
		if r.cond.always() {
			p.warnf(at, r.info.Name, "no when: every message in scope matches, so it will %s all of them", r.info.Action)
		}
		if r.info.Message != "" && r.info.Action != Block {
			p.warnf(at, r.info.Name, "message is shown only on the block page, and this rule does not block")
		}
		if r.info.Action == Block {
			p.warnShadowed(r, f.rules[:i])
		}
	}
}

// warnShadowed warns that block rule r can never block when one of the
// rules before it blocks every message of r's direction and scope.
func (p *parser) warnShadowed(r *rule, before []rule) {
	for j := range before {
		e := &before[j]
		if e.info.Action == Block && e.cond.always() && e.info.Direction&r.info.Direction == r.info.Direction && e.scope.covers(&r.scope) {
			p.warnf(r.info.Line, r.info.Name, "unreachable: rule %q (line %d) blocks every message in this scope first", e.info.Name, e.info.Line)
			return
		}
	}
}

// build turns the validated file into a Snapshot.
func (f *file) build(name string, data []byte) (*Snapshot, error) {
	sum := sha256.Sum256(data)
	s := &Snapshot{
		version:    f.version,
		sha256:     hex.EncodeToString(sum[:]),
		source:     name,
		settings:   f.settings,
		allowHosts: f.allowHosts,
		tlsBypass:  f.tlsBypass,
		rules:      f.rules,
	}
	if s.version == "" {
		s.version = "sha256:" + s.sha256[:12]
	}
	var err error
	if s.values, err = newAllowSet(f.allowValues); err != nil {
		return nil, err
	}
	var used [inspect.NumDetectors]bool
	for i := range s.rules {
		r := &s.rules[i]
		r.cond.detectors(&used)
		if r.info.IsWindow() {
			var reads [inspect.NumDetectors]bool
			r.cond.detectors(&reads)
			for d, u := range reads {
				if u {
					r.reads = append(r.reads, inspect.Detector(d))
				}
			}
		}
	}
	for d, u := range used {
		if u {
			s.detectors = append(s.detectors, inspect.Detector(d))
		}
	}
	return s, nil
}
