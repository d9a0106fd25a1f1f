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
			{"nul characters", "POST", "/api/customer", `{"name":"a\u0000b","address":{"city":"x\u0000"}}`, []string{"name", "address.city"}},
			{"email lists hold addresses", "POST", "/api/email", obj{"subject": "s", "to": []string{"a@b.nl", "nope"}}, []string{"to.1"}},
			{"nul in a list", "POST", "/api/email", `{"subject":"s","to":["a\u0000@b.nl"]}`, []string{"to.0"}},
			{"year zero", "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "expected_close_date": "0000-01-01"}, []string{"expected_close_date"}},
			{"year 10000", "POST", "/api/task", obj{"title": "x", "due_at": "9999-12-31T23:00:00-02:00"}, []string{"due_at"}},
			{"template item position", "POST", "/api/template", obj{"name": "x", "items": []obj{{"position": 2147483648}}}, []string{"items.0.position"}},
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
			{"email wrong lists", "POST", "/api/email", obj{"subject": "x", "to": "a@b.nl", "cc": []any{1}, "from": "bad", "direction": "sideways"}, []string{"to", "cc.0", "from", "direction"}},
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

// TestDeleteRules: cascades, nullified links and blocking dependants.
func TestDeleteRules(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Deletes")
		f.create(t, "field", obj{"name": "Industry", "model": "customer", "type": "text"})

		t.Run("customer cascades and nullifies", func(t *testing.T) {
			r := f.do(t, "POST", "/api/customer", obj{"name": "Gone BV", "address": obj{"city": "Ede"}, "field_values": obj{"industry": "Retail"}}).Status(201)
			c := r.ID()
			c1 := f.create(t, "contact", obj{"first_name": "A", "customer_id": c})
			c2 := f.create(t, "contact", obj{"first_name": "B", "customer_id": c})
			n1 := f.create(t, "note", obj{"body": "on customer", "customer_id": c})
			n2 := f.create(t, "note", obj{"body": "on contact", "contact_id": c1})
			task := f.create(t, "task", obj{"title": "T", "customer_id": c, "contact_id": c2})
			appt := f.create(t, "appointment", obj{"title": "A", "starts_at": "2026-01-01T10:00:00Z", "ends_at": "2026-01-01T11:00:00Z", "customer_id": c})
			mail := f.create(t, "email", obj{"subject": "S", "customer_id": c})
			f.do(t, "DELETE", p("/api/customer/%d", c), nil).Status(204)
			for _, path := range []string{p("/api/customer/%d", c), p("/api/contact/%d", c1), p("/api/contact/%d", c2), p("/api/note/%d", n1), p("/api/note/%d", n2)} {
				f.do(t, "GET", path, nil).Status(404)
			}
			wantEq(t, "task links", pick(f.do(t, "GET", p("/api/task/%d", task), nil).Status(200).JSON(), "customer_id", "contact_id"), obj{"customer_id": nil, "contact_id": nil})
			wantEq(t, "appointment link", f.do(t, "GET", p("/api/appointment/%d", appt), nil).Status(200).JSON()["customer_id"], nil)
			wantEq(t, "email link", f.do(t, "GET", p("/api/email/%d", mail), nil).Status(200).JSON()["customer_id"], nil)
			var left int
			if err := e.DB.Reader().QueryRow(t.Context(), "SELECT COUNT(*) FROM field_values WHERE record_id = ? AND model = 'customer'", c).Scan(&left); err != nil || left != 0 {
				t.Errorf("field values left after delete: %d %v", left, err)
			}
			if err := e.DB.Reader().QueryRow(t.Context(), "SELECT COUNT(*) FROM addresses WHERE company_id = ? AND city = 'Ede'", f.a.CompanyID).Scan(&left); err != nil || left != 0 {
				t.Errorf("address left after delete: %d %v", left, err)
			}
			for _, s := range []struct {
				typ string
				id  int64
			}{{"customer", c}, {"contact", c1}, {"contact", c2}, {"note", n1}, {"note", n2}} {
				l := logs(t, f.a, s.typ, s.id)
				if len(l) == 0 || l[len(l)-1]["event"] != "deleted" {
					t.Errorf("%s %d: no deleted entry in %s", s.typ, s.id, js(l))
				}
			}
		})

		t.Run("customer blocked", func(t *testing.T) {
			c := f.create(t, "customer", obj{"name": "Busy BV"})
			contact := f.create(t, "contact", obj{"first_name": "Stays", "customer_id": c})
			f.create(t, "chance", obj{"title": "D", "customer_id": c})
			r := f.do(t, "DELETE", p("/api/customer/%d", c), nil).Status(409)
			msg, _ := r.JSON()["message"].(string)
			if !strings.Contains(msg, "chances") {
				t.Errorf("409 does not name chances: %s", r.Body)
			}
			f.create(t, "assignment", obj{"title": "A", "customer_id": c})
			f.create(t, "contract", obj{"title": "K", "customer_id": c})
			r = f.do(t, "DELETE", p("/api/customer/%d", c), nil).Status(409)
			msg, _ = r.JSON()["message"].(string)
			for _, n := range []string{"chances", "assignments", "contracts"} {
				if !strings.Contains(msg, n) {
					t.Errorf("409 does not name %s: %s", n, r.Body)
				}
			}
			f.do(t, "GET", p("/api/customer/%d", c), nil).Status(200)
			f.do(t, "GET", p("/api/contact/%d", contact), nil).Status(200)
			if l := logs(t, f.a, "customer", c); len(l) != 1 {
				t.Errorf("a blocked delete left log entries: %s", js(l))
			}
		})

		t.Run("chance, task, origin, field", func(t *testing.T) {
			ch := f.create(t, "chance", obj{"title": "Deal", "customer_id": f.customer})
			as := f.create(t, "assignment", obj{"title": "A", "customer_id": f.customer, "chance_id": ch})
			tk := f.create(t, "task", obj{"title": "T", "chance_id": ch})
			nt := f.create(t, "note", obj{"body": "N", "chance_id": ch})
			f.do(t, "DELETE", p("/api/chance/%d", ch), nil).Status(204)
			wantEq(t, "assignment chance", f.do(t, "GET", p("/api/assignment/%d", as), nil).Status(200).JSON()["chance_id"], nil)
			wantEq(t, "task chance", f.do(t, "GET", p("/api/task/%d", tk), nil).Status(200).JSON()["chance_id"], nil)
			f.do(t, "GET", p("/api/note/%d", nt), nil).Status(404)

			td := f.create(t, "todo", obj{"title": "sub", "task_id": tk})
			f.do(t, "DELETE", p("/api/task/%d", tk), nil).Status(204)
			f.do(t, "GET", p("/api/todo/%d", td), nil).Status(404)

			o := f.create(t, "origin", obj{"name": "Ad"})
			cu := f.create(t, "customer", obj{"name": "From ad", "origin_id": o})
			f.do(t, "DELETE", p("/api/origin/%d", o), nil).Status(204)
			wantEq(t, "customer origin", f.do(t, "GET", p("/api/customer/%d", cu), nil).Status(200).JSON()["origin_id"], nil)

			fld := f.create(t, "field", obj{"name": "Size", "model": "customer", "type": "number"})
			f.do(t, "PATCH", p("/api/customer/%d", cu), obj{"field_values": obj{"size": 3}}).Status(200)
			f.do(t, "DELETE", p("/api/field/%d", fld), nil).Status(204)
			fv := f.do(t, "GET", p("/api/customer/%d?with=field_values", cu), nil).Status(200).JSON()["field_values"]
			for _, v := range fv.([]any) {
				if num(at(v, "field_id")) == fld {
					t.Errorf("value of a deleted field still read: %s", js(fv))
				}
			}
		})

		t.Run("user with records", func(t *testing.T) {
			u := f.a.User("company_user")
			other := f.a.User("company_user")
			c := f.create(t, "customer", obj{"name": "Owned", "user_id": u})
			tk := f.create(t, "task", obj{"title": "Owned", "user_id": u})
			r := f.do(t, "DELETE", p("/api/user/%d", u), nil).Status(409)
			if msg, _ := r.JSON()["message"].(string); !strings.Contains(msg, "customer") || !strings.Contains(msg, "task") {
				t.Errorf("409 does not name what the user owns: %s", r.Body)
			}
			want422(t, f.do(t, "DELETE", p("/api/user/%d?transfer_to=%d", u, u), nil), "transfer_to")
			want422(t, f.do(t, "DELETE", p("/api/user/%d?transfer_to=999999", u), nil), "transfer_to")
			f.do(t, "GET", p("/api/user/%d", u), nil).Status(200)
			f.do(t, "DELETE", p("/api/user/%d?transfer_to=%d", u, other), nil).Status(204)
			f.do(t, "GET", p("/api/user/%d", u), nil).Status(404)
			wantEq(t, "customer moved", f.do(t, "GET", p("/api/customer/%d", c), nil).Status(200).JSON()["user_id"], other)
			wantEq(t, "task moved", f.do(t, "GET", p("/api/task/%d", tk), nil).Status(200).JSON()["user_id"], other)
			// a user without records goes at once
			f.do(t, "DELETE", p("/api/user/%d", f.a.User("company_viewer")), nil).Status(204)
		})

		t.Run("roles", func(t *testing.T) {
			owner := roleID(t, f.a, "company_owner")
			f.do(t, "DELETE", p("/api/role/%d", owner), nil).Status(409)
			f.do(t, "PATCH", p("/api/role/%d", owner), obj{"permissions": []string{}}).Status(409)
			f.do(t, "PATCH", p("/api/role/%d", roleID(t, f.a, "company_viewer")), obj{"name": "x"}).Status(409)
			rid := f.create(t, "role", obj{"name": "Temp", "permissions": []string{"customer.read.all"}})
			u := f.do(t, "POST", "/api/user", obj{"name": "R", "email": "r@roles.test", "role_id": rid}).Status(201).ID()
			f.do(t, "DELETE", p("/api/role/%d", rid), nil).Status(409)
			f.do(t, "PATCH", p("/api/user/%d", u), obj{"role_id": owner}).Status(200)
			f.do(t, "DELETE", p("/api/role/%d", rid), nil).Status(204)
		})
	})
}

