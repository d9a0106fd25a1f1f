package query

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

const fixture = `
CREATE TABLE companies (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE roles (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT);
CREATE TABLE users (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT, role_id INTEGER, active INTEGER);
CREATE TABLE customers (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT, status TEXT,
	user_id INTEGER, email TEXT, created_at TEXT);
CREATE TABLE contacts (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, customer_id INTEGER,
	first_name TEXT, last_name TEXT, email TEXT, user_id INTEGER);
CREATE TABLE field_values (company_id INTEGER NOT NULL, field_id INTEGER NOT NULL, model TEXT NOT NULL,
	record_id INTEGER NOT NULL, value TEXT);
CREATE VIRTUAL TABLE customers_fts USING fts5(name, email, content='customers', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE contacts_fts USING fts5(first_name, last_name, email, content='contacts', content_rowid='id', tokenize='trigram');

`

const ftsRebuild = `
INSERT INTO customers_fts(customers_fts) VALUES ('rebuild');
INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild');
`

// fixtureRows are inserted into both databases.
var fixtureRows = []struct {
	table, cols string
	rows        [][]any
}{
	{"companies", "id, name", [][]any{{1, "Acme"}, {2, "Other"}}},
	{"roles", "id, company_id, name", [][]any{{1, 1, "admin"}, {2, 2, "admin"}}},
	{"users", "id, company_id, name, role_id, active", [][]any{
		{1, 1, "Alice", 1, true}, {2, 1, "Bob", nil, false}, {3, 2, "Mallory", 2, true}}},
	{"customers", "id, company_id, name, status, user_id, email, created_at", [][]any{
		{1, 1, "Shop 50% off", "lead", 1, "a@x.nl", "2024-01-10T09:00:00.000000Z"},
		{2, 1, "Shop 50 off", "customer", 2, nil, "2024-02-10T09:00:00.000000Z"},
		{3, 1, "under_score", "lead", nil, "c@x.nl", "2024-03-10T09:00:00.000000Z"},
		{4, 1, "Plain", nil, 1, "d@x.nl", "2024-04-10T09:00:00.000000Z"},
		{5, 2, "Shop 50% off", "lead", 3, "a@x.nl", "2024-01-10T09:00:00.000000Z"}}},
	{"contacts", "id, company_id, customer_id, first_name, last_name, user_id", [][]any{
		{1, 1, 1, "Ann", "Smith", 1},
		{2, 1, 2, "Piet", nil, 3},
		{3, 2, 5, "Ann", nil, 3},
		{4, 1, 3, "Annabel", nil, 2}}},
	{"field_values", "company_id, field_id, model, record_id, value", [][]any{
		{1, 4, "customer", 1, "12"},
		{1, 4, "customer", 2, "9.5"},
		{1, 3, "customer", 1, "Retail"},
		{2, 4, "customer", 5, "100"},
		{1, 7, "customer", 3, `["a%b","c"]`},
		{1, 5, "customer", 4, "2020-05-01"}}},
}

func insertFixture(t *testing.T, db *sql.DB, d dialect.Dialect) {
	t.Helper()
	for _, f := range fixtureRows {
		n := len(strings.Split(f.cols, ","))
		q := d.Rebind("INSERT INTO " + f.table + " (" + f.cols + ") VALUES (" + placeholders(n) + ")")
		for _, r := range f.rows {
			if _, err := db.Exec(q, r...); err != nil {
				t.Fatalf("%s %v: %v", f.table, r, err)
			}
		}
	}
}

// company1 is the Scoper of a caller in company 1.
func company1(res *schema.Resource, a string) (string, []any) {
	if res.Tenant {
		return a + ".id = ?", []any{int64(1)}
	}
	return a + ".company_id = ?", []any{int64(1)}
}

func openFixture(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(fixture); err != nil {
		t.Fatal(err)
	}
	insertFixture(t, db, dialect.SQLite)
	if _, err := db.Exec(ftsRebuild); err != nil {
		t.Fatal(err)
	}
	return db
}

