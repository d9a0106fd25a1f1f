package httpapi_test

import (
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/schema"
)

// want403 asserts the insufficient-scope answer naming scope.
func want403(t testing.TB, r *apitest.Response, scope string) {
	t.Helper()
	on(t, r).Status(403)
	m := r.JSON()
	if m["required_scope"] != scope {
		t.Errorf("required_scope = %v, want %s: %s", m["required_scope"], scope, r.Body)
	}
	if s, _ := m["message"].(string); s == "" {
		t.Errorf("403 without message")
	}
	if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, `error="insufficient_scope"`) {
		t.Errorf("WWW-Authenticate = %q", h)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Scopes")
		as := func(t *testing.T, tok, method, path string, body any) *apitest.Response {
			return on(t, f.a.Do(method, path, tok, body))
		}

		t.Run("missing scope", func(t *testing.T) {
			tok := f.a.TokenFor(f.a.OwnerID, "customer.read.all")
			as(t, tok, "GET", "/api/customer", nil).Status(200)
			as(t, tok, "GET", p("/api/customer/%d", f.customer), nil).Status(200)
			want403(t, as(t, tok, "PATCH", p("/api/customer/%d", f.customer), obj{"name": "x"}), "customer.update.all")
			want403(t, as(t, tok, "POST", "/api/customer", obj{"name": "x"}), "customer.create.all")
			want403(t, as(t, tok, "DELETE", p("/api/customer/%d", f.customer), nil), "customer.delete.all")
			want403(t, as(t, tok, "GET", "/api/contact", nil), "contact.read.all")
			want403(t, as(t, tok, "GET", p("/api/contact/%d", f.contact), nil), "contact.read.all")
			want403(t, as(t, tok, "GET", "/api/setting", nil), "setting.read.all")
			want403(t, as(t, tok, "GET", "/api/permission", nil), "role.read.all")
			want403(t, as(t, tok, "GET", "/api/activity_log", nil), "activity_log.read.all")
			// a 403 comes before validation and before a 404
			want403(t, as(t, tok, "PATCH", "/api/customer/999999", obj{"bogus": 1}), "customer.update.all")
			// the company is readable by any token; changing it is not
			as(t, tok, "GET", p("/api/company/%d", f.a.CompanyID), nil).Status(200)
			want403(t, as(t, tok, "PATCH", p("/api/company/%d", f.a.CompanyID), obj{"name": "x"}), "company.update.all")
			// the customer was not changed
			wantEq(t, "name", f.do(t, "GET", p("/api/customer/%d", f.customer), nil).Status(200).JSON()["name"], "Fixture BV")
		})

		t.Run("relations the token may not read", func(t *testing.T) {
			tok := f.a.TokenFor(f.a.OwnerID, "customer.read.all")
			for _, c := range []struct{ param, value string }{
				{"with", "contacts"}, {"with", "user"}, {"with", "origin"}, {"count", "contacts"}, {"show", "user.name"},
				{"filter", "contacts.first_name:eq:Fien"}, {"filter", "user.name:eq:x"}, {"order_by", "user.name"},
			} {
				want400(t, as(t, tok, "GET", "/api/customer?"+c.param+"="+q(c.value), nil), c.param, -1)
			}
			want400(t, as(t, tok, "GET", p("/api/customer/%d?with=contacts", f.customer), nil), "with", 0)
			// address, the company and custom field values come with the holder
			as(t, tok, "GET", "/api/customer?with=address,field_values", nil).Status(200)
			// a filter on the key itself is fine: it reveals nothing
			wantEq(t, "filter by fk", ids(as(t, tok, "GET", p("/api/customer?filter=user_id:eq:%d", f.a.OwnerID), nil).Status(200)), []int64{f.customer})
		})

		t.Run("own extent of read", func(t *testing.T) {
			mine := f.create(t, "customer", obj{"name": "Mine", "user_id": f.user})
			theirs := f.create(t, "customer", obj{"name": "Theirs", "user_id": f.a.OwnerID})
			myContact := f.create(t, "contact", obj{"first_name": "Own", "customer_id": theirs, "user_id": f.user})
			f.create(t, "contact", obj{"first_name": "Foreign", "customer_id": theirs, "user_id": f.a.OwnerID})
			tok := f.a.TokenFor(f.user, "customer.read.own", "contact.read.own")
			r := as(t, tok, "GET", "/api/customer", nil).Status(200)
			wantEq(t, "own customers", ids(r), []int64{mine})
			envelope(t, r.JSON(), 100, 1, 0)
			as(t, tok, "GET", p("/api/customer/%d", theirs), nil).Status(404)
			as(t, tok, "GET", p("/api/customer/%d", mine), nil).Status(200)
			wantEq(t, "filtered by id", ids(as(t, tok, "GET", p("/api/customer?filter=id:eq:%d", theirs), nil).Status(200)), []int64{})
			// to-many relations show and count only own records
			ctok := f.a.TokenFor(f.user, "customer.read.all", "contact.read.own")
			m := as(t, ctok, "GET", p("/api/customer/%d?with=contacts&count=contacts", theirs), nil).Status(200).JSON()
			envelope(t, m["contacts"], 50, 1, 0)
			wantEq(t, "own contact", at(m, "contacts.data.0.id"), myContact)
			wantEq(t, "own count", m["contacts_count"], 1)
			wantEq(t, "filter through own", ids(as(t, ctok, "GET", "/api/customer?filter="+q("contacts.first_name:eq:Foreign"), nil).Status(200)), []int64{})
			// a role with read.own narrows a read.all token the same way
			rid := f.create(t, "role", obj{"name": "Own readers", "permissions": []string{"customer.read.own"}})
			u := f.do(t, "POST", "/api/user", obj{"name": "Own reader", "email": "own.reader@scopes.test", "role_id": rid}).Status(201).ID()
			f.do(t, "PATCH", p("/api/customer/%d", mine), obj{"user_id": u}).Status(200)
			rtok := f.a.TokenFor(u, "customer.read.own")
			wantEq(t, "role-narrowed", ids(as(t, rtok, "GET", "/api/customer", nil).Status(200)), []int64{mine})
		})

		t.Run("company_user", func(t *testing.T) {
			u := f.a.User("company_user")
			tok := f.a.TokenFor(u, schema.Scopes()...)
			as(t, tok, "GET", p("/api/customer/%d", f.customer), nil).Status(200) // read all
			own := as(t, tok, "POST", "/api/customer", obj{"name": "Users own"}).Status(201).JSON()
			wantEq(t, "defaults to the caller", own["user_id"], u)
			ownID := num(own["id"])
			as(t, tok, "PATCH", p("/api/customer/%d", ownID), obj{"status": "prospect"}).Status(200)
			want403(t, as(t, tok, "PATCH", p("/api/customer/%d", f.customer), obj{"status": "prospect"}), "customer.update.all")
			want403(t, as(t, tok, "DELETE", p("/api/customer/%d", f.customer), nil), "customer.delete.all")
			want403(t, as(t, tok, "POST", "/api/customer", obj{"name": "For another", "user_id": f.a.OwnerID}), "customer.create.all")
			want403(t, as(t, tok, "PATCH", p("/api/customer/%d", ownID), obj{"user_id": f.a.OwnerID}), "customer.update.all")
			// no way up: it can neither create users nor change its own role
			want403(t, as(t, tok, "POST", "/api/user", obj{"name": "Boss", "email": "boss@scopes.test", "password": "a-long-password-1", "role_id": roleID(t, f.a, "company_owner")}), "user.create.all")
			want403(t, as(t, tok, "PATCH", p("/api/user/%d", u), obj{"role_id": roleID(t, f.a, "company_owner")}), "user.update.all")
			as(t, tok, "PATCH", p("/api/user/%d", u), obj{"phone": "0612345678"}).Status(200)
			want403(t, as(t, tok, "PATCH", p("/api/role/%d", roleID(t, f.a, "company_user")), obj{"permissions": []string{}}), "role.update.all")
			wantEq(t, "still a user", f.do(t, "GET", p("/api/user/%d", u), nil).Status(200).JSON()["role_id"], roleID(t, f.a, "company_user"))
			as(t, tok, "DELETE", p("/api/customer/%d", ownID), nil).Status(204)
			if n := total(t, f.a, "/api/user?filter=email:eq:boss@scopes.test"); n != 0 {
				t.Errorf("company_user created a user")
			}
		})

		t.Run("viewer", func(t *testing.T) {
			tok := f.a.TokenFor(f.a.User("company_viewer"), schema.Scopes()...)
			as(t, tok, "GET", "/api/customer?with=contacts,user", nil).Status(200)
			want403(t, as(t, tok, "POST", "/api/customer", obj{"name": "x"}), "customer.create.all")
			want403(t, as(t, tok, "PATCH", p("/api/customer/%d", f.customer), obj{"name": "x"}), "customer.update.all")
		})

		t.Run("role change bites at once", func(t *testing.T) {
			rid := f.create(t, "role", obj{"name": "Editors", "permissions": []string{"customer.read.all", "customer.update.all", "contact.read.all"}})
			u := f.do(t, "POST", "/api/user", obj{"name": "Editor", "email": "editor@scopes.test", "role_id": rid}).Status(201).ID()
			tok := f.a.TokenFor(u, "customer.read.all", "customer.update.all", "contact.read.all")
			as(t, tok, "PATCH", p("/api/customer/%d", f.customer), obj{"phone": "1"}).Status(200)
			as(t, tok, "GET", "/api/customer?with=contacts", nil).Status(200)
			f.do(t, "PATCH", p("/api/role/%d", rid), obj{"permissions": []string{"customer.read.all"}}).Status(200)
			want403(t, as(t, tok, "PATCH", p("/api/customer/%d", f.customer), obj{"phone": "2"}), "customer.update.all")
			want400(t, as(t, tok, "GET", "/api/customer?with=contacts", nil), "with", 0)
			f.do(t, "PATCH", p("/api/role/%d", rid), obj{"permissions": []string{}}).Status(200)
			want403(t, as(t, tok, "GET", "/api/customer", nil), "customer.read.all")
			// moving the user to another role bites as well
			f.do(t, "PATCH", p("/api/role/%d", rid), obj{"permissions": []string{"customer.read.all"}}).Status(200)
			as(t, tok, "GET", "/api/customer", nil).Status(200)
			f.do(t, "PATCH", p("/api/user/%d", u), obj{"role_id": f.create(t, "role", obj{"name": "Nothing"})}).Status(200)
			want403(t, as(t, tok, "GET", "/api/customer", nil), "customer.read.all")
			// a deactivated user's token stops working
			f.do(t, "PATCH", p("/api/user/%d", u), obj{"active": false}).Status(200)
			as(t, tok, "GET", "/api/customer", nil).Status(401)
		})
	})
}

