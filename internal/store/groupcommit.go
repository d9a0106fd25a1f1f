package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Group commit on SQLite. SQLite has one writer, so write transactions
// queue for it, and under load most of a small transaction's time is its
// commit: WAL frames for every page it touched, the FTS segment it flushes.
// The transactions that queue while one batch runs form the next batch: one
// BEGIN, the callers' callbacks one after another, one COMMIT. A caller
// returns only after that commit, so "committed" still means durable and
// visible to every reader; a lone transaction on an idle server is a batch
// of one and pays nothing extra.
//
// A callback that fails without having changed a row is simply left out.
// One that fails after changing rows cannot be undone alone (a SAVEPOINT
// per callback would make FTS5 flush a segment per callback, the cost this
// saves), so the batch is rolled back and run again without it: callbacks
// may run more than once and must keep their effects inside the
// transaction and their own variables (see DB.Tx). The outcome is that of
// running the callbacks one by one in arrival order.
//
// Callbacks run on the batch's goroutine with their contexts' cancellation
// detached (Conn.detach): SQLite answers an interrupted write inside a
// transaction by rolling back the whole transaction. A caller whose context
// has ended before its turn is skipped.

// maxBatch bounds a batch, so one commit's latency stays bounded.
const maxBatch = 64

type txReq struct {
	ctx    context.Context
	fn     func(Conn) error
	missed *[]string
	done   chan error // buffered: the batch never waits for a caller
}

type groupCommit struct {
	mu      sync.Mutex
	queue   []*txReq
	running bool // a goroutine is draining the queue
}

// txPanic carries a callback's panic to its caller's goroutine.
type txPanic struct {
	value any
	stack []byte
}

func (p txPanic) Error() string {
	return fmt.Sprintf("%v [in a write transaction]\n%s", p.value, p.stack)
}

// groupTx queues fn for the next batch and waits for its outcome.
func (db *DB) groupTx(ctx context.Context, fn func(Conn) error, missed *[]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &txReq{ctx: ctx, fn: fn, missed: missed, done: make(chan error, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if !g.running {
		g.running = true
		go db.drain()
	}
	g.mu.Unlock()
	// No select on ctx: once fn may have run, the caller must learn whether
	// it committed.
	err := <-r.done
	if p, ok := err.(txPanic); ok {
		panic(p)
	}
	return err
}

// drain runs batches until the queue is empty.
func (db *DB) drain() {
	g := &db.group
	for {
		g.mu.Lock()
		batch := g.queue
		if len(batch) > maxBatch {
			batch = batch[:maxBatch:maxBatch]
			g.queue = append([]*txReq(nil), g.queue[maxBatch:]...)
		} else {
			g.queue = nil
		}
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		for len(batch) > 0 {
			batch = db.runBatch(batch)
		}
	}
}

// runBatch runs one batch in one transaction. It returns the callers to run
// again in a fresh transaction when a failing callback had changed rows.
func (db *DB) runBatch(batch []*txReq) (again []*txReq) {
	bg := context.Background()
	t, err := db.W.BeginTx(bg, nil)
	if err != nil {
		finish(batch, err)
		return nil
	}
	ctl := Conn{db: db, q: t, tx: t}
	changes := func() (int64, error) {
		var n int64
		err := ctl.QueryRow(bg, "SELECT total_changes()").Scan(&n)
		return n, err
	}
	multi := len(batch) > 1
	var before int64
	if multi {
		if before, err = changes(); err != nil {
			_ = t.Rollback()
			finish(batch, err)
			return nil
		}
	}
	var ok []*txReq
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		err := call(Conn{db: db, q: t, tx: t, missed: r.missed, detach: true}, r.fn)
		if !multi {
			if err != nil {
				_ = t.Rollback()
				r.done <- err
				return nil
			}
			ok = append(ok, r)
			break
		}
		if broken(err) {
			// SQLite may have rolled the transaction back itself.
			_ = t.Rollback()
			finish(ok, err)
			finish(batch[i:], err)
			return nil
		}
		after, cerr := changes()
		if cerr != nil {
			_ = t.Rollback()
			finish(ok, cerr)
			finish(batch[i:], cerr)
			return nil
		}
		if err == nil {
			ok = append(ok, r)
			before = after
			continue
		}
		r.done <- err // its failure stands whatever happens to the others
		if after != before {
			// It changed rows before failing: start over without it.
			_ = t.Rollback()
			return append(ok, batch[i+1:]...)
		}
	}
	if len(ok) == 0 {
		_ = t.Rollback()
		return nil
	}
	err = t.Commit()
	if err == nil {
		db.committed()
		if db.OnBatch != nil {
			db.OnBatch(len(ok))
		}
	}
	finish(ok, err)
	return nil
}

func finish(rs []*txReq, err error) {
	for _, r := range rs {
		r.done <- err
	}
}

// broken reports errors after which SQLite may have rolled back the whole
// transaction on its own (https://sqlite.org/lang_transaction.html).
func broken(err error) bool {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// call runs fn, turning a panic into a txPanic for its caller.
func call(c Conn, fn func(Conn) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = txPanic{value: p, stack: debug.Stack()}
		}
	}()
	return fn(c)
}
