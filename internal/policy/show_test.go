package policy

import (
	"strings"
	"testing"
)

// TestShowHidesValues checks that error messages never quote what may be a
// personal value, grouped or not.
func TestShowHidesValues(t *testing.T) {
	tests := []struct {
		give string
		hide bool
	}{
		{"fifty", false},
		{"2026-11-27", true}, // a date joins into eight digits: hidden too, harmlessly
		{"110101199003078670", true},
		{"6222 0212 3456 7890", true},
		{"138 1234 5678", true},
		{"138-1234-5678", true},
		{"a@b.cn", true},
		{"block 12345", false},
	}
	for _, tt := range tests {
		got := show(tt.give)
		if hidden := !strings.Contains(got, tt.give); hidden != tt.hide {
			t.Errorf("show(%q) = %s, want hidden=%v", tt.give, got, tt.hide)
		}
	}
}
