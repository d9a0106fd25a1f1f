// Package webhook delivers the company's events to its webhook
// subscriptions (webhooks.md, docs/webhooks.md): a transactional outbox
// written with every change, a fan-out that turns outbox rows into one job
// per matching subscription, and a durable queue in the database whose
// per-subscription leases let any number of server instances deliver each
// job once, in order, signed, with retries and backoff.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Options tune delivery; Defaults are what production runs with.
type Options struct {
	Workers     int             // subscriptions delivered at once by one instance
	Poll        time.Duration   // how often an idle instance looks for due work
	Lease       time.Duration   // a claimed subscription is ours this long after the last heartbeat
	Timeout     time.Duration   // one attempt, connect to last byte
	Backoff     []time.Duration // delay after the 1st, 2nd, ... failed attempt; when exhausted the event is given up
	Jitter      float64         // each delay varies by up to this fraction either way
	MaxFailures int             // consecutive events given up before the subscription is deactivated
	Retention   time.Duration   // finished events and their delivery history are kept this long
	Batch       int             // outbox rows per fan-out transaction
	Turn        int             // jobs delivered per claim of a subscription before others get a turn
	// Private allows loopback, private and link-local targets (development
	// mode only); otherwise every connection is checked (SSRF).
	Private bool
}

// Defaults are the production settings.
func Defaults() Options {
	return Options{
		Workers:     32,
		Poll:        250 * time.Millisecond,
		Lease:       30 * time.Second,
		Timeout:     10 * time.Second,
		Backoff:     []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 8 * time.Hour, 24 * time.Hour},
		Jitter:      0.2,
		MaxFailures: 20,
		Retention:   30 * 24 * time.Hour,
		Batch:       500,
		Turn:        200,
	}
}

// OptionsFromEnv applies the development-mode rule and the environment's
// overrides to Defaults: CIRQLL_WEBHOOK_BACKOFF (comma-separated
// durations, "" keeps the default, "none" gives up after one attempt),
// CIRQLL_WEBHOOK_LEASE, CIRQLL_WEBHOOK_POLL (durations) and
// CIRQLL_WEBHOOK_WORKERS (a count; 0 delivers nothing, for maintenance).
func OptionsFromEnv(cfg config.Config) (Options, error) {
	o := Defaults()
	o.Private = cfg.Dev()
	if v := strings.TrimSpace(os.Getenv("CIRQLL_WEBHOOK_BACKOFF")); v != "" {
		o.Backoff = nil
		if v != "none" {
			for _, p := range strings.Split(v, ",") {
				d, err := time.ParseDuration(strings.TrimSpace(p))
				if err != nil || d < 0 {
					return o, fmt.Errorf("CIRQLL_WEBHOOK_BACKOFF: %q is not a duration", p)
				}
				o.Backoff = append(o.Backoff, d)
			}
		}
	}
	for name, dst := range map[string]*time.Duration{"CIRQLL_WEBHOOK_LEASE": &o.Lease, "CIRQLL_WEBHOOK_POLL": &o.Poll} {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, fmt.Errorf("%s: %q is not a positive duration", name, v)
			}
			*dst = d
		}
	}
	if v := os.Getenv("CIRQLL_WEBHOOK_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, fmt.Errorf("CIRQLL_WEBHOOK_WORKERS: %q is not a count", v)
		}
		o.Workers = n
	}
	return o, nil
}

// System is the webhook machinery of one server instance. It is the
// resource service's EventSink.
type System struct {
	db    *store.DB
	svc   *resource.Service
	opt   Options
	log   *slog.Logger
	dev   bool
	owner string // this instance's lease owner id
	sql   sqlText

	client *http.Client

	fanoutWake   chan struct{}
	dispatchWake chan struct{}
	recordCh     chan *recordOp // SQLite: outcomes for the recorder

	mu       sync.Mutex
	started  bool
	stopping atomic.Bool
	loopCtx  context.Context    // the loops run until it ends (Start's ctx, or Stop)
	cancel   context.CancelFunc // ends the loops
	hard     context.CancelFunc // aborts in-flight attempts (Stop's deadline)
	hardCtx  context.Context
	recStop  context.CancelFunc // ends the recorder, after the last turn
	recCtx   context.Context
	loops    sync.WaitGroup
	turns    sync.WaitGroup
	recorder sync.WaitGroup
	inflight atomic.Int64
}

