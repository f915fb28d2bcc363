// Package window counts personal-information values across messages:
// distinct values per detector, per window rule and key (client, user,
// host or a combination), over a sliding time window. It turns the
// per-message policy into a leak detector for drips: a scraper paging 20
// records at a time, a script posting 40 ID numbers a minute.
//
// A Tracker sits between the proxy and the policy. Per message it takes
// the scope's window rules (policy.Scope.Windows), records the value
// hashes of each new chunk (inspect.Tally.Hashes, keyed with the
// engine's HashKey) in a Store, and decides with
// policy.Scope.DecideWindows:
//
//	tr, _ := window.New(window.Config{Local: local, Shared: redisStore, HashKey: key})
//	m := tr.Begin(scope)        // once per message
//	d := m.Decide(tally)        // after every chunk, instead of scope.Decide
//	st, ok := m.Status(d.Rule)  // for the incident and block page
//
// Counting is bounded. Per series (rule and key) and detector, a store
// keeps up to ExactLimit value hashes with their last-seen time: the count
// is exact. Past the limit it keeps the newest three quarters and answers
// from HyperLogLog sketches, one per twelfth of the window, merged over
// the last 13 (local: 1.6% standard error; Redis: 0.81%), until one full
// window has passed without overflow, when the exact set is complete
// again. The local store tracks at most MaxKeys series and evicts the
// least recently used.
//
// Values never leave the process: stores see keyed hashes of values and
// of series (rule and key text). docs/window.md has the policy syntax,
// the Redis key layout and sizing numbers.
package window
