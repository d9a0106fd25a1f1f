package httpapi_test

import (
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// fx is a company with one record of each kind other records point at.
type fx struct {
	e          *apitest.Env
	a          *apitest.Tenant
	user       int64 // a company_user
	origin     int64
	customer   int64
	contact    int64
	chance     int64
	task       int64
	assignment int64
}

func newFx(t *testing.T, e *apitest.Env, name string) *fx {
	t.Helper()
	a := e.Company(name)
	f := &fx{e: e, a: a}
	f.user = a.User("company_user")
	f.origin = f.create(t, "origin", obj{"name": "Website"})
	f.customer = f.create(t, "customer", obj{"name": "Fixture BV"})
	f.contact = f.create(t, "contact", obj{"first_name": "Fien", "customer_id": f.customer})
	f.chance = f.create(t, "chance", obj{"title": "Fixture deal", "customer_id": f.customer})
	f.task = f.create(t, "task", obj{"title": "Fixture task"})
	f.assignment = f.create(t, "assignment", obj{"title": "Fixture job", "customer_id": f.customer})
	return f
}

// create posts body to /api/<res> as the owner and returns the new id.
func (f *fx) create(t testing.TB, res string, body obj) int64 {
	t.Helper()
	return f.do(t, "POST", "/api/"+res, body).Status(201).ID()
}

// do runs a request as the owner with the all-scopes token; failures of
// the answer's checks are reported on t.
func (f *fx) do(t testing.TB, method, path string, body any, hdr ...string) *apitest.Response {
	return on(t, f.a.Do(method, path, f.a.Token, body, hdr...))
}

// on makes a response report to t (the harness binds it to the test that
// started the server, which a subtest may not fail).
func on(t testing.TB, r *apitest.Response) *apitest.Response {
	r.T = t
	return r
}