// TestTenancy: nothing of one company is visible or writable by another.
func TestTenancy(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newFx(t, e, "Alpha")
		b := newFx(t, e, "Bravo")
		bAs := func(t *testing.T, method, path string, body any) *apitest.Response {
			return b.do(t, method, path, body)
		}
		fld := a.create(t, "field", obj{"name": "Secret code", "model": "customer", "type": "text"})
		a.do(t, "PATCH", p("/api/customer/%d", a.customer), obj{"name": "Alpha customer", "field_values": obj{"secret_code": "A1"}, "address": obj{"city": "Zwolle"}}).Status(200)
		aRole := roleID(t, a.a, "company_user")
		aTemplate := a.create(t, "template", obj{"name": "A template"})
		aLog := num(logs(t, a.a, "customer", a.customer)[0]["id"])

		// every record of A is 404 for B: show, update, delete
		for _, r := range []struct {
			res string
			id  int64
		}{
			{"customer", a.customer}, {"contact", a.contact}, {"chance", a.chance}, {"task", a.task}, {"assignment", a.assignment},
			{"origin", a.origin}, {"user", a.user}, {"user", a.a.OwnerID}, {"role", aRole}, {"field", fld}, {"template", aTemplate},
		} {
			path := p("/api/%s/%d", r.res, r.id)
			bAs(t, "GET", path, nil).Status(404)
			bAs(t, "PATCH", path, obj{}).Status(404)
			bAs(t, "DELETE", path, nil).Status(404)
		}
		bAs(t, "GET", p("/api/activity_log/%d", aLog), nil).Status(404)
		wantEq(t, "A's record untouched", a.do(t, "GET", p("/api/customer/%d", a.customer), nil).Status(200).JSON()["name"], "Alpha customer")

		// lists hold only B's records
		for _, res := range []string{"customer", "contact", "chance", "task", "assignment", "origin", "user", "role", "field", "template", "activity_log", "note", "email", "todo", "appointment", "contract"} {
			for _, d := range bAs(t, "GET", "/api/"+res+"?limit=1000", nil).Status(200).Data() {
				if res == "activity_log" {
					continue // ids are global; the B entries are checked below
				}
				id := num(d["id"])
				if ok := a.do(t, "GET", p("/api/%s/%d", res, id), nil).Code; ok == 200 {
					t.Errorf("B's list of %s holds %d, which A can read", res, id)
				}
			}
		}
		for _, d := range bAs(t, "GET", "/api/activity_log?limit=1000", nil).Status(200).Data() {
			if d["client_id"] != b.a.ClientID {
				t.Errorf("B sees a log entry of another client: %s", js(d))
			}
		}

		// foreign keys, filters, with, transfer_to, custom fields
		want422(t, bAs(t, "POST", "/api/contact", obj{"first_name": "x", "customer_id": a.customer}), "customer_id")
		want422(t, bAs(t, "POST", "/api/customer", obj{"name": "x", "user_id": a.user, "origin_id": a.origin}), "user_id", "origin_id")
		want422(t, bAs(t, "PATCH", p("/api/task/%d", b.task), obj{"customer_id": a.customer, "chance_id": a.chance, "contact_id": a.contact}), "customer_id", "chance_id", "contact_id")
		want422(t, bAs(t, "POST", "/api/user", obj{"name": "x", "email": "x@bravo.test", "role_id": aRole}), "role_id")
		// user e-mail addresses are unique across the system
		aEmail := a.do(t, "GET", p("/api/user/%d", a.user), nil).Status(200).JSON()["email"].(string)
		bAs(t, "POST", "/api/user", obj{"name": "x", "email": strings.ToUpper(aEmail)}).Status(409)
		bAs(t, "PATCH", p("/api/user/%d", b.user), obj{"email": aEmail}).Status(409)
		want422(t, bAs(t, "DELETE", p("/api/user/%d?transfer_to=%d", b.user, a.user), nil), "transfer_to")
		want422(t, bAs(t, "PATCH", p("/api/customer/%d", b.customer), obj{"field_values": []obj{{"field_id": fld, "value": "x"}}}), "field_values.0.field_id")
		want422(t, bAs(t, "PATCH", p("/api/customer/%d", b.customer), obj{"field_values": obj{"secret_code": "x"}}), "field_values.secret_code")
		want400(t, bAs(t, "GET", "/api/customer?filter=field_values.secret_code:eq:A1", nil), "filter", 13)
		for _, flt := range []string{
			p("id:eq:%d", a.customer), "name:eq:Alpha customer", "user.name:eq:Owner Alpha", "contacts.first_name:eq:Fien",
			"chances.title:eq:Fixture deal", "user.company.name:eq:Alpha", p("user_id:eq:%d", a.a.OwnerID),
		} {
			for _, d := range bAs(t, "GET", "/api/customer?filter="+q(flt), nil).Status(200).Data() {
				if num(d["id"]) == a.customer || d["name"] == "Alpha customer" {
					t.Errorf("B's filter %s finds A's customer", flt)
				}
			}
		}
		// B's own contact matches (the fixture names are equal in both)
		wantEq(t, "B's own relations", ids(bAs(t, "GET", "/api/customer?filter="+q("contacts.first_name:eq:Fien"), nil).Status(200)), []int64{b.customer})
		m := bAs(t, "GET", p("/api/customer/%d?with=user.company,contacts,field_values,address&count=contacts,chances", b.customer), nil).Status(200).JSON()
		wantEq(t, "with stays in B", pick(m, "contacts_count", "chances_count", "field_values", "address"), obj{"contacts_count": 1, "chances_count": 1, "field_values": []any{}, "address": nil})
		wantEq(t, "B's company", at(m, "user.company.name"), "Bravo")
		wantEq(t, "B's contact", at(m, "contacts.data.0.id"), b.contact)
		if n := total(t, b.a, "/api/field"); n != 0 {
			t.Errorf("B sees %d fields", n)
		}
		// A is unchanged by everything B tried
		m = a.do(t, "GET", p("/api/customer/%d?with=field_values,address,contacts", a.customer), nil).Status(200).JSON()
		wantEq(t, "A's values", at(m, "field_values.0.value"), "A1")
		wantEq(t, "A's address", at(m, "address.city"), "Zwolle")
		envelope(t, m["contacts"], 50, 1, 0)
		if n := len(logs(t, a.a, "customer", a.customer)); n != 2 {
			t.Errorf("A's customer has %d log entries", n)
		}
	})
}
