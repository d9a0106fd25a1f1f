package query

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
)

// tenant scopes every table to company 7 (companies by id); contacts are
// additionally limited to the caller's own (user 5) to show that the
// Scoper's whole condition lands in the subquery.
func tenant(res *schema.Resource, a string) (string, []any) {
	switch {
	case res.Tenant:
		return a + ".id = ?", []any{int64(7)}
	case res.Name == "contact":
		return a + ".company_id = ? AND " + a + ".user_id = ?", []any{int64(7), int64(5)}
	}
	return a + ".company_id = ?", []any{int64(7)}
}

func argStr(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			parts[i] = "time(" + t.Format(time.RFC3339) + ")"
			continue
		}
		parts[i] = fmt.Sprintf("%T(%v)", a, a)
	}
	return strings.Join(parts, " ")
}

func TestWhereSQL(t *testing.T) {
	cust, todo, chance, user := schema.Get("customer"), schema.Get("todo"), schema.Get("chance"), schema.Get("user")
	cases := []struct {
		res      *schema.Resource
		filter   string
		sqlite   string
		sqlArgs  string
		postgres string
		pgArgs   string
	}{
		{cust, "name:eq:Acme",
			`t.name = ?`, `string(Acme)`,
			`t.name = $1`, `string(Acme)`},
		{cust, "status:ne:lead",
			`(t.status IS NULL OR NOT (t.status = ?))`, `string(lead)`,
			`(t.status IS NULL OR NOT (t.status = $1))`, `string(lead)`},
		{cust, "status:not:in:lead;prospect",
			`(t.status IS NULL OR NOT (t.status IN (?, ?)))`, `string(lead) string(prospect)`,
			`(t.status IS NULL OR NOT (t.status IN ($1, $2)))`, `string(lead) string(prospect)`},
		{cust, "id:eq:1,or,id:eq:2,and,user_id:gte:3",
			`(t.id = ? OR (t.id = ? AND t.user_id >= ?))`, `int64(1) int64(2) int64(3)`,
			`(t.id = $1 OR (t.id = $2 AND t.user_id >= $3))`, `int64(1) int64(2) int64(3)`},
		{cust, "name:like:50%_x",
			`(t.id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?) AND t.name LIKE ? ESCAPE '\')`,
			`string({name} : "50%_x") string(%50\%\_x%)`,
			`t.name ILIKE $1 ESCAPE '\'`, `string(%50\%\_x%)`},
		{cust, `email:contains:"a\"b"`, // quotes doubled inside the FTS phrase
			`(t.id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?) AND t.email LIKE ? ESCAPE '\')`,
			`string({email} : "a""b") string(%a"b%)`,
			`t.email ILIKE $1 ESCAPE '\'`, `string(%a"b%)`},
		{cust, `email:contains:a\"b`, // unquoted: backslash is literal
			`(t.id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?) AND t.email LIKE ? ESCAPE '\')`,
			`string({email} : "a\""b") string(%a\\"b%)`,
			`t.email ILIKE $1 ESCAPE '\'`, `string(%a\\"b%)`},
		{cust, "name:like:ab", // too short for trigrams
			`t.name LIKE ? ESCAPE '\'`, `string(%ab%)`,
			`t.name ILIKE $1 ESCAPE '\'`, `string(%ab%)`},
		{cust, "phone:like:0612", // not searchable
			`t.phone LIKE ? ESCAPE '\'`, `string(%0612%)`,
			`t.phone ILIKE $1 ESCAPE '\'`, `string(%0612%)`},
		{cust, "name:not:like:abc", // no FTS under not
			`(t.name IS NULL OR NOT (t.name LIKE ? ESCAPE '\'))`, `string(%abc%)`,
			`(t.name IS NULL OR NOT (t.name ILIKE $1 ESCAPE '\'))`, `string(%abc%)`},
		{cust, "name:starts_with:Ac_,name:ends_with:%me",
			`(t.name LIKE ? ESCAPE '\' AND t.name LIKE ? ESCAPE '\')`, `string(Ac\_%) string(%\%me)`,
			`(t.name ILIKE $1 ESCAPE '\' AND t.name ILIKE $2 ESCAPE '\')`, `string(Ac\_%) string(%\%me)`},
		{cust, "website:null:,origin_id:notnull",
			`(t.website IS NULL AND t.origin_id IS NOT NULL)`, ``,
			`(t.website IS NULL AND t.origin_id IS NOT NULL)`, ``},
		{cust, "created_at:gte:2024-01-01,updated_at:lt:2024-06-01T12:00:00+02:00",
			`(t.created_at >= ? AND t.updated_at < ?)`, `string(2024-01-01T00:00:00.000000Z) string(2024-06-01T10:00:00.000000Z)`,
			`(t.created_at >= $1 AND t.updated_at < $2)`, `time(2024-01-01T00:00:00Z) time(2024-06-01T10:00:00Z)`},
		{todo, "done:eq:true,done:ne:false",
			`(t.done = ? AND (t.done IS NULL OR NOT (t.done = ?)))`, `int64(1) int64(0)`,
			`(t.done = $1 AND (t.done IS NULL OR NOT (t.done = $2)))`, `bool(true) bool(false)`},
		{chance, "amount:gt:12.5,expected_close_date:lte:2024-12-31",
			`(t.amount > ? AND t.expected_close_date <= ?)`, `int64(1250) string(2024-12-31)`,
			`(t.amount > $1 AND t.expected_close_date <= $2)`, `int64(1250) string(2024-12-31)`},
		{cust, "user.name:eq:Bob",
			`t.user_id IN (SELECT u1.id FROM users u1 WHERE u1.company_id = ? AND u1.name = ?)`, `int64(7) string(Bob)`,
			`t.user_id IN (SELECT u1.id FROM users u1 WHERE u1.company_id = $1 AND u1.name = $2)`, `int64(7) string(Bob)`},
		{cust, "user.name:ne:Bob",
			`t.user_id IN (SELECT u1.id FROM users u1 WHERE u1.company_id = ? AND (u1.name IS NULL OR NOT (u1.name = ?)))`, `int64(7) string(Bob)`,
			`t.user_id IN (SELECT u1.id FROM users u1 WHERE u1.company_id = $1 AND (u1.name IS NULL OR NOT (u1.name = $2)))`, `int64(7) string(Bob)`},
		{user, "company.name:eq:Acme",
			`t.company_id IN (SELECT c1.id FROM companies c1 WHERE c1.id = ? AND c1.name = ?)`, `int64(7) string(Acme)`,
			`t.company_id IN (SELECT c1.id FROM companies c1 WHERE c1.id = $1 AND c1.name = $2)`, `int64(7) string(Acme)`},
		{cust, "contacts.first_name:like:Annabel",
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = ? AND c1.user_id = ? AND (c1.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?) AND c1.first_name LIKE ? ESCAPE '\'))`,
			`int64(7) int64(5) string({first_name} : "Annabel") string(%Annabel%)`,
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = $1 AND c1.user_id = $2 AND c1.first_name ILIKE $3 ESCAPE '\')`,
			`int64(7) int64(5) string(%Annabel%)`},
		{cust, "contacts.user.company.name:eq:X",
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = ? AND c1.user_id = ? AND c1.user_id IN (SELECT u2.id FROM users u2 WHERE u2.company_id = ? AND u2.company_id IN (SELECT c3.id FROM companies c3 WHERE c3.id = ? AND c3.name = ?)))`,
			`int64(7) int64(5) int64(7) int64(7) string(X)`,
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = $1 AND c1.user_id = $2 AND c1.user_id IN (SELECT u2.id FROM users u2 WHERE u2.company_id = $3 AND u2.company_id IN (SELECT c3.id FROM companies c3 WHERE c3.id = $4 AND c3.name = $5)))`,
			`int64(7) int64(5) int64(7) int64(7) string(X)`},
		{cust, "address.city:eq:Utrecht,or,(contacts.id:gt:0,and,status:eq:lead)",
			`(t.address_id IN (SELECT a1.id FROM addresses a1 WHERE a1.company_id = ? AND a1.city = ?) OR (EXISTS (SELECT 1 FROM contacts c2 WHERE c2.customer_id = t.id AND c2.company_id = ? AND c2.user_id = ? AND c2.id > ?) AND t.status = ?))`,
			`int64(7) string(Utrecht) int64(7) int64(5) int64(0) string(lead)`,
			`(t.address_id IN (SELECT a1.id FROM addresses a1 WHERE a1.company_id = $1 AND a1.city = $2) OR (EXISTS (SELECT 1 FROM contacts c2 WHERE c2.customer_id = t.id AND c2.company_id = $3 AND c2.user_id = $4 AND c2.id > $5) AND t.status = $6))`,
			`int64(7) string(Utrecht) int64(7) int64(5) int64(0) string(lead)`},
		{cust, "field_values.industry:eq:Retail",
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = ? AND fv1.record_id = t.id AND fv1.value = ?)`, `int64(3) string(Retail)`,
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = $1 AND fv1.record_id = t.id AND fv1.value = $2)`, `int64(3) string(Retail)`},
		{cust, "field_values.industry:ne:Retail",
			`NOT EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = ? AND fv1.record_id = t.id AND fv1.value = ?)`, `int64(3) string(Retail)`,
			`NOT EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = $1 AND fv1.record_id = t.id AND fv1.value = $2)`, `int64(3) string(Retail)`},
		{cust, "field_values.employees:gte:10.5",
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = ? AND fv1.record_id = t.id AND (CAST(fv1.value AS REAL)) >= CAST(? AS REAL))`, `int64(4) string(10.5)`,
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = $1 AND fv1.record_id = t.id AND (CASE WHEN fv1.value ~ '^[+-]{0,1}[0-9]+([.][0-9]+){0,1}$' THEN CAST(fv1.value AS NUMERIC) END) >= CAST($2 AS NUMERIC))`, `int64(4) string(10.5)`},
		{cust, "field_values.founded:null:",
			`NOT EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = ? AND fv1.record_id = t.id)`, `int64(5)`,
			`NOT EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = $1 AND fv1.record_id = t.id)`, `int64(5)`},
		{cust, "field_values.tags:eq:a%b",
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = ? AND fv1.record_id = t.id AND fv1.value LIKE ? ESCAPE '\')`, `int64(7) string(%"a\%b"%)`,
			`EXISTS (SELECT 1 FROM field_values fv1 WHERE fv1.company_id = t.company_id AND fv1.field_id = $1 AND fv1.record_id = t.id AND fv1.value ILIKE $2 ESCAPE '\')`, `int64(7) string(%"a\%b"%)`},
		{cust, "contacts.field_values.hobby:eq:golf",
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = ? AND c1.user_id = ? AND EXISTS (SELECT 1 FROM field_values fv2 WHERE fv2.company_id = c1.company_id AND fv2.field_id = ? AND fv2.record_id = c1.id AND fv2.value = ?))`,
			`int64(7) int64(5) int64(10) string(golf)`,
			`EXISTS (SELECT 1 FROM contacts c1 WHERE c1.customer_id = t.id AND c1.company_id = $1 AND c1.user_id = $2 AND EXISTS (SELECT 1 FROM field_values fv2 WHERE fv2.company_id = c1.company_id AND fv2.field_id = $3 AND fv2.record_id = c1.id AND fv2.value = $4))`,
			`int64(7) int64(5) int64(10) string(golf)`},
	}
	for _, c := range cases {
		p, err := ParseIndex(c.res, vals("filter", c.filter), full)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		for _, d := range []struct {
			d         dialect.Dialect
			sql, args string
		}{{dialect.SQLite, c.sqlite, c.sqlArgs}, {dialect.Postgres, c.postgres, c.pgArgs}} {
			s, args := Where(d.d, c.res, "t", p.Filter, tenant)
			s = d.d.Rebind(s)
			if s != d.sql || argStr(args) != d.args {
				t.Errorf("%s %s:\n got %s\n     %s\nwant %s\n     %s", d.d, c.filter, s, argStr(args), d.sql, d.args)
			}
		}
	}
	if s, a := Where(dialect.SQLite, cust, "t", nil, tenant); s != "" || a != nil {
		t.Errorf("nil filter: %q %v", s, a)
	}
}

func TestOrderBySQL(t *testing.T) {
	cust := schema.Get("customer")
	cases := []struct {
		orderBy  string
		postgres string
		args     string
	}{
		{"", `t.id ASC`, ``},
		{"created_at:desc", `t.created_at DESC, t.id DESC`, ``},
		{"name,created_at:desc", `t.name ASC, t.created_at DESC, t.id DESC`, ``},
		{"name:desc,id:asc", `t.name DESC, t.id ASC`, ``},
		{"id:desc", `t.id DESC`, ``},
		// NULL is the smallest value: PostgreSQL is told so for columns
		// that may hold NULL and for every related field
		{"email", `t.email ASC NULLS FIRST, t.id ASC`, ``},
		{"email:desc,status", `t.email DESC NULLS LAST, t.status ASC, t.id ASC`, ``},
		{"user.name:desc", `(SELECT u1.name FROM users u1 WHERE u1.id = t.user_id AND u1.company_id = $1) DESC NULLS LAST, t.id DESC`, `int64(7)`},
		{"user.id", `(SELECT u1.id FROM users u1 WHERE u1.id = t.user_id AND u1.company_id = $1) ASC NULLS FIRST, t.id ASC`, `int64(7)`},
		{"user.role.name:desc,name",
			`(SELECT (SELECT r2.name FROM roles r2 WHERE r2.id = u1.role_id AND r2.company_id = $1) FROM users u1 WHERE u1.id = t.user_id AND u1.company_id = $2) DESC NULLS LAST, t.name ASC, t.id ASC`,
			`int64(7) int64(7)`},
		{"user.company.name", `(SELECT (SELECT c2.name FROM companies c2 WHERE c2.id = u1.company_id AND c2.id = $1) FROM users u1 WHERE u1.id = t.user_id AND u1.company_id = $2) ASC NULLS FIRST, t.id ASC`, `int64(7) int64(7)`},
	}
	// SQLite sorts NULL first in ASC by itself; a NULLS clause there could
	// keep it from walking the sort index.
	sqlite := strings.NewReplacer(" NULLS FIRST", "", " NULLS LAST", "")
	for _, c := range cases {
		p, err := ParseIndex(cust, vals("order_by", c.orderBy), full)
		if err != nil {
			t.Fatalf("%s: %v", c.orderBy, err)
		}
		s, args := OrderBy(dialect.Postgres, cust, "t", p.OrderBy, tenant)
		if s = dialect.Postgres.Rebind(s); s != c.postgres || argStr(args) != c.args {
			t.Errorf("%s:\n got %s %s\nwant %s %s", c.orderBy, s, argStr(args), c.postgres, c.args)
		}
		s2, _ := OrderBy(dialect.SQLite, cust, "t", p.OrderBy, tenant)
		if want := sqlite.Replace(c.postgres); dialect.Postgres.Rebind(s2) != want {
			t.Errorf("%s on SQLite:\n got %s\nwant %s", c.orderBy, s2, want)
		}
	}
}

// Generated aliases never collide with the caller's.
func TestAliasAvoidsCaller(t *testing.T) {
	cust := schema.Get("customer")
	p, _ := ParseIndex(cust, vals("filter", "user.name:eq:x"), full)
	s, _ := Where(dialect.SQLite, cust, "u1", p.Filter, tenant)
	if !strings.Contains(s, "FROM users u2 WHERE") {
		t.Fatal(s)
	}
}
