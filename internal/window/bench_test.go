package window

import (
	"net/netip"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/window/windowtest"
)

// BenchmarkDecide measures the per-message overhead of window accounting:
// Begin and Decide for one message of 20 records under a window rule,
// each message from one of 1000 clients, against the local store alone
// and with Redis. The scan itself is done once, outside the timer.
func BenchmarkDecide(b *testing.B) {
	snap := compile(b, dripPolicy)
	engine := newEngine(b)
	scn := engine.NewScanner()
	if _, err := scn.Write(windowtest.Page(0, 20)); err != nil {
		b.Fatal(err)
	}
	if err := scn.Close(); err != nil {
		b.Fatal(err)
	}
	tally := scn.Tally()
	scopes := make([]*policy.Scope, 1000)
	for i := range scopes {
		client := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		scopes[i] = snap.Scope(policy.Message{Direction: policy.Response, Host: "api.example", Client: client})
	}
	stores := []struct {
		name   string
		shared func(b *testing.B) Store
	}{
		{"local", func(*testing.B) Store { return nil }},
		{"redis", func(b *testing.B) Store {
			srv := windowtest.StartRedis(b)
			r, err := NewRedis(RedisConfig{Addr: srv.Addr, Timeout: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = r.Close() })
			return r
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			clock := windowtest.NewClock()
			cfg := Config{HashKey: hashKey, Now: clock.Now, Timeout: time.Second}
			if s := st.shared(b); s != nil {
				cfg.Shared = s
			}
			tr := newTracker(b, cfg)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clock.Advance(time.Second)
				if d := tr.Begin(scopes[i%len(scopes)]).Decide(tally); d.Action == policy.Block {
					b.Fatal("blocked")
				}
				i++
			}
		})
	}
}
