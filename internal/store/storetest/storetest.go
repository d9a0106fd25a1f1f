// Package storetest gives tests a fresh, migrated database on each dialect:
// SQLite always, PostgreSQL when CIRQLL_TEST_POSTGRES_URL is set (and then a
// failure to reach it fails the test instead of skipping it).
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store"
)

// PostgresURL is the admin URL tests create their databases from.
func PostgresURL() string { return os.Getenv("CIRQLL_TEST_POSTGRES_URL") }

// Dialects lists the dialects this run tests.
func Dialects() []dialect.Dialect {
	if PostgresURL() != "" {
		return []dialect.Dialect{dialect.SQLite, dialect.Postgres}
	}
	return []dialect.Dialect{dialect.SQLite}
}

// Each runs fn as a subtest per dialect, each with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d.String(), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// URL returns a database URL for a fresh, empty database of dialect d,
// removed when the test ends.
func URL(t testing.TB, d dialect.Dialect) string {
	t.Helper()
	if d == dialect.SQLite {
		return filepath.Join(t.TempDir(), "cirqll.db")
	}
	admin := PostgresURL()
	if admin == "" {
		t.Fatal("CIRQLL_TEST_POSTGRES_URL is not set")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "cirqll_t_" + hex.EncodeToString(b)
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer adb.Close()
	if _, err := adb.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("postgres at CIRQLL_TEST_POSTGRES_URL unreachable or refusing CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		adb, err := sql.Open("pgx", admin)
		if err == nil {
			_, _ = adb.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			adb.Close()
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("CIRQLL_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a fresh migrated database of dialect d. On PostgreSQL it is
// cloned from a migrated template database (one per migration set), which
// is much faster than migrating every test's database.
func Open(t testing.TB, d dialect.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	u := ""
	if d == dialect.Postgres {
		u = clone(t)
	} else {
		u = URL(t, d)
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// templateName names the template database of the current migrations.
func templateName() string {
	h := sha256.New()
	_ = fs.WalkDir(store.Migrations(dialect.Postgres), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := fs.ReadFile(store.Migrations(dialect.Postgres), p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return "cirqll_tpl_" + hex.EncodeToString(h.Sum(nil))[:16]
}

// clone creates a database from the migrated template, creating the
// template first if needed (under an advisory lock: test binaries of
// several packages run at once).
func clone(t testing.TB) string {
	t.Helper()
	admin := PostgresURL()
	if admin == "" {
		t.Fatal("CIRQLL_TEST_POSTGRES_URL is not set")
	}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer adb.Close()
	ctx := context.Background()
	conn, err := adb.Conn(ctx)
	if err != nil {
		t.Fatalf("postgres at CIRQLL_TEST_POSTGRES_URL unreachable: %v", err)
	}
	defer conn.Close()
	tpl := templateName()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	var exists bool
	err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tpl).Scan(&exists)
	if err == nil && !exists {
		err = func() error {
			if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+tpl); err != nil {
				return err
			}
			u, _ := url.Parse(admin)
			u.Path = "/" + tpl
			db, err := store.Open(ctx, u.String())
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+tpl+` WITH (FORCE)`)
				return err
			}
			return nil
		}()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "cirqll_t_" + hex.EncodeToString(b)
	if err == nil {
		// Cloning under the lock too: a template may have no other session
		// while it is copied.
		_, err = conn.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tpl)
	}
	_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242)`)
	if err != nil {
		t.Fatalf("postgres test database from template: %v", err)
	}
	t.Cleanup(func() {
		adb, err := sql.Open("pgx", admin)
		if err == nil {
			_, _ = adb.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			adb.Close()
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// OpenPair returns two instances of the store on one fresh, migrated
// database, as two servers would have (multi-instance tests).
func OpenPair(t testing.TB, d dialect.Dialect) (*store.DB, *store.DB) {
	t.Helper()
	u := ""
	if d == dialect.Postgres {
		u = clone(t)
	} else {
		u = URL(t, d)
	}
	open := func() *store.DB {
		db, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatalf("open %s: %v", d, err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate %s: %v", d, err)
		}
		return db
	}
	return open(), open()
}
