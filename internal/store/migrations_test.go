package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
)

// migrationDB is a fresh, empty database of one dialect.
type migrationDB struct {
	d  dialect.Dialect
	db *sql.DB
}

func freshSQLite(t *testing.T) migrationDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "migrations.db")
	// The app runs with foreign keys on; migrate and test the same way.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return migrationDB{dialect.SQLite, db}
}

// freshPostgres creates cirqll_t_<random> through CIRQLL_TEST_POSTGRES_URL
// and drops it when the test ends. A set but unreachable URL fails the test.
func freshPostgres(t *testing.T, admin string) migrationDB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "cirqll_t_" + hex.EncodeToString(b)
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("CIRQLL_TEST_POSTGRES_URL: %v", err)
	}
	defer adb.Close()
	if _, err := adb.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("CIRQLL_TEST_POSTGRES_URL is set but PostgreSQL is unreachable or refuses CREATE DATABASE: %v", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("CIRQLL_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		adb, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer adb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adb.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return migrationDB{dialect.Postgres, db}
}

// TestMigrations applies every migration of each dialect (00001_resources and
// whatever 00002+ files exist) to a fresh database, checks the result against
// the schema declarations, rolls everything back and applies it again.
func TestMigrations(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMigrations(t, freshSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		admin := os.Getenv("CIRQLL_TEST_POSTGRES_URL")
		if admin == "" {
			t.Skip("CIRQLL_TEST_POSTGRES_URL is not set")
		}
		testMigrations(t, freshPostgres(t, admin))
	})
}