// pick returns the named keys of m.
func pick(m map[string]any, keys ...string) obj {
	out := obj{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// TestCustomFields: definitions through /api/field, values by key and by
// id, validation by type and options, required, null removes, filtering.
func TestCustomFields(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Custom")
		def := func(body obj) map[string]any {
			return f.do(t, "POST", "/api/field?with=options", body).Status(201).JSON()
		}
		industry := def(obj{"name": "Industry Sector", "model": "customer", "type": "select", "options": []string{"Retail", "Tech", "Food"}})
		wantEq(t, "derived key", industry["key"], "industry_sector")
		opts, _ := industry["options"].([]any)
		if len(opts) != 3 || at(opts, "0.label") != "Retail" || num(at(opts, "2.position")) != 2 || num(at(opts, "0.id")) <= 0 {
			t.Errorf("options = %s", js(industry["options"]))
		}
		// the same key for the same model is a 409, for another model fine
		f.do(t, "POST", "/api/field", obj{"name": "Industry sector", "model": "customer", "type": "text"}).Status(409)
		f.do(t, "POST", "/api/field", obj{"name": "x", "key": "industry_sector", "model": "customer", "type": "text"}).Status(409)
		def(obj{"name": "Industry sector", "model": "contact", "type": "text"})
		wantEq(t, "key without accents", def(obj{"name": "Één Adres (NL)", "model": "contact", "type": "text"})["key"], "een_adres_nl")
		employees := def(obj{"name": "Employees", "model": "customer", "type": "number"})
		def(obj{"name": "Founded", "model": "customer", "type": "date"})
		def(obj{"name": "Active", "model": "customer", "type": "boolean"})
		def(obj{"name": "Tags", "model": "customer", "type": "multiselect", "options": []string{"a", "b", "c"}})
		def(obj{"name": "Revenue", "model": "customer", "type": "decimal"})
		def(obj{"name": "Homepage", "model": "customer", "type": "url"})
		def(obj{"name": "Billing mail", "model": "customer", "type": "email"})
		def(obj{"name": "Seen", "model": "customer", "type": "datetime"})

		// the key can be renamed, never emptied
		want422(t, f.do(t, "PATCH", p("/api/field/%d", num(employees["id"])), obj{"key": nil}), "key")
		want422(t, f.do(t, "PATCH", p("/api/field/%d", num(employees["id"])), obj{"key": " "}), "key")
		want422(t, f.do(t, "PATCH", p("/api/field/%d", num(employees["id"])), obj{"key": "Staff Count"}), "key") // kept as sent, so it must be a key
		wantEq(t, "key renamed", f.do(t, "PATCH", p("/api/field/%d", num(employees["id"])), obj{"key": "staff_count"}).Status(200).JSON()["key"], "staff_count")
		f.do(t, "PATCH", p("/api/field/%d", num(employees["id"])), obj{"key": "employees"}).Status(200)

		// options update replaces the list
		r := f.do(t, "PATCH", p("/api/field/%d?with=options", num(industry["id"])), obj{"options": []string{"Retail", "Tech", "Food", "Health"}}).Status(200).JSON()
		if l, _ := r["options"].([]any); len(l) != 4 {
			t.Errorf("options after update = %s", js(r["options"]))
		}

		// write by key
		r = f.do(t, "POST", "/api/customer?with=field_values", obj{"name": "Values BV", "field_values": obj{
			"industry_sector": "Retail", "employees": 40, "founded": "1999-12-31", "active": true, "tags": []string{"a", "c"},
			"homepage": "https://v.nl", "billing_mail": "bill@v.nl", "seen": "2026-01-02T03:04:05+01:00"}}).Status(201).JSON()
		c := num(r["id"])
		vals := map[string]any{}
		for _, v := range r["field_values"].([]any) {
			vals[at(v, "key").(string)] = at(v, "value")
			if num(at(v, "field_id")) <= 0 {
				t.Errorf("field value without field_id: %s", js(v))
			}
		}
		wantEq(t, "values", vals, obj{"industry_sector": "Retail", "employees": 40, "founded": "1999-12-31", "active": true, "tags": []string{"a", "c"},
			"homepage": "https://v.nl", "billing_mail": "bill@v.nl", "seen": "2026-01-02T02:04:05Z"})

		// write by [{field_id, value}]; null removes
		r = f.do(t, "PATCH", p("/api/customer/%d?with=field_values", c), obj{"field_values": []obj{{"field_id": num(employees["id"]), "value": 41}, {"field_id": num(industry["id"]), "value": nil}}}).Status(200).JSON()
		vals = map[string]any{}
		for _, v := range r["field_values"].([]any) {
			vals[at(v, "key").(string)] = at(v, "value")
		}
		wantEq(t, "employees by id", vals["employees"], 41)
		if _, ok := vals["industry_sector"]; ok {
			t.Errorf("null did not remove the value: %s", js(r["field_values"]))
		}
		if vals["founded"] != "1999-12-31" {
			t.Errorf("values not named were touched: %s", js(r["field_values"]))
		}

		// validation by type and options, every failing value at once
		want422(t, f.do(t, "PATCH", p("/api/customer/%d", c), obj{"field_values": obj{
			"industry_sector": "Mining", "employees": "many", "founded": "yesterday", "active": "yes", "tags": []string{"z"},
			"homepage": "nope", "billing_mail": "nope", "seen": "2026-01-02", "revenue": "1.234"}}),
			"field_values.industry_sector", "field_values.employees", "field_values.founded", "field_values.active", "field_values.tags",
			"field_values.homepage", "field_values.billing_mail", "field_values.seen", "field_values.revenue")
		want422(t, f.do(t, "PATCH", p("/api/customer/%d", c), obj{"field_values": []obj{{"field_id": 999999, "value": 1}}}), "field_values.0.field_id")

		// decimals are strings with two places, like money
		r = f.do(t, "PATCH", p("/api/customer/%d?with=field_values", c), obj{"field_values": obj{"revenue": "1250.5"}}).Status(200).JSON()
		for _, v := range r["field_values"].([]any) {
			if at(v, "key") == "revenue" {
				wantEq(t, "decimal value", at(v, "value"), "1250.50")
			}
		}
		want422(t, f.do(t, "PATCH", p("/api/customer/%d", c), obj{"field_values": obj{"revenue": 1250.5}}), "field_values.revenue")
		wantEq(t, "filter on a decimal", ids(f.do(t, "GET", "/api/customer?filter=field_values.revenue:gt:1000", nil).Status(200)), []int64{c})

		// filter by custom field
		f.do(t, "POST", "/api/customer", obj{"name": "Other BV", "field_values": obj{"industry_sector": "Tech", "employees": 5}}).Status(201)
		wantEq(t, "filter eq", ids(f.do(t, "GET", "/api/customer?filter=field_values.employees:gte:10", nil).Status(200)), []int64{c})
		got := f.do(t, "GET", "/api/customer?filter=field_values.industry_sector:eq:Tech&show=name", nil).Status(200).Data()
		if len(got) != 1 || got[0]["name"] != "Other BV" {
			t.Errorf("filter by select value: %s", js(got))
		}
		want400(t, f.do(t, "GET", "/api/customer?filter=field_values.nope:eq:1", nil), "filter", 13)
		want400(t, f.do(t, "GET", "/api/customer?filter=field_values.employees:eq:abc", nil), "filter", -1)

		// required fields must be present on create, and can't be removed
		def(obj{"name": "Account number", "model": "customer", "type": "text", "required": true})
		want422(t, f.do(t, "POST", "/api/customer", obj{"name": "No account"}), "field_values.account_number")
		want422(t, f.do(t, "POST", "/api/customer", obj{"name": "Null account", "field_values": obj{"account_number": nil}}), "field_values.account_number")
		acc := f.do(t, "POST", "/api/customer", obj{"name": "Account", "field_values": obj{"account_number": "A1"}}).Status(201).ID()
		want422(t, f.do(t, "PATCH", p("/api/customer/%d", acc), obj{"field_values": obj{"account_number": nil}}), "field_values.account_number")
		f.do(t, "PATCH", p("/api/customer/%d", acc), obj{"name": "Account 2"}).Status(200)

		// field_values of a model without custom fields are unknown
		want422(t, f.do(t, "POST", "/api/email", obj{"subject": "x", "field_values": obj{}}), "field_values")
		want400(t, f.do(t, "GET", "/api/email?with=field_values", nil), "with", 0)
	})
}

