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

	// Statements counts the SQL statements run through Conn (Exec, Query,
	// QueryRow, InsertSQL): one atomic add each, cheap enough to leave on,
	// so tests can prove a request runs a fixed number of queries.
	Statements atomic.Int64

	rebindMu sync.RWMutex
	rebind   map[string]string
	counts   countCache
}

// ParseURL tells the dialect and driver DSN of CIRQLL_DATABASE_URL.
func ParseURL(raw string) (dialect.Dialect, string) {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		return dialect.Postgres, raw
	}
	p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "file:")
	if p == "" {
		p = "./data/cirqll.db"
	}
	return dialect.SQLite, p
}

// Open connects to the database named by url (see ParseURL).
func Open(ctx context.Context, url string) (*DB, error) {
	d, dsn := ParseURL(url)
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
	default:
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32000)&_time_format=sqlite"
		w, err := sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", "file:"+dsn+"?"+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			return nil, err
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		r.SetConnMaxLifetime(0)
		db.R, db.W = r, w
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
	db *DB
	q  Querier
}

// Reader returns a Conn on the reader pool.
func (db *DB) Reader() Conn { return Conn{db, db.R} }

// Writer returns a Conn on the writer outside a transaction.
func (db *DB) Writer() Conn { return Conn{db, db.W} }

// DB returns the database of the conn.
func (c Conn) DB() *DB { return c.db }

// Exec runs a statement.
func (c Conn) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.db.Statements.Add(1)
	return c.q.ExecContext(ctx, c.db.Q(q), args...)
}

// Query runs a query.
func (c Conn) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.db.Statements.Add(1)
	return c.q.QueryContext(ctx, c.db.Q(q), args...)
}

// QueryRow runs a single-row query.
func (c Conn) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	c.db.Statements.Add(1)
	return c.q.QueryRowContext(ctx, c.db.Q(q), args...)
}

// Tx runs fn in a write transaction: it commits when fn returns nil and
// rolls back otherwise, so a change and its activity log and outbox entries
// land together or not at all.
func (db *DB) Tx(ctx context.Context, fn func(tx Conn) error) (err error) {
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
	if err = fn(Conn{db, t}); err != nil {
		return err
	}
	return t.Commit()
}

// Now is the time the store writes: UTC, microsecond precision (what both
// databases keep).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Ping checks the database for /readyz.
func (db *DB) Ping(ctx context.Context) error { return db.R.PingContext(ctx) }
