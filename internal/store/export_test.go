package store

// Queued is the number of write transactions waiting for the next batch
// (SQLite), so tests can make a batch of many.
func Queued(db *DB) int {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return len(db.group.queue)
}
