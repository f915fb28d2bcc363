// Package accesslog writes the proxy's two structured record kinds with zap:
// one access line per request and one incident per log or block decision.
//
// Neither record carries a raw personal-information value: incidents hold
// distinct counts per detector and the masked samples the engine produced;
// both hold the path without its query string and with every segment that
// may carry a value masked (MaskPath), multipart field names are masked
// (MaskField) and a part's Content-Type is reduced to its media type.
package accesslog

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Access is one request through the proxy.
type Access struct {
	Time      time.Time
	Client    string // client IP address
	User      string // authenticated proxy user, empty without auth
	Method    string
	Host      string // destination host[:port]
	Path      string // URL path without query string; logged through MaskPath
	Status    int
	Outcome   string // allowed, blocked, denied, error or bypassed
	BytesUp   int64  // request body bytes sent upstream
	BytesDown int64  // response body bytes sent to the client
	Inspected int64  // body bytes run through the engine, both directions
	Duration  time.Duration
	Incident  string // incident id when the request produced one
}

// MarshalLogObject implements zapcore.ObjectMarshaler.
func (a *Access) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("client", a.Client)
	if a.User != "" {
		enc.AddString("user", a.User)
	}
	enc.AddString("method", a.Method)
	enc.AddString("host", a.Host)
	enc.AddString("path", MaskPath(a.Path))
	enc.AddInt("status", a.Status)
	enc.AddString("outcome", a.Outcome)
	enc.AddInt64("bytes_up", a.BytesUp)
	enc.AddInt64("bytes_down", a.BytesDown)
	enc.AddInt64("bytes_inspected", a.Inspected)
	enc.AddFloat64("duration_seconds", a.Duration.Seconds())
	if a.Incident != "" {
		enc.AddString("incident", a.Incident)
	}
	return nil
}

// Finding is what one detector found in a message: a distinct count and
// masked samples only.
type Finding struct {
	Detector string   `json:"detector"`
	Count    int      `json:"count"`
	Samples  []string `json:"samples,omitempty"` // masked, never raw
}

// Incident is one log or block decision on one message.
type Incident struct {
	ID            string
	Time          time.Time
	Rule          string   // the deciding rule: the blocking rule, or the first log rule
	LogRules      []string // every matching log rule
	Action        string   // log or block
	Phase         string   // for blocks: held (clean response) or streaming (cut)
	Direction     string   // request or response
	Client        string
	User          string
	Host          string
	Path          string
	Findings      []Finding
	Parts         []Part // multipart parts of the message, if any
	PolicyVersion string
}

// Part is one multipart part of an incident's message. File is masked
// (MaskFileName): a file name may carry a person's name. Field is logged
// through MaskField and ContentType through MediaType, whatever the caller
// put in them.
type Part struct {
	Field       string // form field name
	File        string // masked file name, empty for plain fields
	ContentType string
	Found       int // distinct values the part added to the message's counts
}

// MarshalLogObject implements zapcore.ObjectMarshaler.
func (p Part) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("field", MaskField(p.Field))
	if p.File != "" {
		enc.AddString("file", p.File)
	}
	if ct := MediaType(p.ContentType); ct != "" {
		enc.AddString("content_type", ct)
	}
	enc.AddInt("found", p.Found)
	return nil
}

// maxFileExt is the longest extension MaskFileName keeps, dot included.
const maxFileExt = 8

// MaskFileName masks a client-supplied file name for the record: its first
// character and a short extension are kept, every other character becomes
// one '*' ("张三客户.xlsx" -> "张***.xlsx"). Directory parts are dropped.
func MaskFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= maxFileExt && utf8.ValidString(name[i:]) && !strings.ContainsFunc(name[i+1:], isNotExtRune) {
		name, ext = name[:i], name[i:]
	}
	r := []rune(name)
	if len(r) == 0 {
		return ext
	}
	first := string(r[0])
	if !unicode.IsPrint(r[0]) {
		first = "*"
	}
	return first + strings.Repeat("*", len(r)-1) + ext
}

func isNotExtRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// MarshalLogObject implements zapcore.ObjectMarshaler.
func (i *Incident) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("id", i.ID)
	enc.AddTime("time", i.Time)
	enc.AddString("rule", i.Rule)
	if len(i.LogRules) > 0 {
		_ = enc.AddArray("log_rules", zapcore.ArrayMarshalerFunc(func(ae zapcore.ArrayEncoder) error {
			for _, r := range i.LogRules {
				ae.AppendString(r)
			}
			return nil
		}))
	}
	enc.AddString("action", i.Action)
	if i.Phase != "" {
		enc.AddString("phase", i.Phase)
	}
	enc.AddString("direction", i.Direction)
	enc.AddString("client", i.Client)
	if i.User != "" {
		enc.AddString("user", i.User)
	}
	enc.AddString("host", i.Host)
	enc.AddString("path", MaskPath(i.Path))
	_ = enc.AddObject("counts", zapcore.ObjectMarshalerFunc(func(oe zapcore.ObjectEncoder) error {
		for _, f := range i.Findings {
			oe.AddInt(f.Detector, f.Count)
		}
		return nil
	}))
	_ = enc.AddObject("samples", zapcore.ObjectMarshalerFunc(func(oe zapcore.ObjectEncoder) error {
		for _, f := range i.Findings {
			if len(f.Samples) == 0 {
				continue
			}
			_ = oe.AddArray(f.Detector, zapcore.ArrayMarshalerFunc(func(ae zapcore.ArrayEncoder) error {
				for _, s := range f.Samples {
					ae.AppendString(s)
				}
				return nil
			}))
		}
		return nil
	}))
	if len(i.Parts) > 0 {
		_ = enc.AddArray("parts", zapcore.ArrayMarshalerFunc(func(ae zapcore.ArrayEncoder) error {
			for _, p := range i.Parts {
				_ = ae.AppendObject(p)
			}
			return nil
		}))
	}
	enc.AddString("policy_version", i.PolicyVersion)
	return nil
}

// Log writes access lines and incidents to a zap logger. The zero value
// discards everything.
type Log struct {
	// Logger receives the records; nil discards them.
	Logger *zap.Logger
}

// Access writes one access line (message "access").
func (l Log) Access(a *Access) {
	if l.Logger == nil {
		return
	}
	l.Logger.Info("access", zap.Object("req", a))
}

// Incident writes one incident (message "incident"), at warn level for a
// block and info level for a log decision.
func (l Log) Incident(i *Incident) {
	if l.Logger == nil {
		return
	}
	lvl := zapcore.InfoLevel
	if i.Action == "block" {
		lvl = zapcore.WarnLevel
	}
	l.Logger.Check(lvl, "incident").Write(zap.Object("incident", i))
}

// NewID returns a new incident id: 32 hex digits, the first 12 of which are
// the milliseconds since the Unix epoch of now, so ids sort by time; the rest
// is random.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Options configures New.
type Options struct {
	// Level is debug, info, warn or error; empty means info.
	Level string
	// File is the path to append JSON lines to; empty means Stderr.
	File string
	// Stderr is where logs go without File; nil means os.Stderr.
	Stderr io.Writer
}

// New builds a JSON zap logger writing to opts.File or stderr, and returns
// the sink it writes to: Close it at the end, and Reopen it after the file
// was rotated away.
func New(opts Options) (*zap.Logger, *Sink, error) {
	lvl := zapcore.InfoLevel
	if opts.Level != "" {
		if err := lvl.Set(opts.Level); err != nil {
			return nil, nil, fmt.Errorf("log level: %w", err)
		}
	}
	sink := &Sink{path: opts.File, w: opts.Stderr}
	switch {
	case opts.File != "":
		f, err := openLogFile(opts.File)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		sink.f, sink.w = f, f
	case opts.Stderr == nil:
		sink.w = os.Stderr
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"
	encCfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), sink, lvl)
	return zap.New(core), sink, nil
}

// openLogFile opens the log file at path for appending, creating it 0640.
func openLogFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
}

// Sink is where a logger built by New writes: a log file, or stderr. A
// file is opened again under its path by Reopen, so that logrotate can
// move it away and have new lines go to a new file (as SIGHUP makes serve
// do). It is safe for concurrent use.
type Sink struct {
	mu     sync.Mutex
	path   string    // the log file's path; empty for stderr
	f      *os.File  // the open log file; nil for stderr
	w      io.Writer // f, or stderr
	closed bool      // by Close: a log file is never opened again
}

// Write writes one log entry; after Close a log file's sink fails with
// os.ErrClosed.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("log file %s: %w", s.path, os.ErrClosed)
	}
	return s.w.Write(p)
}

// Sync flushes a log file to disk; a nop for stderr.
func (s *Sink) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	return s.f.Sync()
}

// Reopen opens the log file again under its path, creating it if it was
// moved away, and closes the old one once no write uses it. On failure the
// old file stays in use. After Close it fails with os.ErrClosed and opens
// nothing. A nop for stderr.
func (s *Sink) Reopen() error {
	if s.path == "" {
		return nil
	}
	errClosed := fmt.Errorf("reopen log file %s: %w", s.path, os.ErrClosed)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errClosed
	}
	f, err := openLogFile(s.path) // outside the lock: a slow file system must not stall the writers
	if err != nil {
		return fmt.Errorf("reopen log file: %w", err)
	}
	s.mu.Lock()
	if s.closed { // a Close raced this Reopen: the sink stays closed
		s.mu.Unlock()
		return errors.Join(errClosed, f.Close())
	}
	old := s.f
	s.f, s.w = f, f
	s.mu.Unlock()
	return old.Close()
}

// Path is the log file's path; empty for stderr.
func (s *Sink) Path() string { return s.path }

// Close flushes and closes a log file, once; a nop for stderr.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil || s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(s.f.Sync(), s.f.Close())
}
