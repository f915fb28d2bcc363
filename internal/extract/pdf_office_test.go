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

// TestPDFCalcPages reads a 150-row passport list (name, passport, address:
// synthetic people) exported to PDF by LibreOffice Calc 7.4 (`soffice
// --headless --infilter=CSV:44,34,76,1 --convert-to pdf`): three pages,
// the header row on the first only, and the sheet's name and "Page N"
// printed between the pages' rows. The header's columns stopped at the
// first page's furniture: 52 passports, names and addresses of 150 (the
// 1,000-row list: 52 of 1,000, blocked only by 2; at 12 pt, 25, allowed:
// red-team review 13). Now the rows go on in their columns past up to two
// short lines without a tab.
func TestPDFCalcPages(t *testing.T) {
	checkPDFFixture(t, "calc_pages.pdf", map[inspect.Detector]int{
		inspect.Passport: 150, inspect.Name: 150, inspect.Address: 150,
	})
}
