// Package config reads dlpproxy's serve configuration: a strictly decoded
// YAML file, or the embedded default when no file is given.
package config

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dlpproxy/dlpproxy/internal/yamlpos"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is the serve configuration.
type Config struct {
	Listen         string        `yaml:"listen"`
	Admin          string        `yaml:"admin"`
	CADir          string        `yaml:"ca_dir"`
	Policy         string        `yaml:"policy"`
	PolicyPoll     time.Duration `yaml:"policy_poll"`
	AllowedClients []string      `yaml:"allowed_clients"`
	ConnectPorts   []int         `yaml:"connect_ports"`
	// AllowDestinations lists CIDRs the proxy may reach although they are
	// refused by default (link-local, cloud metadata).
	AllowDestinations []string `yaml:"allow_destinations"`
	UpstreamRoots     []string `yaml:"upstream_roots"`
	Users             []User   `yaml:"users"`
	Log               Log      `yaml:"log"`
	Timeouts          Timeouts `yaml:"timeouts"`
	Limits            Limits   `yaml:"limits"`
	Window            Window   `yaml:"window"`
	Pprof             bool     `yaml:"pprof"`
}

// Window configures the counting of the policy's window (drip) rules.
type Window struct {
	// HashKeyFile holds the secret that keys value hashes (engine) and
	// series ids (tracker). Replicas sharing Redis must share it; empty
	// draws a random key per process.
	HashKeyFile string `yaml:"hash_key_file"`
	// MaxKeys bounds the series (rule and key) counted in memory; the
	// least recently used is evicted. Zero means the window default.
	MaxKeys int `yaml:"max_keys"`
	// ExactLimit is how many distinct values per series and detector are
	// counted exactly before estimating. Zero means the window default.
	ExactLimit int `yaml:"exact_limit"`
	// Redis, when its Addr is set, shares the counts between replicas.
	Redis Redis `yaml:"redis"`
}

// Redis is the shared window store.
type Redis struct {
	Addr     string        `yaml:"addr"`     // host:port; empty: counts stay in this process
	Password string        `yaml:"password"` // empty for none
	DB       int           `yaml:"db"`
	Timeout  time.Duration `yaml:"timeout"` // per round trip; zero means the window default (50ms)
}

// MinHashKey is the shortest window.hash_key_file content accepted.
const MinHashKey = 16

// User is one proxy Basic-auth account.
type User struct {
	Name string `yaml:"name"`
	// Password is a HashPassword result: pbkdf2-sha256$ITER$SALT$KEY.
	Password string `yaml:"password"`
}

// Log configures the zap JSON log.
type Log struct {
	Level string `yaml:"level"`
	File  string `yaml:"file"`
}

// Timeouts bound the proxy's waits, one per phase of an exchange.
type Timeouts struct {
	Dial           time.Duration `yaml:"dial"`            // connect upstream
	TLSHandshake   time.Duration `yaml:"tls_handshake"`   // upstream TLS handshake
	ResponseHeader time.Duration `yaml:"response_header"` // upstream response headers
	ReadHeader     time.Duration `yaml:"read_header"`     // client request headers (slowloris)
	ReadBodyIdle   time.Duration `yaml:"read_body_idle"`  // each wait for client body bytes
	WriteIdle      time.Duration `yaml:"write_idle"`      // each write to the client
	Idle           time.Duration `yaml:"idle"`            // keep-alive wait for the next request
	TunnelIdle     time.Duration `yaml:"tunnel_idle"`     // CONNECT tunnel without traffic
	Shutdown       time.Duration `yaml:"shutdown"`        // draining in-flight requests on stop
}

