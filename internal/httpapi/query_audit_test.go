package httpapi_test

import (
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// Regression tests for the query-language audit (/tmp/audit/query.md),
// through the real router on both dialects.

// NULL sorts as the smallest value on both dialects: first in asc, last in
// desc, for columns and for related fields whose record is missing.
func TestAuditNullOrder(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Nulls")
		alpha := f.create(t, "customer", obj{"name": "Alpha"})
		late := f.create(t, "task", obj{"title": "late", "due_at": "2026-01-02T09:00:00Z", "customer_id": alpha})
		none1 := f.create(t, "task", obj{"title": "none 1"})
		early := f.create(t, "task", obj{"title": "early", "due_at": "2026-01-01T09:00:00Z", "customer_id": f.customer})
		none2 := f.create(t, "task", obj{"title": "none 2"})
		mine := "&filter=" + q(p("id:in:%d;%d;%d;%d", late, none1, early, none2))
		list := func(order string) []int64 {
			t.Helper()
			return ids(f.do(t, "GET", "/api/task?order_by="+order+mine, nil).Status(200))
		}
		// id breaks ties in the direction of the last order_by field
		wantEq(t, "due_at asc", list("due_at"), []int64{none1, none2, early, late})
		wantEq(t, "due_at desc", list("due_at:desc"), []int64{late, early, none2, none1})
		// Alpha < Fixture BV; tasks without a customer sort as NULL
		wantEq(t, "customer.name asc", list("customer.name"), []int64{none1, none2, late, early})
		wantEq(t, "customer.name desc", list("customer.name:desc"), []int64{early, late, none2, none1})
		// pages hold the same records on both dialects
		page := ids(f.do(t, "GET", "/api/task?order_by=due_at&limit=2&offset=1"+mine, nil).Status(200))
		wantEq(t, "page", page, []int64{none2, early})
	})
}

// Dotted paths of filter, order_by and show cross up to 8 relations.
func TestAuditPathCap(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Paths")
		contract := f.create(t, "contract", obj{"title": "Deep", "customer_id": f.customer, "assignment_id": f.assignment})
		f.do(t, "PATCH", p("/api/assignment/%d", f.assignment), obj{"chance_id": f.chance}).Status(200)
		five := "assignment.chance.customer.user.role.name"
		got := ids(f.do(t, "GET", "/api/contract?filter="+q(five+":eq:company_owner")+"&order_by="+five, nil).Status(200))
		wantEq(t, "5 relations", got, []int64{contract})
		m := f.do(t, "GET", p("/api/contract/%d?show=%s", contract, five), nil).Status(200).JSON()
		wantEq(t, "show 5 relations", at(m, "assignment.chance.customer.user.role.name"), "company_owner")

		// address.company.address... is the one cycle of to-one relations
		eight := strings.Repeat("address.company.", 4) + "name"
		for _, param := range []string{"filter=" + q(eight+":notnull:"), "order_by=" + eight, "show=" + eight} {
			f.do(t, "GET", "/api/customer?"+param, nil).Status(200)
		}
		nine := strings.Repeat("address.company.", 4) + "address.city"
		want400(t, f.do(t, "GET", "/api/customer?filter="+q(nine+":notnull:"), nil), "filter", 64)
		want400(t, f.do(t, "GET", "/api/customer?order_by="+nine, nil), "order_by", 64)
		want400(t, f.do(t, "GET", "/api/customer?show="+nine, nil), "show", 64)
	})
}

// Date-time filter values in the ISO 8601 forms integrators send.
func TestAuditDateTimeValues(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Dates")
		eight := f.create(t, "task", obj{"title": "8", "due_at": "2026-01-10T08:00:00Z"})
		nine := f.create(t, "task", obj{"title": "9", "due_at": "2026-01-10T09:00:00Z"})
		half := f.create(t, "task", obj{"title": "10:30", "due_at": "2026-01-10T10:30:00Z"})
		mine := p("id:in:%d;%d;%d,", eight, nine, half)
		for _, v := range []string{
			"2026-01-10t09:00:00z",     // lower case (RFC 3339 allows it)
			"2026-01-10T09:00Z",        // no seconds
			"2026-01-10T08:59:59.999Z", // fractional seconds
			"2026-01-10T10:00:00+0100", // basic-format offset
			"2026-01-10T04:00-05:00",
			"2026-01-10T09:00:00", // no offset: UTC
		} {
			got := ids(f.do(t, "GET", "/api/task?filter="+q(mine+"due_at:gte:"+v), nil).Status(200))
			wantEq(t, v, got, []int64{nine, half})
		}
		// a date is midnight UTC
		got := ids(f.do(t, "GET", "/api/task?filter="+q(mine+"due_at:gt:2026-01-10"), nil).Status(200))
		wantEq(t, "date", got, []int64{eight, nine, half})
		want400(t, f.do(t, "GET", "/api/task?filter="+q("due_at:gte:2026-01-10T9"), nil), "filter", 11)
		want400(t, f.do(t, "GET", "/api/task?filter="+q("due_at:gte:2026-01-10 09:00"), nil), "filter", 11)
	})
}