// pgType is the PostgreSQL column type of a declared field.
func pgType(f *schema.Field) string {
	switch f.Type {
	case schema.Int, schema.Ref, schema.Decimal:
		return "BIGINT"
	case schema.Bool:
		return "BOOLEAN"
	case schema.Date:
		return "DATE"
	case schema.DateTime:
		return "TIMESTAMPTZ"
	}
	return "TEXT"
}

// openPostgres creates every declared table in a fresh schema of the test
// database (CIRQLL_TEST_POSTGRES_URL) and loads the fixture; it skips the
// test when no PostgreSQL is reachable.
func openPostgres(t *testing.T) *sql.DB {
	t.Helper()
	url := os.Getenv("CIRQLL_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("CIRQLL_TEST_POSTGRES_URL not set")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Skip(err)
	}
	db.SetMaxOpenConns(1) // one session: search_path sticks
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	name := fmt.Sprintf("query_test_%d_%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA IF EXISTS " + name + " CASCADE")
		db.Close()
	})
	var ddl strings.Builder
	ddl.WriteString("CREATE SCHEMA " + name + "; SET search_path TO " + name + ";\n")
	for _, r := range schema.Resources() {
		if r.Virtual || r.Table == "" {
			continue
		}
		cols := []string{"id BIGINT PRIMARY KEY"}
		if !r.Tenant {
			cols = append(cols, "company_id BIGINT NOT NULL")
		}
		for _, f := range r.Fields {
			if f.Name != "id" && f.Type != schema.Nested {
				cols = append(cols, f.Col()+" "+pgType(f))
			}
		}
		ddl.WriteString("CREATE TABLE " + r.Table + " (" + strings.Join(cols, ", ") + ");\n")
	}
	ddl.WriteString("CREATE TABLE field_values (company_id BIGINT NOT NULL, field_id BIGINT NOT NULL, model TEXT NOT NULL, record_id BIGINT NOT NULL, value TEXT);\n")
	if _, err := db.Exec(ddl.String()); err != nil {
		t.Fatal(err)
	}
	insertFixture(t, db, dialect.Postgres)
	return db
}

