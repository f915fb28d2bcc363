package proxy

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSmuggleSniffer(t *testing.T) {
	tests := []struct {
		name string
		give string
		want bool
	}{
		{name: "plain chunked", give: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: false},
		{name: "plain length", give: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", want: false},
		{name: "both", give: "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", want: true},
		{name: "both, lower case, bare LF", give: "POST / HTTP/1.1\ntransfer-encoding:chunked\ncontent-length:3\n\n", want: true},
		{name: "in two requests", give: "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", want: false},
		{name: "lookalike names", give: "GET / HTTP/1.1\r\nX-Content-Length: 3\r\nTransfer-Encodings: chunked\r\nContent-Lengthy: 1\r\n\r\n", want: false},
		{name: "long header lines", give: "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 100) + "\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", want: true},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 7, 18, 19, 1 << 20} {
			var s smuggleSniffer
			for b := []byte(tt.give); len(b) > 0; {
				n := min(size, len(b))
				s.scan(b[:n])
				b = b[n:]
			}
			if got := s.ambiguous.Load(); got != tt.want {
				t.Errorf("%s, %d-byte reads: ambiguous = %v, want %v", tt.name, size, got, tt.want)
			}
		}
	}
}

// FuzzSmuggleSniffer: the verdict does not depend on how reads split the
// bytes.
func FuzzSmuggleSniffer(f *testing.F) {
	f.Add([]byte("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), uint8(3))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		var whole, split smuggleSniffer
		whole.scan(data)
		step := int(size)%32 + 1
		for b := data; len(b) > 0; {
			n := min(step, len(b))
			split.scan(b[:n])
			b = b[n:]
		}
		if whole.ambiguous.Load() != split.ambiguous.Load() {
			t.Fatalf("whole %v, split by %d %v", whole.ambiguous.Load(), step, split.ambiguous.Load())
		}
	})
}

func TestDestinationAllowed(t *testing.T) {
	p := &Proxy{AllowedDestinations: []netip.Prefix{netip.MustParsePrefix("169.254.10.0/24")}}
	tests := []struct {
		give string
		want bool
	}{
		{give: "127.0.0.1", want: false},
		{give: "127.9.9.9", want: false},
		{give: "::1", want: false},
		{give: "::ffff:127.0.0.1", want: false},
		{give: "0.0.0.0", want: false},
		{give: "::", want: false},
		{give: "100.100.100.200", want: false},
		{give: "100.100.100.201", want: true},
		{give: "93.184.216.34", want: true},
		{give: "169.254.169.254", want: false},
		{give: "169.254.1.1", want: false},
		{give: "::ffff:169.254.169.254", want: false},
		{give: "fe80::1", want: false},
		{give: "fe80::1%eth0", want: false},
		{give: "fd00:ec2::254", want: false},
		{give: "fd00:ec2::253", want: true},
		{give: "169.254.10.7", want: true}, // explicitly allowed
	}
	for _, tt := range tests {
		if got := p.destinationAllowed(netip.MustParseAddr(tt.give)); got != tt.want {
			t.Errorf("destinationAllowed(%s) = %v, want %v", tt.give, got, tt.want)
		}
	}
	for _, tt := range []struct{ give, want string }{
		{"127.0.0.1", "loopback"}, {"::ffff:127.0.0.1", "loopback"}, {"::1", "loopback"},
		{"169.254.169.254", "cloud metadata"}, {"fd00:ec2::254", "cloud metadata"}, {"100.100.100.200", "cloud metadata"},
		{"169.254.1.1", "link-local"}, {"fe80::1%eth0", "link-local"}, {"0.0.0.0", "unspecified"}, {"93.184.216.34", ""},
	} {
		if got := p.destinationRefusal(netip.MustParseAddr(tt.give)); got != tt.want {
			t.Errorf("destinationRefusal(%s) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
