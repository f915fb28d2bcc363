package policy

import (
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// tally returns a Tally with the given distinct counts.
func tally(counts map[inspect.Detector]int) *inspect.Tally {
	t := &inspect.Tally{}
	for d, n := range counts {
		t.Counts[d] = n
	}
	return t
}

func TestDefaultCompilesClean(t *testing.T) {
	_, warns, err := Compile(DefaultName, DefaultYAML())
	if err != nil || len(warns) != 0 {
		t.Fatalf("default policy: err %v, warnings %v", err, warns)
	}
	want := []inspect.Detector{inspect.ResidentID, inspect.Mobile, inspect.BankCard, inspect.Email, inspect.Passport, inspect.TravelPermit}
	if got := Default().Detectors(); !slices.Equal(got, want) {
		t.Errorf("Detectors() = %v, want %v", got, want)
	}
}

func TestDefaultDecisions(t *testing.T) {
	s := Default()
	tests := []struct {
		name     string
		give     map[inspect.Detector]int
		wantAct  Action
		wantRule string
		wantLogs []string
	}{
		{"nothing", nil, Allow, "", nil},
		{"9 ids", map[inspect.Detector]int{inspect.ResidentID: 9}, Allow, "", nil},
		{"10 ids", map[inspect.Detector]int{inspect.ResidentID: 10}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"10 emails", map[inspect.Detector]int{inspect.Email: 10}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"49 ids", map[inspect.Detector]int{inspect.ResidentID: 49}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"50 ids", map[inspect.Detector]int{inspect.ResidentID: 50}, Block, "block-bulk-ids-and-cards", []string{"log-personal-information"}},
		{"50 cards", map[inspect.Detector]int{inspect.BankCard: 50}, Block, "block-bulk-ids-and-cards", []string{"log-personal-information"}},
		{"49 ids 49 cards", map[inspect.Detector]int{inspect.ResidentID: 49, inspect.BankCard: 49}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"499 mobiles", map[inspect.Detector]int{inspect.Mobile: 499}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"500 mobiles", map[inspect.Detector]int{inspect.Mobile: 500}, Block, "block-bulk-contacts", []string{"log-personal-information"}},
		{"500 emails 50 ids", map[inspect.Detector]int{inspect.Email: 500, inspect.ResidentID: 50}, Block, "block-bulk-ids-and-cards", []string{"log-personal-information"}},
		{"10 passports", map[inspect.Detector]int{inspect.Passport: 10}, Log, "log-personal-information", []string{"log-personal-information"}},
		{"50 passports", map[inspect.Detector]int{inspect.Passport: 50}, Block, "block-bulk-ids-and-cards", []string{"log-personal-information"}},
		{"50 travel permits", map[inspect.Detector]int{inspect.TravelPermit: 50}, Block, "block-bulk-ids-and-cards", []string{"log-personal-information"}},
		{"1000 names", map[inspect.Detector]int{inspect.Name: 1000}, Allow, "", nil},
	}
	for _, dir := range []Direction{Request, Response} {
		sc := s.Scope(Message{Direction: dir, Host: "paste.example.com", Method: "POST"})
		for _, tt := range tests {
			t.Run(dir.String()+"/"+tt.name, func(t *testing.T) {
				d := sc.Decide(tally(tt.give))
				gotRule := ""
				if d.Rule >= 0 {
					gotRule = s.Rule(d.Rule).Name
				}
				if d.Action != tt.wantAct || gotRule != tt.wantRule || !slices.Equal(s.RuleNames(d.Logs), tt.wantLogs) {
					t.Errorf("Decide = %v rule %q logs %q, want %v rule %q logs %q",
						d.Action, gotRule, s.RuleNames(d.Logs), tt.wantAct, tt.wantRule, tt.wantLogs)
				}
			})
		}
	}
}

func TestDecideOrder(t *testing.T) {
	give := `version: v1
rules:
  - {name: log-5, action: log, when: {any: {email: 5}}}
  - {name: block-ids, action: block, when: {any: {cn_resident_id: 20}}}
  - {name: block-score, action: block, when: {any: {legal_score: 0.1}}}
  - {name: log-all, action: log, when: {all: {email: 5, cn_mobile: 5}}}
  - {name: log-total, action: log, when: {any: {total: 30}}}
`
	s, _, err := Compile("p.yaml", []byte(give))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scope(Message{Direction: Request})
	tests := []struct {
		name     string
		give     map[inspect.Detector]int
		wantAct  Action
		wantRule int
		wantLogs []string
	}{
		{"below all", map[inspect.Detector]int{inspect.Email: 4}, Allow, -1, nil},
		{"first log", map[inspect.Detector]int{inspect.Email: 5}, Log, 0, []string{"log-5"}},
		{"all needs both", map[inspect.Detector]int{inspect.Email: 5, inspect.Mobile: 5}, Log, 0, []string{"log-5", "log-all"}},
		{"score 5 cards", map[inspect.Detector]int{inspect.BankCard: 5}, Block, 2, nil},
		{"first block wins", map[inspect.Detector]int{inspect.BankCard: 5, inspect.ResidentID: 20, inspect.Email: 5}, Block, 1, []string{"log-5", "log-total"}},
		{"total", map[inspect.Detector]int{inspect.Name: 15, inspect.Address: 15}, Log, 4, []string{"log-total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sc.Decide(tally(tt.give))
			if d.Action != tt.wantAct || d.Rule != tt.wantRule || !slices.Equal(s.RuleNames(d.Logs), tt.wantLogs) {
				t.Errorf("Decide = %v rule %d logs %q, want %v rule %d logs %q",
					d.Action, d.Rule, s.RuleNames(d.Logs), tt.wantAct, tt.wantRule, tt.wantLogs)
			}
			if d.Logs.Len() != len(tt.wantLogs) {
				t.Errorf("Logs.Len() = %d, want %d", d.Logs.Len(), len(tt.wantLogs))
			}
		})
	}
}

func TestLegalScore(t *testing.T) {
	tests := []struct {
		name    string
		give    map[inspect.Detector]int
		insider bool
		want    float64
	}{
		{"empty", nil, false, 0},
		{"50 cards", map[inspect.Detector]int{inspect.BankCard: 50}, false, 1},
		{"5000 ids", map[inspect.Detector]int{inspect.ResidentID: 5000}, false, 1},
		{"mixed", map[inspect.Detector]int{inspect.BankCard: 25, inspect.Mobile: 2500}, false, 1},
		{"other tier sums", map[inspect.Detector]int{inspect.Name: 1000, inspect.Address: 1000, inspect.Email: 500}, false, 0.5},
		{"insider halves thresholds", map[inspect.Detector]int{inspect.BankCard: 25}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LegalScore(&tally(tt.give).Counts, tt.insider)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("LegalScore = %v, want %v", got, tt.want)
			}
		})
	}
	for _, d := range inspect.AllDetectors() {
		if want := map[bool]int{true: 50, false: 5000}[d == inspect.BankCard]; Tier(d) != want {
			t.Errorf("Tier(%v) = %d, want %d", d, Tier(d), want)
		}
	}
}

