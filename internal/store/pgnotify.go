package store

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Cached totals across instances (PostgreSQL). Several server instances
// write one database; a total cached by one must drop when another writes
// the tables it counts. Every instance LISTENs on one channel and announces
// its writes there (Touch, coalesced every few milliseconds), so an entry
// lives until a write anywhere changes it, as on SQLite. While the
// listening connection is down, entries fall back to living countTTL, and
// a reconnect drops them all (announcements may have been missed).
const (
	notifyChannel = "cirqll_cache"
	notifyEvery   = 5 * time.Millisecond
	notifyMax     = 7000 // bytes of payload per NOTIFY (PostgreSQL's limit is 8000)
)

type pgNotify struct {
	listening atomic.Bool
	touches   chan string // "company|table"
	stop      chan struct{}
	done      chan struct{}
}

// startNotify connects the listener and the announcer.
func (db *DB) startNotify(dsn string) {
	n := &pgNotify{touches: make(chan string, 4096), stop: make(chan struct{}), done: make(chan struct{})}
	db.notify = n
	db.counts.live = &n.listening
	db.counts.ext = &db.ext.gen
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{}, 2)
	go func() { db.listen(ctx, dsn); finished <- struct{}{} }()
	go func() { db.announce(ctx); finished <- struct{}{} }()
	go func() {
		<-n.stop
		cancel()
		<-finished
		<-finished
		close(n.done)
	}()
}

func (db *DB) stopNotify() {
	if db.notify != nil {
		close(db.notify.stop)
		<-db.notify.done
		db.notify = nil
	}
}

// listen applies other instances' (and this one's) announcements.
func (db *DB) listen(ctx context.Context, dsn string) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+notifyChannel); err == nil {
				backoff = 100 * time.Millisecond
				db.ext.gen.Add(1) // what was announced while we were away is unknown
				db.notify.listening.Store(true)
				for {
					var n *pgconn.Notification
					if n, err = conn.WaitForNotification(ctx); err != nil {
						break
					}
					db.applyTouches(n.Payload)
				}
				db.notify.listening.Store(false)
			}
			conn.Close(context.Background())
		}
		if ctx.Err() != nil {
			return
		}
		slog.Warn("cache invalidation listener reconnecting", "err", err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// announce sends the touches of this instance, coalesced.
func (db *DB) announce(ctx context.Context) {
	pending := map[string]bool{}
	tick := time.NewTicker(notifyEvery)
	defer tick.Stop()
	flush := func() {
		if len(pending) == 0 {
			return
		}
		var b strings.Builder
		send := func() {
			if b.Len() > 0 {
				_, _ = db.W.ExecContext(context.WithoutCancel(ctx), "SELECT pg_notify($1, $2)", notifyChannel, b.String())
				b.Reset()
			}
		}
		for t := range pending {
			if b.Len()+len(t)+1 > notifyMax {
				send()
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(t)
		}
		send()
		clear(pending)
	}
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case t := <-db.notify.touches:
			pending[t] = true
		case <-tick.C:
			flush()
		}
	}
}

// applyTouches bumps the generations an announcement names.
func (db *DB) applyTouches(payload string) {
	for _, t := range strings.Split(payload, ",") {
		company, table, ok := strings.Cut(t, "|")
		id, err := strconv.ParseInt(company, 10, 64)
		if !ok || err != nil {
			continue
		}
		db.touchLocal(id, table)
	}
}

// announceTouch queues a touch for the other instances. It never blocks a
// write: should the queue ever be full, the touch is dropped and logged
// (other instances then keep that total until a later write to the table).
func (db *DB) announceTouch(company int64, table string) {
	if db.notify == nil {
		return
	}
	select {
	case db.notify.touches <- strconv.FormatInt(company, 10) + "|" + table:
	default:
		slog.Warn("cache invalidation queue full: a touch was not announced", "table", table)
	}
}
