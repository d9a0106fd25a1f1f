package httpapi_test

import (
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// qdata is a company with a small, known data set for the query language.
type qdata struct {
	*fx
	alpha, beta, gamma, delta, epsilon int64 // customers
	anna, bob                          int64 // users
	c1, c2, c3                         int64 // contacts (alpha, alpha, beta)
	ch1, ch2, ch3                      int64 // chances
}

func newQData(t *testing.T, e *apitest.Env) *qdata {
	f := newFx(t, e, "Query")
	d := &qdata{fx: f}
	d.anna = f.do(t, "POST", "/api/user", obj{"name": "Anna", "email": "anna@q.test", "role_id": roleID(t, f.a, "company_user")}).Status(201).ID()
	d.bob = f.do(t, "POST", "/api/user", obj{"name": "Bob", "email": "bob@q.test", "role_id": roleID(t, f.a, "company_user")}).Status(201).ID()
	// the fixture customer (id lowest) is "Fixture BV", lead, owner's
	d.alpha = f.create(t, "customer", obj{"name": "Alpha BV", "status": "lead", "email": "info@alpha.nl", "user_id": d.anna, "origin_id": f.origin})
	d.beta = f.create(t, "customer", obj{"name": "Beta, Inc. (US)", "status": "customer", "type": "person", "user_id": d.bob})
	d.gamma = f.create(t, "customer", obj{"name": "gamma: \"quoted\"", "status": "prospect", "email": "GAMMA@example.com", "user_id": d.anna})
	d.delta = f.create(t, "customer", obj{"name": "100% Delta_x", "status": "inactive", "user_id": d.bob})
	d.epsilon = f.create(t, "customer", obj{"name": "Alpha BV", "status": "customer", "user_id": d.anna})
	d.c1 = f.create(t, "contact", obj{"first_name": "Xavier", "customer_id": d.alpha, "user_id": d.bob})
	d.c2 = f.create(t, "contact", obj{"first_name": "Yara", "customer_id": d.alpha})
	d.c3 = f.create(t, "contact", obj{"first_name": "Xena", "customer_id": d.beta})
	d.ch1 = f.create(t, "chance", obj{"title": "Small", "customer_id": d.alpha, "amount": "100.00", "probability": 10, "expected_close_date": "2026-01-15"})
	d.ch2 = f.create(t, "chance", obj{"title": "Big", "customer_id": d.beta, "amount": "5000.50", "probability": 90, "expected_close_date": "2026-03-01", "stage": "won"})
	d.ch3 = f.create(t, "chance", obj{"title": "None", "customer_id": d.gamma})
	return d
}

func (d *qdata) list(t *testing.T, path string) []int64 {
	t.Helper()
	return ids(d.do(t, "GET", path, nil).Status(200))
}

func TestQueryWithShowCount(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		d := newQData(t, e)

		t.Run("with to-one and to-many", func(t *testing.T) {
			r := d.do(t, "GET", p("/api/customer/%d?with=user,origin,contacts", d.beta), nil).Status(200)
			if r.Header.Get("X-Eager-Loading-Weight") != "5" {
				t.Errorf("weight header = %q, want 5", r.Header.Get("X-Eager-Loading-Weight"))
			}
			m := r.JSON()
			wantEq(t, "user", pick(m["user"].(map[string]any), "id", "name"), obj{"id": d.bob, "name": "Bob"})
			if has(m, "user.password") || has(m, "user.password_hash") {
				t.Errorf("password rendered in with=user")
			}
			wantEq(t, "origin null", m["origin"], nil)
			envelope(t, m["contacts"], 50, 1, 0)
			wantEq(t, "contact", at(m, "contacts.data.0.id"), d.c3)

			// nested to-one chains, and a to-one after a to-many
			m = d.do(t, "GET", p("/api/customer/%d?with=user.company.address,contacts.user.company,origin", d.alpha), nil).Status(200).JSON()
			wantEq(t, "user.company.name", at(m, "user.company.name"), "Query")
			wantEq(t, "user.company.address", at(m, "user.company.address"), nil)
			wantEq(t, "contacts.user", at(m, "contacts.data.0.user.id"), d.bob)
			wantEq(t, "contacts.user.company", at(m, "contacts.data.0.user.company.id"), d.a.CompanyID)
			wantEq(t, "contact without user", at(m, "contacts.data.1.user.id"), d.a.OwnerID)
			wantEq(t, "origin", at(m, "origin.name"), "Website")

			// index: every record embeds
			r = d.do(t, "GET", "/api/customer?with=contacts&filter="+q(p("id:in:%d;%d;%d", d.alpha, d.beta, d.delta)), nil).Status(200)
			data := r.Data()
			envelope(t, data[0]["contacts"], 50, 2, 0)
			envelope(t, data[1]["contacts"], 50, 1, 0)
			envelope(t, data[2]["contacts"], 50, 0, 0)
			wantEq(t, "contacts ordered by id", []any{at(data[0], "contacts.data.0.id"), at(data[0], "contacts.data.1.id")}, []int64{d.c1, d.c2})
		})

		t.Run("nested envelope holds 50", func(t *testing.T) {
			c := d.create(t, "customer", obj{"name": "Many contacts"})
			for i := 0; i < 52; i++ {
				d.create(t, "contact", obj{"first_name": p("C%02d", i), "customer_id": c})
			}
			m := d.do(t, "GET", p("/api/customer/%d?with=contacts&count=contacts", c), nil).Status(200).JSON()
			envelope(t, m["contacts"], 50, 52, 0)
			data := at(m, "contacts.data").([]any)
			if len(data) != 50 || at(data[0], "first_name") != "C00" || at(data[49], "first_name") != "C49" {
				t.Errorf("nested envelope: %d items, %v..%v", len(data), at(data[0], "first_name"), at(data[len(data)-1], "first_name"))
			}
			wantEq(t, "contacts_count", m["contacts_count"], 52)
		})

		t.Run("special relations", func(t *testing.T) {
			d.create(t, "field", obj{"name": "Segment", "model": "chance", "type": "text"})
			d.do(t, "PATCH", p("/api/chance/%d", d.ch1), obj{"field_values": obj{"segment": "SMB"}}).Status(200)
			m := d.do(t, "GET", p("/api/customer/%d?with=chances.field_values", d.alpha), nil).Status(200).JSON()
			wantEq(t, "chances.field_values", at(m, "chances.data.0.field_values.0.value"), "SMB")
			wantEq(t, "chance key", at(m, "chances.data.0.field_values.0.key"), "segment")
			m = d.do(t, "GET", p("/api/user/%d?with=role.permissions", d.anna), nil).Status(200).JSON()
			if l, _ := at(m, "role.permissions").([]any); len(l) == 0 {
				t.Errorf("role.permissions = %v", at(m, "role.permissions"))
			}
		})

		t.Run("weight", func(t *testing.T) {
			for _, c := range []struct {
				path   string
				weight string
			}{
				{"/api/customer?with=user,user.company", "3"},
				{"/api/customer?with=user.company", "3"},
				{"/api/customer?with=field_values,contracts.field_values,chances.field_values,tasks.field_values", "16"},
				{"/api/customer?with=field_values,appointments,assignments,chances,contracts,tasks", "16"},
				{"/api/customer?with[]=user&with[]=contacts", "4"},
				{"/api/customer?with=contacts,contacts", "3"},
				{"/api/customer?with=", "0"},
			} {
				r := d.do(t, "GET", c.path, nil).Status(200)
				if got := r.Header.Get("X-Eager-Loading-Weight"); got != c.weight {
					t.Errorf("%s: weight %q, want %s", c.path, got, c.weight)
				}
			}
			if h := d.do(t, "GET", "/api/customer", nil).Status(200).Header.Get("X-Eager-Loading-Weight"); h != "" {
				t.Errorf("weight header without with: %q", h)
			}
			want400(t, d.do(t, "GET", "/api/customer?with=field_values,appointments,assignments,chances,contracts,tasks,user", nil), "with", -1)
			// Show, Create and Update accept with and send the header
			r := d.do(t, "POST", "/api/contact?with=customer,customer.user", obj{"first_name": "W", "customer_id": d.gamma}).Status(201)
			wantEq(t, "create with", at(r.JSON(), "customer.user.id"), d.anna)
			if r.Header.Get("X-Eager-Loading-Weight") != "3" {
				t.Errorf("create weight header %q", r.Header.Get("X-Eager-Loading-Weight"))
			}
			r = d.do(t, "PATCH", p("/api/contact/%d?with=customer&show=first_name,customer.name&count=notes", r.ID()), obj{"last_name": "V"}).Status(200)
			m := r.JSON()
			wantEq(t, "update with", pick(m, "first_name", "customer_id", "notes_count"), obj{"first_name": "W", "customer_id": d.gamma, "notes_count": 0})
			wantEq(t, "update with customer", at(m, "customer.id"), d.gamma)
			if r.Header.Get("X-Eager-Loading-Weight") != "1" {
				t.Errorf("update weight header %q", r.Header.Get("X-Eager-Loading-Weight"))
			}
		})

		t.Run("with errors", func(t *testing.T) {
			for _, c := range []struct {
				with string
				pos  int
			}{
				{"bogus", 0},
				{"user,bogus", 5},
				{"user.customers", 5},
				{"contacts.notes", 9},
				{"user.company.users", 13},
				{"user.", 5},
				{"user,,contacts", 5},
				{"field_values.user", 13},
				{"user.field_values", 5},
			} {
				want400(t, d.do(t, "GET", "/api/customer?with="+q(c.with), nil), "with", c.pos)
			}
			want400(t, d.do(t, "GET", p("/api/customer/%d?with=nope", d.alpha), nil), "with", 0)
			want400(t, d.do(t, "POST", "/api/customer?with=nope", obj{"name": "not created"}), "with", 0)
			if n := total(t, d.a, "/api/customer?filter=name:eq:"+q("not created")); n != 0 {
				t.Errorf("a create with a bad with created the record")
			}
		})

		t.Run("show", func(t *testing.T) {
			m := d.do(t, "GET", p("/api/customer/%d?show=name,email", d.alpha), nil).Status(200).JSON()
			wantEq(t, "show", m, obj{"id": d.alpha, "name": "Alpha BV", "email": "info@alpha.nl"})
			m = d.do(t, "GET", p("/api/customer/%d?show=name,user.name,user.company.name", d.alpha), nil).Status(200).JSON()
			wantEq(t, "show dotted", m, obj{"id": d.alpha, "name": "Alpha BV", "user_id": d.anna,
				"user": obj{"id": d.anna, "name": "Anna", "company_id": d.a.CompanyID, "company": obj{"id": d.a.CompanyID, "name": "Query"}}})
			data := d.do(t, "GET", "/api/customer?show[]=name&show[]=status&limit=1", nil).Status(200).Data()
			wantEq(t, "show array form", data[0], obj{"id": d.customer, "name": "Fixture BV", "status": "lead"})
			m = d.do(t, "GET", p("/api/customer/%d?show=name&with=origin&count=contacts", d.alpha), nil).Status(200).JSON()
			wantEq(t, "show with count", pick(m, "id", "name", "contacts_count"), obj{"id": d.alpha, "name": "Alpha BV", "contacts_count": 2})
			wantEq(t, "show with with", at(m, "origin.id"), d.origin)
			for _, c := range []struct {
				show string
				pos  int
			}{{"bogus", 0}, {"name,bogus", 5}, {"user.bogus", 5}, {"contacts.first_name", 0}, {"nope.name", 0}, {"address", 0}} {
				want400(t, d.do(t, "GET", "/api/customer?show="+q(c.show), nil), "show", c.pos)
			}
			want400(t, d.do(t, "GET", p("/api/user/%d?show=password", d.anna), nil), "show", 0)
		})

		t.Run("count", func(t *testing.T) {
			data := d.do(t, "GET", "/api/customer?count=contacts,chances&filter="+q(p("id:in:%d;%d;%d", d.alpha, d.beta, d.delta)), nil).Status(200).Data()
			got := [][2]any{}
			for _, x := range data {
				got = append(got, [2]any{x["contacts_count"], x["chances_count"]})
			}
			wantEq(t, "counts", got, [][2]int{{2, 1}, {1, 1}, {0, 0}})
			data = d.do(t, "GET", "/api/customer?count[]=contacts&count[]=notes&filter=id:eq:"+fmtInt(d.alpha), nil).Status(200).Data()
			wantEq(t, "count array form", pick(data[0], "contacts_count", "notes_count"), obj{"contacts_count": 2, "notes_count": 0})
			for _, c := range []struct {
				count string
				pos   int
			}{{"user", 0}, {"bogus", 0}, {"contacts,field_values", 9}, {"contacts.notes", 0}} {
				want400(t, d.do(t, "GET", "/api/customer?count="+q(c.count), nil), "count", c.pos)
			}
		})
	})
}

