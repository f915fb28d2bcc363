// Package metrics holds every Prometheus collector of dlpproxy, in one place
// and on an injected registry.
//
// API summary:
//
//	reg := prometheus.NewRegistry()
//	m := metrics.New(reg)                      // registers dlp_*, go_* and process_* on reg
//	http.Handle("/metrics", metrics.Handler(reg))
//
//	m.InspectedBytes(metrics.Request, n)       // body bytes run through the engine
//	m.UninspectedMessage(metrics.Response, metrics.ReasonOverLimit, metrics.ActionAllow)
//	m.UninspectedBytes(metrics.Response, metrics.ReasonOverLimit, n)
//	m.AddTally(tally)                          // or m.Findings(inspect.Mobile, 3)
//	m.Incident(rule, metrics.ActionBlock)
//	m.Block(metrics.Request, metrics.PhaseHeld)
//	m.Request(metrics.OutcomeAllowed, elapsed) // once per proxied request
//	m.AccessDenied(metrics.DenyAuth)
//	m.ObserveInspection(metrics.Request, elapsed)
//	m.ActiveConnections.Inc() / .Dec(); m.ActiveInspections.Inc() / .Dec()
//	m.SetPolicy(version, sha256); m.ReloadSucceeded(now); m.ReloadFailed()
//	m.TLSInterceptError(metrics.StageUpstreamVerify)
//	m.WatchLeafCache(ca.Len)                   // dlp_leaf_cert_cache_entries reads it on scrape
//	m.WatchWindowKeys(local.Len)               // dlp_window_tracked_keys reads it on scrape
//	m.WindowEvicted(); m.WindowStoreError(); m.WindowFallback()
//	m.SetBuildInfo(version)
//
// Label values are typed constants from this package (or detector ids and
// policy rule names), so every label stays bounded: no host, client, user,
// URL or matched value ever becomes a label. Label combinations known up
// front exist at 0 from the start, so dashboards and alerts work before the
// first event. docs/metrics.md lists every metric.
package metrics

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// namespace prefixes every dlpproxy metric name.
const namespace = "dlp"

// Direction says which body a message is: the request's or the response's.
type Direction string

// Directions.
const (
	Request  Direction = "request"
	Response Direction = "response"
)

// Reason says why a message or some bytes were not inspected.
type Reason string

// Reasons for uninspected traffic.
const (
	ReasonOverLimit           Reason = "over_limit"           // body larger than the inspect limit
	ReasonDecodeError         Reason = "decode_error"         // content decoding failed
	ReasonUnsupportedEncoding Reason = "unsupported_encoding" // Content-Encoding the engine cannot decode
	ReasonTunnelBypass        Reason = "tunnel_bypass"        // host on the TLS bypass list
	ReasonWebSocket           Reason = "websocket"            // upgraded WebSocket connection
	ReasonHTTP2               Reason = "http2"                // HTTP/2 tunnel that is not intercepted
	ReasonEncrypted           Reason = "encrypted"            // encrypted archive or document
	ReasonAllowlistedHost     Reason = "allowlisted_host"     // host exempted from inspection by policy
)

// Action is what the proxy did: allow (uninspected traffic, fail-open),
// log (incident recorded, traffic passed) or block.
type Action string

// Actions.
const (
	ActionAllow Action = "allow"
	ActionLog   Action = "log"
	ActionBlock Action = "block"
)

// Phase says when a block happened.
type Phase string

// Phases of a block.
const (
	PhaseHeld      Phase = "held"      // clean 403 before anything was forwarded
	PhaseStreaming Phase = "streaming" // connection cut mid-body
)

// Outcome is how a proxied request ended.
type Outcome string

// Request outcomes.
const (
	OutcomeAllowed  Outcome = "allowed"
	OutcomeBlocked  Outcome = "blocked"  // blocked by the DLP policy
	OutcomeDenied   Outcome = "denied"   // refused by access control (CIDR, auth, port)
	OutcomeError    Outcome = "error"    // upstream failure (502)
	OutcomeBypassed Outcome = "bypassed" // passed without inspection (bypass list)
)

// DenyReason says which access control refused a client.
type DenyReason string

// Access-control deny reasons.
const (
	DenyClientCIDR  DenyReason = "client_cidr" // client address outside the allowed CIDRs
	DenyAuth        DenyReason = "auth"        // missing or wrong proxy credentials
	DenyPort        DenyReason = "port"        // destination port not allowed
	DenySelf        DenyReason = "self"        // request aimed at the proxy itself
	DenyDestination DenyReason = "destination" // destination address not allowed
)

// Stage says where TLS interception failed.
type Stage string

