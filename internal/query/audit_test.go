package query

import (
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
)

// The indexed array form of PHP's http_build_query and JavaScript's qs
// (with[0]=a&with[1]=b) is read like with[]=, in index order.
func TestIndexedArrayForm(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseIndex(cust, vals(
		"with[1]", "origin", "with[0]", "user",
		"show[0]", "name", "count[0]", "contacts",
		"order_by[10]", "id:desc", "order_by[9]", "name", // 9 before 10: numbers, not text
		"filter[1]", "or", "filter[0]", "status:eq:lead", "filter[2]", "id:eq:1",
	), full)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(withPaths(p.With, ""), ","); got != "user,origin" {
		t.Errorf("with = %s", got)
	}
	if got := showString(p.Show); got != "id,name" {
		t.Errorf("show = %s", got)
	}
	if len(p.Count) != 1 || p.Count[0].Name != "contacts" {
		t.Errorf("count = %v", p.Count)
	}
	if o := p.OrderBy; len(o) != 2 || o[0].Field.Name != "name" || o[1].Field.Name != "id" || !o[1].Desc {
		t.Errorf("order_by = %+v", o)
	}
	if got := dump(p.Filter); got != `(status eq "lead" | id eq int64(1))` {
		t.Errorf("filter = %s", got)
	}
	// after the plain and [] forms; positions as if comma-joined:
	// "id:eq:1,status:eq:lead,bogus:eq:1"
	_, err = ParseIndex(cust, vals("filter[1]", "bogus:eq:1", "filter[0]", "status:eq:lead", "filter", "id:eq:1"), full)
	wantErr(t, err, "filter", 23, "q_unknown_field")
	// Show reads the form too
	if p, err := ParseShow(cust, vals("with[0]", "user"), full); err != nil || len(p.With) != 1 {
		t.Errorf("show with[0]: %+v %v", p, err)
	}
	// not an index: an unknown parameter, ignored
	if p, err := ParseIndex(cust, vals("with[x]", "bogus", "with[]x", "bogus"), full); err != nil || p.HasWith {
		t.Errorf("with[x]: %+v %v", p, err)
	}
}

// A scalar parameter in array form is a 400, not an ignored parameter
// (limit[]=2 used to answer the default 100 records).
func TestScalarInArrayForm(t *testing.T) {
	cust := schema.Get("customer")
	for _, c := range []struct{ key, param string }{
		{"limit[]", "limit"}, {"limit[0]", "limit"}, {"per_page[]", "per_page"},
		{"offset[3]", "offset"}, {"total[]", "total"}, {"after[0]", "after"},
	} {
		_, err := ParseIndex(cust, vals(c.key, "2"), full)
		wantErr(t, err, c.param, 0, "q_scalar_list")
	}
	if _, err := ParseShow(cust, vals("limit[]", "2"), full); err != nil {
		t.Errorf("Show ignores limit: %v", err)
	}
}

// Date-time filter values: the ISO 8601 forms integrators send.
func TestDateTimeForms(t *testing.T) {
	cust := schema.Get("customer")
	utc := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	good := []struct{ in, want string }{
		{"2026-01-10T09:00:00Z", "2026-01-10T09:00:00Z"},
		{"2026-01-10t09:00:00z", "2026-01-10T09:00:00Z"}, // RFC 3339 allows lower case
		{"2026-01-10T09:00Z", "2026-01-10T09:00:00Z"},    // no seconds
		{"2026-01-10T09:00:00.250Z", "2026-01-10T09:00:00.25Z"},
		{"2026-01-10T09:00:00,5Z", "2026-01-10T09:00:00.5Z"}, // ISO 8601's decimal comma (quoted in a filter)
		{"2026-01-10T10:00:00+01:00", "2026-01-10T09:00:00Z"},
		{"2026-01-10T10:00:00+0100", "2026-01-10T09:00:00Z"}, // basic-format offset
		{"2026-01-10T10:00+01", "2026-01-10T09:00:00Z"},
		{"2026-01-10T04:30-04:30", "2026-01-10T09:00:00Z"},
		{"2026-01-10T09:00:00", "2026-01-10T09:00:00Z"}, // no offset: UTC
		{"2026-01-10T09:00", "2026-01-10T09:00:00Z"},
		{"2026-01-10T09:00:00.123456", "2026-01-10T09:00:00.123456Z"},
		{"2026-01-10", "2026-01-10T00:00:00Z"}, // a date: midnight UTC
	}
	for _, g := range good {
		p, err := ParseIndex(cust, vals("filter", `created_at:gte:"`+g.in+`"`), full)
		if err != nil {
			t.Errorf("%s: %v", g.in, err)
			continue
		}
		if got := p.Filter.(*Cond).Values[0].(time.Time); !got.Equal(utc(g.want)) || got.Location() != time.UTC {
			t.Errorf("%s = %v, want %s", g.in, got, g.want)
		}
	}
	// custom date-time fields compare the canonical RFC 3339 UTC text
	p, err := ParseIndex(cust, vals("filter", "field_values.seen_at:eq:2026-01-10t10:00+0100"), full)
	if err != nil || p.Filter.(*Cond).Values[0] != "2026-01-10T09:00:00Z" {
		t.Errorf("custom date-time: %+v %v", p, err)
	}
	for _, in := range []string{
		"2026-01-10T09", "2026-01-10T25:00Z", "2026-01-10T09:00:00+1", "2026-01-10T09:00:00+01:0",
		"2026-01-10 09:00:00", "10-01-2026", "2026-01-10T09:00:00ZZ", "0000-01-01", "9999-12-31T23:00-01:00",
		"2026-01-10T09:00.5Z", "now",
	} {
		_, err := ParseIndex(cust, vals("filter", `created_at:gte:"`+in+`"`), full)
		wantErr(t, err, "filter", 15, "q_bad_datetime") // the opening quote
	}
}