// Limits bound the proxy's resources.
type Limits struct {
	// MaxConnections is how many client connections are open at once;
	// more wait in the listen backlog. Zero means no limit.
	MaxConnections int `yaml:"max_connections"`
	// MaxInspections is how many bodies are inspected at once; a message
	// waits InspectionWait for a slot, then gets 503. Zero means no limit.
	MaxInspections int           `yaml:"max_inspections"`
	InspectionWait time.Duration `yaml:"inspection_wait"`
	// MaxHeaderBytes bounds a request's header section (431 beyond).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// AuthFailures failed proxy logins per client in a row are allowed;
	// then one more every AuthRefill, 429 meanwhile.
	AuthFailures int           `yaml:"auth_failures"`
	AuthRefill   time.Duration `yaml:"auth_refill"`
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic("embedded default config: " + err.Error()) // a build defect, caught by tests
	}
	return c
}

// Load reads the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a configuration strictly (unknown fields are errors) on
// top of the defaults, and validates it. Errors name the file and line.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{}
	if !bytes.Equal(data, defaultYAML) {
		c = Default() // a file overrides the defaults field by field
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		if line, msg, ok := yamlpos.SyntaxError(data, err); ok {
			return nil, fmt.Errorf("%s:%d: invalid YAML: %s", name, line, msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Validate checks every field that can be checked without I/O.
func (c *Config) Validate() error {
	var errs []error
	for _, a := range []struct{ field, addr string }{{"listen", c.Listen}, {"admin", c.Admin}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", a.field, a.addr))
		}
	}
	if _, err := c.Prefixes(); err != nil {
		errs = append(errs, err)
	}
	for _, p := range c.ConnectPorts {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("connect_ports: %d is not a port", p))
		}
	}
	for i, u := range c.Users {
		if u.Name == "" || strings.Contains(u.Name, ":") {
			errs = append(errs, fmt.Errorf("users[%d].name: empty or contains ':'", i))
		}
		if _, _, _, err := parseHash(u.Password); err != nil {
			errs = append(errs, fmt.Errorf("users[%d].password: %w", i, err))
		}
	}
	if c.PolicyPoll < 0 {
		errs = append(errs, errors.New("policy_poll: negative"))
	}
	if _, err := c.Destinations(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Timeouts.validate()...)
	errs = append(errs, c.Limits.validate()...)
	errs = append(errs, c.Window.validate()...)
	return errors.Join(errs...)
}

func (w *Window) validate() []error {
	var errs []error
	for _, n := range []struct {
		field string
		v     int64
	}{{"max_keys", int64(w.MaxKeys)}, {"exact_limit", int64(w.ExactLimit)}, {"redis.db", int64(w.Redis.DB)}, {"redis.timeout", int64(w.Redis.Timeout)}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("window.%s: negative", n.field))
		}
	}
	if w.Redis.Addr == "" {
		return errs
	}
	if _, _, err := net.SplitHostPort(w.Redis.Addr); err != nil {
		errs = append(errs, fmt.Errorf("window.redis.addr: %q is not host:port", w.Redis.Addr))
	}
	if w.HashKeyFile == "" {
		errs = append(errs, errors.New("window.redis.addr: replicas sharing Redis need window.hash_key_file, the same secret on every replica"))
	}
	return errs
}

// HashKey reads window.hash_key_file: nil when none is configured. The
// file's bytes are the key, as they are (a trailing newline included):
// every replica reads the same file.
func (w *Window) HashKey() ([]byte, error) {
	if w.HashKeyFile == "" {
		return nil, nil
	}
	key, err := os.ReadFile(w.HashKeyFile)
	if err != nil {
		return nil, fmt.Errorf("window.hash_key_file: %w", err)
	}
	if len(key) < MinHashKey {
		return nil, fmt.Errorf("window.hash_key_file: %s holds %d bytes, want at least %d (e.g. head -c 32 /dev/urandom)", w.HashKeyFile, len(key), MinHashKey)
	}
	return key, nil
}

func (t *Timeouts) validate() []error {
	var errs []error
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"dial", t.Dial}, {"tls_handshake", t.TLSHandshake}, {"response_header", t.ResponseHeader}, {"read_header", t.ReadHeader},
		{"read_body_idle", t.ReadBodyIdle}, {"write_idle", t.WriteIdle}, {"idle", t.Idle}, {"tunnel_idle", t.TunnelIdle}, {"shutdown", t.Shutdown}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("timeouts.%s: negative", d.field))
		}
	}
	return errs
}

