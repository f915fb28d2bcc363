package inspect

// Settle decides everything written so far, as Boundary does, but goes on
// with the same part: a CSV header or HTML table read before still labels
// what comes after. The writer calls it where it knows no value goes on:
// at the end of each record of a line-delimited stream (NDJSON), so that a
// record is released as soon as it is written, not when the next few
// hundred bytes come. It is a no-op after Close.
func (s *Scanner) Settle() {
	if s.closed {
		return
	}
	s.scan(true)
	s.compact()
}
