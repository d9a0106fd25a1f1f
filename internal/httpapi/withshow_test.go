package httpapi_test

import (
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// TestWithAndShowTogether: a relation named in both with and show is
// embedded whole (with's relations below it included) and show's relations
// below it are added; nothing that exists comes back null.
func TestWithAndShowTogether(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "WithShow")
		f.create(t, "field", obj{"name": "Tier", "model": "customer", "type": "text"})
		f.do(t, "PATCH", p("/api/customer/%d", f.customer), obj{"field_values": obj{"tier": "gold"}}).Status(200)
		for _, path := range []string{
			p("/api/customer/%d?with=user.role&show=name,user.name", f.customer),
			p("/api/customer?with=user.role&show=name,user.name&filter=id:eq:%d", f.customer),
		} {
			m := f.do(t, "GET", path, nil).Status(200).JSON()
			if data, ok := m["data"].([]any); ok {
				m = data[0].(map[string]any)
			}
			wantEq(t, path+": user.role.name", at(m, "user.role.name"), "company_owner")
			wantEq(t, path+": user.email (with loads the whole user)", at(m, "user.email") != nil, true)
			wantEq(t, path+": status not shown", has(m, "status"), false)
		}
		m := f.do(t, "GET", p("/api/contact/%d?with=customer.field_values&show=first_name,customer.name", f.contact), nil).Status(200).JSON()
		wantEq(t, "customer.field_values", at(m, "customer.field_values.0.value"), "gold")
		m = f.do(t, "GET", p("/api/user/%d?with=role.permissions&show=role.name", f.a.OwnerID), nil).Status(200).JSON()
		if perms, ok := at(m, "role.permissions").([]any); !ok || len(perms) == 0 {
			t.Errorf("role.permissions = %v, want the permission names", at(m, "role.permissions"))
		}
		m = f.do(t, "GET", p("/api/task/%d?with=chance.customer&show=title,chance.title", f.task), nil).Status(200).JSON()
		wantEq(t, "task without chance", m["chance"], nil)
		f.do(t, "PATCH", p("/api/task/%d", f.task), obj{"chance_id": f.chance}).Status(200)
		m = f.do(t, "GET", p("/api/task/%d?with=chance.customer&show=title,chance.title", f.task), nil).Status(200).JSON()
		wantEq(t, "chance.customer.name", at(m, "chance.customer.name"), "Fixture BV")
		// show reaching below a relation with loads
		m = f.do(t, "GET", p("/api/customer/%d?with=user&show=name,user.role.name", f.customer), nil).Status(200).JSON()
		wantEq(t, "user.role.name", at(m, "user.role.name"), "company_owner")
		wantEq(t, "user.email", at(m, "user.email") != nil, true)
		// and on a write's answer
		m = f.do(t, "POST", "/api/customer?with=user.role&show=name,user.name", obj{"name": "New"}).Status(201).JSON()
		wantEq(t, "create: user.role.name", at(m, "user.role.name"), "company_owner")
	})
}