// TLS interception stages.
const (
	StageClientHandshake   Stage = "client_handshake"   // client rejected our leaf or the handshake failed
	StageUpstreamVerify    Stage = "upstream_verify"    // upstream certificate did not verify
	StageUpstreamHandshake Stage = "upstream_handshake" // upstream handshake failed otherwise
	StageLeafCert          Stage = "leaf_cert"          // minting a leaf certificate failed
)

// Label names, declared once.
const (
	labelDirection = "direction"
	labelReason    = "reason"
	labelAction    = "action"
	labelDetector  = "detector"
	labelRule      = "rule"
	labelPhase     = "phase"
	labelOutcome   = "outcome"
	labelResult    = "result"
	labelStage     = "stage"
	labelVersion   = "version"
	labelSHA256    = "sha256"
	labelGoVersion = "goversion"
)

// Metrics holds every dlpproxy collector. Create it with New; its methods
// are safe for concurrent use.
type Metrics struct {
	// ActiveConnections counts client connections currently open,
	// CONNECT tunnels included: Inc on accept, Dec on close.
	ActiveConnections prometheus.Gauge
	// ActiveInspections counts messages currently being inspected.
	ActiveInspections prometheus.Gauge

	inspectedBytes      *prometheus.CounterVec
	uninspectedBytes    *prometheus.CounterVec
	uninspectedMessages *prometheus.CounterVec
	findings            *prometheus.CounterVec
	incidents           *prometheus.CounterVec
	blocks              *prometheus.CounterVec
	requests            *prometheus.CounterVec
	accessDenied        *prometheus.CounterVec
	inspectionDuration  *prometheus.HistogramVec
	requestDuration     prometheus.Histogram
	policyReloads       *prometheus.CounterVec
	policyInfo          *info
	policyLastSuccess   prometheus.Gauge
	tlsErrors           *prometheus.CounterVec
	buildInfo           *info

	windowEvictions   prometheus.Counter
	windowStoreErrors prometheus.Counter
	windowFallbacks   prometheus.Counter

	leafCacheLen  watchedSize
	windowKeysLen watchedSize
}

// watchedSize is a size read on every scrape from a function set later;
// it reads 0 until the function is set.
type watchedSize struct {
	f atomic.Pointer[func() int]
}

func (w *watchedSize) set(size func() int) { w.f.Store(&size) }

func (w *watchedSize) value() float64 {
	if f := w.f.Load(); f != nil {
		return float64((*f)())
	}
	return 0
}

func name(n string) string { return prometheus.BuildFQName(namespace, "", n) }

func counterVec(n, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name(n), Help: help}, labels)
}

func counter(n, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name(n), Help: help})
}

func gauge(n, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name(n), Help: help})
}

// New creates the collectors, registers them together with the standard Go
// and process collectors on reg, and pre-creates every label combination
// known up front. Like prometheus.MustRegister it panics if registration
// fails, which is a programming error (e.g. reg already holds a Go
// collector); pass a fresh prometheus.NewRegistry().
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ActiveConnections: gauge("active_connections", "Client connections currently open, CONNECT tunnels included."),
		ActiveInspections: gauge("active_inspections", "Messages currently being inspected."),

		inspectedBytes: counterVec("inspected_bytes_total",
			"Body bytes run through the inspection engine.", labelDirection),
		uninspectedBytes: counterVec("uninspected_bytes_total",
			"Body bytes passed or refused without inspection, by reason.", labelDirection, labelReason),
		uninspectedMessages: counterVec("uninspected_messages_total",
			"Messages that could not be inspected, by reason and the action taken.", labelDirection, labelReason, labelAction),
		findings: counterVec("findings_total",
			"Distinct personal-information values found per message, summed over messages.", labelDetector),
		incidents: counterVec("incidents_total",
			"Policy rule matches, by rule and action.", labelRule, labelAction),
		blocks: counterVec("blocks_total",
			"Messages blocked, held (clean 403) or cut while streaming.", labelDirection, labelPhase),
		requests: counterVec("requests_total",
			"Requests handled by the proxy, by outcome.", labelOutcome),
		accessDenied: counterVec("access_denied_total",
			"Requests refused by access control, by reason.", labelReason),
		inspectionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name("inspection_duration_seconds"),
			Help: "Inspection engine time per message.",
			// 50µs (a small JSON body) to 10s (a huge upload).
			Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{labelDirection}),
		requestDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: name("request_duration_seconds"),
			Help: "Time of a whole request through the proxy.",
			// 1ms to 60s: whole requests, upstream time included.
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		policyReloads: counterVec("policy_reloads_total",
			"Policy loads and reloads, by result.", labelResult),
		policyInfo: newInfo("policy_info",
			"Version and SHA-256 of the loaded policy, value 1.", labelVersion, labelSHA256),
		policyLastSuccess: gauge("policy_last_reload_success_timestamp_seconds",
			"Unix time of the last successful policy load."),
		tlsErrors: counterVec("tls_intercept_errors_total",
			"TLS interception failures, by stage.", labelStage),
		buildInfo: newInfo("build_info",
			"Version of dlpproxy and of Go it was built with, value 1.", labelVersion, labelGoVersion),
		windowEvictions: counter("window_evictions_total",
			"Window series (rule and key) evicted from the local store to stay within its key cap."),
		windowStoreErrors: counter("window_store_errors_total",
			"Failed calls to the shared window store (Redis)."),
		windowFallbacks: counter("window_fallbacks_total",
			"Window updates decided on local counts because the shared store failed or was being skipped."),
	}
	leafCache := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: name("leaf_cert_cache_entries"),
		Help: "Leaf certificates currently cached for TLS interception.",
	}, m.leafCacheLen.value)
	windowKeys := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: name("window_tracked_keys"),
		Help: "Window series (rule and key) tracked in the local store.",
	}, m.windowKeysLen.value)

	reg.MustRegister(
		m.ActiveConnections, m.ActiveInspections,
		m.inspectedBytes, m.uninspectedBytes, m.uninspectedMessages,
		m.findings, m.incidents, m.blocks, m.requests, m.accessDenied,
		m.inspectionDuration, m.requestDuration,
		m.policyReloads, m.policyInfo, m.policyLastSuccess,
		m.tlsErrors, leafCache, m.buildInfo,
		windowKeys, m.windowEvictions, m.windowStoreErrors, m.windowFallbacks,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.precreate()
	m.SetBuildInfo(mainVersion())
	return m
}

