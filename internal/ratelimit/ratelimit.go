// Package ratelimit counts requests in fixed one-minute windows that start
// with the window's first request (spec README "Rate limiting"): in process
// by default, shared through Redis when several instances run.
package ratelimit

import (
	"context"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Window is the length of a counting window.
const Window = time.Minute

// Result of one counted request.
type Result struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Time // when the window ends
}

// RetryAfter is the whole seconds until the window ends (at least 1).
func (r Result) RetryAfter() int {
	s := int(time.Until(r.Reset).Seconds() + 0.999)
	return max(s, 1)
}

// Limiter counts a request against key and tells whether it is allowed.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int) (Result, error)
}

// Memory is an in-process limiter, sharded to keep lock contention low.
type Memory struct {
	seed   maphash.Seed
	shards [64]shard
	now    func() time.Time
}

type shard struct {
	mu sync.Mutex
	m  map[string]*window
}

type window struct {
	start time.Time
	count int
}

// NewMemory returns an in-process limiter.
func NewMemory() *Memory {
	m := &Memory{seed: maphash.MakeSeed(), now: time.Now}
	for i := range m.shards {
		m.shards[i].m = map[string]*window{}
	}
	go m.sweep()
	return m
}

// sweep drops expired windows so idle keys don't pile up.
func (m *Memory) sweep() {
	t := time.NewTicker(Window)
	defer t.Stop()
	for range t.C {
		now := m.now()
		for i := range m.shards {
			s := &m.shards[i]
			s.mu.Lock()
			for k, w := range s.m {
				if now.Sub(w.start) >= Window {
					delete(s.m, k)
				}
			}
			s.mu.Unlock()
		}
	}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, limit int) (Result, error) {
	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	now := m.now()
	s.mu.Lock()
	w := s.m[key]
	if w == nil || now.Sub(w.start) >= Window {
		w = &window{start: now}
		s.m[key] = w
	}
	w.count++
	count, start := w.count, w.start
	s.mu.Unlock()
	return result(count, limit, start.Add(Window)), nil
}

func result(count, limit int, reset time.Time) Result {
	return Result{Allowed: count <= limit, Limit: limit, Remaining: max(limit-count, 0), Reset: reset}
}

// Redis shares windows between instances. The script increments the counter
// and starts the window's expiry on its first request, atomically.
type Redis struct {
	c      *redis.Client
	prefix string
}

var script = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`)

// NewRedis connects to url (redis://...).
func NewRedis(ctx context.Context, url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, err
	}
	return &Redis{c: c, prefix: "cirqll:rl:"}, nil
}

// Close closes the connection.
func (r *Redis) Close() error { return r.c.Close() }

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit int) (Result, error) {
	v, err := script.Run(ctx, r.c, []string{r.prefix + key}, strconv.FormatInt(Window.Milliseconds(), 10)).Int64Slice()
	if err != nil {
		return Result{}, err
	}
	return result(int(v[0]), limit, time.Now().Add(time.Duration(v[1])*time.Millisecond)), nil
}
