package policy

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		give    string
		want    int64
		wantErr bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"1MiB", 1 << 20, false},
		{"64 MiB", 64 << 20, false},
		{"64MB", 64_000_000, false},
		{"512KiB", 512 << 10, false},
		{"10kB", 10_000, false},
		{"10KB", 10_000, false},
		{"2GiB", 2 << 30, false},
		{"1GB", 1_000_000_000, false},
		{"100B", 100, false},
		{"", 0, true},
		{"MiB", 0, true},
		{"-1MiB", 0, true},
		{"1.5MiB", 0, true},
		{"1TiB", 0, true},
		{"1mib", 0, true},
		{"9999999999GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseSize(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ give, want string }{
		{"Example.COM", "example.com"},
		{"example.com:443", "example.com"},
		{"example.com.", "example.com"},
		{"[2001:DB8::1]:8443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:10.0.0.1", "10.0.0.1"},
		{"10.0.0.1:80", "10.0.0.1"},
	}
	for _, tt := range tests {
		if got := NormalizeHost(tt.give); got != tt.want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
