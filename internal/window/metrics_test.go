package window

import "github.com/dlpproxy/dlpproxy/internal/metrics"

// The metrics package implements the tracker's Metrics and the local
// store's OnEvict.
var (
	_ Metrics = (*metrics.Metrics)(nil)
	_ func()  = (*metrics.Metrics)(nil).WindowEvicted
)
