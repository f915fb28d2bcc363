package policy

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps unit suffixes to their multipliers; longest suffixes
// come first so "MiB" is not read as "B".
var sizeUnits = [...]struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// errSize is returned by ParseSize for any malformed size.
var errSize = errors.New("expected a size such as 1MiB, 64MB or 1048576")

// ParseSize parses a byte size: a non-negative integer optionally followed
// by B, kB/KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024),
// with optional space between, e.g. "1MiB", "64 MB", "1048576".
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errSize
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, errSize
	}
	return n * mult, nil
}
