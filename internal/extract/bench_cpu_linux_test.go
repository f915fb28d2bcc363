//go:build linux

package extract

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkShapesCPU measures the extractor's cost on the plain shapes as
// thread CPU time, the bare scanner and the extractor alternating on the
// same bytes every iteration. On a shared machine the wall clock rows of
// BenchmarkShapes are measured a minute apart under different load, and
// their ratio says little. x-speed is the extractor's MB/s over the bare
// scanner's (medians; 1 means the extractor costs nothing); ext-ms and
// scan-ms are the medians of one pass. The other shapes report ext-ms
// alone.
func BenchmarkShapesCPU(b *testing.B) {
	e := newTestEngine(b)
	plain, wrapped := benchShapes(b)
	for _, sh := range wrapped {
		b.Run("shape="+sh.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var ext []time.Duration
			for b.Loop() {
				ext = append(ext, threadCPU(func() { extractOnce(e, sh) }))
			}
			b.ReportMetric(float64(median(ext))/1e6, "ext-ms")
		})
	}
	for _, sh := range plain {
		b.Run("shape="+sh.name, func(b *testing.B) {
			runtime.LockOSThread() // thread CPU time: the coroutine runs on this thread too
			defer runtime.UnlockOSThread()
			var scan, ext []time.Duration
			for b.Loop() {
				scan = append(scan, threadCPU(func() { scanOnce(e, sh.body) }))
				ext = append(ext, threadCPU(func() { extractOnce(e, sh) }))
			}
			s, x := median(scan), median(ext)
			b.ReportMetric(float64(s)/float64(x), "x-speed")
			b.ReportMetric(float64(s)/1e6, "scan-ms")
			b.ReportMetric(float64(x)/1e6, "ext-ms")
		})
	}
}

// threadCPU returns the CPU time the calling thread spent in f.
func threadCPU(f func()) time.Duration {
	var t0, t1 unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t0)
	f()
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t1)
	return time.Duration(t1.Nano() - t0.Nano())
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}
