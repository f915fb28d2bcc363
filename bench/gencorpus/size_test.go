package main

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		give    string
		want    int
		wantErr bool
	}{
		{"8MiB", 8 << 20, false},
		{"512kib", 512 << 10, false},
		{"1GiB", 1 << 30, false},
		{"4GiB", 4 << 30, false},
		{"1MB", 1_000_000, false},
		{"4096", 4096, false},
		{"10B", 10, false},
		{"0", 0, false},
		{"5GiB", 0, true},
		{"99999999999999999999", 0, true},
		{"MiB", 0, true},
		{"8 TB", 0, true},
		{"-1", 0, true},
		{"", 0, true},
		{"1.5MiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.give)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := parseSize("5GiB"); !errors.Is(err, errTooLarge) {
		t.Errorf("parseSize(5GiB) error = %v, want errTooLarge", err)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"8MiB", "1kb", "0", "", "18446744073709551615GiB", "7 mib"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 0 || n > maxSize {
			t.Fatalf("parseSize(%q) = %d, out of range", s, n)
		}
		// A plain number parses to itself.
		if v, perr := strconv.Atoi(s); perr == nil && v != n {
			t.Fatalf("parseSize(%q) = %d, want %d", s, n, v)
		}
	})
}