// TestRolesAndTemplates: role permissions and template items as written
// and read.
func TestRolesAndTemplates(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Roles")
		r := f.do(t, "POST", "/api/role?with=permissions", obj{"name": "Sales", "permissions": []string{"customer.read.all", "customer.update.own", "customer.read.all"}}).Status(201).JSON()
		wantEq(t, "permissions", r["permissions"], []string{"customer.read.all", "customer.update.own"})
		id := num(r["id"])
		r = f.do(t, "PATCH", p("/api/role/%d?with=permissions", id), obj{"permissions": []string{"task.read.own"}}).Status(200).JSON()
		wantEq(t, "permissions after update", r["permissions"], []string{"task.read.own"})
		r = f.do(t, "GET", p("/api/role/%d", id), nil).Status(200).JSON()
		if has(r, "permissions") {
			t.Errorf("permissions rendered without with")
		}
		r = f.do(t, "GET", p("/api/role/%d?with=permissions", roleID(t, f.a, "company_viewer")), nil).Status(200).JSON()
		perms, _ := r["permissions"].([]any)
		if len(perms) == 0 || r["builtin"] != true {
			t.Errorf("built-in viewer: %s", js(r))
		}
		for _, pm := range perms {
			if !strings.Contains(pm.(string), ".read.all") {
				t.Errorf("viewer has %v", pm)
			}
		}
		f.do(t, "POST", "/api/role", obj{"name": "Sales"}).Status(409)

		// the permission catalogue
		l := f.do(t, "GET", "/api/permission?limit=1000", nil).Status(200)
		m := l.JSON()
		data := l.Data()
		if num(m["total"]) != int64(len(data)) || len(data) < 50 {
			t.Errorf("permission catalogue: total %v, %d items", m["total"], len(data))
		}
		names := map[string]bool{}
		for _, d := range data {
			names[d["name"].(string)] = true
			if s, _ := d["description"].(string); s == "" {
				t.Errorf("permission %v without description", d["name"])
			}
			if has(d, "id") {
				t.Errorf("permission has an id: %s", js(d))
			}
		}
		for _, n := range []string{"customer.read.all", "customer.read.own", "activity_log.read.all", "setting.update.all", "client.manage.all", "company.update.all"} {
			if !names[n] {
				t.Errorf("catalogue lacks %s", n)
			}
		}
		for _, n := range []string{"activity_log.create.all", "permission.read.all"} {
			if names[n] {
				t.Errorf("catalogue has %s", n)
			}
		}
		// the catalogue takes the query parameters of every Index
		got := f.do(t, "GET", "/api/permission?filter="+q("name:starts_with:customer.read,or,name:eq:client.manage.all")+"&order_by=name:desc&show=name", nil).Status(200)
		wantEq(t, "filtered catalogue", got.Data(), []obj{{"name": "customer.read.own"}, {"name": "customer.read.all"}, {"name": "client.manage.all"}})
		envelope(t, got.JSON(), 100, 3, 0)
		got = f.do(t, "GET", "/api/permission?filter="+q("name:in:task.read.all;task.read.own,and,name:not:ends_with:own")+"&total=false", nil).Status(200)
		if d := got.Data(); len(d) != 1 || d[0]["name"] != "task.read.all" {
			t.Errorf("permission in/not: %s", got.Body)
		}
		envelope(t, got.JSON(), 100, -1, 0)
		wantEq(t, "paged catalogue", len(f.do(t, "GET", "/api/permission?limit=2&offset=1", nil).Status(200).Data()), 2)
		want400(t, f.do(t, "GET", "/api/permission?filter=bogus:eq:1", nil), "filter", 0)
		want400(t, f.do(t, "GET", "/api/permission?with=users", nil), "with", 0)
		want400(t, f.do(t, "GET", "/api/permission?limit=1001", nil), "limit", 0)
		f.do(t, "POST", "/api/permission", obj{"name": "x"}).Status(405)
		f.do(t, "GET", "/api/permission/customer.read.all", nil).Status(404)

		// template items
		r = f.do(t, "POST", "/api/template?with=items", obj{"name": "Quote", "type": "quote", "items": []obj{
			{"description": "Hours", "quantity": "2.5", "unit_price": "80", "vat_rate": "21.00", "position": 1},
			{"description": "Travel", "quantity": "1", "unit_price": "0.50", "vat_rate": "9"}}}).Status(201).JSON()
		items, _ := r["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("items = %s", js(r["items"]))
		}
		byDesc := map[string]any{}
		for _, it := range items {
			byDesc[at(it, "description").(string)] = it
		}
		wantEq(t, "hours", pick(byDesc["Hours"].(map[string]any), "quantity", "unit_price", "vat_rate", "position"), obj{"quantity": "2.50", "unit_price": "80.00", "vat_rate": "21.00", "position": 1})
		wantEq(t, "travel", pick(byDesc["Travel"].(map[string]any), "quantity", "unit_price", "vat_rate"), obj{"quantity": "1.00", "unit_price": "0.50", "vat_rate": "9.00"})
		tid := num(r["id"])
		r = f.do(t, "PATCH", p("/api/template/%d?with=items", tid), obj{"items": []obj{}}).Status(200).JSON()
		wantEq(t, "items emptied", r["items"], []any{})
		r = f.do(t, "PATCH", p("/api/template/%d?with=items", tid), obj{"subject": "s"}).Status(200).JSON()
		wantEq(t, "items untouched", r["items"], []any{})
	})
}