func TestInsiderHalvesScoreThreshold(t *testing.T) {
	give := "version: v1\nsettings: {insider: true}\nrules:\n  - {name: s, action: block, when: {any: {legal_score: 1}}}\n"
	s, _, err := Compile("p.yaml", []byte(give))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scope(Message{Direction: Request})
	if got := sc.Decide(tally(map[inspect.Detector]int{inspect.ResidentID: 2499})).Action; got != Allow {
		t.Errorf("2499 ids insider: %v, want allow", got)
	}
	if got := sc.Decide(tally(map[inspect.Detector]int{inspect.ResidentID: 2500})).Action; got != Block {
		t.Errorf("2500 ids insider: %v, want block", got)
	}
}

func TestScope(t *testing.T) {
	give := `version: v1
allow_hosts: [skip.example.com]
rules:
  - name: hosts
    scope: {hosts: ["*.example.com", "exact.example.org", "10.1.2.3", "[::1]"]}
    action: log
  - name: methods
    direction: both
    scope: {methods: [post, PUT]}
    action: log
  - name: types
    scope: {content_types: ["text/*", "application/json"]}
    action: log
  - name: any-type
    direction: response
    scope: {content_types: ["*"]}
    action: log
  - name: clients
    scope: {clients: ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]}
    action: log
  - name: users
    scope: {users: [alice]}
    action: log
`
	s, _, err := Compile("p.yaml", []byte(give))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give Message
		want []string
	}{
		{"subdomain", Message{Direction: Request, Host: "a.example.com"}, []string{"hosts"}},
		{"deep subdomain with port and case", Message{Direction: Request, Host: "X.Y.Example.Com:443"}, []string{"hosts"}},
		{"apex not matched by wildcard", Message{Direction: Request, Host: "example.com"}, nil},
		{"suffix lookalike", Message{Direction: Request, Host: "badexample.com"}, nil},
		{"exact", Message{Direction: Request, Host: "exact.example.org."}, []string{"hosts"}},
		{"exact only", Message{Direction: Request, Host: "a.exact.example.org"}, nil},
		{"ipv4 host", Message{Direction: Request, Host: "10.1.2.3:8080"}, []string{"hosts"}},
		{"ipv6 host", Message{Direction: Request, Host: "[::1]:8080"}, []string{"hosts"}},
		{"allowlisted host gets nothing", Message{Direction: Request, Host: "skip.example.com", Method: "POST"}, nil},
		{"method case", Message{Direction: Request, Method: "post"}, []string{"methods"}},
		{"method on response", Message{Direction: Response, Method: "PUT"}, []string{"methods", "any-type"}},
		{"method other", Message{Direction: Request, Method: "GET"}, nil},
		{"type with params", Message{Direction: Request, ContentType: "Application/JSON; charset=utf-8"}, []string{"types"}},
		{"type wildcard", Message{Direction: Request, ContentType: "text/csv"}, []string{"types"}},
		{"type other", Message{Direction: Request, ContentType: "image/png"}, nil},
		{"star matches missing type", Message{Direction: Response}, []string{"any-type"}},
		{"client in cidr", Message{Direction: Request, Client: netip.MustParseAddr("10.9.8.7")}, []string{"clients"}},
		{"client 4in6", Message{Direction: Request, Client: netip.MustParseAddr("::ffff:10.9.8.7")}, []string{"clients"}},
		{"client v6", Message{Direction: Request, Client: netip.MustParseAddr("2001:db8::5")}, []string{"clients"}},
		{"client single", Message{Direction: Request, Client: netip.MustParseAddr("192.168.1.7")}, []string{"clients"}},
		{"client outside", Message{Direction: Request, Client: netip.MustParseAddr("192.168.1.8")}, nil},
		{"user", Message{Direction: Request, User: "alice"}, []string{"users"}},
		{"user case-sensitive", Message{Direction: Request, User: "Alice"}, nil},
		{"everything", Message{Direction: Request, Host: "a.example.com", Method: "POST", ContentType: "text/plain",
			User: "alice", Client: netip.MustParseAddr("10.0.0.1")}, []string{"hosts", "methods", "types", "clients", "users"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := s.Scope(tt.give)
			var got []string
			for _, r := range sc.rules {
				got = append(got, r.info.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Scope rules = %q, want %q", got, tt.want)
			}
			if sc.Empty() != (len(tt.want) == 0) || sc.Snapshot() != s {
				t.Errorf("Empty() = %v, Snapshot() = %p", sc.Empty(), sc.Snapshot())
			}
		})
	}
}

