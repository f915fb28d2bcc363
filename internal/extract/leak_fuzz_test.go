package extract

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// FuzzSettledLeakBudget: whatever the body and however it is split, the raw
// prefix Settled releases after a write never holds a value that was not
// counted yet (the leak budget: bytes are forwarded only after the check
// that would stop them has run). Plain text is settled through the
// extractor's in-place mapping, so this fuzzes it with every chunk size.
func FuzzSettledLeakBudget(f *testing.F) {
	e := newTestEngine(f)
	r := corpus.Records(3, 1)[0]
	f.Add([]byte("id "+r.ResidentID+" tel "+r.Mobile+"\n"), uint16(7), "")
	f.Add(csvBytes(csvRows(corpus.Records(5, 3))), uint16(100), "text/csv")
	f.Add([]byte(`{"name":"`+r.Name+`","idNo":"`+r.ResidentID+`"}`), uint16(16), "application/json")
	f.Add([]byte("data: "+r.ResidentID+"\n\n"), uint16(5), "text/event-stream")
	f.Fuzz(func(t *testing.T, body []byte, chunk uint16, ctype string) {
		if len(body) > 4096 {
			return
		}
		checkLeakBudget(t, e, body, ctype, Limits{}, int(chunk%512)+1, 0)
	})
}