func TestQueryFilter(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		d := newQData(t, e)
		cust := func(filter string) string { return "/api/customer?filter=" + q(filter) }
		for _, c := range []struct {
			filter string
			want   []int64
		}{
			{"name:eq:Alpha BV", []int64{d.alpha, d.epsilon}},
			{"name:eq:alpha bv", []int64{}},
			{"name:ne:Alpha BV", []int64{d.customer, d.beta, d.gamma, d.delta}},
			{"email:ne:info@alpha.nl", []int64{d.customer, d.beta, d.gamma, d.delta, d.epsilon}},
			{`name:eq:"Beta, Inc. (US)"`, []int64{d.beta}},
			{`name:eq:"gamma: \"quoted\""`, []int64{d.gamma}},
			{"name:like:ALPHA", []int64{d.alpha, d.epsilon}},
			{"name:contains:lph", []int64{d.alpha, d.epsilon}},
			{"name:like:%", []int64{d.delta}},
			{"name:like:a_x", []int64{d.delta}},
			{"name:contains:0% d", []int64{d.delta}},
			{"email:like:example", []int64{d.gamma}},
			{"name:starts_with:alp", []int64{d.alpha, d.epsilon}},
			{`name:ends_with:"(us)"`, []int64{d.beta}},
			{"name:starts_with:%", []int64{}},
			{"status:in:lead;prospect", []int64{d.customer, d.alpha, d.gamma}},
			{"status:not:in:lead;prospect", []int64{d.beta, d.delta, d.epsilon}},
			{"status:not:eq:lead", []int64{d.beta, d.gamma, d.delta, d.epsilon}},
			{"name:not:like:alpha", []int64{d.customer, d.beta, d.gamma, d.delta}},
			{"email:null:", []int64{d.customer, d.beta, d.delta, d.epsilon}},
			{"email:notnull:", []int64{d.alpha, d.gamma}},
			{"email:null", []int64{d.customer, d.beta, d.delta, d.epsilon}},
			{p("id:gt:%d", d.gamma), []int64{d.delta, d.epsilon}},
			{p("id:gte:%d,id:lt:%d", d.gamma, d.epsilon), []int64{d.gamma, d.delta}},
			{p("id:lte:%d", d.alpha), []int64{d.customer, d.alpha}},
			{p("user_id:eq:%d", d.bob), []int64{d.beta, d.delta}},
			{"type:eq:person", []int64{d.beta}},
			{"name:gt:Beta", []int64{d.customer, d.beta, d.gamma}},
			// and / or, precedence and parentheses
			{"status:eq:lead,and,name:eq:Alpha BV", []int64{d.alpha}},
			{"status:eq:lead,AND,name:eq:Alpha BV", []int64{d.alpha}},
			{"status:eq:inactive,or,status:eq:prospect", []int64{d.gamma, d.delta}},
			{"status:eq:inactive,OR,status:eq:lead,and,name:eq:Alpha BV", []int64{d.alpha, d.delta}},
			{"(status:eq:inactive,or,status:eq:lead),and,name:eq:Alpha BV", []int64{d.alpha}},
			{"name:eq:Alpha BV,and,(status:eq:customer,or,email:notnull:)", []int64{d.alpha, d.epsilon}},
			{"status:eq:lead,name:eq:Alpha BV", []int64{d.alpha}},
			{" status:eq:lead , and , name:eq:Alpha BV", []int64{d.alpha}},
			{"name:eq:Alpha BV ", []int64{}}, // an unquoted value keeps its spaces
			// relations: to-one, to-one chains, to-many (at least one)
			{"user.name:eq:Anna", []int64{d.alpha, d.gamma, d.epsilon}},
			{"user.role.name:eq:company_owner", []int64{d.customer}},
			{"origin.name:eq:Website", []int64{d.alpha}},
			{"contacts.first_name:starts_with:X", []int64{d.alpha, d.beta}},
			{"contacts.user.name:eq:Bob", []int64{d.alpha}},
			{"chances.amount:gt:1000", []int64{d.beta}},
			{"chances.amount:gte:100.00,and,chances.probability:lt:50", []int64{d.alpha}},
			{"chances.stage:eq:won,or,contacts.first_name:eq:Yara", []int64{d.alpha, d.beta}},
			{"chances.expected_close_date:lt:2026-02-01", []int64{d.alpha}},
			{"chances.closed_at:notnull:", []int64{d.beta}},
			{"created_at:gte:2020-01-01", []int64{d.customer, d.alpha, d.beta, d.gamma, d.delta, d.epsilon}},
			{"created_at:lt:2020-01-01T00:00:00Z", []int64{}},
			{"updated_at:gt:2020-01-01T00:00:00+02:00", []int64{d.customer, d.alpha, d.beta, d.gamma, d.delta, d.epsilon}},
		} {
			got := d.list(t, cust(c.filter))
			if !same(got, c.want) {
				t.Errorf("filter=%s: %v, want %v", c.filter, got, c.want)
			}
		}
		// case-insensitive for every letter, on both dialects
		cafe := d.create(t, "customer", obj{"name": "Café Élan BV"})
		ecole := d.create(t, "customer", obj{"name": "ÉCOLE"})
		for _, c := range []struct {
			filter string
			want   []int64
		}{
			{"name:contains:élan", []int64{cafe}}, {"name:like:ÉLAN", []int64{cafe}}, {"name:contains:fé é", []int64{cafe}}, {"name:contains:é", []int64{cafe, ecole}},
			{"name:starts_with:éc", []int64{ecole}}, {"name:ends_with:olE", []int64{ecole}}, {"name:not:contains:é", []int64{d.customer, d.alpha, d.beta, d.gamma, d.delta, d.epsilon}},
			{"name:eq:café élan bv", []int64{}},
		} {
			if got := d.list(t, cust(c.filter)); !same(got, c.want) {
				t.Errorf("filter=%s: %v, want %v", c.filter, got, c.want)
			}
		}

		// other resources: booleans, dates, money
		d.create(t, "todo", obj{"title": "open one"})
		done := d.create(t, "todo", obj{"title": "done one", "done": true})
		for _, v := range []string{"true", "1"} {
			if got := d.list(t, "/api/todo?filter=done:eq:"+v); !same(got, []int64{done}) {
				t.Errorf("done:eq:%s = %v", v, got)
			}
		}
		if got := d.list(t, "/api/chance?filter="+q("expected_close_date:gte:2026-02-01")); !same(got, []int64{d.ch2}) {
			t.Errorf("date filter = %v", got)
		}
		if got := d.list(t, "/api/chance?filter="+q("amount:eq:5000.5")); !same(got, []int64{d.ch2}) {
			t.Errorf("money filter = %v", got)
		}
		if got := d.list(t, "/api/chance?filter="+q("amount:null:,or,probability:in:10;11")); !same(got, []int64{d.chance, d.ch1, d.ch3}) {
			t.Errorf("null or in = %v", got)
		}
		// errors name the position of the offending token
		for _, c := range []struct {
			filter string
			pos    int
		}{
			{"id:eq:abc", 6},
			{"probability:gt:x", -1},
			{"bogus:eq:1", 0},
			{"name:eq:a,bogus:eq:1", 10},
			{"name:zz:a", 5},
			{"name:not:zz:a", 9},
			{"name", 0},
			{"(name:eq:a", 0},
			{"name:eq:a)", 9},
			{"name:eq:a,and", 10},
			{"and,name:eq:a", 0},
			{"name:eq:a,or,,name:eq:b", 10},
			{`name:eq:"abc`, 8},
			{"status:in:", 10},
			{"status:eq:closed", 10},
			{"created_at:gt:yesterday", 14},
			{"to:eq:x", -1},
			{"user.password:eq:x", 5},
			{"contacts.bogus:eq:x", 9},
			{"()", 0},
		} {
			want400(t, d.do(t, "GET", cust(c.filter), nil), "filter", c.pos)
		}
		want400(t, d.do(t, "GET", "/api/email?filter=to:eq:x", nil), "filter", 0)
		want400(t, d.do(t, "GET", "/api/todo?filter=done:eq:maybe", nil), "filter", 8)
		want400(t, d.do(t, "GET", "/api/chance?filter=expected_close_date:eq:2026-13-01", nil), "filter", 23)
		want400(t, d.do(t, "GET", "/api/chance?filter=expected_close_date:gt:0000-01-01", nil), "filter", 23)
		want400(t, d.do(t, "GET", "/api/customer?filter="+q("name:eq:a\x00"), nil), "filter", 9)
		want400(t, d.do(t, "GET", "/api/customer?filter="+q(strings.Repeat("name:eq:x,", 201)+"name:eq:y"), nil), "filter", -1)
		want400(t, d.do(t, "GET", "/api/customer?filter="+q(strings.Repeat("(", 33)+"name:eq:x"+strings.Repeat(")", 33)), nil), "filter", -1)
		want400(t, d.do(t, "GET", "/api/customer?filter="+q("name:eq:"+strings.Repeat("x", 4000)), nil), "filter", -1)
		// totals through relations and custom fields follow writes at once
		totalOf := func(filter string) int64 {
			return num(d.do(t, "GET", "/api/customer?limit=1&filter="+q(filter), nil).Status(200).JSON()["total"])
		}
		wantEq(t, "total by contact", totalOf("contacts.first_name:eq:Zed"), 0)
		d.create(t, "contact", obj{"first_name": "Zed", "customer_id": d.beta})
		wantEq(t, "total by contact after a new contact", totalOf("contacts.first_name:eq:Zed"), 1)
		d.create(t, "contact", obj{"first_name": "Zed", "customer_id": d.gamma})
		wantEq(t, "total by contact after another", totalOf("contacts.first_name:eq:Zed"), 2)
		d.create(t, "field", obj{"name": "Tier", "model": "customer", "type": "text"})
		wantEq(t, "total by value", totalOf("field_values.tier:eq:gold"), 0)
		d.do(t, "PATCH", p("/api/customer/%d", d.alpha), obj{"field_values": obj{"tier": "gold"}}).Status(200)
		d.do(t, "PATCH", p("/api/customer/%d", d.beta), obj{"field_values": obj{"tier": "gold"}}).Status(200)
		wantEq(t, "total by value after writes", totalOf("field_values.tier:eq:gold"), 2)
		d.do(t, "PATCH", p("/api/user/%d", d.bob), obj{"name": "Robert"}).Status(200)
		wantEq(t, "total by user name", totalOf("user.name:eq:Robert"), 2)

		// the in list as query.md writes it, with raw semicolons in the URL
		if got := d.list(t, "/api/customer?filter=status:in:lead;prospect&order_by=id"); !same(got, []int64{d.customer, d.alpha, d.gamma, cafe, ecole}) {
			t.Errorf("raw semicolons: %v", got)
		}
		if got := d.list(t, p("/api/customer?filter=id:in:%d;%d&with[]=user", d.beta, d.delta)); !same(got, []int64{d.beta, d.delta}) {
			t.Errorf("raw semicolons: %v", got)
		}
		want400(t, d.do(t, "GET", "/api/customer?filter=id:in:1;;2", nil), "filter", 8)
		want400(t, d.do(t, "GET", "/api/customer?filter=status:in:lead;closed", nil), "filter", 15)

		// unknown parameters are ignored
		d.do(t, "GET", "/api/customer?bogus=1&filters=zz", nil).Status(200)
	})
}

