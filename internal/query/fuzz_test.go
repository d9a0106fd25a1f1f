package query

import (
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
)

// placeholders counts ? outside single-quoted literals, as Rebind does.
func countPlaceholders(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			in = !in
		case s[i] == '?' && !in:
			n++
		}
	}
	return n
}

func checkArgs(t *testing.T, what, s string, args []any) {
	t.Helper()
	if got := countPlaceholders(s); got != len(args) {
		t.Fatalf("%s: %d placeholders, %d args: %s", what, got, len(args), s)
	}
	for _, a := range args {
		switch a.(type) {
		case int64, string, bool, time.Time:
		default:
			t.Fatalf("%s: arg of type %T", what, a)
		}
	}
}

// declaredDDL creates every declared table with every declared column (and
// the FTS5 trigram tables of searchable fields), so any generated SQL can be
// executed.
func declaredDDL() string {
	var b strings.Builder
	for _, r := range schema.Resources() {
		if r.Virtual || r.Table == "" {
			continue
		}
		cols := []string{"id INTEGER PRIMARY KEY"}
		if !r.Tenant {
			cols = append(cols, "company_id INTEGER NOT NULL")
		}
		var search []string
		for _, f := range r.Fields {
			if f.Name == "id" || f.Type == schema.Nested {
				continue
			}
			cols = append(cols, f.Col())
			if f.Search {
				search = append(search, f.Col())
			}
		}
		b.WriteString("CREATE TABLE " + r.Table + " (" + strings.Join(cols, ", ") + ");\n")
		if len(search) > 0 {
			b.WriteString("CREATE VIRTUAL TABLE " + r.Table + "_fts USING fts5(" + strings.Join(search, ", ") +
				", content='" + r.Table + "', content_rowid='id', tokenize='trigram');\n")
		}
	}
	b.WriteString("CREATE TABLE field_values (company_id INTEGER, field_id INTEGER, model TEXT, record_id INTEGER, value TEXT);\n")
	b.WriteString("INSERT INTO companies (id, name) VALUES (7, 'Acme');\n")
	b.WriteString("INSERT INTO customers (id, company_id, name, email) VALUES (1, 7, 'Shop \"50%\" off', 'a@b.nl');\n")
	b.WriteString("INSERT INTO customers_fts(customers_fts) VALUES ('rebuild');\n")
	return b.String()
}

var (
	fuzzDBOnce sync.Once
	fuzzDB     *sql.DB
	fuzzDBErr  error
)

// declaredDB is an in-memory SQLite database with every declared table.
func declaredDB(t *testing.T) *sql.DB {
	fuzzDBOnce.Do(func() {
		fuzzDB, fuzzDBErr = sql.Open("sqlite", ":memory:")
		if fuzzDBErr == nil {
			fuzzDB.SetMaxOpenConns(1)
			_, fuzzDBErr = fuzzDB.Exec(declaredDDL())
		}
	})
	if fuzzDBErr != nil {
		t.Fatal(fuzzDBErr)
	}
	return fuzzDB
}

// execSQLite runs the generated condition and order on SQLite.
func execSQLite(t *testing.T, res *schema.Resource, where string, wargs []any, order string, oargs []any) {
	t.Helper()
	db := declaredDB(t)
	q := "SELECT t.id FROM " + res.Table + " t WHERE "
	if res.Tenant {
		q += "t.id = ?"
	} else {
		q += "t.company_id = ?"
	}
	args := []any{int64(7)}
	if where != "" {
		q += " AND " + where
		args = append(args, wargs...)
	}
	q += " ORDER BY " + order + " LIMIT 5"
	args = append(args, oargs...)
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s\n%v", err, q, args)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s\n%v", err, q, args)
	}
	rows.Close()
}

var fuzzResources = []string{"customer", "user", "task", "chance", "todo", "email", "contact", "company"}

func FuzzParse(f *testing.F) {
	seeds := [][4]string{
		{"name:eq:Example", "user,contacts", "name,email", "name:asc"},
		{"status:eq:open,and,(amount:gt:100,or,user.name:like:\"a,b\")", "user.company.address", "name,user.name", "user.name:desc,id"},
		{"field_values.employees:gte:10,field_values.tags:in:a;b", "field_values,contracts.field_values", "user.role.name", "created_at:desc"},
		{"contacts.user.company.name:not:like:x", "contacts.user.company", "company.name", "user.role.name"},
		{"due_at:null:,or,id:in:1;2;3", "field_values,appointments,assignments,chances,contracts,tasks", "id", "id:desc"},
		{`name:eq:"unterminated`, "user.customers", "contacts.name", "name:up"},
		{"((((a", ",,", "address", "a,b,c,d,e,f,g,h,i"},
		{"name:eq:x,and,or,)", "bogus", "password", "password"},
		{"created_at:gt:2024-01-01T10:00:00Z,done:eq:true", "role.permissions", "to,cc", "amount"},
		{"é:eq:\xff", "\x00", "ü", "naam€"},
	}
	for i, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], uint8(i))
	}
	f.Fuzz(func(t *testing.T, filter, with, show, orderBy string, which uint8) {
		res := schema.Get(fuzzResources[int(which)%len(fuzzResources)])
		v := url.Values{}
		given := map[string]string{}
		set := func(k, s string) {
			if s == "" {
				return
			}
			// odd selector bits: array form, split at commas
			if which&0x80 != 0 && strings.Contains(s, ",") {
				v[k+"[]"] = strings.Split(s, ",")
			} else {
				v.Set(k, s)
			}
			given[k] = s
		}
		set("filter", filter)
		set("with", with)
		set("show", show)
		set("order_by", orderBy)
		acc := full
		if which&0x40 != 0 {
			acc = denying("user", "contact")
		}
		p, err := ParseIndex(res, v, acc)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if ae.Status != 400 || len(ae.Positions) != 1 {
				t.Fatalf("bad error: %v", ae)
			}
			val, ok := given[ae.Parameter]
			if !ok {
				t.Fatalf("error names parameter %q not given: %v", ae.Parameter, ae)
			}
			if pos := ae.Positions[0].Position; pos < 0 || pos > utf8.RuneCountInString(val) {
				t.Fatalf("position %d outside %q", pos, val)
			}
			if !i18n.Has(ae.Positions[0].Msg.Key) {
				t.Fatalf("unregistered message %s", ae.Positions[0].Msg.Key)
			}
			return
		}
		if p.Weight > MaxWeight {
			t.Fatalf("weight %d", p.Weight)
		}
		for _, d := range []dialect.Dialect{dialect.SQLite, dialect.Postgres} {
			w, wargs := Where(d, res, "t", p.Filter, tenant)
			checkArgs(t, "where", w, wargs)
			if p.Filter == nil && w != "" {
				t.Fatalf("nil filter gave %q", w)
			}
			o, oargs := OrderBy(d, res, "t", p.OrderBy, tenant)
			checkArgs(t, "order", o, oargs)
			if d == dialect.SQLite {
				execSQLite(t, res, w, wargs, o, oargs)
			}
		}
		if _, err := ParseShow(res, v, acc); err != nil {
			t.Fatalf("ParseShow failed where ParseIndex passed: %v", err)
		}
	})
}
