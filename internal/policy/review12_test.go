package policy

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestReview12AllowValue15DigitNeverMatches: allow_values now accepts a
// resident ID only if the engine counts it ("the engine counts no other:
// it could never match"), and a 15-digit first-generation number passes
// that check. But the engine counts a 15-digit number as its 18-digit
// upgrade (upgradeResidentID15: one person counts once), and the allow
// set keeps the 15-digit string's digest: the value is accepted without a
// word and never matches, in its 15-digit form or its 18-digit one.
func TestReview12AllowValue15DigitNeverMatches(t *testing.T) {
	const id15 = "610104620927690" // TestNormalizeValue's valid first-generation number
	s, _, err := Compile("p.yaml", []byte("version: v1\nallow_values: {cn_resident_id: [\""+id15+"\"]}\nrules: []\n"))
	if err != nil {
		t.Fatalf("a valid 15-digit ID is rejected: %v", err)
	}
	e, err := inspect.NewEngine(inspect.Config{Allow: s.AllowValue})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"身份证号\n" + id15 + "\n", "身份证号\n610104196209276908\n"} {
		sc := e.NewScanner()
		_, _ = sc.Write([]byte(text))
		_ = sc.Close()
		n := sc.Tally().Counts[inspect.ResidentID]
		sc.Release()
		if n != 0 {
			t.Errorf("%q: %d resident ID counted although allow_values lists %s", text, n, id15)
		}
	}
}
