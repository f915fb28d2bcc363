package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxSize bounds -size: the corpora are built in memory.
const maxSize = 4 << 30

// sizeUnits maps the accepted suffixes to their multipliers.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
}

// parseSize parses a byte count such as 8MiB, 512KiB, 1MB or 4096. Units are
// case-insensitive; the result is at most 4 GiB.
func parseSize(s string) (int, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("parse size %q: want a number and an optional unit (B, KiB, MiB, GiB, KB, MB, GB)", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > maxSize/unit {
		return 0, fmt.Errorf("parse size %q: %w", s, errTooLarge)
	}
	return int(n * unit), nil
}

// errTooLarge reports a size above maxSize.
var errTooLarge = errors.New("larger than 4GiB")
