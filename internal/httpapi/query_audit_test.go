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
