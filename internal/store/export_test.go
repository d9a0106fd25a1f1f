package store

import "time"

// Queued is the number of write transactions waiting for the next batch
// (SQLite), so tests can make a batch of many.
func Queued(db *DB) int {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return len(db.group.queue)
}

// ForgetPlans drops every learned search plan.
func ForgetPlans(db *DB) { db.plans.m = nil }

// PreferOtherPlans makes every learned search plan take the other plan
// (FTS on SQLite, the fenced sort on PostgreSQL) from now on.
func PreferOtherPlans(db *DB) int {
	for _, e := range db.plans.m {
		e.walk, e.fts = time.Hour, time.Nanosecond
	}
	return len(db.plans.m)
}
