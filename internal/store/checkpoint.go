package store

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints on SQLite. By default the connection that commits copies the
// WAL back into the database file whenever the WAL passes 1,000 pages,
// fsyncs included, while it still holds the one writer: every write queued
// behind it waits. The writer connection has wal_autocheckpoint off
// instead, and this goroutine, on a connection of its own, runs a PASSIVE
// checkpoint (it never blocks readers or the writer) at most every
// checkpointEvery while transactions commit, and every checkpointIdle
// regardless (writes outside Tx, other processes). When readers keep the WAL from
// being reset and it has grown past checkpointTruncate pages, a TRUNCATE
// checkpoint (which briefly waits for them) brings it back to zero.
const (
	checkpointEvery    = 200 * time.Millisecond
	checkpointIdle     = 5 * time.Second
	checkpointTruncate = 16384 // pages: 64 MiB at the default page size
)

type checkpointer struct {
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func (db *DB) startCheckpoints(dsn, pragmas string) error {
	c, err := sql.Open("sqlite", "file:"+dsn+"?"+pragmas)
	if err != nil {
		return err
	}
	c.SetMaxOpenConns(1)
	c.SetConnMaxLifetime(0)
	cp := &checkpointer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	db.ckpt = cp
	go func() {
		defer close(cp.done)
		defer c.Close()
		idle := time.NewTicker(checkpointIdle)
		defer idle.Stop()
		for {
			select {
			case <-cp.stop:
				return
			case <-cp.wake:
			case <-idle.C:
			}
			var busy, log, done int64
			if err := c.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err == nil && log > checkpointTruncate {
				_, _ = c.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
			}
			select {
			case <-cp.stop:
				return
			case <-time.After(checkpointEvery):
			}
		}
	}()
	return nil
}

// committed tells the checkpointer that the WAL grew.
func (db *DB) committed() {
	if db.ckpt != nil {
		select {
		case db.ckpt.wake <- struct{}{}:
		default:
		}
	}
}

func (db *DB) stopCheckpoints() {
	if db.ckpt != nil {
		close(db.ckpt.stop)
		<-db.ckpt.done
		db.ckpt = nil
	}
}
