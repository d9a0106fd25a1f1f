package httpapi_test

import (
	"strings"
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

// TestAuditQueryFixes: the X-Eager-Loading-Weight header on error answers,
// address.company, and the permission catalogue without id or timestamps.
func TestAuditQueryFixes(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Audit")
		for _, c := range []struct {
			method, path string
			body         any
			status       int
			weight       string
		}{
			{"GET", "/api/customer?with=contacts,tasks,notes,emails,chances,appointments", nil, 400, "18"},
			{"GET", "/api/customer/999999?with=user", nil, 404, "1"},
			{"POST", "/api/customer?with=user.company", obj{"name": ""}, 422, "3"},
			{"GET", "/api/customer?with=user,nope", nil, 400, "1"},
			{"GET", "/api/permission?with=x", nil, 400, "0"},
		} {
			r := f.do(t, c.method, c.path, c.body).Status(c.status)
			wantEq(t, c.path+" weight header", r.Header.Get("X-Eager-Loading-Weight"), c.weight)
		}
		f.do(t, "PATCH", p("/api/customer/%d", f.customer), obj{"address": obj{"city": "Utrecht"}}).Status(200)
		r := f.do(t, "GET", p("/api/customer/%d?with=address.company", f.customer), nil).Status(200)
		wantEq(t, "address.company.name", at(r.JSON(), "address.company.name"), "Audit")
		wantEq(t, "weight", r.Header.Get("X-Eager-Loading-Weight"), "3")
		m := f.do(t, "GET", p("/api/customer/%d?show=name,address.company.name", f.customer), nil).Status(200).JSON()
		wantEq(t, "show address.company.name", at(m, "address.company.name"), "Audit")

		for _, q := range []struct{ query, param string }{
			{"filter=id:eq:1", "filter"},
			{"filter=created_at:gt:2020-01-01", "filter"},
			{"order_by=id:desc", "order_by"},
			{"show=id", "show"},
			{"after=5", "after"},
		} {
			want400(t, f.do(t, "GET", "/api/permission?"+q.query, nil), q.param, 0)
		}
		data := f.do(t, "GET", "/api/permission?order_by=name:desc&limit=3", nil).Status(200).Data()
		if len(data) != 3 || data[0]["name"] != "webhook.update.all" || has(data[0], "id") {
			t.Errorf("permissions by name desc: %v", data)
		}
	})
}

// TestMalformedBodies: a malformed body is a 400 whose detail is in the
// request's language too; an unpaired \u surrogate is malformed, not
// quietly stored as U+FFFD.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Company("Bodies")
		for _, c := range []struct{ body, en, nl string }{
			{`{"name":"a","name":"b"}`, `the key "name" is given twice`, `de sleutel "name" komt twee keer voor`},
			{`{"name":"\ud800"}`, "not valid UTF-8", "geen geldige UTF-8"},
			{`{"name":"\udc00x"}`, "not valid UTF-8", "geen geldige UTF-8"},
			{`{"name":"a"} {}`, "more after the object", "nog iets na het object"},
			{`["a"]`, "not an object", "geen object"},
			{`{"name":`, "ends too early", "te vroeg op"},
			{`{"name" "a"}`, "syntax error at byte", "syntaxfout bij byte"},
		} {
			for lang, want := range map[string]string{"en": c.en, "nl": c.nl} {
				r := a.Do("POST", "/api/customer", a.Token, c.body, "Accept-Language: "+lang).Status(400)
				if msg, _ := r.JSON()["message"].(string); !strings.Contains(msg, want) || (lang == "nl" && strings.Contains(msg, "given")) {
					t.Errorf("%s %s: message %q, want it to contain %q", lang, c.body, msg, want)
				}
			}
		}
		// a proper pair is fine
		m := a.Do("POST", "/api/customer", a.Token, `{"name":"\ud83d\ude00 BV"}`).Status(201).JSON()
		wantEq(t, "emoji name", m["name"], "😀 BV")
		// Laravel's summary: singular for one more error
		r := a.Do("POST", "/api/customer", a.Token, obj{"name": "", "email": "x"}, "Accept-Language: en").Status(422)
		if msg := r.JSON()["message"].(string); !strings.HasSuffix(msg, "(and 1 more error)") {
			t.Errorf("summary %q", msg)
		}
	})
}