// 400s on values name the kind of value in words, in both languages, not
// our type names (reference, integer, decimal, datetime...).
func TestBadValueMessages(t *testing.T) {
	cust, chance, todo := schema.Get("customer"), schema.Get("chance"), schema.Get("todo")
	for _, c := range []struct {
		res         *schema.Resource
		filter      string
		key, en, nl string
	}{
		{cust, "user_id:eq:abc", "q_bad_id",
			`The value "abc" is not an id (a whole number).`, `De waarde "abc" is geen id (een geheel getal).`},
		{cust, "id:eq:1.5", "q_bad_integer",
			`The value "1.5" is not a whole number.`, `De waarde "1.5" is geen geheel getal.`},
		{chance, "amount:eq:1.234", "q_bad_money",
			`The value "1.234" is not a decimal number with at most two decimals, like 1250.50.`,
			`De waarde "1.234" is geen decimaal getal met hoogstens twee decimalen, zoals 1250.50.`},
		{todo, "done:eq:yes", "q_bad_boolean",
			`The value "yes" is not true, false, 1 or 0.`, `De waarde "yes" is niet true, false, 1 of 0.`},
		{chance, "expected_close_date:eq:soon", "q_bad_date",
			`The value "soon" is not a date (YYYY-MM-DD).`, `De waarde "soon" is geen datum (JJJJ-MM-DD).`},
		{cust, "created_at:gt:soon", "q_bad_datetime",
			`The value "soon" is not a date-time (ISO 8601, like 2026-01-10T09:00:00Z).`,
			`De waarde "soon" is geen datum-tijd (ISO 8601, zoals 2026-01-10T09:00:00Z).`},
		{cust, "field_values.employees:gt:many", "q_bad_number",
			`The value "many" is not a number, like 12 or 12.5.`, `De waarde "many" is geen getal, zoals 12 of 12.5.`},
		{cust, "field_values.revenue:gt:x", "q_bad_number",
			`The value "x" is not a number, like 12 or 12.5.`, `De waarde "x" is geen getal, zoals 12 of 12.5.`},
		{cust, "field_values.vip:eq:ja", "q_bad_boolean",
			`The value "ja" is not true, false, 1 or 0.`, `De waarde "ja" is niet true, false, 1 of 0.`},
		{cust, "field_values.founded:eq:x", "q_bad_date",
			`The value "x" is not a date (YYYY-MM-DD).`, `De waarde "x" is geen datum (JJJJ-MM-DD).`},
		{cust, "field_values.seen_at:eq:x", "q_bad_datetime",
			`The value "x" is not a date-time (ISO 8601, like 2026-01-10T09:00:00Z).`,
			`De waarde "x" is geen datum-tijd (ISO 8601, zoals 2026-01-10T09:00:00Z).`},
	} {
		_, err := ParseIndex(c.res, vals("filter", c.filter), full)
		wantErr(t, err, "filter", strings.LastIndex(c.filter, ":")+1, c.key)
		args := []any{c.filter[strings.LastIndex(c.filter, ":")+1:]}
		if en := i18n.T("en", c.key, args...); en != c.en {
			t.Errorf("%s en: %s", c.filter, en)
		}
		if nl := i18n.T("nl", c.key, args...); nl != c.nl {
			t.Errorf("%s nl: %s", c.filter, nl)
		}
	}
}

// Dotted paths of filter, order_by and show cross at most MaxHops (8)
// relations.
func TestPathCap(t *testing.T) {
	cust := schema.Get("customer")
	// address.company.address... is a cycle of to-one relations
	eight := strings.Repeat("address.company.", 4) + "name"
	nine := strings.Repeat("address.company.", 4) + "address.city"
	for _, param := range []string{"filter", "order_by", "show"} {
		suffix := ""
		if param == "filter" {
			suffix = ":notnull:"
		}
		if _, err := ParseIndex(cust, vals(param, eight+suffix), full); err != nil {
			t.Errorf("%s with 8 relations: %v", param, err)
		}
		_, err := ParseIndex(cust, vals(param, nine+suffix), full)
		wantErr(t, err, param, 64, "q_path_too_long") // at the 9th relation
	}
	// through to-many relations too
	if _, err := ParseIndex(cust, vals("filter", strings.Repeat("contacts.customer.", 4)+"name:eq:x"), full); err != nil {
		t.Errorf("8 relations: %v", err)
	}
	_, err := ParseIndex(cust, vals("filter", strings.Repeat("contacts.customer.", 4)+"user.name:eq:x"), full)
	wantErr(t, err, "filter", 72, "q_path_too_long")
}