// New builds the webhook system over db and registers its write rules for
// the webhook resource on svc. Start begins delivering.
func New(cfg config.Config, db *store.DB, svc *resource.Service, log *slog.Logger, opt Options) *System {
	if log == nil {
		log = slog.Default()
	}
	host, _ := os.Hostname()
	s := &System{
		db: db, svc: svc, opt: opt, log: log, dev: cfg.Dev(),
		owner:        fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randID(6)),
		sql:          newSQL(db.Dialect),
		fanoutWake:   make(chan struct{}, 1),
		dispatchWake: make(chan struct{}, 1),
		recordCh:     make(chan *recordOp),
	}
	s.client = newClient(opt)
	s.hardCtx, s.hard = context.WithCancel(context.Background())
	s.recCtx, s.recStop = context.WithCancel(context.Background())
	svc.OnPrepare(schema.Webhook.Name, s.prepare)
	return s
}

// Owner is this instance's lease owner id (logs, tests).
func (s *System) Owner() string { return s.owner }

// Committed wakes the fan-out after a write transaction committed.
func (s *System) Committed() { poke(s.fanoutWake) }

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Start runs the fan-out, the dispatcher, the lease heartbeat and the
// clean-up until ctx ends or Stop is called.
func (s *System) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.loopCtx = ctx
	run := func(f func(ctx context.Context)) {
		s.loops.Add(1)
		go func() {
			defer s.loops.Done()
			f(ctx)
		}()
	}
	run(s.fanoutLoop)
	if s.opt.Workers > 0 {
		run(s.dispatchLoop)
		run(s.heartbeatLoop)
		if s.db.Dialect != dialect.Postgres {
			// The recorder outlives the loops: turns still finishing after
			// ctx ended (SIGTERM) record through it until Stop.
			s.recorder.Add(1)
			go func() {
				defer s.recorder.Done()
				s.recorderLoop(s.recCtx)
			}()
		}
	}
	run(s.cleanupLoop)
	return nil
}

// Stop stops claiming work, lets attempts in flight finish and record their
// result (until ctx ends; then they are aborted and left to another
// instance or the next start), and gives the claimed subscriptions back.
func (s *System) Stop(ctx context.Context) {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return
	}
	s.stopping.Store(true)
	poke(s.dispatchWake)
	done := make(chan struct{})
	go func() {
		s.turns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.hard()
		<-done
	}
	s.cancel()
	s.loops.Wait()
	s.recStop()
	s.recorder.Wait()
	s.hard()
}

// winding reports that no new work may start: Stop was called or the
// context Start got has ended.
func (s *System) winding() bool { return s.stopping.Load() || s.loopCtx.Err() != nil }

// randID is n random bytes in lowercase base32 (no padding).
func randID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// sqlText holds the statements whose text depends on the dialect.
type sqlText struct {
	d           dialect.Dialect
	true, false string // boolean literals (partial indexes need literals)
	ids         string // "IN" source of a bound list of ids
	lockRow     string // row lock of one job (PostgreSQL)
}

func newSQL(d dialect.Dialect) sqlText {
	if d == dialect.Postgres {
		return sqlText{d: d, true: "TRUE", false: "FALSE",
			ids:     "(SELECT unnest(CAST(? AS bigint[])))",
			lockRow: "SELECT id FROM webhook_jobs WHERE id = ? FOR UPDATE"}
	}
	return sqlText{d: d, true: "1", false: "0", ids: "(SELECT value FROM json_each(?))"}
}

// idList binds a list of ids for sqlText.ids: one statement text whatever
// the length (the store caches prepared statements by text).
func (q sqlText) idList(ids []int64) any {
	if q.d == dialect.Postgres {
		return ids
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// FromEnv builds the system with OptionsFromEnv (the server's way).
func FromEnv(cfg config.Config, db *store.DB, svc *resource.Service, log *slog.Logger) (*System, error) {
	opt, err := OptionsFromEnv(cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, db, svc, log, opt), nil
}