func (l *Limits) validate() []error {
	var errs []error
	for _, n := range []struct {
		field string
		v     int64
	}{{"max_connections", int64(l.MaxConnections)}, {"max_inspections", int64(l.MaxInspections)}, {"inspection_wait", int64(l.InspectionWait)},
		{"max_header_bytes", int64(l.MaxHeaderBytes)}, {"auth_failures", int64(l.AuthFailures)}, {"auth_refill", int64(l.AuthRefill)}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("limits.%s: negative", n.field))
		}
	}
	return errs
}

// Destinations parses AllowDestinations.
func (c *Config) Destinations() ([]netip.Prefix, error) {
	return parsePrefixes("allow_destinations", c.AllowDestinations)
}

// Prefixes parses AllowedClients.
func (c *Config) Prefixes() ([]netip.Prefix, error) {
	return parsePrefixes("allowed_clients", c.AllowedClients)
}

func parsePrefixes(field string, list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", field, s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// RootPool returns the system roots plus the UpstreamRoots PEM files.
func (c *Config) RootPool() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, f := range c.UpstreamRoots {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("upstream_roots: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream_roots: %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// Authenticator checks proxy credentials against Users; nil when there are
// no users (no authentication).
func (c *Config) Authenticator() *Users {
	if len(c.Users) == 0 {
		return nil
	}
	u := &Users{hashes: map[string]string{}, verified: map[string][sha256.Size]byte{}}
	_, _ = rand.Read(u.pepper[:])
	for _, e := range c.Users {
		u.hashes[e.Name] = e.Password
	}
	return u
}

// Users verifies proxy Basic credentials against PBKDF2 hashes. A proxy
// client sends its credentials with every request, and PBKDF2 is slow on
// purpose, so each user's last verified password is remembered as a keyed
// SHA-256 digest (never the password) and later requests compare digests.
type Users struct {
	hashes map[string]string
	pepper [32]byte // random per process: the digests are useless elsewhere

	mu       sync.Mutex
	verified map[string][sha256.Size]byte // bounded by the configured users
}

// Authenticate reports whether password is user's.
func (u *Users) Authenticate(user, password string) bool {
	h, ok := u.hashes[user]
	if !ok {
		return false
	}
	digest := u.digest(password)
	u.mu.Lock()
	known, seen := u.verified[user]
	u.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(known[:], digest[:]) == 1 {
		return true
	}
	iter, salt, key, err := parseHash(h)
	if err != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(key))
	if err != nil || subtle.ConstantTimeCompare(got, key) != 1 {
		return false
	}
	u.mu.Lock()
	u.verified[user] = digest
	u.mu.Unlock()
	return true
}

func (u *Users) digest(password string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(u.pepper[:])
	h.Write([]byte(password))
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// DefaultIterations is the PBKDF2-SHA256 work factor dlpproxy passwd uses
// (OWASP's 2023 recommendation).
const DefaultIterations = 600_000

const hashPrefix = "pbkdf2-sha256"

// HashPassword returns the Users password form of password:
// pbkdf2-sha256$ITERATIONS$SALT$KEY with base64 (raw, std) salt and key.
func HashPassword(password string, iterations int) (string, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", hashPrefix, iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// parseHash splits a HashPassword result.
func parseHash(h string) (iter int, salt, key []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != hashPrefix {
		return 0, nil, nil, errors.New("want pbkdf2-sha256$ITERATIONS$SALT$KEY")
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil || iter < 1000 {
		return 0, nil, nil, errors.New("iterations: want an integer >= 1000")
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[2]); err != nil || len(salt) < 8 {
		return 0, nil, nil, errors.New("salt: want base64 of at least 8 bytes")
	}
	if key, err = enc.DecodeString(parts[3]); err != nil || len(key) < 16 {
		return 0, nil, nil, errors.New("key: want base64 of at least 16 bytes")
	}
	return iter, salt, key, nil
}
