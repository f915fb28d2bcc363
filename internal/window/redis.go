package window

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// DefaultRedisTimeout bounds one Redis round trip unless RedisConfig says
// otherwise.
const DefaultRedisTimeout = 50 * time.Millisecond

// RedisConfig configures a Redis store. Only Addr is required.
type RedisConfig struct {
	Addr     string // host:port of the Redis server
	Username string // ACL user; empty for none
	Password string // empty for none
	DB       int    // database number
	// Timeout bounds dialling, each read and write, and waiting for a
	// pooled connection; zero means DefaultRedisTimeout. Keep it short: a
	// message waits for it before falling back to local counts.
	Timeout time.Duration
	// ExactLimit is how many distinct values per detector and series are
	// counted exactly (a sorted set); zero means DefaultExactLimit.
	ExactLimit int
	// Prefix starts every key; empty means "dlp:w:".
	Prefix string
	// Logger, when set, receives the Redis client's own messages (dial
	// and pool failures) as warnings instead of the client writing them to
	// stderr. go-redis has one logger per process: the last store made
	// with a Logger sets it.
	Logger *zap.Logger
}

// Redis is a Store on a Redis server, shared by proxy replicas. Per series
// and detector it keeps (see docs/window.md):
//
//	PREFIX{ID}:DET:z     sorted set: value hash (8 bytes) -> last seen (Unix ms),
//	                     at most ExactLimit members; TTL one window
//	PREFIX{ID}:DET:m     overflow marker: Unix ms until which the count is
//	                     estimated; TTL one window
//	PREFIX{ID}:DET:N     HyperLogLog of bucket N (Unix ms / (window/12));
//	                     TTL one window plus two buckets
//
// One Observe is one EVALSHA round trip. Counts are exact while the sorted
// set holds every value of the window; when an add takes it over the limit
// it keeps its newest three quarters and the marker makes the count the
// union of the 13 bucket sketches (Redis HyperLogLog, 0.81% standard
// error) for one window. Keys and values are keyed hashes: no PI and no
// key text reach Redis. The hash tag {ID} keeps a series in one Redis
// Cluster slot.
type Redis struct {
	client *redis.Client
	limit  int
	prefix string
	script *redis.Script
}

var _ Store = (*Redis)(nil)

// NewRedis returns a Redis store. It does not connect: the first Observe
// does, and a broken connection is re-established by a later one.
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.Addr == "" {
		return nil, fmt.Errorf("new redis window store: no address")
	}
	if cfg.ExactLimit < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("new redis window store: negative ExactLimit %d or Timeout %v", cfg.ExactLimit, cfg.Timeout)
	}
	r := &Redis{limit: cfg.ExactLimit, prefix: cfg.Prefix, script: redis.NewScript(observeScript)}
	if r.limit == 0 {
		r.limit = DefaultExactLimit
	}
	if r.prefix == "" {
		r.prefix = "dlp:w:"
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultRedisTimeout
	}
	if cfg.Logger != nil {
		redis.SetLogger(redisLog{cfg.Logger})
	}
	r.client = redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolTimeout: timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1, // a retry would double the wait; the tracker falls back instead
	})
	return r, nil
}

// redisLog hands go-redis's log lines to zap, so they join the JSON log.
// They carry addresses and errors, never values (keys and members are
// keyed hashes).
type redisLog struct{ l *zap.Logger }

func (r redisLog) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}

// Close closes the connections to Redis.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("close redis window store: %w", err)
	}
	return nil
}

// Observe implements Store with one script call.
func (r *Redis) Observe(ctx context.Context, s Series, o *Observation, now time.Time) (Counts, error) {
	var c Counts
	ms, window := now.UnixMilli(), s.Window.Milliseconds()
	width := max(window/numBuckets, 1)
	cur := ms / width
	var keys []string
	args := []any{ms, window, r.limit, r.limit * 3 / 4, window + 2*width}
	var dets []inspect.Detector
	for d := range inspect.NumDetectors {
		if !o.Want[d] && len(o.Add[d]) == 0 {
			continue
		}
		dets = append(dets, d)
		base := r.prefix + "{" + s.ID + "}:" + d.String() + ":"
		keys = append(keys, base+"z", base+"m")
		for b := cur - numBuckets; b <= cur; b++ {
			keys = append(keys, base+strconv.FormatInt(b, 10))
		}
		want := 0
		if o.Want[d] {
			want = 1
		}
		args = append(args, want, len(o.Add[d]))
		for _, h := range o.Add[d] {
			args = append(args, hashMember(h))
		}
	}
	if len(dets) == 0 {
		return c, nil
	}
	res, err := r.script.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return c, fmt.Errorf("redis window observe: %w", err)
	}
	if len(res) != len(dets) {
		return c, fmt.Errorf("redis window observe: %d counts for %d detectors", len(res), len(dets))
	}
	for i, d := range dets {
		c[d] = int(res[i])
	}
	return c, nil
}

// hashMember encodes a value hash as an 8-byte string.
func hashMember(h uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	return string(b[:])
}

// observeScript updates and counts the series of every detector given.
// KEYS: per detector, the sorted set, the marker and the buckets oldest
// to current. ARGV: now, window, limit, keep, bucket TTL (ms), then per
// detector: want (0/1), n, n members.
const observeScript = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, keep, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out, a, k = {}, 6, 1
while k <= #KEYS do
  local z, marker, cur = KEYS[k], KEYS[k + 1], KEYS[k + 14]
  local want, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now - window)
  if n > 0 then
    for i = a, a + n - 1, 500 do
      local zargs, hargs = {}, {}
      for x = i, math.min(i + 499, a + n - 1) do
        zargs[#zargs + 1] = now
        zargs[#zargs + 1] = ARGV[x]
        hargs[#hargs + 1] = ARGV[x]
      end
      redis.call('ZADD', z, unpack(zargs))
      redis.call('PFADD', cur, unpack(hargs))
    end
    redis.call('PEXPIRE', z, window)
    redis.call('PEXPIRE', cur, ttl)
    local size = redis.call('ZCARD', z)
    if size > limit then
      redis.call('ZREMRANGEBYRANK', z, 0, size - keep - 1)
      redis.call('SET', marker, now + window, 'PX', window)
    end
  end
  a = a + n
  local count = 0
  if want == 1 then
    if tonumber(redis.call('GET', marker) or '0') > now then
      count = redis.call('PFCOUNT', unpack(KEYS, k + 2, k + 14))
    else
      count = redis.call('ZCARD', z)
    end
  end
  out[#out + 1] = count
  k = k + 15
end
return out
`
