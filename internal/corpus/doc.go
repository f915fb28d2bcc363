// Package corpus generates deterministic synthetic test data with known
// counts of personal information (PI): the inputs of the engine's tests, the
// proxy's end-to-end tests and the throughput benchmarks.
//
// Every value is synthetic but format-valid: resident ID numbers carry a real
// area code, a real birth date and a correct check character, card numbers
// pass Luhn, mobile numbers sit in allocated segments. The same seed always
// gives the same bytes (math/rand/v2 PCG).
//
// Renderers (CSV, JSON, Prose, Grouped, ...) return a Doc whose Want says how
// many distinct values of each detector the bytes hold. Every value is
// labelled the way real data labels it: a column header (CSV, HTML), a key
// (JSON, form body) or an inline label such as 身份证号 (prose), so the
// context-only detectors (names, addresses, passports, travel permits) have
// the context they need. Negative corpora (Neg*, Binary, CleanWeb) hold no PI
// at all: a correct engine reports zero for every detector.
//
// The package does not import internal/inspect, so that the engine's own
// tests can import it; detectors are named by their stable string ids.
package corpus