// precreate makes every label combination known up front exist at 0.
func (m *Metrics) precreate() {
	directions := []Direction{Request, Response}
	reasons := []Reason{ReasonOverLimit, ReasonDecodeError, ReasonUnsupportedEncoding, ReasonTunnelBypass,
		ReasonWebSocket, ReasonHTTP2, ReasonEncrypted, ReasonAllowlistedHost}
	for _, d := range directions {
		m.inspectedBytes.WithLabelValues(string(d))
		m.inspectionDuration.WithLabelValues(string(d))
		for _, p := range []Phase{PhaseHeld, PhaseStreaming} {
			m.blocks.WithLabelValues(string(d), string(p))
		}
		for _, r := range reasons {
			m.uninspectedBytes.WithLabelValues(string(d), string(r))
			for _, a := range []Action{ActionAllow, ActionBlock} {
				m.uninspectedMessages.WithLabelValues(string(d), string(r), string(a))
			}
		}
	}
	for _, det := range inspect.AllDetectors() {
		m.findings.WithLabelValues(det.String())
	}
	for _, o := range []Outcome{OutcomeAllowed, OutcomeBlocked, OutcomeDenied, OutcomeError, OutcomeBypassed} {
		m.requests.WithLabelValues(string(o))
	}
	for _, r := range []DenyReason{DenyClientCIDR, DenyAuth, DenyPort, DenySelf, DenyDestination} {
		m.accessDenied.WithLabelValues(string(r))
	}
	for _, r := range []string{"success", "failure"} {
		m.policyReloads.WithLabelValues(r)
	}
	for _, s := range []Stage{StageClientHandshake, StageUpstreamVerify, StageUpstreamHandshake, StageLeafCert} {
		m.tlsErrors.WithLabelValues(string(s))
	}
}

// mainVersion is the main module's version from the build info, or
// "unknown"; SetBuildInfo replaces it with the release version.
func mainVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// Handler serves the exposition of g (normally the registry given to New).
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// InspectedBytes adds n body bytes run through the engine.
func (m *Metrics) InspectedBytes(d Direction, n int64) {
	m.inspectedBytes.WithLabelValues(string(d)).Add(float64(n))
}

// UninspectedBytes adds n body bytes that were not inspected, e.g. the bytes
// of a bypassed tunnel as they flow.
func (m *Metrics) UninspectedBytes(d Direction, r Reason, n int64) {
	m.uninspectedBytes.WithLabelValues(string(d), string(r)).Add(float64(n))
}

// UninspectedMessage counts one message that could not be inspected and
// whether it was allowed (fail-open) or blocked (fail-closed).
func (m *Metrics) UninspectedMessage(d Direction, r Reason, a Action) {
	m.uninspectedMessages.WithLabelValues(string(d), string(r), string(a)).Inc()
}

// Findings adds n distinct values found by detector det in one message.
func (m *Metrics) Findings(det inspect.Detector, n int) {
	m.findings.WithLabelValues(det.String()).Add(float64(n))
}