func TestQueryOrderPaging(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		d := newQData(t, e)
		all := []int64{d.customer, d.alpha, d.beta, d.gamma, d.delta, d.epsilon}
		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"", all},
			{"order_by=name", []int64{d.delta, d.alpha, d.epsilon, d.beta, d.customer, d.gamma}},
			{"order_by=name:asc", []int64{d.delta, d.alpha, d.epsilon, d.beta, d.customer, d.gamma}},
			{"order_by=name:desc", []int64{d.gamma, d.customer, d.beta, d.epsilon, d.alpha, d.delta}},
			{"order_by=name:DESC", []int64{d.gamma, d.customer, d.beta, d.epsilon, d.alpha, d.delta}},
			{"order_by=status:asc,name:desc", []int64{d.beta, d.epsilon, d.delta, d.customer, d.alpha, d.gamma}},
			{"order_by[]=status&order_by[]=name:desc", []int64{d.beta, d.epsilon, d.delta, d.customer, d.alpha, d.gamma}},
			{"order_by=id:desc", []int64{d.epsilon, d.delta, d.gamma, d.beta, d.alpha, d.customer}},
			{"order_by=user.name:asc,id:asc", []int64{d.alpha, d.gamma, d.epsilon, d.beta, d.delta, d.customer}},
			{"order_by=email:asc&filter=email:notnull:", []int64{d.gamma, d.alpha}},
			{"order_by=created_at:asc", all},
			{"limit=2", all[:2]},
			{"per_page=2&offset=2", all[2:4]},
			{"limit=2&offset=5", all[5:]},
			{"offset=6", []int64{}},
			{"limit=0", []int64{}},
			{"limit=3&per_page=1", all[:3]},
			{p("after=%d", d.beta), all[3:]},
			{p("after=%d&limit=1", d.beta), all[3:4]},
			{"after=0", all},
		} {
			got := d.list(t, "/api/customer?"+c.query)
			if !same(got, c.want) {
				t.Errorf("%s: %v, want %v", c.query, got, c.want)
			}
		}
		// Alpha BV twice: id breaks the tie in every order
		asc := d.list(t, "/api/customer?filter="+q("name:eq:Alpha BV")+"&order_by=name")
		wantEq(t, "tie break", asc, []int64{d.alpha, d.epsilon})

		// envelope
		envelope(t, d.do(t, "GET", "/api/customer?limit=2&offset=1", nil).Status(200).JSON(), 2, 6, 1)
		envelope(t, d.do(t, "GET", "/api/customer", nil).Status(200).JSON(), 100, 6, 0)
		envelope(t, d.do(t, "GET", "/api/customer?per_page=3", nil).Status(200).JSON(), 3, 6, 0)
		envelope(t, d.do(t, "GET", "/api/customer?limit=0", nil).Status(200).JSON(), 0, 6, 0)
		envelope(t, d.do(t, "GET", "/api/customer?offset=10", nil).Status(200).JSON(), 100, 6, 10)
		envelope(t, d.do(t, "GET", "/api/customer?total=false&limit=2", nil).Status(200).JSON(), 2, -1, 0)
		envelope(t, d.do(t, "GET", "/api/customer?filter=status:eq:customer&limit=1", nil).Status(200).JSON(), 1, 2, 0)
		envelope(t, d.do(t, "GET", "/api/customer?limit=1000", nil).Status(200).JSON(), 1000, 6, 0)

		for _, c := range []struct {
			query, param string
			pos          int
		}{
			{"limit=1001", "limit", 0},
			{"limit=-1", "limit", 0},
			{"limit=abc", "limit", 0},
			{"per_page=5000", "per_page", 0},
			{"offset=-1", "offset", 0},
			{"offset=10000001", "offset", 0},
			{"order_by=bogus", "order_by", 0},
			{"order_by=name:up", "order_by", 5},
			{"order_by=name,bogus:desc", "order_by", 5},
			{"order_by=contacts.first_name", "order_by", 0},
			{"order_by=address", "order_by", 0},
			{"order_by=" + strings.Repeat("name,", 8) + "id", "order_by", -1},
			{"after=abc", "after", 0},
			{"after=5&order_by=name", "after", 0},
			{"after=5&offset=0", "after", 0},
			{"total=maybe", "total", 0},
		} {
			want400(t, d.do(t, "GET", "/api/customer?"+c.query, nil), c.param, c.pos)
		}
		want400(t, d.do(t, "GET", "/api/email?order_by=to", nil), "order_by", 0)
		want400(t, d.do(t, "GET", "/api/user?order_by=password", nil), "order_by", 0)
	})
}

