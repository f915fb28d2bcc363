package policy

import "github.com/dlpproxy/dlpproxy/internal/inspect"

// Tier returns the record threshold of the 2017 judicial interpretation of
// Criminal Law art. 253-1 (art. 5) that applies to detector d: 50, 500 or
// 5000 records.
//
// The mapping, documented in docs/policy.md:
//   - bank_card is property information (财产信息): 50.
//   - Every other detector is "other personal information": 5000. A resident
//     ID, mobile number, e-mail, passport, travel permit, name or address on
//     its own is not a location track, communication content or record,
//     credit, health or transaction information. Some courts count an ID
//     number together with a name as 500-tier; we take the statutory
//     reading, and the default policy blocks far below either threshold.
func Tier(d inspect.Detector) int {
	if d == inspect.BankCard {
		return 50
	}
	return 5000
}

// LegalScore returns n50/50 + n500/500 + n5000/5000 for the distinct counts
// per detector, with each threshold halved when insider is set. A score of
// 1 or more meets the "serious circumstances" threshold of art. 5. It does
// not allocate.
func LegalScore(counts *[inspect.NumDetectors]int, insider bool) float64 {
	var s float64
	for d, n := range counts {
		s += float64(n) / float64(Tier(inspect.Detector(d)))
	}
	if insider {
		s *= 2
	}
	return s
}
