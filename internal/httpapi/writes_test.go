package httpapi_test

import (
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// TestValidation: every failing field at once, in the Laravel shape, and a
// refused write changes nothing and logs nothing.
func TestValidation(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Valid")
		other := e.Company("Elsewhere")
		otherUser := other.User("company_user")
		otherCustomer := other.Do("POST", "/api/customer", other.Token, obj{"name": "Theirs"}).Status(201).ID()
		long := strings.Repeat("x", 256)
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			fields []string
		}{
			{"customer empty body", "POST", "/api/customer", obj{}, []string{"name"}},
			{"customer blank name", "POST", "/api/customer", obj{"name": "   "}, []string{"name"}},
			{"customer null name", "POST", "/api/customer", obj{"name": nil}, []string{"name"}},
			{"customer number name", "POST", "/api/customer", obj{"name": 123}, []string{"name"}},
			{"customer long name", "POST", "/api/customer", obj{"name": long}, []string{"name"}},
			{"customer enums", "POST", "/api/customer", obj{"name": "x", "type": "alien", "status": "gone"}, []string{"type", "status"}},
			{"customer email url", "POST", "/api/customer", obj{"name": "x", "email": "nope", "website": "ftp://x.nl"}, []string{"email", "website"}},
			{"customer relative url", "POST", "/api/customer", obj{"name": "x", "website": "/about", "email": "a@b"}, []string{"website", "email"}},
			{"customer not writable", "POST", "/api/customer", obj{"name": "x", "id": 5, "company_id": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "address_id": 1, "bogus": 1},
				[]string{"id", "company_id", "created_at", "updated_at", "address_id", "bogus"}},
			{"customer id as string", "POST", "/api/customer", obj{"name": "x", "user_id": "5", "origin_id": 1.5}, []string{"user_id", "origin_id"}},
			{"customer unknown fk", "POST", "/api/customer", obj{"name": "x", "user_id": 99999999, "origin_id": 0}, []string{"user_id", "origin_id"}},
			{"customer other company fk", "POST", "/api/customer", obj{"name": "x", "user_id": otherUser}, []string{"user_id"}},
			{"customer type null", "POST", "/api/customer", obj{"name": "x", "type": nil, "status": nil}, []string{"type", "status"}},
			{"customer bool as name", "POST", "/api/customer", obj{"name": true, "phone": []string{"1"}}, []string{"name", "phone"}},
			{"address country", "POST", "/api/customer", obj{"name": "x", "address": obj{"country": "Netherlands"}}, []string{"address.country"}},
			{"address lowercase country", "POST", "/api/customer", obj{"name": "x", "address": obj{"country": "nl"}}, []string{"address.country"}},
			{"address types", "POST", "/api/customer", obj{"name": "x", "address": obj{"street": 5, "house_number": 12, "bogus": "y"}}, []string{"address.street", "address.house_number", "address.bogus"}},
			{"address not object", "POST", "/api/customer", obj{"name": "x", "address": "Main 1"}, []string{"address"}},
			{"field_values not object", "POST", "/api/customer", obj{"name": "x", "field_values": "x"}, []string{"field_values"}},
			{"field_values unknown key", "POST", "/api/customer", obj{"name": "x", "field_values": obj{"nope": 1}}, []string{"field_values.nope"}},
			{"chance empty", "POST", "/api/chance", obj{}, []string{"title", "customer_id"}},
			{"chance all wrong", "POST", "/api/chance", obj{"title": "", "customer_id": nil, "amount": 5, "probability": 200, "stage": "closed", "currency": "EURO"},
				[]string{"title", "customer_id", "amount", "probability", "stage", "currency"}},
			{"money number", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": 1250}, []string{"amount"}},
			{"money three decimals", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "12.345"}, []string{"amount"}},
			{"money negative", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "-1.00"}, []string{"amount"}},
			{"money comma", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "1,50"}, []string{"amount"}},
			{"money exponent", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "1e3"}, []string{"amount"}},
			{"currency lowercase", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "currency": "eur"}, []string{"currency"}},
			{"probability negative", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "probability": -1}, []string{"probability"}},
			{"probability fraction", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "probability": 50.5}, []string{"probability"}},
			{"probability string", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "probability": "50"}, []string{"probability"}},
			{"date format", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "expected_close_date": "01-02-2026"}, []string{"expected_close_date"}},
			{"date invalid", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "expected_close_date": "2026-02-30"}, []string{"expected_close_date"}},
			{"chance other company customer", "POST", "/api/chance", obj{"title": "x", "customer_id": otherCustomer}, []string{"customer_id"}},
			{"task enums and datetime", "POST", "/api/task", obj{"title": "x", "status": "closed", "priority": "urgent", "due_at": "tomorrow"}, []string{"status", "priority", "due_at"}},
			{"task date for datetime", "POST", "/api/task", obj{"title": "x", "due_at": "2026-05-01"}, []string{"due_at"}},
			{"task long description", "POST", "/api/task", obj{"title": "x", "description": strings.Repeat("y", 65536)}, []string{"description"}},
			{"todo types", "POST", "/api/todo", obj{"title": "x", "done": "yes", "position": -1}, []string{"done", "position"}},
			{"todo null bool", "POST", "/api/todo", obj{"title": "x", "done": nil, "position": 1.5}, []string{"done", "position"}},
			{"appointment missing times", "POST", "/api/appointment", obj{"title": "x"}, []string{"starts_at", "ends_at"}},
			{"appointment ends before start", "POST", "/api/appointment", obj{"title": "x", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T09:59:59Z"}, []string{"ends_at"}},
			{"appointment ends before start in zone", "POST", "/api/appointment", obj{"title": "x", "starts_at": "2026-05-01T10:00:00+02:00", "ends_at": "2026-05-01T07:59:00Z"}, []string{"ends_at"}},
			{"appointment all_day string", "POST", "/api/appointment", obj{"title": "x", "starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T11:00:00Z", "all_day": "true"}, []string{"all_day"}},
			{"note without parent", "POST", "/api/note", obj{"body": "x"}, []string{"customer_id"}},
			{"note blank body", "POST", "/api/note", obj{"body": "  ", "customer_id": f.customer}, []string{"body"}},
			{"note other company parent", "POST", "/api/note", obj{"body": "x", "customer_id": otherCustomer}, []string{"customer_id"}},
			{"email wrong lists", "POST", "/api/email", obj{"subject": "x", "to": "a@b.nl", "cc": []any{1}, "from": "bad", "direction": "sideways"}, []string{"to", "cc", "from", "direction"}},
			{"user everything", "POST", "/api/user", obj{}, []string{"name", "email"}},
			{"user bad values", "POST", "/api/user", obj{"name": "x", "email": "x", "password": "short", "locale": "de", "timezone": "Mars/Base", "active": "yes"},
				[]string{"email", "password", "locale", "timezone", "active"}},
			{"user other company role", "POST", "/api/user", obj{"name": "x", "email": "role@x.test", "role_id": roleID(t, other, "company_owner")}, []string{"role_id"}},
			{"contact empty", "POST", "/api/contact", obj{}, []string{"first_name", "customer_id"}},
			{"field empty", "POST", "/api/field", obj{}, []string{"name", "model", "type"}},
			{"field enums", "POST", "/api/field", obj{"name": "x", "model": "invoice", "type": "color"}, []string{"model", "type"}},
			{"field options not list", "POST", "/api/field", obj{"name": "x", "model": "customer", "type": "select", "options": "a,b"}, []string{"options"}},
			{"role unknown permission", "POST", "/api/role", obj{"name": "x", "permissions": []string{"customer.read.all", "nope.read.all"}}, []string{"permissions"}},
			{"role permissions not list", "POST", "/api/role", obj{"name": "x", "permissions": "customer.read.all"}, []string{"permissions"}},
			{"template items three decimals", "POST", "/api/template", obj{"name": "x", "items": []obj{{"quantity": "1.005"}}}, []string{"items.0.quantity"}},
			{"template items number", "POST", "/api/template", obj{"name": "x", "items": []obj{{"description": "a"}, {"unit_price": 5}}}, []string{"items.1.unit_price"}},
			{"template items unknown", "POST", "/api/template", obj{"name": "x", "items": []obj{{"bogus": 1}}}, []string{"items.0.bogus"}},
			{"template items negative", "POST", "/api/template", obj{"name": "x", "items": []obj{{"vat_rate": "-1.00"}}}, []string{"items.0.vat_rate"}},
			{"template items not list", "POST", "/api/template", obj{"name": "x", "items": "x"}, []string{"items"}},
			{"customer update nulls", "PATCH", p("/api/customer/%d", f.customer), obj{"name": nil, "type": nil}, []string{"name", "type"}},
			{"customer update blank", "PATCH", p("/api/customer/%d", f.customer), obj{"name": "", "email": "no"}, []string{"name", "email"}},
			{"customer update id", "PATCH", p("/api/customer/%d", f.customer), obj{"id": 7}, []string{"id"}},
			{"contact update customer null", "PATCH", p("/api/contact/%d", f.contact), obj{"customer_id": nil}, []string{"customer_id"}},
			{"setting unknown key", "PATCH", "/api/setting", obj{"bogus": 1, "locale": "de"}, []string{"bogus", "locale"}},
			{"setting values", "PATCH", "/api/setting", obj{"fiscal_year_start_month": 13, "currency": "XYZW", "timezone": "Nowhere"}, []string{"fiscal_year_start_month", "currency", "timezone"}},
			{"company values", "PATCH", p("/api/company/%d", f.a.CompanyID), obj{"name": "", "website": "x", "email": "y", "id": 3}, []string{"name", "website", "email", "id"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resPath := c.path
				if i := strings.Index(resPath[5:], "/"); i >= 0 {
					resPath = resPath[:5+i]
				}
				logsBefore := total(t, f.a, "/api/activity_log")
				var before int64
				if c.method == "POST" {
					before = total(t, f.a, resPath)
				}
				want422(t, f.do(t, c.method, c.path, c.body), c.fields...)
				if c.method == "POST" {
					if n := total(t, f.a, resPath); n != before {
						t.Errorf("%s count %d -> %d after a refused create", resPath, before, n)
					}
				}
				if n := total(t, f.a, "/api/activity_log"); n != logsBefore {
					t.Errorf("activity log %d -> %d after a refused write", logsBefore, n)
				}
			})
		}
		// the refused updates changed nothing
		r := f.do(t, "GET", p("/api/customer/%d", f.customer), nil).Status(200).JSON()
		wantEq(t, "customer after refused updates", obj{"name": r["name"], "type": r["type"], "email": r["email"]}, obj{"name": "Fixture BV", "type": "company", "email": nil})
	})
}
