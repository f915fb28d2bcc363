package config

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if c.Listen != ":3128" || c.Admin != "127.0.0.1:9090" || c.Timeouts.Dial != 10*time.Second || len(c.AllowedClients) != 6 {
		t.Fatalf("default = %+v", c)
	}
	if c.Authenticator() != nil {
		t.Error("default config requires authentication")
	}
	// The admin endpoints (metrics, pprof when enabled) are loopback-only
	// unless configured otherwise.
	host, _, err := net.SplitHostPort(c.Admin)
	if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
		t.Errorf("default admin listener %q is not loopback-only", c.Admin)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string // substring; "" for success
		check   func(*Config) bool
	}{
		{name: "empty file keeps defaults", give: "", check: func(c *Config) bool { return c.Listen == ":3128" }},
		{name: "override", give: "listen: 127.0.0.1:8080\nconnect_ports: [443, 8443]\n",
			check: func(c *Config) bool {
				return c.Listen == "127.0.0.1:8080" && len(c.ConnectPorts) == 2 && c.Admin == "127.0.0.1:9090"
			}},
		{name: "unknown field names the line", give: "listen: :1\nlisten_addr: x\n", wantErr: "c.yaml: yaml: unmarshal errors:\n  line 2: field listen_addr not found"},
		{name: "syntax error names the line to fix", give: "listen: :1\nlimits:\n  max_body: [1\n  other: 2\n", wantErr: "c.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		{name: "bad cidr", give: "allowed_clients: [10.0.0.0/33]\n", wantErr: "allowed_clients"},
		{name: "bad listen", give: "listen: 3128\n", wantErr: "listen"},
		{name: "bad port", give: "connect_ports: [0]\n", wantErr: "connect_ports"},
		{name: "bad user hash", give: "users: [{name: a, password: secret}]\n", wantErr: "users[0].password"},
		{name: "duration", give: "timeouts: {dial: 2s}\n", check: func(c *Config) bool { return c.Timeouts.Dial == 2*time.Second }},
		{name: "window defaults", give: "", check: func(c *Config) bool {
			return c.Window.MaxKeys == 10000 && c.Window.ExactLimit == 2000 && c.Window.Redis.Addr == "" && c.Window.Redis.Timeout == 50*time.Millisecond
		}},
		{name: "window redis with key", give: "window: {hash_key_file: /k, redis: {addr: 127.0.0.1:6379, db: 2, timeout: 20ms}}\n",
			check: func(c *Config) bool {
				return c.Window.Redis.Addr == "127.0.0.1:6379" && c.Window.Redis.DB == 2 && c.Window.Redis.Timeout == 20*time.Millisecond
			}},
		{name: "window redis without key", give: "window: {redis: {addr: 127.0.0.1:6379}}\n", wantErr: "window.redis.addr: replicas sharing Redis need window.hash_key_file"},
		{name: "window redis bad addr", give: "window: {hash_key_file: /k, redis: {addr: redis}}\n", wantErr: `window.redis.addr: "redis" is not host:port`},
		{name: "window negative max_keys", give: "window: {max_keys: -1}\n", wantErr: "window.max_keys: negative"},
		{name: "window negative timeout", give: "window: {redis: {timeout: -1s}}\n", wantErr: "window.redis.timeout: negative"},
		{name: "window unknown field", give: "window: {redis: {address: x}}\n", wantErr: "field address not found"},
		{name: "hardening defaults", give: "", check: func(c *Config) bool {
			return c.Timeouts.ReadBodyIdle == 30*time.Second && c.Timeouts.WriteIdle == time.Minute && c.Timeouts.Idle == 90*time.Second &&
				c.Timeouts.TunnelIdle == 10*time.Minute && c.Timeouts.TLSHandshake == 10*time.Second &&
				c.Limits.MaxConnections == 4096 && c.Limits.MaxInspections == 256 && c.Limits.InspectionWait == 5*time.Second &&
				c.Limits.MaxHeaderBytes == 64<<10 && c.Limits.AuthFailures == 10 && c.Limits.AuthRefill == 6*time.Second &&
				len(c.AllowDestinations) == 0
		}},
		{name: "limits override", give: "limits: {max_connections: 10, max_inspections: 2}\n", check: func(c *Config) bool {
			return c.Limits.MaxConnections == 10 && c.Limits.MaxInspections == 2 && c.Limits.AuthFailures == 10
		}},
		{name: "allow destinations", give: "allow_destinations: [169.254.169.254/32]\n", check: func(c *Config) bool {
			d, err := c.Destinations()
			return err == nil && len(d) == 1 && d[0].String() == "169.254.169.254/32"
		}},
		{name: "bad destination", give: "allow_destinations: [metadata]\n", wantErr: "allow_destinations"},
		{name: "negative timeout", give: "timeouts: {read_body_idle: -1s}\n", wantErr: "timeouts.read_body_idle: negative"},
		{name: "negative limit", give: "limits: {max_inspections: -1}\n", wantErr: "limits.max_inspections: negative"},
		{name: "unknown limit", give: "limits: {max_conns: 1}\n", wantErr: "field max_conns not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tt.give))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	h, err := HashPassword("s3cret", 1000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("c.yaml", []byte("users: [{name: alice, password: \""+h+"\"}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	auth := c.Authenticator()
	tests := []struct {
		user, pass string
		want       bool
	}{
		{"alice", "s3cret", true},
		{"alice", "wrong", false}, // after a verified password: the remembered digest must not match
		{"alice", "s3cret", true}, // remembered
		{"alice", "s3cret ", false},
		{"alice", "", false},
		{"bob", "s3cret", false},
		{"alice", "s3cret", true},
	}
	for i, tt := range tests {
		if got := auth.Authenticate(tt.user, tt.pass); got != tt.want {
			t.Errorf("step %d: Authenticate(%q, %d-byte password) = %v, want %v", i, tt.user, len(tt.pass), got, tt.want)
		}
	}
}

// TestUsersConcurrent runs under -race: the proxy authenticates from many
// connections at once.
func TestUsersConcurrent(t *testing.T) {
	h, err := HashPassword("pw", 1000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("c.yaml", []byte("users: [{name: alice, password: \""+h+"\"}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	auth := c.Authenticator()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			pass := "pw"
			if i%2 == 1 {
				pass = "nope"
			}
			for range 20 {
				if got := auth.Authenticate("alice", pass); got != (i%2 == 0) {
					t.Errorf("Authenticate(%q) = %v", pass, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("listen: :1\n"))
	f.Add(DefaultYAML())
	f.Add([]byte("users: [{name: a, password: \"pbkdf2-sha256$1000$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA\"}]"))
	f.Add([]byte("limits: {max_connections: 10}\ntimeouts: {read_body_idle: 1s}\nallow_destinations: [169.254.169.254/32]\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		if c.Validate() != nil {
			t.Fatal("Parse returned an invalid config")
		}
		if _, err := c.Destinations(); err != nil {
			t.Fatalf("destinations of a valid config: %v", err)
		}
	})
}

func TestWindowHashKey(t *testing.T) {
	dir := t.TempDir()
	short, long := filepath.Join(dir, "short"), filepath.Join(dir, "long")
	if err := os.WriteFile(short, []byte("tooshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(long, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		give    string
		wantLen int
		wantErr string
	}{
		{name: "none", give: "", wantLen: 0},
		{name: "file bytes as they are", give: long, wantLen: 33},
		{name: "too short", give: short, wantErr: "holds 9 bytes, want at least 16"},
		{name: "missing", give: filepath.Join(dir, "nope"), wantErr: "window.hash_key_file: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Window{HashKeyFile: tt.give}
			key, err := w.HashKey()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(key) != tt.wantLen {
				t.Fatalf("key of %d bytes, err %v; want %d bytes", len(key), err, tt.wantLen)
			}
		})
	}
}
