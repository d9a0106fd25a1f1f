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

// TestWriteRules: trimming, lengths, stamps, date order, nested address.
func TestWriteRules(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Rules")

		t.Run("trim and length", func(t *testing.T) {
			r := f.do(t, "POST", "/api/customer", obj{"name": "  Trimmed BV \t"}).Status(201).JSON()
			wantEq(t, "name", r["name"], "Trimmed BV")
			max := strings.Repeat("é", 255)
			r = f.do(t, "POST", "/api/customer", obj{"name": max, "coc_number": max}).Status(201).JSON()
			wantEq(t, "255 characters", r["name"], max)
			r = f.do(t, "POST", "/api/task", obj{"title": "t", "description": strings.Repeat("d", 65535)}).Status(201).JSON()
			if len(r["description"].(string)) != 65535 {
				t.Errorf("description of 65535 characters not kept")
			}
			want422(t, f.do(t, "PATCH", p("/api/customer/%d", f.customer), obj{"coc_number": max + "x"}), "coc_number")
		})

		t.Run("money", func(t *testing.T) {
			for in, out := range map[string]string{"1250": "1250.00", "1250.5": "1250.50", "0.01": "0.01", "0": "0.00", "999999999.99": "999999999.99"} {
				r := f.do(t, "POST", "/api/chance", obj{"title": "m", "customer_id": f.customer, "amount": in}).Status(201).JSON()
				wantEq(t, "amount "+in, r["amount"], out)
			}
		})

		t.Run("task completed_at", func(t *testing.T) {
			id := f.create(t, "task", obj{"title": "Do it"})
			r := f.do(t, "PATCH", p("/api/task/%d", id), obj{"status": "in_progress"}).Status(200).JSON()
			wantEq(t, "completed_at in progress", r["completed_at"], nil)
			r = f.do(t, "PATCH", p("/api/task/%d", id), obj{"status": "done"}).Status(200).JSON()
			done, _ := r["completed_at"].(string)
			if done == "" {
				t.Fatalf("completed_at not set when done: %s", js(r))
			}
			r = f.do(t, "PATCH", p("/api/task/%d", id), obj{"title": "Still done"}).Status(200).JSON()
			wantEq(t, "completed_at kept", r["completed_at"], done)
			r = f.do(t, "PATCH", p("/api/task/%d", id), obj{"status": "open"}).Status(200).JSON()
			wantEq(t, "completed_at cleared", r["completed_at"], nil)
			r = f.do(t, "POST", "/api/task", obj{"title": "Born done", "status": "done"}).Status(201).JSON()
			if r["completed_at"] == nil {
				t.Errorf("created done without completed_at")
			}
		})

		t.Run("chance closed_at", func(t *testing.T) {
			id := f.create(t, "chance", obj{"title": "Deal", "customer_id": f.customer})
			r := f.do(t, "PATCH", p("/api/chance/%d", id), obj{"stage": "won"}).Status(200).JSON()
			if r["closed_at"] == nil {
				t.Fatalf("closed_at not set on won")
			}
			r = f.do(t, "PATCH", p("/api/chance/%d", id), obj{"stage": "negotiation"}).Status(200).JSON()
			wantEq(t, "closed_at reopened", r["closed_at"], nil)
			r = f.do(t, "PATCH", p("/api/chance/%d", id), obj{"stage": "lost"}).Status(200).JSON()
			if r["closed_at"] == nil {
				t.Errorf("closed_at not set on lost")
			}
		})

		t.Run("appointment order on update", func(t *testing.T) {
			id := f.create(t, "appointment", obj{"title": "A", "starts_at": "2026-05-01T09:00:00Z", "ends_at": "2026-05-01T10:00:00Z"})
			want422(t, f.do(t, "PATCH", p("/api/appointment/%d", id), obj{"starts_at": "2026-05-01T10:00:01Z"}), "ends_at")
			f.do(t, "PATCH", p("/api/appointment/%d", id), obj{"starts_at": "2026-05-01T10:00:00Z"}).Status(200)
			r := f.do(t, "PATCH", p("/api/appointment/%d", id), obj{"starts_at": "2026-05-01T12:00:00+02:00", "ends_at": "2026-05-01T12:30:00+02:00"}).Status(200).JSON()
			wantEq(t, "starts_at in UTC", r["starts_at"], "2026-05-01T10:00:00Z")
		})

		t.Run("note parent", func(t *testing.T) {
			id := f.create(t, "note", obj{"body": "On contact", "contact_id": f.contact})
			want422(t, f.do(t, "PATCH", p("/api/note/%d", id), obj{"contact_id": nil}), "customer_id")
			f.do(t, "PATCH", p("/api/note/%d", id), obj{"contact_id": nil, "chance_id": f.chance}).Status(200)
		})

		t.Run("nested address", func(t *testing.T) {
			r := f.do(t, "POST", "/api/customer?with=address", obj{"name": "Addr BV", "address": obj{"street": "Main", "house_number": "12a", "postal_code": "1234 AB", "city": "Utrecht"}}).Status(201)
			id := r.ID()
			m := r.JSON()
			if num(m["address_id"]) <= 0 {
				t.Fatalf("address_id = %v", m["address_id"])
			}
			wantEq(t, "address", obj{"street": at(m, "address.street"), "house_number": at(m, "address.house_number"), "postal_code": at(m, "address.postal_code"), "city": at(m, "address.city"), "country": at(m, "address.country")},
				obj{"street": "Main", "house_number": "12a", "postal_code": "1234 AB", "city": "Utrecht", "country": "NL"})
			if has(m, "address.company_id") {
				t.Errorf("address renders company_id")
			}
			// without with: no address object
			plain := f.do(t, "GET", p("/api/customer/%d", id), nil).Status(200).JSON()
			if has(plain, "address") {
				t.Errorf("address rendered without with: %s", js(plain))
			}
			// partial update keeps the other address fields and the same row
			m = f.do(t, "PATCH", p("/api/customer/%d?with=address", id), obj{"address": obj{"city": "Amsterdam", "country": "BE"}}).Status(200).JSON()
			wantEq(t, "address after update", obj{"street": at(m, "address.street"), "city": at(m, "address.city"), "country": at(m, "address.country")}, obj{"street": "Main", "city": "Amsterdam", "country": "BE"})
			wantEq(t, "same address row", m["address_id"], plain["address_id"])
			m = f.do(t, "PATCH", p("/api/customer/%d?with=address", id), obj{"address": obj{"postal_code": "9999 ZZ"}}).Status(200).JSON()
			wantEq(t, "country untouched by a partial address", at(m, "address.country"), "BE")
			// address: null removes it
			m = f.do(t, "PATCH", p("/api/customer/%d?with=address", id), obj{"address": nil}).Status(200).JSON()
			wantEq(t, "address_id after null", m["address_id"], nil)
			wantEq(t, "address after null", m["address"], nil)
			// contacts and the company hold addresses the same way
			m = f.do(t, "POST", "/api/contact?with=address", obj{"first_name": "A", "customer_id": f.customer, "address": obj{"city": "Gent", "country": "BE"}}).Status(201).JSON()
			wantEq(t, "contact address city", at(m, "address.city"), "Gent")
			m = f.do(t, "PATCH", p("/api/company/%d?with=address", f.a.CompanyID), obj{"address": obj{"street": "Kerkstraat"}}).Status(200).JSON()
			wantEq(t, "company address", obj{"street": at(m, "address.street"), "country": at(m, "address.country")}, obj{"street": "Kerkstraat", "country": "NL"})
		})
	})
}
