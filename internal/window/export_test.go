package window

// Test helpers shared with the external tests (package window_test),
// which go through internal/proxy: it imports this package.
var (
	HashKeyForTest    = hashKey
	CompileForTest    = compile
	NewTrackerForTest = newTracker
)

// CountingMetricsForTest counts a tracker's store errors and fallbacks.
type CountingMetricsForTest = countingMetrics

// Counts returns the store errors and fallbacks counted so far.
func (m *countingMetrics) Counts() (errors, fallbacks int64) {
	return m.errors.Load(), m.fallbacks.Load()
}
