package inspect

// Bank card numbers.
//
// Accepted without context: 16-19 digits that pass Luhn and start with a
// UnionPay IIN (62, 81), or 16 digits that pass Luhn with a Visa (4),
// Mastercard (51-55, 2221-2720) or JCB (3528-3589) IIN; bare or in groups of
// four (or 6-13). Accepted only next to a card label (银行卡, 卡号, card_no ...):
// legacy domestic cards that fail Luhn but start with 62, and Luhn-valid
// 16-19 digit numbers with legacy 9-prefixed domestic BINs (e.g. 955100).
// Rejected: everything else, including 16-19 digit order numbers, snowflake
// ids and timestamps, and numbers that are valid resident IDs (counted there).

// cardStrength says how much a digit string looks like a card number.
type cardStrength uint8

const (
	notCard    cardStrength = iota
	weakCard                // counted only with a card label nearby
	strongCard              // counted on its own
)

// classifyCard grades d (16-19 ASCII digits) as a card number.
func classifyCard(d []byte) cardStrength {
	if len(d) < 16 || len(d) > 19 || d[len(d)-1] == 'X' {
		return notCard
	}
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	switch {
	case p2 == 62 || p2 == 81:
		if luhnValid(d) {
			return strongCard
		}
		if p2 == 62 {
			return weakCard
		}
	case len(d) == 16 && (d[0] == '4' || (p2 >= 51 && p2 <= 55) ||
		(p4 >= 2221 && p4 <= 2720) || (p4 >= 3528 && p4 <= 3589)):
		if luhnValid(d) {
			return strongCard
		}
	case d[0] == '9' && luhnValid(d):
		return weakCard
	}
	return notCard
}

// luhnValid reports whether the digits in d pass the Luhn check.
func luhnValid(d []byte) bool {
	sum := 0
	for i := len(d) - 1; i >= 0; i -= 2 {
		sum += int(luhnPlain[d[i]])
	}
	for i := len(d) - 2; i >= 0; i -= 2 {
		sum += int(luhnDoubled[d[i]])
	}
	return sum%10 == 0
}

// luhnPlain and luhnDoubled give the Luhn value of a digit byte in an odd
// (counted from the end) and an even position: the digit, and the digit
// doubled with its two digits summed. Other bytes count 0.
var luhnPlain, luhnDoubled = func() (plain, doubled [256]uint8) {
	for v := range 10 {
		plain['0'+v] = uint8(v)
		doubled['0'+v] = uint8(2*v - 9*(2*v/10))
	}
	return plain, doubled
}()

// maskBankCard renders 6222 **** **** 1234.
func maskBankCard(d []byte, out []byte) int {
	n := copy(out, d[:4])
	n += copy(out[n:], " **** **** ")
	return n + copy(out[n:], d[len(d)-4:])
}