func TestSnapshotCopies(t *testing.T) {
	s := Default()
	rules := s.Rules()
	rules[0].Name = "changed"
	dets := s.Detectors()
	dets[0] = inspect.Address
	if s.Rules()[0].Name == "changed" || s.Detectors()[0] == inspect.Address {
		t.Error("Rules() or Detectors() exposed the snapshot's storage")
	}
	if got := s.Rule(0); got != s.Rules()[0] || got.Line == 0 || got.Direction != Both || got.Action != Block {
		t.Errorf("Rule(0) = %+v", got)
	}
}

func TestDecideAllocs(t *testing.T) {
	sc := Default().Scope(Message{Direction: Request, Host: "example.com", Method: "POST"})
	tl := tally(map[inspect.Detector]int{inspect.ResidentID: 30, inspect.Mobile: 600})
	if n := testing.AllocsPerRun(100, func() { sc.Decide(tl) }); n != 0 {
		t.Errorf("Decide allocates %v times per call", n)
	}
}

func BenchmarkDecide(b *testing.B) {
	sc := Default().Scope(Message{Direction: Request, Host: "example.com", Method: "POST"})
	tl := tally(map[inspect.Detector]int{inspect.ResidentID: 12, inspect.Mobile: 40, inspect.Email: 3})
	b.ReportAllocs()
	for b.Loop() {
		sc.Decide(tl)
	}
}
