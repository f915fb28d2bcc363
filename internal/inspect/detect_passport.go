package inspect

// Passports and travel permits: weak formats, counted only next to a label
// (护照 / passport; 通行证, 回乡证, 台胞证 / travel_permit), in the same field
// of a form or JSON object, or in a CSV column whose header names them.
//
// cn_passport accepts E or G + 8 digits, E + a letter other than I and O + 7
// digits, and DE, SE or PE + 7 digits. cn_travel_permit accepts H or M + 8 or
// 10 digits (Hong Kong and Macau residents' permits), 8 bare digits (Taiwan
// residents'), and C or L + 8 digits (mainland residents' permits to Hong
// Kong/Macau and to Taiwan). Each must stand alone: no letter or digit
// around it. 8 bare digits that read as a date from 1900 to 2099
// (YYYYMMDD) are no permit: a label matches inside a header, so the dates
// of a 通行证有效期 or "Permit date" column stand under a permit label, and
// about 0.07% of all 8-digit numbers are such dates.

// classifyDocument returns the detector for letters+digits, or false.
func classifyDocument(letters []byte, digits int) (Detector, bool) {
	switch len(letters) {
	case 0:
		return TravelPermit, digits == 8
	case 1:
		switch letters[0] {
		case 'E', 'G':
			return Passport, digits == 8
		case 'H', 'M':
			return TravelPermit, digits == 8 || digits == 10
		case 'C', 'L':
			return TravelPermit, digits == 8
		}
	case 2:
		switch {
		case letters[0] == 'E' && letters[1] != 'I' && letters[1] != 'O':
			return Passport, digits == 7
		case letters[1] == 'E' && (letters[0] == 'D' || letters[0] == 'S' || letters[0] == 'P'):
			return Passport, digits == 7
		}
	}
	return 0, false
}

// calendarDate reports whether the 8 digits d read as a date YYYYMMDD
// from 1900 to 2099.
func calendarDate(d []byte) bool {
	y, m, day := atoi(d[:4]), atoi(d[4:6]), atoi(d[6:8])
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && day >= 1 && day <= daysIn(y, m)
}

// maskDocument renders E1******8: the letters and first digit, then stars
// and the last digit.
func maskDocument(v []byte, out []byte) int {
	keep := 1
	for keep < len(v) && v[keep-1] >= 'A' {
		keep++
	}
	n := copy(out, v[:keep])
	for range len(v) - keep - 1 {
		out[n] = '*'
		n++
	}
	return n + copy(out[n:], v[len(v)-1:])
}