// TestActivityLog: one entry per successful write, with who and what;
// none for a refused one.
func TestActivityLog(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Logs")
		user := f.a.User("company_user")
		userTok := f.a.TokenFor(user, "customer.read.all", "customer.create.own", "customer.update.own", "customer.delete.own", "activity_log.read.own")
		as := func(t *testing.T, method, path string, body any) *apitest.Response {
			return on(t, f.a.Do(method, path, userTok, body))
		}
		check := func(t *testing.T, entry map[string]any, event string, id int64, changes obj) {
			t.Helper()
			wantEq(t, "entry", pick(entry, "event", "subject_type", "subject_id", "user_id", "client_id"),
				obj{"event": event, "subject_type": "customer", "subject_id": id, "user_id": user, "client_id": f.a.ClientID})
			got, _ := entry["changes"].(map[string]any)
			for k, v := range changes {
				wantEq(t, "changes."+k, got[k], v)
			}
			if changes != nil && event == "updated" && len(got) != len(changes) {
				t.Errorf("changes = %s, want only %s", js(got), js(changes))
			}
		}
		r := as(t, "POST", "/api/customer", obj{"name": "Logged BV", "email": "a@b.nl"}).Status(201)
		id := r.ID()
		l := logs(t, f.a, "customer", id)
		if len(l) != 1 {
			t.Fatalf("create left %d entries: %s", len(l), js(l))
		}
		check(t, l[0], "created", id, obj{"name": []any{nil, "Logged BV"}, "email": []any{nil, "a@b.nl"}, "status": []any{nil, "lead"}})
		checkCommon(t, l[0])

		as(t, "PATCH", p("/api/customer/%d", id), obj{"status": "customer", "email": nil, "name": "Logged BV"}).Status(200)
		l = logs(t, f.a, "customer", id)
		if len(l) != 2 {
			t.Fatalf("update left %d entries: %s", len(l)-1, js(l))
		}
		check(t, l[1], "updated", id, obj{"status": []any{"lead", "customer"}, "email": []any{"a@b.nl", nil}})

		// an update that changes nothing writes nothing
		before := f.do(t, "GET", p("/api/customer/%d", id), nil).Status(200)
		after := as(t, "PATCH", p("/api/customer/%d", id), obj{"status": "customer", "name": "Logged BV"}).Status(200)
		if before.Header.Get("ETag") != after.Header.Get("ETag") {
			t.Errorf("a no-op update changed the ETag")
		}
		if l := logs(t, f.a, "customer", id); len(l) != 2 {
			t.Errorf("a no-op update left an entry: %s", js(l))
		}

		// refused writes leave nothing
		want422(t, as(t, "PATCH", p("/api/customer/%d", id), obj{"status": "nope"}), "status")
		want422(t, as(t, "POST", "/api/customer", obj{"name": ""}), "name")
		as(t, "PATCH", p("/api/customer/%d", id), obj{"name": "x"}).Status(200)
		f.create(t, "chance", obj{"title": "Blocks", "customer_id": id})
		as(t, "DELETE", p("/api/customer/%d", id), nil).Status(409)
		as(t, "PATCH", p("/api/customer/%d", f.customer), obj{"name": "not mine"}).Status(403)
		on(t, f.a.Do("PATCH", p("/api/customer/%d", id), userTok, obj{"name": "y"}, "If-Match: \"stale\"")).Status(412)
		l = logs(t, f.a, "customer", id)
		if len(l) != 3 {
			t.Fatalf("refused writes left entries: %s", js(l))
		}
		check(t, l[2], "updated", id, obj{"name": []any{"Logged BV", "x"}})

		// delete
		c2 := as(t, "POST", "/api/customer", obj{"name": "Short lived"}).Status(201).ID()
		as(t, "DELETE", p("/api/customer/%d", c2), nil).Status(204)
		l = logs(t, f.a, "customer", c2)
		if len(l) != 2 {
			t.Fatalf("delete: %s", js(l))
		}
		check(t, l[1], "deleted", c2, obj{"name": []any{"Short lived", nil}})

		// nested address and custom field values: per field, with old values
		f.create(t, "field", obj{"name": "Tier", "model": "customer", "type": "text"})
		c3 := f.create(t, "customer", obj{"name": "Addressed", "address": obj{"city": "Utrecht"}, "field_values": obj{"tier": "silver"}})
		la := logs(t, f.a, "customer", c3)
		wantEq(t, "created address", pick(la[0]["changes"].(map[string]any), "address.city", "address.country", "field_values.tier"),
			obj{"address.city": []any{nil, "Utrecht"}, "address.country": []any{nil, "NL"}, "field_values.tier": []any{nil, "silver"}})
		f.do(t, "PATCH", p("/api/customer/%d", c3), obj{"address": obj{"city": "Ede", "country": "NL"}, "field_values": obj{"tier": "gold"}}).Status(200)
		la = logs(t, f.a, "customer", c3)
		wantEq(t, "updated address", la[len(la)-1]["changes"], obj{"address.city": []any{"Utrecht", "Ede"}, "field_values.tier": []any{"silver", "gold"}})
		etag := f.do(t, "GET", p("/api/customer/%d", c3), nil).Header.Get("ETag")
		r = f.do(t, "PATCH", p("/api/customer/%d", c3), obj{"address": obj{"city": "Ede"}, "field_values": obj{"tier": "gold"}}).Status(200)
		if n := len(logs(t, f.a, "customer", c3)); n != len(la) || r.Header.Get("ETag") != etag {
			t.Errorf("re-sending the same address and values wrote something")
		}
		f.do(t, "PATCH", p("/api/customer/%d", c3), obj{"address": nil, "field_values": obj{"tier": nil}}).Status(200)
		la = logs(t, f.a, "customer", c3)
		wantEq(t, "removed address", pick(la[len(la)-1]["changes"].(map[string]any), "address.city", "address.country", "field_values.tier", "address_id"),
			obj{"address.city": []any{"Ede", nil}, "address.country": []any{"NL", nil}, "field_values.tier": []any{"gold", nil}, "address_id": nil})

		// the log is read only, readable by id and with its user
		entry := num(l[1]["id"])
		g := f.do(t, "GET", p("/api/activity_log/%d?with=user", entry), nil).Status(200).JSON()
		wantEq(t, "with user", at(g, "user.id"), user)
		f.do(t, "POST", "/api/activity_log", obj{"event": "created"}).Status(405)
		f.do(t, "PATCH", p("/api/activity_log/%d", entry), obj{}).Status(405)
		f.do(t, "DELETE", p("/api/activity_log/%d", entry), nil).Status(405)
		// own extent: the user's token sees only the user's entries
		for _, d := range as(t, "GET", "/api/activity_log?limit=1000", nil).Status(200).Data() {
			if num(d["user_id"]) != user {
				t.Errorf("activity_log.read.own sees %s", js(d))
			}
		}
		as(t, "GET", p("/api/activity_log/%d", num(logs(t, f.a, "customer", f.customer)[0]["id"])), nil).Status(404)
	})
}