// ids runs the generated SQL over res's table for company 1.
func ids(t *testing.T, db *sql.DB, d dialect.Dialect, res *schema.Resource, v map[string]string) []int64 {
	t.Helper()
	uv := vals()
	for k, s := range v {
		uv.Set(k, s)
	}
	p, err := ParseIndex(res, uv, full)
	if err != nil {
		t.Fatalf("%v: %v", v, err)
	}
	q := "SELECT t.id FROM " + res.Table + " t WHERE t.company_id = ?"
	args := []any{int64(1)}
	if w, a := Where(d, res, "t", p.Filter, company1); w != "" {
		q += " AND " + w
		args = append(args, a...)
	}
	o, a := OrderBy(d, res, "t", p.OrderBy, company1)
	q += " ORDER BY " + o
	args = append(args, a...)
	rows, err := db.Query(d.Rebind(q), args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", v, err, q)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSQLiteSemantics(t *testing.T) { semantics(t, openFixture(t), dialect.SQLite) }

// TestPostgresSemantics runs the same cases on PostgreSQL when
// CIRQLL_TEST_POSTGRES_URL names a reachable server.
func TestPostgresSemantics(t *testing.T) { semantics(t, openPostgres(t), dialect.Postgres) }

func semantics(t *testing.T, db *sql.DB, d dialect.Dialect) {
	cust := schema.Get("customer")
	cases := []struct {
		filter, orderBy string
		want            []int64 // on both dialects: NULL sorts as the smallest value
	}{
		{"", "", []int64{1, 2, 3, 4}},             // company 1 only
		{"name:like:50%", "", []int64{1}},         // % matches itself (FTS + LIKE)
		{"name:like:p_5", "", []int64{}},          // _ matches itself
		{"name:like:r_s", "", []int64{3}},         // ... and finds a literal _
		{"name:contains:SHOP", "", []int64{1, 2}}, // case-insensitive, via FTS
		{"name:like:sh", "", []int64{1, 2}},       // short: LIKE only
		{"name:starts_with:shop 50%", "", []int64{1}},
		{"name:ends_with:_score", "", []int64{3}},
		{"name:not:like:shop", "", []int64{3, 4}},
		{"email:eq:a@x.nl", "", []int64{1}},
		{"email:ne:a@x.nl", "", []int64{2, 3, 4}}, // NULL email included
		{"email:not:like:x.nl", "", []int64{2}},   // NULL included
		{"status:ne:lead", "", []int64{2, 4}},     // NULL status included
		{"status:not:in:lead;prospect", "", []int64{2, 4}},
		{"status:in:lead;customer", "", []int64{1, 2, 3}},
		{"status:null:", "", []int64{4}},
		{"status:notnull", "", []int64{1, 2, 3}},
		{"status:eq:customer,or,status:eq:lead,and,user_id:eq:1", "", []int64{1, 2}}, // and binds tighter
		{"(status:eq:customer,or,status:eq:lead),and,user_id:eq:1", "", []int64{1}},
		{"status:eq:lead,user_id:eq:1", "", []int64{1}}, // implicit and
		{"contacts.first_name:eq:Ann", "", []int64{1}},  // to-many EXISTS, scoped
		{"contacts.first_name:like:ann", "", []int64{1, 3}},
		{"contacts.user.name:eq:Mallory", "", []int64{}}, // another company's user is invisible
		{"contacts.id:gt:0", "", []int64{1, 2, 3}},
		{"user.name:eq:Alice", "", []int64{1, 4}},
		{"user.name:ne:Alice", "", []int64{2}}, // a related record must exist
		{"user.role.name:eq:admin", "", []int64{1, 4}},
		{"user.company.name:eq:Acme", "", []int64{1, 2, 4}},
		{"user.active:eq:true", "", []int64{1, 4}},
		{"created_at:gte:2024-02-10T09:00:00Z,created_at:lt:2024-04-01", "", []int64{2, 3}},
		{"field_values.employees:gt:10", "", []int64{1}}, // numeric, not text, compare
		{"field_values.employees:lt:10", "", []int64{2}},
		{"field_values.employees:in:12;9.50", "", []int64{1, 2}},
		{"field_values.industry:ne:Retail", "", []int64{2, 3, 4}},
		{"field_values.industry:like:ret", "", []int64{1}},
		{"field_values.employees:null:", "", []int64{3, 4}},
		{"field_values.employees:notnull:", "", []int64{1, 2}},
		{"field_values.tags:eq:a%b", "", []int64{3}},
		{"field_values.tags:eq:a", "", []int64{}},
		{"field_values.founded:lt:2021-01-01", "", []int64{4}},
		{"", "id:desc", []int64{4, 3, 2, 1}},
		{"", "email:desc,id", []int64{4, 3, 1, 2}},
		{"", "email", []int64{2, 1, 3, 4}},
		{"", "user.name:desc", []int64{2, 4, 1, 3}}, // no user: last
		{"", "user.role.name:desc,id:desc", []int64{4, 1, 3, 2}},
		{"", "user.role.name,id", []int64{2, 3, 1, 4}}, // a user without a role, or no user: first
	}
	for _, c := range cases {
		got := ids(t, db, d, cust, map[string]string{"filter": c.filter, "order_by": c.orderBy})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s filter=%s order_by=%s: got %v want %v", d, c.filter, c.orderBy, got, c.want)
		}
	}
	// companies through the user's company relation (no company_id on companies)
	if got := ids(t, db, d, schema.Get("user"), map[string]string{"filter": "company.name:eq:Acme,active:eq:1"}); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("users: %v", got)
	}
}