// AddTally adds the distinct-value counts of one finished message.
func (m *Metrics) AddTally(t *inspect.Tally) {
	for det, n := range t.Counts {
		if n > 0 {
			m.Findings(inspect.Detector(det), n)
		}
	}
}

// Incident counts one match of the policy rule named rule (names are
// bounded by the policy) and the action it took: ActionLog or ActionBlock.
func (m *Metrics) Incident(rule string, a Action) {
	m.incidents.WithLabelValues(rule, string(a)).Inc()
}

// InitRule makes the incident series of the policy rule named rule exist
// at 0 for the action it takes (a block rule's incidents are blocks, a
// log rule's logs: the other pair would be a series that never moves);
// call it for every rule after each policy load.
func (m *Metrics) InitRule(rule string, a Action) {
	m.incidents.WithLabelValues(rule, string(a))
}

// Block counts one message blocked by the DLP policy.
func (m *Metrics) Block(d Direction, p Phase) {
	m.blocks.WithLabelValues(string(d), string(p)).Inc()
}

// Request counts one finished request by outcome and observes its duration.
func (m *Metrics) Request(o Outcome, elapsed time.Duration) {
	m.requests.WithLabelValues(string(o)).Inc()
	m.requestDuration.Observe(elapsed.Seconds())
}

// AccessDenied counts one request refused by access control. The request
// itself is counted by Request with OutcomeDenied.
func (m *Metrics) AccessDenied(r DenyReason) {
	m.accessDenied.WithLabelValues(string(r)).Inc()
}

// ObserveInspection records the engine time spent on one message.
func (m *Metrics) ObserveInspection(d Direction, elapsed time.Duration) {
	m.inspectionDuration.WithLabelValues(string(d)).Observe(elapsed.Seconds())
}

// SetPolicy records the loaded policy: dlp_policy_info is replaced
// atomically so that exactly one series, {version, sha256}, exists with
// value 1. Before the first call the metric has no series.
func (m *Metrics) SetPolicy(version, sha string) {
	m.policyInfo.set(version, sha)
}

// ReloadSucceeded counts a successful policy load (the first one included)
// and records its time.
func (m *Metrics) ReloadSucceeded(at time.Time) {
	m.policyReloads.WithLabelValues("success").Inc()
	m.policyLastSuccess.Set(float64(at.UnixNano()) / 1e9)
}

// ReloadFailed counts a failed policy load; the old policy stays in force.
func (m *Metrics) ReloadFailed() {
	m.policyReloads.WithLabelValues("failure").Inc()
}

// TLSInterceptError counts one TLS interception failure at stage s.
func (m *Metrics) TLSInterceptError(s Stage) {
	m.tlsErrors.WithLabelValues(string(s)).Inc()
}

// WatchLeafCache makes dlp_leaf_cert_cache_entries report size() on every
// scrape (typically (*ca.CA).Len). Until it is called the gauge reads 0.
func (m *Metrics) WatchLeafCache(size func() int) {
	m.leafCacheLen.set(size)
}

// WatchWindowKeys makes dlp_window_tracked_keys report size() on every
// scrape (typically (*window.Local).Len). Until it is called the gauge
// reads 0.
func (m *Metrics) WatchWindowKeys(size func() int) {
	m.windowKeysLen.set(size)
}

// WindowEvicted counts one window series evicted from the local store
// (window.LocalConfig.OnEvict).
func (m *Metrics) WindowEvicted() { m.windowEvictions.Inc() }

// WindowStoreError counts one failed call to the shared window store.
func (m *Metrics) WindowStoreError() { m.windowStoreErrors.Inc() }

// WindowFallback counts one window update decided on local counts because
// the shared store failed or was being skipped.
func (m *Metrics) WindowFallback() { m.windowFallbacks.Inc() }

// SetBuildInfo sets dlp_build_info to the single series {version, the Go
// version of this binary}. New sets it from the module build info.
func (m *Metrics) SetBuildInfo(version string) {
	m.buildInfo.set(version, runtime.Version())
}

// info is an "_info" gauge: exactly one series with value 1 whose label
// values are swapped atomically, so a scrape never sees none or two.
type info struct {
	desc   *prometheus.Desc
	values atomic.Pointer[[]string]
}

func newInfo(n, help string, labels ...string) *info {
	return &info{desc: prometheus.NewDesc(name(n), help, labels, nil)}
}

func (i *info) set(values ...string) { i.values.Store(&values) }

// Describe implements prometheus.Collector.
func (i *info) Describe(ch chan<- *prometheus.Desc) { ch <- i.desc }

// Collect implements prometheus.Collector.
func (i *info) Collect(ch chan<- prometheus.Metric) {
	if v := i.values.Load(); v != nil {
		ch <- prometheus.MustNewConstMetric(i.desc, prometheus.GaugeValue, 1, *v...)
	}
}
