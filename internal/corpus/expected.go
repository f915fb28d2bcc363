package corpus

// Detector ids, exactly as inspect.Detector.String spells them.
const (
	DetResidentID   = "cn_resident_id"
	DetMobile       = "cn_mobile"
	DetBankCard     = "bank_card"
	DetEmail        = "email"
	DetPassport     = "cn_passport"
	DetTravelPermit = "cn_travel_permit"
	DetName         = "cn_name"
	DetAddress      = "cn_address"
)

// DetectorIDs returns every detector id in inspect's report order.
func DetectorIDs() []string {
	return []string{DetResidentID, DetMobile, DetBankCard, DetEmail, DetPassport, DetTravelPermit, DetName, DetAddress}
}

// Expected maps every detector id to the number of distinct values of that
// kind a corpus holds. All eight ids are present, zero included.
type Expected map[string]int

// expect returns an Expected with n for each id in ids and zero elsewhere.
func expect(n int, ids ...string) Expected {
	e := make(Expected, 8)
	for _, id := range DetectorIDs() {
		e[id] = 0
	}
	for _, id := range ids {
		e[id] = n
	}
	return e
}

// Total returns the sum of the counts.
func (e Expected) Total() int {
	n := 0
	for _, c := range e {
		n += c
	}
	return n
}

// Doc is one rendered corpus.
type Doc struct {
	// Name is a file name for the corpus, such as "customers.csv".
	Name string
	// Data is the corpus itself.
	Data []byte
	// Want is the number of distinct values per detector in Data.
	Want Expected
}
