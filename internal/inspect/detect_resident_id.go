package inspect

import (
	"time"

	"github.com/dlpproxy/dlpproxy/internal/inspect/areacode"
)

// Resident identity card numbers (GB 11643-1999).
//
// Accepted: 18 characters = GB/T 2260 area code (any code ever issued, retired
// ones and xxyy01 placeholders included, and 810000/820000/830000 residence
// permits) + birth date YYYYMMDD (a real calendar date from 1800-01-01 to
// today: public validator suites carry 1880 births, so 1800 rather than 1900) + 3-digit sequence + MOD 11-2 check character (0-9, X or x); and
// 15-digit first-generation numbers (area + YYMMDD read as 19YY + sequence),
// which are counted as their 18-digit upgrade so one person counts once.
// Rejected: a wrong check character, an impossible date, an area code that
// never existed, and any run of digits longer than the number.

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// idCheck returns the check character for the first 17 digits of d: the
// GB 11643 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, written out (a
// loop over a weight table cost twice as many instructions).
func idCheck(d []byte) byte {
	_ = d[16]
	v := func(i int) int { return int(d[i] - '0') }
	sum := 7*(v(0)+v(10)) + 9*(v(1)+v(11)) + 10*(v(2)+v(12)) + 5*(v(3)+v(13)) +
		8*(v(4)+v(14)) + 4*(v(5)+v(15)) + 2*(v(6)+v(16)) + v(7) + 6*v(8) + 3*v(9)
	return idCheckChars[sum%11]
}

// validResidentID18 reports whether d (18 bytes, digits and maybe a final
// 'X') is a valid resident ID number.
func (e *Engine) validResidentID18(d []byte) bool {
	if len(d) != 18 || !areacode.ValidDigits(d[:6]) {
		return false
	}
	if !e.validBirthDate(atoi(d[6:10]), atoi(d[10:12]), atoi(d[12:14])) {
		return false
	}
	return idCheck(d) == d[17]
}

// NormalResidentID returns v, 15 or 18 characters with an upper-case X, in
// the form the engine counts it (a 15-digit first-generation number as its
// 18-character upgrade), and whether the engine counts it at all (as of
// today): for the policy's allow_values, whose values must match what the
// engine counts.
func NormalResidentID(v string) (string, bool) {
	y, m, d := time.Now().Date()
	e := Engine{today: y*10000 + int(m)*100 + d}
	var up [18]byte
	switch {
	case e.validResidentID18([]byte(v)):
		return v, true
	case e.upgradeResidentID15([]byte(v), &up):
		return string(up[:]), true
	}
	return v, false
}

// upgradeResidentID15 checks a first-generation number and writes its
// 18-digit form into out.
func (e *Engine) upgradeResidentID15(d []byte, out *[18]byte) bool {
	if len(d) != 15 || !areacode.ValidDigits(d[:6]) {
		return false
	}
	if !e.validBirthDate(1900+atoi(d[6:8]), atoi(d[8:10]), atoi(d[10:12])) {
		return false
	}
	copy(out[:6], d[:6])
	out[6], out[7] = '1', '9'
	copy(out[8:17], d[6:15])
	out[17] = idCheck(out[:17])
	return true
}

// validBirthDate reports whether y-m-d is a real date from 1800 to today.
func (e *Engine) validBirthDate(y, m, d int) bool {
	if y < 1800 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return false
	}
	return y*10000+m*100+d <= e.today
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// atoi converts a short run of ASCII digits.
func atoi(d []byte) int {
	n := 0
	for _, c := range d {
		n = n*10 + int(c-'0')
	}
	return n
}

// maskResidentID renders 110101********123X.
func maskResidentID(d []byte, out []byte) int {
	n := copy(out, d[:6])
	for range len(d) - 10 {
		out[n] = '*'
		n++
	}
	return n + copy(out[n:], d[len(d)-4:])
}