// 400s on filter values say what was expected in words, in Dutch and
// English, not our type names.
func TestAuditValueMessages(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Messages")
		for _, c := range []struct{ filter, lang, want string }{
			{"user_id:eq:abc", "nl", `De waarde "abc" is geen id (een geheel getal).`},
			{"user_id:eq:abc", "en", `The value "abc" is not an id (a whole number).`},
			{"id:eq:x", "nl", `De waarde "x" is geen geheel getal.`},
			{"created_at:gt:x", "nl", `De waarde "x" is geen datum-tijd (ISO 8601, zoals 2026-01-10T09:00:00Z).`},
			{"created_at:gt:x", "en", `The value "x" is not a date-time (ISO 8601, like 2026-01-10T09:00:00Z).`},
		} {
			r := f.do(t, "GET", "/api/customer?filter="+q(c.filter), nil, "Accept-Language: "+c.lang)
			want400(t, r, "filter", strings.LastIndex(c.filter, ":")+1)
			wantEq(t, c.filter+" "+c.lang, at(r.JSON(), "errors.0.message"), c.want)
		}
		r := f.do(t, "GET", "/api/chance?filter=amount:gt:1.234", nil, "Accept-Language: nl")
		wantEq(t, "money", at(r.JSON(), "errors.0.message"), `De waarde "1.234" is geen decimaal getal met hoogstens twee decimalen, zoals 1250.50.`)
	})
}

// The indexed array form (with[0]=user&with[1]=origin) of PHP's
// http_build_query and JavaScript's qs is read in index order; a scalar
// parameter in array form is a 400.
func TestAuditIndexedArrays(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		d := newQData(t, e)
		r := d.do(t, "GET", p("/api/customer/%d?with%%5B1%%5D=origin&with%%5B0%%5D=user&count[0]=contacts&show[0]=name&show[1]=user.name", d.alpha), nil).Status(200)
		wantEq(t, "weight", r.Header.Get("X-Eager-Loading-Weight"), "2")
		m := r.JSON()
		wantEq(t, "user", at(m, "user.name"), "Anna")
		wantEq(t, "origin", at(m, "origin.name"), "Website")
		wantEq(t, "contacts_count", m["contacts_count"], 2)
		wantEq(t, "show", m["name"], "Alpha BV")
		if has(m, "status") {
			t.Errorf("show[0]=name ignored: %s", r.Body)
		}

		got := d.list(t, "/api/customer?order_by[1]=id:desc&order_by[0]=name&filter[0]=status:eq:customer&filter[1]=or&filter[2]=status:eq:lead")
		wantEq(t, "order_by and filter", got, d.list(t, "/api/customer?order_by=name,id:desc&filter=status:eq:customer,or,status:eq:lead"))

		for _, param := range []string{"limit", "offset", "per_page", "total", "after"} {
			want400(t, d.do(t, "GET", "/api/customer?"+param+"[]=2", nil), param, 0)
			want400(t, d.do(t, "GET", "/api/customer?"+param+"%5B0%5D=2", nil), param, 0)
		}
	})
}

// With after= the total counts the whole filtered set, not the records
// after the cursor, so an export can show its progress.
func TestAuditAfterTotal(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		d := newQData(t, e)
		all := total(t, d.a, "/api/customer")
		first := d.do(t, "GET", "/api/customer?limit=2", nil).Status(200).Data()
		for _, after := range []any{0, first[1]["id"], d.epsilon} { // a full page, a middle page, past the end
			r := d.do(t, "GET", p("/api/customer?limit=2&after=%v", after), nil).Status(200)
			wantEq(t, p("total after=%v", after), r.JSON()["total"], all)
		}
		leads := total(t, d.a, "/api/customer?filter=status:eq:lead")
		r := d.do(t, "GET", p("/api/customer?filter=status:eq:lead&after=%d", d.alpha), nil).Status(200)
		wantEq(t, "filtered total", r.JSON()["total"], leads)
	})
}
