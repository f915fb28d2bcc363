package proxy

import (
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// fakeMetrics records measurements under readable keys.
type fakeMetrics struct {
	mu sync.Mutex
	m  map[string]float64
}

func newFakeMetrics() *fakeMetrics { return &fakeMetrics{m: map[string]float64{}} }

func (f *fakeMetrics) add(key string, v float64) {
	f.mu.Lock()
	f.m[key] += v
	f.mu.Unlock()
}

func (f *fakeMetrics) get(key string) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[key]
}

func (f *fakeMetrics) snapshot() map[string]float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.m)
}

func (f *fakeMetrics) InspectedBytes(d Direction, n int64) {
	f.add("inspected/"+d.String(), float64(n))
}
func (f *fakeMetrics) UninspectedBytes(d Direction, r string, n int64) {
	f.add("uninspected/"+d.String()+"/"+r, float64(n)+1e-9)
}
func (f *fakeMetrics) UninspectedMessage(d Direction, r string, b bool) {
	f.add(fmt.Sprintf("uninspected_msg/%s/%s/%t", d, r, b), 1)
}
func (f *fakeMetrics) Findings(d inspect.Detector, n int) { f.add("findings/"+d.String(), float64(n)) }
func (f *fakeMetrics) Incident(rule string, b bool)       { f.add(fmt.Sprintf("incident/%s/%t", rule, b), 1) }
func (f *fakeMetrics) Block(d Direction, phase string)    { f.add("block/"+d.String()+"/"+phase, 1) }
func (f *fakeMetrics) Request(o string, _ time.Duration)  { f.add("request/"+o, 1) }
func (f *fakeMetrics) AccessDenied(r string)              { f.add("denied/"+r, 1) }
func (f *fakeMetrics) InspectionDuration(d Direction, _ time.Duration) {
	f.add("inspection_seconds_count/"+d.String(), 1)
}
func (f *fakeMetrics) ActiveConnections(n int)    { f.add("active_connections", float64(n)) }
func (f *fakeMetrics) ActiveInspections(n int)    { f.add("active_inspections", float64(n)) }
func (f *fakeMetrics) TLSInterceptError(s string) { f.add("tls/"+s, 1) }

var _ Metrics = (*fakeMetrics)(nil)

func sleep() { time.Sleep(10 * time.Millisecond) }