// Values that are special to LIKE or to the FTS5 query syntax are matched
// literally and never break the statement.
func TestSQLiteLiteralSearchValues(t *testing.T) {
	cust := schema.Get("customer")
	cases := []struct {
		filter string
		want   int
	}{
		{`name:like:"\"50%\""`, 1},
		{`name:contains:"50%"`, 1},
		{`name:like:"50%\" off"`, 1},
		{`name:like:SHOP "50`, 1},
		{`name:like:a"""`, 0},
		{`name:like:"\"\"\""`, 0},
		{`name:like:   `, 0},
		{`name:like:***`, 0},
		{`name:like:NEAR(`, 0},
		{`name:like:{name} : x`, 0},
		{`name:like:'; DROP TABLE customers; --`, 0},
		{`name:like:\\\`, 0},
		{`name:like:ééé`, 0},
		{`name:like:😀😀😀`, 0},
		{`name:like:a^b`, 0},
		{`email:like:a@b`, 1},
		{`email:not:like:a@b`, 0},
	}
	for _, c := range cases {
		p, err := ParseIndex(cust, vals("filter", c.filter), full)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		w, args := Where(dialect.SQLite, cust, "t", p.Filter, tenant)
		var n int
		err = declaredDB(t).QueryRow("SELECT COUNT(*) FROM customers t WHERE t.company_id = 7 AND "+w, args...).Scan(&n)
		if err != nil || n != c.want {
			t.Errorf("%s: %d rows, %v (want %d)\n%s %v", c.filter, n, err, c.want, w, args)
		}
	}
}

// Every kind of generated condition is valid SQL on both databases over the
// declared column types (DATE, TIMESTAMPTZ, BOOLEAN, BIGINT cents).
func TestExecutesOnBothDialects(t *testing.T) {
	cases := []struct{ res, filter, orderBy string }{
		{"chance", "amount:gte:12.5,expected_close_date:lte:2024-12-31,closed_at:not:null:,probability:in:10;20", "expected_close_date:desc"},
		{"chance", "expected_close_date:ne:2024-01-01,or,currency:like:eu,or,stage:not:in:won;lost", "amount"},
		{"todo", "done:eq:true,done:ne:false,due_at:lt:2024-01-01T00:00:00Z,task.due_at:gte:2024-01-01", "task.due_at:desc,position"},
		{"task", "customer.contacts.first_name:starts_with:A,user.role.builtin:eq:1", "customer.user.role.name"},
		{"assignment", "chance.customer.field_values.industry:eq:x,start_date:gt:2024-01-01", "chance.expected_close_date"},
		{"contract", "field_values.x:null:,customer.name:not:like:y", "assignment.start_date:desc"},
		{"user", "company.address.city:eq:Utrecht,customers.contracts.signed_at:gt:2024-01-01", "company.name"},
		{"customer", "address.country:eq:NL,emails.sent_at:notnull,notes.pinned:eq:0", "address.city,origin.name:desc"},
		{"customer", "field_values.employees:ne:3,field_values.revenue:lte:10.25,field_values.seen_at:gt:2024-01-01,field_values.vip:eq:true,field_values.tags:in:a;b,field_values.tags:contains:x,field_values.founded:gte:2020-01-01", ""},
		{"activity_log", "event:eq:created,subject_id:gt:1,client_id:like:abc,user.name:eq:x", "user.email"},
		{"email", "from:ends_with:@x.nl,direction:eq:inbound,contact.customer.status:eq:lead", "contact.last_name"},
		{"company", "users.name:eq:x,address.city:ne:y", ""},
	}
	custom := Access{CustomField: func(model, key string) (int64, string, bool) {
		if f, ok := customFields["customer."+key]; ok {
			return f.id, f.typ, true
		}
		return 1, "text", true
	}}
	run := func(t *testing.T, db *sql.DB, d dialect.Dialect) {
		for _, c := range cases {
			res := schema.Get(c.res)
			p, err := ParseIndex(res, vals("filter", c.filter, "order_by", c.orderBy), custom)
			if err != nil {
				t.Fatalf("%s %s: %v", c.res, c.filter, err)
			}
			w, wargs := Where(d, res, "t", p.Filter, tenant)
			o, oargs := OrderBy(d, res, "t", p.OrderBy, tenant)
			scope := "t.company_id = ?"
			if res.Tenant {
				scope = "t.id = ?"
			}
			q := d.Rebind("SELECT t.id FROM " + res.Table + " t WHERE " + scope + " AND " + w + " ORDER BY " + o)
			rows, err := db.Query(q, append(append([]any{int64(7)}, wargs...), oargs...)...)
			if err != nil {
				t.Errorf("%s %s: %v\n%s", d, c.filter, err, q)
				continue
			}
			rows.Close()
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, declaredDB(t), dialect.SQLite) })
	t.Run("postgres", func(t *testing.T) { run(t, openPostgres(t), dialect.Postgres) })
}
