// Package store is the one storage layer over SQLite and PostgreSQL: opening,
// migrations, transactions, and the tenant-scoped SQL every handler goes
// through (no handler writes SQL or forgets the company).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // SQLite driver "sqlite" (pure Go)

	"github.com/cirqll/core/internal/dialect"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the goose migration files of a dialect.
func Migrations(d dialect.Dialect) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+d.String())
	if err != nil {
		panic(err)
	}
	return sub
}

// DB is a database with a reader pool and a writer. On SQLite the writer is
// a single connection (SQLite has one writer anyway; one connection turns
// lock contention into a queue instead of SQLITE_BUSY); on PostgreSQL both
// are the same pool.
type DB struct {
	Dialect dialect.Dialect
	R       *sql.DB
	W       *sql.DB
	URL     string // for logs only: never contains a password (see Redact)

	rebindMu sync.RWMutex
	rebind   map[string]string
	counts   countCache
	plans    searchPlans // SQLite: learned plans of common-term searches
	stmts    stmtCache
	ext      external
	notify   *pgNotify   // PostgreSQL: cache invalidation across instances
	group    groupCommit // SQLite: batches concurrent write transactions
	// OnBatch, when set, is told the size of every committed batch
	// (SQLite's group commit), for metrics.
	OnBatch func(transactions int)
	ckpt    *checkpointer // SQLite: WAL checkpoints off the writer
}

// ParseURL tells the dialect and driver DSN of CIRQLL_DATABASE_URL:
// postgres:// or postgresql:// is PostgreSQL, anything else a SQLite file
// path, optionally prefixed sqlite: or file:. Two things that would
// otherwise become odd SQLite files are errors instead: another URL scheme
// (mysql://... would create a file named after it) and SQLite URI
// parameters (file:x.db?_pragma=...: the store sets its own pragmas after
// a "?" of its own, and the driver failed only after creating the file).
func ParseURL(raw string) (dialect.Dialect, string, error) {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		return dialect.Postgres, raw, nil
	}
	if scheme, _, ok := strings.Cut(raw, "://"); ok && scheme != "sqlite" && scheme != "file" && isScheme(scheme) {
		return 0, "", fmt.Errorf("CIRQLL_DATABASE_URL (or --database): unsupported scheme %s://; use postgres:// or postgresql://, or a SQLite file path (optionally sqlite: or file:)", scheme)
	}
	p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "file:")
	if strings.Contains(p, "?") {
		return 0, "", errors.New("CIRQLL_DATABASE_URL (or --database): SQLite URI parameters (after \"?\") are not supported; give the file path only: the server sets its own pragmas (WAL, busy timeout, foreign keys)")
	}
	if p == "" {
		p = "./data/cirqll.db"
	}
	return dialect.SQLite, p, nil
}

// isScheme reports an RFC 3986 URL scheme of at least two characters (one
// letter before a colon is a Windows drive, not a scheme).
func isScheme(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Open connects to the database named by url (see ParseURL).
func Open(ctx context.Context, url string) (*DB, error) {
	d, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	db := &DB{Dialect: d, URL: Redact(url), rebind: map[string]string{}}
	switch d {
	case dialect.Postgres:
		p, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		p.SetMaxOpenConns(32)
		p.SetMaxIdleConns(32)
		p.SetConnMaxIdleTime(5 * time.Minute)
		db.R, db.W = p, p
		db.counts.ttl = 10 * time.Minute // while the listener hears every instance's writes
		db.startNotify(dsn)
	default:
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_time_format=sqlite"
		// The writer never checkpoints itself (see checkpoint.go).
		w, err := sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		// Readers map the file: SQLite's page cache (this build enables
		// SQLITE_ENABLE_MEMORY_MANAGEMENT) is one group behind one global
		// mutex for every connection, and parallel reads queued on it
		// (measured: 1.1 of 2 cores busy); a reader's pages served from
		// the mapping, all but page 1 and those still in the WAL, do not
		// touch it. The mapping is the OS page cache's memory: RSS counts
		// it once per connection, the machine holds it once.
		r, err := sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_pragma=query_only(1)&_pragma=mmap_size(4294967296)")
		if err != nil {
			return nil, err
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		r.SetConnMaxLifetime(0)
		db.R, db.W = r, w
		// One process usually owns the file: totals may be cached long,
		// since writes by other processes are noticed (external.go).
		db.counts.ttl = 10 * time.Minute
		db.counts.ext = &db.ext.gen
		if err := db.watchExternal(dsn); err != nil {
			return nil, err
		}
		if err := db.startCheckpoints(dsn, pragmas); err != nil {
			db.Close()
			return nil, err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.W.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", d, db.URL, err)
	}
	return db, nil
}

// Redact removes a password from a database URL.
func Redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return u[:i+3] + rest[:c] + ":***" + rest[at:]
			}
		}
	}
	return u
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopNotify()
	db.stopExternal()
	db.stopCheckpoints()
	db.stmts.close()
	var err error
	if db.R != nil {
		err = db.R.Close()
	}
	if db.W != nil && db.W != db.R {
		err = errors.Join(err, db.W.Close())
	}
	return err
}

