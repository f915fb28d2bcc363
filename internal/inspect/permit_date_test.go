package inspect

import (
	"fmt"
	"strings"
	"testing"
)

// TestPermitColumnsOfDates: a column whose header names a permit but holds
// dates (通行证有效期, "Permit date": the label matches inside the header)
// counts no Taiwan residents' permits, whose numbers are 8 bare digits like
// a YYYYMMDD date; the permit numbers beside it still count, and so do 8
// bare digits that are no date.
func TestPermitColumnsOfDates(t *testing.T) {
	var zh, en strings.Builder
	zh.WriteString("姓名,通行证号码,通行证有效期,台胞证号码\n")
	en.WriteString("name,travel_permit,permit_date\n")
	for i := range 60 {
		date := fmt.Sprintf("20%02d%02d%02d", 27+i%10, 1+i%12, 1+i%28)
		fmt.Fprintf(&zh, "张伟,H%08d,%s,%08d\n", 10000000+i, date, 50000000+i*7)
		fmt.Fprintf(&en, "张伟,H%08d,%s\n", 10000000+i, date)
	}
	tests := []scanTest{
		{"通行证有效期", zh.String(), countsOf(map[Detector]int{Name: 1, TravelPermit: 120})},
		{"permit date", en.String(), countsOf(map[Detector]int{Name: 1, TravelPermit: 60})},
		{"a permit number that reads as no date", "台胞证号码：20261399", countsOf(map[Detector]int{TravelPermit: 1})},
		{"a permit number that reads as a date", "台胞证号码：20261127", [NumDetectors]int{}},
	}
	runScanTests(t, tests)
}
