package policy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

func TestWindowCompileErrors(t *testing.T) {
	const head = "rules:\n  - name: w\n    action: block\n    when: {any: {cn_resident_id: 200}}\n"
	tests := []struct {
		name string
		give string
		want []string
	}{
		{
			name: "not a mapping",
			give: head + "    window: 1h\n",
			want: []string{`p.yaml:5:13: rules[0].window: found "1h", expected a mapping`},
		},
		{
			name: "missing key and duration",
			give: head + "    window: {}\n",
			want: []string{
				"p.yaml:5:13: rules[0].window.key: found no key, expected a list of client, user, host",
				"p.yaml:5:13: rules[0].window.duration: found no duration, expected a duration such as 1h",
			},
		},
		{
			name: "unknown field",
			give: head + "    window: {key: [client], duration: 1h, size: 3}\n",
			want: []string{`p.yaml:5:43: rules[0].window: found unknown field "size", expected one of key, duration`},
		},
		{
			name: "bad key part",
			give: head + "    window: {key: [client, ip], duration: 1h}\n",
			want: []string{`p.yaml:5:28: rules[0].window.key[1]: found "ip", expected one of client, user, host`},
		},
		{
			name: "repeated key part",
			give: head + "    window: {key: [host, host], duration: 1h}\n",
			want: []string{`p.yaml:5:26: rules[0].window.key[1]: found "host" a second time, expected each key part once`},
		},
		{
			name: "empty key",
			give: head + "    window: {key: [], duration: 1h}\n",
			want: []string{"p.yaml:5:19: rules[0].window.key: found an empty list, expected at least one of client, user, host"},
		},
		{
			name: "key not a list",
			give: head + "    window: {key: client, duration: 1h}\n",
			want: []string{`p.yaml:5:19: rules[0].window.key: found "client", expected a list`},
		},
		{
			name: "duration too short",
			give: head + "    window: {key: [client], duration: 30s}\n",
			want: []string{`p.yaml:5:39: rules[0].window.duration: found "30s", expected a duration from 1m to 30d such as 1h, 24h or 7d`},
		},
		{
			name: "duration too long",
			give: head + "    window: {key: [client], duration: 31d}\n",
			want: []string{`p.yaml:5:39: rules[0].window.duration: found "31d", expected a duration from 1m to 30d such as 1h, 24h or 7d`},
		},
		{
			name: "duration not a duration",
			give: head + "    window: {key: [client], duration: often}\n",
			want: []string{`p.yaml:5:39: rules[0].window.duration: found "often", expected a duration from 1m to 30d such as 1h, 24h or 7d`},
		},
		{
			name: "window without when",
			give: "rules:\n  - name: w\n    action: block\n    window: {key: [client], duration: 1h}\n",
			want: []string{"p.yaml:2:5: rules[0].when: found no when, expected thresholds over the window such as {any: {cn_resident_id: 200}}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Compile("p.yaml", []byte(tt.give))
			if got := errorStrings(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		give    string
		want    time.Duration
		wantErr bool
	}{
		{give: "1m", want: time.Minute},
		{give: "90m", want: 90 * time.Minute},
		{give: "1h30m", want: 90 * time.Minute},
		{give: " 24h ", want: 24 * time.Hour},
		{give: "7d", want: 7 * 24 * time.Hour},
		{give: "30d", want: 30 * 24 * time.Hour},
		{give: "59s", wantErr: true},
		{give: "0d", wantErr: true},
		{give: "31d", wantErr: true},
		{give: "-1h", wantErr: true},
		{give: "1.5d", wantErr: true},
		{give: "d", wantErr: true},
		{give: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseWindow(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

// windowPolicy has a per-message block rule, a window block rule keyed
// by client, a window log rule keyed by user and host, and a window rule
// scoped to one host.
const windowPolicy = `version: w1
rules:
  - name: block-bulk
    direction: both
    when: {any: {cn_resident_id: 50}}
    action: block
  - name: drip-ids
    direction: response
    window: {key: [client], duration: 1h}
    when: {any: {cn_resident_id: 200, bank_card: 20}}
    action: block
  - name: drip-log
    direction: both
    window: {key: [user, host], duration: 24h}
    when: {any: {total: 100}}
    action: log
  - name: paste-drip
    direction: request
    scope: {hosts: [paste.example.com]}
    window: {key: [host], duration: 10m}
    when: {all: {cn_mobile: 40}}
    action: block
`

func TestWindowRules(t *testing.T) {
	s, warns, err := Compile("w.yaml", []byte(windowPolicy))
	if err != nil || len(warns) != 0 {
		t.Fatalf("compile: %v %v", err, warns)
	}
	wantInfo := []RuleInfo{
		{Name: "block-bulk", Action: Block, Direction: Both, Line: 3},
		{Name: "drip-ids", Action: Block, Direction: Response, Line: 7, Window: Window{Key: KeyClient, Duration: time.Hour}},
		{Name: "drip-log", Action: Log, Direction: Both, Line: 12, Window: Window{Key: KeyUser | KeyHost, Duration: 24 * time.Hour}},
		{Name: "paste-drip", Action: Block, Direction: Request, Line: 17, Window: Window{Key: KeyHost, Duration: 10 * time.Minute}},
	}
	if got := s.Rules(); !slices.Equal(got, wantInfo) {
		t.Errorf("Rules() =\n%+v\nwant\n%+v", got, wantInfo)
	}
	allDetectors := inspect.AllDetectors()
	client := netip.MustParseAddr("10.0.0.5")
	tests := []struct {
		name string
		give Message
		want []WindowCheck
	}{
		{
			name: "response, authenticated",
			give: Message{Direction: Response, Host: "API.example.com:443", User: "alice", Client: client},
			want: []WindowCheck{
				{Rule: 1, Key: "client=10.0.0.5", Window: wantInfo[1].Window, Detectors: []inspect.Detector{inspect.ResidentID, inspect.BankCard}},
				{Rule: 2, Key: "user=alice host=api.example.com", Window: wantInfo[2].Window, Detectors: allDetectors},
			},
		},
		{
			name: "request, anonymous: user falls back to the client",
			give: Message{Direction: Request, Host: "paste.example.com", Client: netip.MustParseAddr("::ffff:10.0.0.6")},
			want: []WindowCheck{
				{Rule: 2, Key: "client=10.0.0.6 host=paste.example.com", Window: wantInfo[2].Window, Detectors: allDetectors},
				{Rule: 3, Key: "host=paste.example.com", Window: wantInfo[3].Window, Detectors: []inspect.Detector{inspect.Mobile}},
			},
		},
		{
			name: "no client address",
			give: Message{Direction: Response, Host: "x.example"},
			want: []WindowCheck{
				{Rule: 1, Key: "client=unknown", Window: wantInfo[1].Window, Detectors: []inspect.Detector{inspect.ResidentID, inspect.BankCard}},
				{Rule: 2, Key: "client=unknown host=x.example", Window: wantInfo[2].Window, Detectors: allDetectors},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Scope(tt.give).Windows()
			if len(got) != len(tt.want) {
				t.Fatalf("Windows() = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Rule != w.Rule || g.Key != w.Key || g.Window != w.Window || !slices.Equal(g.Detectors, w.Detectors) {
					t.Errorf("Windows()[%d] = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestDecideWindows(t *testing.T) {
	s, _, err := Compile("w.yaml", []byte(windowPolicy))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scope(Message{Direction: Response, Host: "api.example.com", User: "alice", Client: netip.MustParseAddr("10.0.0.5")})
	// Windows: [drip-ids, drip-log].
	tests := []struct {
		name     string
		give     map[inspect.Detector]int
		windows  []WindowCounts
		wantAct  Action
		wantRule string
		wantLogs []string
	}{
		{name: "no window counts: window rules do not match", give: map[inspect.Detector]int{inspect.ResidentID: 20}, wantAct: Allow},
		{name: "under every threshold", give: map[inspect.Detector]int{inspect.ResidentID: 20},
			windows: []WindowCounts{{inspect.ResidentID: 199}, {inspect.ResidentID: 99}}, wantAct: Allow},
		{name: "window log", give: map[inspect.Detector]int{inspect.ResidentID: 20},
			windows: []WindowCounts{{inspect.ResidentID: 199}, {inspect.ResidentID: 60, inspect.Email: 40}}, wantAct: Log, wantRule: "drip-log", wantLogs: []string{"drip-log"}},
		{name: "window block", give: map[inspect.Detector]int{inspect.ResidentID: 20},
			windows: []WindowCounts{{inspect.ResidentID: 200}, {}}, wantAct: Block, wantRule: "drip-ids"},
		{name: "window block on any", give: nil,
			windows: []WindowCounts{{inspect.BankCard: 20}, {}}, wantAct: Block, wantRule: "drip-ids"},
		{name: "message rule first in file order", give: map[inspect.Detector]int{inspect.ResidentID: 50},
			windows: []WindowCounts{{inspect.ResidentID: 250}, {inspect.ResidentID: 250}}, wantAct: Block, wantRule: "block-bulk", wantLogs: []string{"drip-log"}},
		{name: "window counts do not leak into message rules", give: nil,
			windows: []WindowCounts{{inspect.ResidentID: 60}, {}}, wantAct: Allow},
		{name: "short windows slice", give: nil,
			windows: []WindowCounts{{}}, wantAct: Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sc.DecideWindows(tally(tt.give), tt.windows)
			rule := ""
			if d.Rule >= 0 {
				rule = s.Rule(d.Rule).Name
			}
			if d.Action != tt.wantAct || rule != tt.wantRule || !slices.Equal(s.RuleNames(d.Logs), tt.wantLogs) {
				t.Errorf("DecideWindows = %v %q %v, want %v %q %v", d.Action, rule, s.RuleNames(d.Logs), tt.wantAct, tt.wantRule, tt.wantLogs)
			}
		})
	}
	// Decide ignores window rules whatever the message counts.
	if d := sc.Decide(tally(map[inspect.Detector]int{inspect.ResidentID: 49, inspect.BankCard: 49})); d.Action != Allow {
		t.Errorf("Decide with window rules = %v, want allow", d.Action)
	}
}

func TestWindowsCopies(t *testing.T) {
	s, _, err := Compile("w.yaml", []byte(windowPolicy))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scope(Message{Direction: Response, Host: "a.example"})
	w := sc.Windows()
	w[0].Detectors[0] = inspect.Email
	w[0].Key = "changed"
	if again := sc.Windows(); again[0].Detectors[0] != inspect.ResidentID || again[0].Key != "client=unknown" {
		t.Errorf("Windows() shares memory with the scope: %+v", again[0])
	}
}

func TestDecideWindowsAllocs(t *testing.T) {
	s, _, err := Compile("w.yaml", []byte(windowPolicy))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scope(Message{Direction: Response, Host: "a.example", User: "u"})
	tl := tally(map[inspect.Detector]int{inspect.ResidentID: 3})
	windows := []WindowCounts{{inspect.ResidentID: 300}, {}}
	if n := testing.AllocsPerRun(100, func() { sc.DecideWindows(tl, windows) }); n != 0 {
		t.Errorf("DecideWindows allocates %v times", n)
	}
}

func TestKeyPartsString(t *testing.T) {
	tests := []struct {
		give KeyParts
		want string
	}{
		{0, "none"},
		{KeyClient, "client"},
		{KeyUser | KeyHost, "user+host"},
		{KeyClient | KeyUser | KeyHost, "client+user+host"},
	}
	for _, tt := range tests {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", tt.give, got, tt.want)
		}
	}
	if !strings.Contains(windowPolicy, "window:") {
		t.Fatal("fixture lost its window rules")
	}
}
