package proxy

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// review10Rules is byteRules with a scope that blocks on one call of
// Decide and not on the next: what a window rule decides when the older
// records of the client's window leave it between two calls (or the shared
// store fails over to this replica's counts). The scope remembers the most
// IDs any call saw, which is all the proxy counted.
type review10Rules struct {
	byteRules
	at    int // the call that first sees this many IDs blocks, later calls do not
	mu    sync.Mutex
	seen  int
	flips int
}

func (r *review10Rules) Scope(Message) Scope { return &review10Scope{r: r} }

type review10Scope struct {
	r       *review10Rules
	flipped bool
}

func (s *review10Scope) Decide(t *inspect.Tally) Decision {
	ids := t.Counts[inspect.ResidentID]
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.seen = max(s.r.seen, ids)
	if ids >= s.r.at && !s.flipped {
		s.flipped = true
		s.r.flips++
		return Decision{Action: Block, Rule: "window-block"}
	}
	return Decision{}
}

// TestReview10StopWhenThenAllowForwardsUnread shows that the proxy's stop
// predicate (message.blocks) and its check are two separate Decide calls:
// when the first says Block, the extractor halts (StopWhen) and reads no
// more, records no reason, and Close settles every byte; when the next
// Decide (check) does not block, the whole body is forwarded upstream with
// most of it never inspected. A 20,000-row zip goes upstream whole with
// only the IDs counted before the stop (about 1,800).
func TestReview10StopWhenThenAllowForwardsUnread(t *testing.T) {
	const rows = 20000
	rules := &review10Rules{at: 1000}
	e := newEnv(t, &byteRules{}, func(p *Proxy) { p.Policy = func() Rules { return rules } })
	body := buildZip(t, zfile{name: "c.csv", data: corpus.CSV(corpus.Records(15, rows), corpus.CSVOptions{}).Data})
	resp, err := e.client.Post(e.plain.URL+"/upload", "application/zip", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	received, _ := e.up.last()
	rules.mu.Lock()
	seen, flips := rules.seen, rules.flips
	rules.mu.Unlock()
	if flips == 0 {
		t.Fatalf("the scope never blocked (saw %d IDs)", seen)
	}
	if resp.StatusCode == http.StatusOK && received == int64(len(body)) && seen < rows {
		t.Errorf("status %d, upstream received all %d bytes, but the proxy counted only %d of their %d IDs (the extractor stopped at a Block that check did not repeat)",
			resp.StatusCode, received, seen, rows)
	}
}
