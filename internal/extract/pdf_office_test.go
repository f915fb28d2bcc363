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
// TJ arrays. It counted nothing; now its IDs, mobiles and names (under
// 姓名) count. Its address column does not fit the page width, so Calc
// prints it on a page of its own, without the header row: those
// addresses have no label and count nothing.
func TestPDFLibreOfficeCalc(t *testing.T) {
	checkPDFFixture(t, "libreoffice_calc.pdf", map[inspect.Detector]int{
		inspect.ResidentID: 50, inspect.Mobile: 50, inspect.Name: 50, inspect.Address: 0,
	})
}
