package inspect

import (
	"bytes"
	"testing"
	"time"
)

// TestLongJoinerRunsScanInLinearTime: a run of bytes that may belong to a
// run of digits (spaces, hyphens, hex letters, '&', ';') longer than the
// scanner's buffer, written in small pieces, is scanned in time linear in
// its length: the walk back at a pass's limit went to where the pass
// began, so the pass never moved on, every write rescanned the whole run,
// and once the run filled the buffer Write spun forever (a 34 KiB run of
// spaces in 1-byte writes never returned). A value after the run counts.
func TestLongJoinerRunsScanInLinearTime(t *testing.T) {
	e := newTestEngine(t)
	tail := []byte(" 手机 13812345678\n")
	for _, fill := range []string{" ", "-", "a", "&", "; ", "- "} {
		for _, chunk := range []int{1, 64, 4096} {
			body := append(bytes.Repeat([]byte(fill), (96<<10)/len(fill)), tail...)
			done := make(chan [NumDetectors]int, 1)
			go func() {
				s := e.NewScanner()
				defer s.Release()
				for off := 0; off < len(body); off += chunk {
					_, _ = s.Write(body[off:min(off+chunk, len(body))])
				}
				_ = s.Close()
				done <- s.Tally().Counts
			}()
			select {
			case got := <-done:
				if got[Mobile] != 1 {
					t.Errorf("fill %q, %d-byte writes: %d mobiles, want 1", fill, chunk, got[Mobile])
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("fill %q, %d-byte writes: not scanned in 20 s", fill, chunk)
			}
		}
	}
}
