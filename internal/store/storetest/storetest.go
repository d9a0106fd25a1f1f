// Package storetest gives tests a fresh, migrated database on each dialect:
// SQLite always, PostgreSQL when CIRQLL_TEST_POSTGRES_URL is set (and then a
// failure to reach it fails the test instead of skipping it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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

// Open returns a fresh migrated database of dialect d.
func Open(t testing.TB, d dialect.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, URL(t, d))
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return db
}
