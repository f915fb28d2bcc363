package extract

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestPDFLibreOfficeCalc reads a sheet exported to PDF by LibreOffice Calc
// 7.4 (Debian's libreoffice-calc-nogui, `soffice --headless --convert-to
// pdf` of a CSV of 50 synthetic people with its ID column imported as
// text) from testdata/pdf: one-byte glyph codes of subset fonts, a
// ToUnicode CMap per font after the pages, cells placed by Td and kerned
// TJ arrays. It counted nothing; now its IDs, mobiles, names and addresses
// count. Calc draws the address column's cells after the other columns';
// read line by line in the order of where the cells stand, every row has
// its four cells under the header row (0 addresses in drawing order).
func TestPDFLibreOfficeCalc(t *testing.T) {
	checkPDFFixture(t, "libreoffice_calc.pdf", map[inspect.Detector]int{
		inspect.ResidentID: 50, inspect.Mobile: 50, inspect.Name: 50, inspect.Address: 50,
	})
}