func testMigrations(t *testing.T, m migrationDB) {
	ctx := context.Background()
	gd := goose.DialectSQLite3
	if m.d == dialect.Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, m.db, os.DirFS(filepath.Join("migrations", m.d.String())))
	if err != nil {
		t.Fatalf("goose: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	checkSchema(t, m)
	checkSortNulls(t, m)
	checkSearchSync(t, m)

	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	for _, tbl := range resourceTables() {
		if cols := columnsOf(t, m, tbl); len(cols) > 0 {
			t.Errorf("table %s still exists after down", tbl)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	checkSchema(t, m)
}

// extraTables are storage tables that no declaration names.
var extraTables = map[string][]string{
	"field_options":  {"id", "company_id", "field_id", "label", "position", "created_at", "updated_at"},
	"field_values":   {"id", "company_id", "field_id", "model", "record_id", "value", "created_at", "updated_at"},
	"template_items": {"id", "company_id", "template_id", "description", "quantity", "unit_price", "vat_rate", "position", "created_at", "updated_at"},
}

func resourceTables() []string {
	var out []string
	for _, r := range schema.Resources() {
		if !r.Virtual {
			out = append(out, r.Table)
		}
	}
	for tbl := range extraTables {
		out = append(out, tbl)
	}
	return out
}

func checkSchema(t *testing.T, m migrationDB) {
	t.Helper()
	for _, r := range schema.Resources() {
		if r.Virtual {
			continue
		}
		cols := columnsOf(t, m, r.Table)
		if len(cols) == 0 {
			t.Errorf("%s: table %s missing", r.Name, r.Table)
			continue
		}
		want := []string{}
		if !r.Tenant {
			want = append(want, "company_id")
		}
		for _, f := range r.Fields {
			switch {
			case f.NoColumn:
				// stored in a child table (field_options, template_items)
				if cols[f.Col()] {
					t.Errorf("%s: %s is declared NoColumn but %s.%s exists", r.Name, f.Name, r.Table, f.Col())
				}
			case f.Type != schema.Nested:
				want = append(want, f.Col())
			}
		}
		for _, c := range want {
			if !cols[c] {
				t.Errorf("%s: column %s.%s missing", r.Name, r.Table, c)
			}
		}
		fks := foreignKeys(t, m, r.Table)
		if !r.Tenant && fks["company_id"] != "companies" {
			t.Errorf("%s: %s.company_id does not reference companies (got %q)", r.Name, r.Table, fks["company_id"])
		}
		for _, f := range r.Fields {
			if f.Type == schema.Ref {
				if want := schema.Get(f.Ref).Table; fks[f.Col()] != want {
					t.Errorf("%s: %s.%s does not reference %s (got %q)", r.Name, r.Table, f.Col(), want, fks[f.Col()])
				}
			}
			if f.Search && !searchable(t, m, r.Table, f.Col()) {
				t.Errorf("%s: %s.%s is declared Search but has no trigram index", r.Name, r.Table, f.Col())
			}
		}
	}
	for tbl, want := range extraTables {
		cols := columnsOf(t, m, tbl)
		for _, c := range want {
			if !cols[c] {
				t.Errorf("column %s.%s missing", tbl, c)
			}
		}
	}
}

// checkSortNulls checks what ordering relies on for NULL to sort as the
// smallest value (query.OrderBy): a NOT NULL column is declared so
// (Field.MayBeNull false, no NULLS clause), and on PostgreSQL the sort
// index (company_id, col, id) of a column that may hold NULL says NULLS
// FIRST, like the ORDER BY, and no other does.
func checkSortNulls(t *testing.T, m migrationDB) {
	t.Helper()
	for _, r := range schema.Resources() {
		if r.Virtual {
			continue
		}
		q := `SELECT name FROM pragma_table_info(?) WHERE "notnull" = 1`
		if m.d == dialect.Postgres {
			q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_nullable = 'NO'`
		}
		notNull := strings2set(t, m, q, r.Table)
		var defs map[string]bool
		if m.d == dialect.Postgres {
			defs = strings2set(t, m, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`, r.Table)
		}
		for _, f := range r.Fields {
			if !f.Filterable() || f.NoColumn {
				continue
			}
			if notNull[f.Col()] && f.MayBeNull() {
				t.Errorf("%s: %s.%s is NOT NULL but declared nullable: declare it NotNull", r.Name, r.Table, f.Col())
			}
			plain, first := "(company_id, "+f.Col()+", id)", "(company_id, "+f.Col()+" NULLS FIRST, id)"
			for def := range defs {
				if f.MayBeNull() && strings.Contains(def, plain) || !f.MayBeNull() && strings.Contains(def, first) {
					t.Errorf("%s: the sort index of %s.%s does not match its ORDER BY: %s", r.Name, r.Table, f.Col(), def)
				}
			}
		}
	}
}

// columnsOf returns the table's column names (none if it does not exist).
func columnsOf(t *testing.T, m migrationDB, table string) map[string]bool {
	t.Helper()
	q := `SELECT name FROM pragma_table_info(?)`
	if m.d == dialect.Postgres {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`
	}
	return strings2set(t, m, q, table)
}

// foreignKeys maps each single-column foreign key of table to its target table.
func foreignKeys(t *testing.T, m migrationDB, table string) map[string]string {
	t.Helper()
	q := `SELECT "from", "table" FROM pragma_foreign_key_list(?)`
	if m.d == dialect.Postgres {
		q = `SELECT a.attname, c.confrelid::regclass::text
			FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
			WHERE c.contype = 'f' AND c.conrelid = $1::regclass AND cardinality(c.conkey) = 1`
	}
	rows, err := m.db.Query(q, table)
	if err != nil {
		t.Fatalf("foreign keys of %s: %v", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			t.Fatal(err)
		}
		out[from] = to
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// searchable reports a trigram index on table.col: a column of the FTS5
// table <table>_fts (SQLite) or a gin_trgm_ops index (PostgreSQL).
func searchable(t *testing.T, m migrationDB, table, col string) bool {
	t.Helper()
	if m.d == dialect.SQLite {
		return columnsOf(t, m, table+"_fts")[col]
	}
	defs := strings2set(t, m, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`, table)
	for def := range defs {
		if strings.Contains(def, "USING gin ("+col+" gin_trgm_ops)") {
			return true
		}
	}
	return false
}

func strings2set(t *testing.T, m migrationDB, q string, args ...any) map[string]bool {
	t.Helper()
	rows, err := m.db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSearchSync writes, renames and deletes a customer and checks that the
// trigram search (FTS5 triggers on SQLite) follows, the way the query
// compiler asks for it; then deletes the company and checks the cascade.
func checkSearchSync(t *testing.T, m migrationDB) {
	t.Helper()
	now := m.d.Time(time.Now())
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := m.db.Exec(m.d.Rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	insert := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := m.db.QueryRow(m.d.Rebind(q+" RETURNING id"), args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := m.db.QueryRow(m.d.Rebind(q), args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	search := func(company int64, col, term string) int {
		t.Helper()
		if m.d == dialect.SQLite {
			return count(`SELECT COUNT(*) FROM customers t WHERE t.company_id = ? AND t.id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?)`,
				company, fmt.Sprintf(`{%s} : "%s"`, col, term))
		}
		return count(`SELECT COUNT(*) FROM customers t WHERE t.company_id = ? AND `+m.d.ILike("t."+col),
			company, "%"+dialect.EscapeLike(term)+"%")
	}

	company := insert(`INSERT INTO companies (name, created_at, updated_at) VALUES ('Migration test', ?, ?)`, now, now)
	customer := insert(`INSERT INTO customers (company_id, name, email, created_at, updated_at) VALUES (?, 'Bakkerij de Vries', 'info@devries.nl', ?, ?)`, company, now, now)
	insert(`INSERT INTO contacts (company_id, first_name, customer_id, created_at, updated_at) VALUES (?, 'Piet', ?, ?, ?)`, company, customer, now, now)
	if n := search(company, "name", "VRIES"); n != 1 {
		t.Errorf("search name after insert: %d results, want 1", n)
	}
	if n := search(company, "email", "vries"); n != 1 {
		t.Errorf("search email after insert: %d results, want 1", n)
	}
	if m.d == dialect.SQLite {
		if n := search(company, "email", "bakkerij"); n != 0 {
			t.Errorf("column filter {email} matched the name: %d results", n)
		}
	}
	exec(`UPDATE customers SET name = 'Slagerij Smit' WHERE id = ?`, customer)
	if n := search(company, "name", "vries"); n != 0 {
		t.Errorf("search old name after update: %d results, want 0", n)
	}
	if n := search(company, "name", "smit"); n != 1 {
		t.Errorf("search new name after update: %d results, want 1", n)
	}
	exec(`DELETE FROM companies WHERE id = ?`, company)
	if n := count(`SELECT COUNT(*) FROM customers WHERE company_id = ?`, company); n != 0 {
		t.Errorf("customers left after deleting their company: %d", n)
	}
	if n := count(`SELECT COUNT(*) FROM contacts WHERE company_id = ?`, company); n != 0 {
		t.Errorf("contacts left after deleting their company: %d", n)
	}
	if m.d == dialect.SQLite {
		for _, r := range schema.Resources() {
			for _, f := range r.Fields {
				if f.Search {
					exec(fmt.Sprintf(`INSERT INTO %s_fts (%s_fts, rank) VALUES ('integrity-check', 1)`, r.Table, r.Table))
					break
				}
			}
		}
	}
}
