package corpus

import (
	"strings"
	"testing"
)

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440308199901101513", "610104620927690", "830000199201300022", "", "1101051949123100２X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidResidentID(s) {
			if len(s) != 18 || !knownPrefecture(s) || !validDate(s[6:14]) || strings.ToUpper(s[17:]) != string(idCheckChar(s)) {
				t.Fatalf("accepted %q", s)
			}
		}
		if ValidResidentID15(s) && (len(s) != 15 || !isDigits(s) || !validDate("19"+s[6:12])) {
			t.Fatalf("accepted 15-digit %q", s)
		}
	})
}

func FuzzLuhn(f *testing.F) {
	for _, s := range []string{"4111111111111111", "79927398713", "0", "", "12a4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isDigits(s) {
			if Luhn(s) {
				t.Fatalf("Luhn accepted non-digits %q", s)
			}
			return
		}
		// Exactly one check digit completes any prefix.
		valid := 0
		for d := byte('0'); d <= '9'; d++ {
			if Luhn(s + string(d)) {
				valid++
			}
		}
		if valid != 1 {
			t.Fatalf("%d check digits complete %q", valid, s)
		}
	})
}

func FuzzSuspicious(f *testing.F) {
	for _, s := range []string{"手机13812345678。", "+86 138 1234 5678", "2024-03-15", "a@b", "E1234567", "110105 19491231 002X", "- - 1 -"} {
		f.Add([]byte(s))
	}
	mobile := Mobile(newRand(1))
	f.Fuzz(func(t *testing.T, b []byte) {
		if at, bad := suspicious(b); bad && (at < 0 || at >= len(b)) {
			t.Fatalf("offset %d out of range", at)
		}
		// A mobile number set apart by newlines is always found, whatever
		// surrounds it.
		s := string(b) + "\n" + mobile + "\n"
		if _, bad := suspicious([]byte(s)); !bad {
			t.Fatalf("missed %s in %q", mobile, s)
		}
	})
}
