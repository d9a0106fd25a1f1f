package httpapi_test

import (
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

func TestSmoke(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		b := e.Company("Other")
		id := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Foo BV", "address": map[string]any{"city": "Utrecht"}}).Status(201).ID()
		a.Do("GET", "/api/customer?with=address,user,contacts&count=contacts", a.Token, nil).Status(200)
		b.Do("GET", "/api/customer/"+itoa(id), b.Token, nil).Status(404)
		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Jan", "customer_id": id}).Status(201)
		a.Do("DELETE", "/api/customer/"+itoa(id), a.Token, nil).Status(204)
		a.Do("GET", "/api/activity_log", a.Token, nil).Status(200)
	})
}

func itoa(n int64) string { return fmtInt(n) }
