package extract

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestStopWhen checks that StopWhen stops the parsers once its function
// says so: a zip held whole (decoded at the end) and a 7z over the hold
// (decoded when the hold overflows) of 20,000 rows each stop soon after
// the 1,000th ID, with no reason recorded for the parse cut short; without
// it they count all 20,000. Bytes after the stop settle only at Close.
func TestStopWhen(t *testing.T) {
	e := newTestEngine(t)
	const rows = 20000
	list := csvBytes(csvRows(corpus.Records(14, rows)))
	for _, tt := range []struct {
		name string
		body []byte
		lim  Limits
	}{
		{"zip held whole", buildZip(t, zfile{name: "c.csv", data: list}), Limits{}},
		{"7z over the hold", sevenZipLZMA2(t, szTestFile{name: "c.csv", data: list}), Limits{Hold: 64 << 10}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, stop := range []bool{false, true} {
				s := e.NewScanner()
				x := New(s, "", tt.lim)
				if stop {
					x.StopWhen(func(t *inspect.Tally) bool { return t.Counts[inspect.ResidentID] >= 1000 })
				}
				var settledBeforeClose int64
				for off := 0; off < len(tt.body); off += benchChunk {
					_, _ = x.Write(tt.body[off:min(off+benchChunk, len(tt.body))])
					settledBeforeClose = x.Settled()
				}
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
				ids := s.Tally().Counts[inspect.ResidentID]
				switch {
				case !stop && ids != rows:
					t.Errorf("without StopWhen: %d IDs, want %d", ids, rows)
				case stop && (ids < 1000 || ids > rows/2):
					t.Errorf("with StopWhen: %d IDs, want 1,000 to %d", ids, rows/2)
				case stop && settledBeforeClose == int64(len(tt.body)):
					t.Errorf("with StopWhen: all %d bytes settled before Close", len(tt.body))
				}
				if r := x.Reasons(); len(r) > 0 {
					t.Errorf("stop %v: reasons %v", stop, r)
				}
				x.Stop()
				s.Release()
			}
		})
	}
}
