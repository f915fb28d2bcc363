package inspect

// Detector identifies one kind of personal information. Its String form is
// the stable id used in policy files, metric labels, logs and scan output.
type Detector uint8

// The detectors, in the order they are reported.
const (
	ResidentID   Detector = iota // cn_resident_id: GB 11643 resident ID (18 and 15 digits)
	Mobile                       // cn_mobile: mainland mobile number
	BankCard                     // bank_card: payment card number
	Email                        // email: e-mail address
	Passport                     // cn_passport: PRC passport number (context only)
	TravelPermit                 // cn_travel_permit: HK/Macau/Taiwan travel permit (context only)
	Name                         // cn_name: Chinese personal name (context only)
	Address                      // cn_address: mainland street address (context only)

	// NumDetectors is the number of detectors; arrays indexed by Detector use it.
	NumDetectors
)

var detectorIDs = [NumDetectors]string{
	ResidentID:   "cn_resident_id",
	Mobile:       "cn_mobile",
	BankCard:     "bank_card",
	Email:        "email",
	Passport:     "cn_passport",
	TravelPermit: "cn_travel_permit",
	Name:         "cn_name",
	Address:      "cn_address",
}

// String returns the detector's stable id, e.g. "cn_resident_id".
func (d Detector) String() string {
	if d < NumDetectors {
		return detectorIDs[d]
	}
	return "unknown"
}

// ParseDetector returns the detector whose stable id is s.
func ParseDetector(s string) (Detector, bool) {
	for i, id := range detectorIDs {
		if id == s {
			return Detector(i), true
		}
	}
	return 0, false
}

// AllDetectors returns every detector in report order.
func AllDetectors() []Detector {
	all := make([]Detector, NumDetectors)
	for i := range all {
		all[i] = Detector(i)
	}
	return all
}
