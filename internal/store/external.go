package store

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// External writes on SQLite. Another process (a CLI command, a second
// server) may write the same file; this process's count cache must not keep
// totals that those writes changed. A monitor connection that never writes
// polls PRAGMA data_version, which changes whenever any other connection
// commits, this process's writer included: a change drops every cached
// count within half a second. (This process's own writes also drop the
// exact tables they touch at once; the poll is for everyone else's.)
const externalPoll = 500 * time.Millisecond

type external struct {
	gen  atomic.Int64 // added to every count generation
	stop chan struct{}
	done chan struct{}
}

func (db *DB) watchExternal(dsn string) error {
	mon, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	mon.SetMaxOpenConns(1)
	db.ext.stop, db.ext.done = make(chan struct{}), make(chan struct{})
	version := func() int64 {
		var v int64
		if err := mon.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
			return -1
		}
		return v
	}
	last := version()
	go func() {
		defer close(db.ext.done)
		defer mon.Close()
		t := time.NewTicker(externalPoll)
		defer t.Stop()
		for {
			select {
			case <-db.ext.stop:
				return
			case <-t.C:
			}
			if v := version(); v != last || v < 0 {
				db.ext.gen.Add(1)
				last = v
			}
		}
	}()
	return nil
}

func (db *DB) stopExternal() {
	if db.ext.stop != nil {
		close(db.ext.stop)
		<-db.ext.done
		db.ext.stop = nil
	}
}