// TestQueryCount: eager loading and counts cost a fixed number of SQL
// statements whatever the page size (no query per row).
func TestQueryCount(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := &fx{e: e, a: e.Company("Counting")}
		users := []int64{f.a.OwnerID, f.a.User("company_user"), f.a.User("company_user")}
		f.create(t, "field", obj{"name": "Tier", "model": "customer", "type": "text"})
		for i := 0; i < 100; i++ {
			c := f.create(t, "customer", obj{"name": p("Customer %03d", i), "user_id": users[i%3], "field_values": obj{"tier": p("T%d", i%4)}})
			if i%3 == 0 {
				f.create(t, "contact", obj{"first_name": "C", "customer_id": c})
				f.create(t, "contact", obj{"first_name": "D", "customer_id": c})
			}
			if i%4 == 0 {
				f.create(t, "task", obj{"title": "T", "customer_id": c})
			}
		}
		statements := func(limit int) int64 {
			best := int64(-1)
			for run := 0; run < 3; run++ { // the least of three: the first may prepare or warm caches
				// total=false: the total is one COUNT (or a cache hit) whatever the page size.
				r := f.do(t, "GET", p("/api/customer?with=user,contacts,field_values&count=tasks&total=false&limit=%d", limit), nil, apitest.CountHeader+": 1").Status(200)
				n := e.LastStatements()
				if best < 0 || n < best {
					best = n
				}
				data := r.Data()
				if len(data) != limit || at(data[0], "user.id") == nil || at(data[0], "contacts.total") == nil || at(data[0], "field_values.0.key") != "tier" || data[0]["tasks_count"] == nil {
					t.Fatalf("limit %d: unexpected page %s", limit, js(data[0]))
				}
			}
			return best
		}
		n10, n100 := statements(10), statements(100)
		t.Logf("%s: %d statements for 10 customers, %d for 100", e.DB.Dialect, n10, n100)
		if n10 != n100 {
			t.Errorf("statements grow with the page: %d for 10, %d for 100", n10, n100)
		}
		if n100 > 10 {
			t.Errorf("%d statements for one page", n100)
		}
		// Show, and Index with show=dotted paths, are fixed too
		f.do(t, "GET", "/api/customer?show=name,user.name,user.role.name&limit=100", nil, apitest.CountHeader+": 1").Status(200)
		if n := e.LastStatements(); n > 6 {
			t.Errorf("%d statements for show=user.role.name", n)
		}
	})
}
