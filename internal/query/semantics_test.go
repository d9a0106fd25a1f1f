package query

import (
	"database/sql"
	"reflect"
	"testing"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
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

INSERT INTO companies VALUES (1, 'Acme'), (2, 'Other');
INSERT INTO roles VALUES (1, 1, 'admin'), (2, 2, 'admin');
INSERT INTO users VALUES (1, 1, 'Alice', 1, 1), (2, 1, 'Bob', NULL, 0), (3, 2, 'Mallory', 2, 1);
INSERT INTO customers VALUES
	(1, 1, 'Shop 50% off', 'lead', 1, 'a@x.nl', '2024-01-10T09:00:00.000000Z'),
	(2, 1, 'Shop 50 off', 'customer', 2, NULL, '2024-02-10T09:00:00.000000Z'),
	(3, 1, 'under_score', 'lead', NULL, 'c@x.nl', '2024-03-10T09:00:00.000000Z'),
	(4, 1, 'Plain', NULL, 1, 'd@x.nl', '2024-04-10T09:00:00.000000Z'),
	(5, 2, 'Shop 50% off', 'lead', 3, 'a@x.nl', '2024-01-10T09:00:00.000000Z');
INSERT INTO contacts VALUES
	(1, 1, 1, 'Ann', 'Smith', NULL, 1),
	(2, 1, 2, 'Piet', NULL, NULL, 3),
	(3, 2, 5, 'Ann', NULL, NULL, 3),
	(4, 1, 3, 'Annabel', NULL, NULL, 2);
INSERT INTO field_values VALUES
	(1, 4, 'customer', 1, '12'),
	(1, 4, 'customer', 2, '9.5'),
	(1, 3, 'customer', 1, 'Retail'),
	(2, 4, 'customer', 5, '100'),
	(1, 7, 'customer', 3, '["a%b","c"]'),
	(1, 5, 'customer', 4, '2020-05-01');
INSERT INTO customers_fts(customers_fts) VALUES ('rebuild');
INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild');
`

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
	return db
}

// ids runs the generated SQL over res's table for company 1.
func ids(t *testing.T, db *sql.DB, res *schema.Resource, v map[string]string) []int64 {
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
	if w, a := Where(dialect.SQLite, res, "t", p.Filter, company1); w != "" {
		q += " AND " + w
		args = append(args, a...)
	}
	o, a := OrderBy(dialect.SQLite, res, "t", p.OrderBy, company1)
	q += " ORDER BY " + o
	args = append(args, a...)
	rows, err := db.Query(q, args...)
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

func TestSQLiteSemantics(t *testing.T) {
	db := openFixture(t)
	cust := schema.Get("customer")
	cases := []struct {
		filter, orderBy string
		want            []int64
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
		{"", "name:asc", []int64{4, 2, 1, 3}},
		{"", "status:desc,name", []int64{1, 3, 2, 4}},
		{"", "user.name:desc", []int64{2, 4, 1, 3}},
		{"", "user.role.name:desc,id:desc", []int64{4, 1, 3, 2}},
	}
	for _, c := range cases {
		got := ids(t, db, cust, map[string]string{"filter": c.filter, "order_by": c.orderBy})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("filter=%s order_by=%s: got %v want %v", c.filter, c.orderBy, got, c.want)
		}
	}
	// companies through the user's company relation (no company_id on companies)
	if got := ids(t, db, schema.Get("user"), map[string]string{"filter": "company.name:eq:Acme,active:eq:1"}); !reflect.DeepEqual(got, []int64{1}) {
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
