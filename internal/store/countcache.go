package store

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
)

// countCache remembers list totals. A COUNT over 100k rows costs more than
// the page itself, and most Index calls repeat the same count. Entries are
// dropped at once when this process writes to the table for the company
// (generation counter), and when another process or instance does
// (SQLite: PRAGMA data_version, external.go; PostgreSQL: announcements on
// a LISTEN channel, pgnotify.go); if those cannot be heard, they expire
// after countTTL.
type countCache struct {
	mu      sync.Mutex
	entries map[string]countEntry
	gens    sync.Map // "table|company" -> *atomic.Int64
	ttl     time.Duration
	ext     *atomic.Int64 // external-write generation (SQLite: PRAGMA data_version; PostgreSQL: listener reconnects)
	live    *atomic.Bool  // PostgreSQL: other instances' writes are being heard (else entries live countTTL)
}

const (
	countTTL     = 2 * time.Second
	countEntries = 50000
)

type countEntry struct {
	n   int64
	gen int64
	at  time.Time
}

func (c *countCache) gen(company int64, table string) *atomic.Int64 {
	k := table + "|" + strconv.FormatInt(company, 10)
	if g, ok := c.gens.Load(k); ok {
		return g.(*atomic.Int64)
	}
	g, _ := c.gens.LoadOrStore(k, new(atomic.Int64))
	return g.(*atomic.Int64)
}

// key returns a count's cache key and generation: the sum of the
// generations of every table the count reads, so a write to any of them
// drops it (a total filtered through contacts changes with the contacts).
func (c *countCache) key(company int64, tables []string, q string, args []any) (string, int64) {
	var b strings.Builder
	b.WriteString(q)
	for _, a := range args {
		fmt.Fprintf(&b, "\x00%T:%v", a, a)
	}
	var gen int64
	if c.ext != nil {
		gen = c.ext.Load() << 40
	}
	for _, t := range tables {
		if strings.HasPrefix(t, "*") {
			gen += c.gen(0, t).Load() // any company's write (see Touch)
			continue
		}
		gen += c.gen(company, t).Load()
	}
	return b.String(), gen
}

// countTables lists the tables a count of res filtered by n reads: its own
// and those the filter reaches through relations and custom fields.
func countTables(res *schema.Resource, n query.Node) []string {
	out := []string{res.Table}
	var walk func(n query.Node)
	walk = func(n query.Node) {
		switch x := n.(type) {
		case *query.And:
			for _, it := range x.Items {
				walk(it)
			}
		case *query.Or:
			for _, it := range x.Items {
				walk(it)
			}
		case *query.Cond:
			for _, rel := range x.Path {
				if t := schema.Get(rel.Target); t != nil {
					out = append(out, t.Table)
				}
			}
			if x.Custom != nil {
				out = append(out, "field_values")
			}
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

func (c *countCache) get(key string, gen int64) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	ttl := c.ttl
	if ttl == 0 || (c.live != nil && !c.live.Load()) {
		ttl = countTTL
	}
	if !ok || e.gen != gen || time.Since(e.at) > ttl {
		return 0, false
	}
	return e.n, true
}

func (c *countCache) put(key string, gen int64, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= countEntries {
		c.entries = map[string]countEntry{}
	}
	c.entries[key] = countEntry{n: n, gen: gen, at: time.Now()}
}

// Touch invalidates cached counts of table for company; every write calls it
// (after commit and before, so a concurrent reader can't cache a stale value
// under the new generation). On PostgreSQL it is announced to the other
// instances too (pgnotify.go).
func (db *DB) Touch(company int64, table string) {
	db.touchLocal(company, table)
	db.announceTouch(company, table)
}

func (db *DB) touchLocal(company int64, table string) {
	db.counts.gen(company, table).Add(1)
	// "*table" follows writes of every company: counts that read across
	// companies (the FTS match count) depend on them.
	db.counts.gen(0, "*"+table).Add(1)
}