// Migrate applies the dialect's migrations; idempotent.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	gd := goose.DialectSQLite3
	if db.Dialect == dialect.Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, db.W, Migrations(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, r := range res {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// Q turns a "?" query into the dialect's form, cached.
func (db *DB) Q(q string) string {
	if db.Dialect != dialect.Postgres {
		return q
	}
	db.rebindMu.RLock()
	s, ok := db.rebind[q]
	db.rebindMu.RUnlock()
	if ok {
		return s
	}
	s = db.Dialect.Rebind(q)
	db.rebindMu.Lock()
	if len(db.rebind) < 10000 { // dynamic queries vary; cap the cache
		db.rebind[q] = s
	}
	db.rebindMu.Unlock()
	return s
}

// Querier is what both *sql.DB and *sql.Tx offer.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Conn runs "?" queries on a reader, writer or transaction.
type Conn struct {
	db   *DB
	q    Querier
	pool *sql.DB // the pool q is (nil inside a transaction)
	tx   *sql.Tx
	// missed collects statements a transaction ran unprepared; they are
	// prepared once the transaction has released the writer.
	missed *[]string
	// detach: statements ignore their context's cancellation (a callback
	// of a group commit, see groupcommit.go).
	detach bool
	lock   bool // see ForUpdate
}

// Reader returns a Conn on the reader pool.
func (db *DB) Reader() Conn { return Conn{db: db, q: db.R, pool: db.R} }

// Writer returns a Conn on the writer outside a transaction.
func (db *DB) Writer() Conn { return Conn{db: db, q: db.W, pool: db.W} }

// DB returns the database of the conn.
func (c Conn) DB() *DB { return c.db }

// stmt returns a prepared statement for q on SQLite. Parsing and planning
// a statement costs more than running it there (modernc.org/sqlite does
// not cache prepared statements), so the store keeps them; PostgreSQL's
// pgx driver already caches statements per connection.
func (c Conn) stmt(ctx context.Context, q string) *sql.Stmt {
	if c.db.Dialect != dialect.SQLite {
		return nil
	}
	if c.tx == nil {
		return c.db.stmts.get(ctx, c.pool, q, true)
	}
	// Inside a transaction the writer's only connection is taken, so a
	// statement can't be prepared on the pool now: run it unprepared and
	// prepare it after the transaction.
	st := c.db.stmts.get(ctx, c.db.W, q, false)
	if st == nil {
		if c.missed != nil && len(*c.missed) < 64 {
			*c.missed = append(*c.missed, q)
		}
		return nil
	}
	return c.tx.StmtContext(ctx, st)
}

// Exec runs a statement.
func (c Conn) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	countStatement(ctx)
	if c.detach {
		ctx = context.WithoutCancel(ctx)
	}
	q = c.db.Q(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, q, args...)
}

// Query runs a query.
func (c Conn) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	countStatement(ctx)
	if c.detach {
		ctx = context.WithoutCancel(ctx)
	}
	q = c.db.Q(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, q, args...)
}

// QueryRow runs a single-row query.
func (c Conn) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	countStatement(ctx)
	if c.detach {
		ctx = context.WithoutCancel(ctx)
	}
	q = c.db.Q(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, q, args...)
}

// stmtCache holds prepared statements per pool, up to a bound (dynamic
// filters make unbounded variety; those beyond the bound run unprepared).
type stmtCache struct {
	mu sync.RWMutex
	m  map[*sql.DB]map[string]*sql.Stmt
}

const maxStmts = 2048

func (sc *stmtCache) get(ctx context.Context, pool *sql.DB, q string, prepare bool) *sql.Stmt {
	sc.mu.RLock()
	st := sc.m[pool][q]
	n := len(sc.m[pool])
	sc.mu.RUnlock()
	if st != nil || n >= maxStmts || !prepare {
		return st
	}
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil // let the plain call report the error
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil {
		sc.m = map[*sql.DB]map[string]*sql.Stmt{}
	}
	if sc.m[pool] == nil {
		sc.m[pool] = map[string]*sql.Stmt{}
	}
	if old := sc.m[pool][q]; old != nil {
		st.Close()
		return old
	}
	sc.m[pool][q] = st
	return st
}

func (sc *stmtCache) close() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, m := range sc.m {
		for _, st := range m {
			st.Close()
		}
	}
	sc.m = nil
}

// Tx runs fn in a write transaction: it commits when fn returns nil and
// rolls back otherwise, so a change and its activity log and outbox entries
// land together or not at all. On SQLite concurrent callers share one
// transaction and one commit (groupcommit.go), and fn may be run again
// when another caller's failure forces the shared transaction to start
// over: fn must keep its effects inside the transaction and in variables
// it sets afresh each time.
func (db *DB) Tx(ctx context.Context, fn func(tx Conn) error) error {
	var missed []string
	var err error
	if db.Dialect == dialect.SQLite {
		err = db.groupTx(ctx, fn, &missed)
	} else {
		err = db.tx(ctx, fn, &missed)
	}
	// Only now, with the transaction finished and the writer free, can the
	// statements it ran unprepared be prepared for next time.
	for _, q := range missed {
		db.stmts.get(context.WithoutCancel(ctx), db.W, q, true)
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx Conn) error, missed *[]string) (err error) {
	t, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = t.Rollback()
			panic(p)
		}
		if err != nil {
			_ = t.Rollback()
		}
	}()
	if err = fn(Conn{db: db, q: t, tx: t, missed: missed}); err != nil {
		return err
	}
	return t.Commit()
}

// Now is the time the store writes: UTC, microsecond precision (what both
// databases keep).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Ping checks the database for /readyz.
func (db *DB) Ping(ctx context.Context) error { return db.R.PingContext(ctx) }

type statementCounterKey struct{}

// CountStatements returns a context under which every SQL statement run
// through Conn (Exec, Query, QueryRow, InsertSQL) adds one to the counter.
// Tests use it to prove a request runs a fixed number of queries; counting
// per context keeps background work (webhook fan-out, the janitor) out of
// the figure.
func CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, statementCounterKey{}, n), n
}

func countStatement(ctx context.Context) {
	if n, ok := ctx.Value(statementCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}
