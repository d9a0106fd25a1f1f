package httpapi_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// TestIdempotencyScope: a key belongs to one user of one client and one
// route: reused on another resource's Create it is a 422 (not a replay of
// the other record), another user of the same client gets its own, and a
// replay carries the first answer's ETag.
func TestIdempotencyScope(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "IdemScope")
		first := f.do(t, "POST", "/api/origin", obj{"name": "Acme"}, "Idempotency-Key: k1").Status(201)
		want422(t, f.do(t, "POST", "/api/customer", obj{"name": "Acme"}, "Idempotency-Key: k1"), "Idempotency-Key")
		again := f.do(t, "POST", "/api/origin", obj{"name": "Acme"}, "Idempotency-Key: k1").Status(201)
		wantEq(t, "replayed", again.Header.Get("Idempotent-Replayed"), "true")
		wantEq(t, "replay ETag", again.Header.Get("ETag"), first.Header.Get("ETag"))

		owner := f.do(t, "POST", "/api/customer", obj{"name": "Secret deal"}, "Idempotency-Key: shared").Status(201)
		tok := f.a.TokenFor(f.user, "customer.read.own", "customer.create.own")
		mine := on(t, f.a.Do("POST", "/api/customer", tok, obj{"name": "Secret deal"}, "Idempotency-Key: shared")).Status(201)
		if mine.Header.Get("Idempotent-Replayed") != "" || mine.ID() == owner.ID() {
			t.Fatalf("another user of the same client got the owner's answer: %s", mine.Body)
		}
		wantEq(t, "own record", num(mine.JSON()["user_id"]), f.user)
	})
}

// TestFieldAndRoleEdges: a field's type or model cannot change under its
// values (they would no longer read back), a role's permissions: null
// clears them, and a user's locale defaults to following the company.
func TestFieldAndRoleEdges(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Edges")
		size := f.create(t, "field", obj{"name": "Size", "model": "customer", "type": "text"})
		f.create(t, "field", obj{"name": "Region", "model": "customer", "type": "text"})
		f.do(t, "PATCH", p("/api/customer/%d", f.customer), obj{"field_values": obj{"size": "big", "region": "north"}}).Status(200)
		want422(t, f.do(t, "PATCH", p("/api/field/%d", size), obj{"type": "number"}), "type")
		want422(t, f.do(t, "PATCH", p("/api/field/%d", size), obj{"model": "contact"}), "model")
		f.do(t, "PATCH", p("/api/field/%d", size), obj{"type": "text", "name": "Size!"}).Status(200) // unchanged type is fine
		m := f.do(t, "GET", p("/api/customer/%d?with=field_values", f.customer), nil).Status(200).JSON()
		wantEq(t, "values", at(m, "field_values.0.value"), "big")
		// a field without values may change type
		empty := f.create(t, "field", obj{"name": "Later", "model": "customer", "type": "text"})
		f.do(t, "PATCH", p("/api/field/%d", empty), obj{"type": "number"}).Status(200)
		// a name without letters or digits gives no key: send one
		want422(t, f.do(t, "POST", "/api/field", obj{"name": "日本語", "model": "customer", "type": "text"}), "key")
		f.do(t, "POST", "/api/field", obj{"name": "日本語", "key": "japanese", "model": "customer", "type": "text"}).Status(201)
		want422(t, f.do(t, "POST", "/api/field", obj{"name": "K", "key": "Bad Key!", "model": "customer", "type": "text"}), "key")

		role := f.create(t, "role", obj{"name": "Temp", "permissions": []string{"customer.read.all"}})
		m = f.do(t, "PATCH", p("/api/role/%d?with=permissions", role), obj{"permissions": nil}).Status(200).JSON()
		wantEq(t, "permissions cleared", m["permissions"], []any{})

		u := f.do(t, "POST", "/api/user", obj{"name": "N", "email": "n@edges.test", "password": "a-very-long-password"}).Status(201).JSON()
		wantEq(t, "locale follows the company", u["locale"], nil)
	})
}

// TestDeleteSideEffects: a note that keeps another parent survives the
// delete of one (losing only that key), and every record a delete or a
// transfer changes gets its own "updated" activity log entry.
func TestDeleteSideEffects(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "SideEffects")
		both := f.create(t, "note", obj{"body": "on customer and chance", "customer_id": f.customer, "chance_id": f.chance})
		only := f.create(t, "note", obj{"body": "on the chance", "chance_id": f.chance})
		other := f.create(t, "customer", obj{"name": "Other BV"})
		viaContact := f.create(t, "note", obj{"body": "other customer, this contact", "customer_id": other, "contact_id": f.contact})

		f.do(t, "DELETE", p("/api/chance/%d", f.chance), nil).Status(204)
		m := f.do(t, "GET", p("/api/note/%d", both), nil).Status(200).JSON()
		wantEq(t, "surviving note's chance_id", m["chance_id"], nil)
		wantEq(t, "surviving note's customer_id", num(m["customer_id"]), f.customer)
		f.do(t, "GET", p("/api/note/%d", only), nil).Status(404)
		l := logs(t, f.a, "note", both)
		wantEq(t, "note log", at(l[len(l)-1], "event"), "updated")
		wantEq(t, "note change", at(l[len(l)-1], "changes.chance_id.1"), nil)

		task := f.create(t, "task", obj{"title": "linked", "customer_id": other})
		f.do(t, "DELETE", p("/api/contact/%d", f.contact), nil).Status(204)
		wantEq(t, "note of another customer keeps it", num(f.do(t, "GET", p("/api/note/%d", viaContact), nil).Status(200).JSON()["customer_id"]), other)

		f.do(t, "DELETE", p("/api/customer/%d", other), nil).Status(204)
		m = f.do(t, "GET", p("/api/task/%d", task), nil).Status(200).JSON()
		wantEq(t, "task customer_id", m["customer_id"], nil)
		l = logs(t, f.a, "task", task)
		last := l[len(l)-1]
		wantEq(t, "task log event", last["event"], "updated")
		wantEq(t, "task log change", at(last, "changes.customer_id.0"), other)

		// transfer_to: the moved records are logged as updates
		u := f.a.User("company_user")
		tok := f.a.TokenFor(u, "customer.create.own", "customer.read.own")
		c := num(on(t, f.a.Do("POST", "/api/customer", tok, obj{"name": "Owned"})).Status(201).JSON()["id"])
		f.do(t, "DELETE", p("/api/user/%d?transfer_to=%d", u, f.a.OwnerID), nil).Status(204)
		l = logs(t, f.a, "customer", c)
		last = l[len(l)-1]
		wantEq(t, "transfer log", []any{last["event"], at(last, "changes.user_id.0"), at(last, "changes.user_id.1")}, []any{"updated", u, f.a.OwnerID})
	})
}

// TestOwnExtentForeignKeys: with only the own extent of customer.read,
// another user's customer does not exist for the token, so a note or task
// cannot point at it (422, like a missing id); its own customer can be.
func TestOwnExtentForeignKeys(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "OwnFK")
		tok := f.a.TokenFor(f.user, "customer.read.own", "customer.create.own", "note.create.own", "note.read.own", "task.create.own", "task.read.own")
		on(t, f.a.Do("GET", p("/api/customer/%d", f.customer), tok, nil)).Status(404)
		want422(t, on(t, f.a.Do("POST", "/api/note", tok, obj{"body": "x", "customer_id": f.customer})), "customer_id")
		want422(t, on(t, f.a.Do("POST", "/api/task", tok, obj{"title": "t", "customer_id": f.customer})), "customer_id")
		mine := on(t, f.a.Do("POST", "/api/customer", tok, obj{"name": "Mine"})).Status(201).ID()
		on(t, f.a.Do("POST", "/api/note", tok, obj{"body": "x", "customer_id": mine})).Status(201)
		// with the all extent the owner's customer is there
		all := f.a.TokenFor(f.user, "customer.read.all", "note.create.own", "note.read.own")
		on(t, f.a.Do("POST", "/api/note", all, obj{"body": "x", "customer_id": f.customer})).Status(201)
	})
}

// TestCustomFieldValueRules: the array form takes field_id (or key) and a
// value and nothing else; a number is a JSON number; a required field does
// not take a blank value; a multiselect holds each option once.
func TestCustomFieldValueRules(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "CFRules")
		emp := f.create(t, "field", obj{"name": "Employees", "model": "customer", "type": "number"})
		f.create(t, "field", obj{"name": "Must", "model": "contact", "type": "text", "required": true})
		f.create(t, "field", obj{"name": "Tags", "model": "customer", "type": "multiselect", "options": []string{"a", "b"}})
		path := p("/api/customer/%d", f.customer)
		f.do(t, "PATCH", path, obj{"field_values": []obj{{"field_id": emp, "value": 40}}}).Status(200)
		want422(t, f.do(t, "PATCH", path, obj{"field_values": []obj{{"field_id": emp}}}), "field_values.0.value")
		want422(t, f.do(t, "PATCH", path, obj{"field_values": []obj{{"field_id": emp, "value": 1, "extra": 1}}}), "field_values.0.extra")
		want422(t, f.do(t, "PATCH", path, obj{"field_values": []any{nil}}), "field_values.0")
		want422(t, f.do(t, "PATCH", path, obj{"field_values": []obj{{"value": 1}}}), "field_values.0.field_id")
		m := f.do(t, "GET", path+"?with=field_values", nil).Status(200).JSON()
		wantEq(t, "value kept", at(m, "field_values.0.value"), 40)
		want422(t, f.do(t, "PATCH", path, obj{"field_values": obj{"employees": "40"}}), "field_values.employees")
		f.do(t, "PATCH", path, obj{"field_values": obj{"employees": 40.5}}).Status(200)
		want422(t, f.do(t, "PATCH", path, obj{"field_values": obj{"tags": []string{"a", "a"}}}), "field_values.tags")
		want422(t, f.do(t, "POST", "/api/contact", obj{"first_name": "x", "customer_id": f.customer, "field_values": obj{"must": " "}}), "field_values.must")
		f.do(t, "POST", "/api/contact", obj{"first_name": "x", "customer_id": f.customer, "field_values": obj{"must": "yes"}}).Status(201)
	})
}

// TestChildLists: template items must be objects (a null item was made an
// empty one), too long descriptions get the length message, and the
// activity log shows a replaced list as [old, new]; an unchanged list
// writes nothing.
func TestChildLists(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Children")
		want422(t, f.do(t, "POST", "/api/template", obj{"name": "x", "items": []any{nil}}), "items.0")
		want422(t, f.do(t, "POST", "/api/template", obj{"name": "x", "items": []any{"a"}}), "items.0")
		r := f.do(t, "POST", "/api/template", obj{"name": "x", "items": []obj{{"description": strings.Repeat("a", 65536)}}})
		want422(t, r, "items.0.description")
		if msgs, _ := r.JSON()["errors"].(map[string]any)["items.0.description"].([]any); len(msgs) != 1 || !strings.Contains(msgs[0].(string), "65535") {
			t.Errorf("length message: %v", msgs)
		}
		tpl := f.create(t, "template", obj{"name": "Quote", "items": []obj{{"description": "Work", "quantity": "2", "unit_price": "10.5"}}})
		f.do(t, "PATCH", p("/api/template/%d", tpl), obj{"items": []obj{{"description": "Work", "quantity": "3", "unit_price": "10.5"}}}).Status(200)
		l := logs(t, f.a, "template", tpl)
		last := l[len(l)-1]
		wantEq(t, "old items", at(last, "changes.items.0.0.quantity"), "2.00")
		wantEq(t, "new items", at(last, "changes.items.1.0.quantity"), "3.00")
		etag := f.do(t, "GET", p("/api/template/%d", tpl), nil).Status(200).Header.Get("ETag")
		r = f.do(t, "PATCH", p("/api/template/%d", tpl), obj{"items": []obj{{"description": "Work", "quantity": "3.00", "unit_price": "10.50"}}}).Status(200)
		wantEq(t, "unchanged items write nothing", r.Header.Get("ETag"), etag)
		wantEq(t, "no log entry", len(logs(t, f.a, "template", tpl)), len(l))

		fld := f.create(t, "field", obj{"name": "Tier", "model": "customer", "type": "select", "options": []string{"Gold", "Silver"}})
		f.do(t, "PATCH", p("/api/field/%d", fld), obj{"options": []string{"Gold", "Silver", "Bronze"}}).Status(200)
		l = logs(t, f.a, "field", fld)
		wantEq(t, "options change", at(l[len(l)-1], "changes.options"), []any{[]any{"Gold", "Silver"}, []any{"Gold", "Silver", "Bronze"}})
	})
}

// TestValueFormats: assigned ISO 3166-1 codes only, RFC 5321/1035 limits
// on e-mail addresses, the maximum named for too large money, a bad list
// item named by its index.
func TestValueFormats(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Formats")
		for _, c := range []string{"UK", "XK", "AN", "EU", "nl"} {
			want422(t, f.do(t, "POST", "/api/customer", obj{"name": "x", "address": obj{"country": c}}), "address.country")
		}
		for _, c := range []string{"GB", "NL", "BE", "CW", "SX"} {
			f.do(t, "POST", "/api/customer", obj{"name": "x", "address": obj{"country": c}}).Status(201)
		}
		for _, bad := range []string{"a@-b.nl", "a@b-.nl", strings.Repeat("l", 65) + "@b.nl", "a@" + strings.Repeat("d", 64) + ".nl"} {
			want422(t, f.do(t, "POST", "/api/customer", obj{"name": "x", "email": bad}), "email")
		}
		f.do(t, "POST", "/api/customer", obj{"name": "x", "email": strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + ".nl"}).Status(201)
		r := f.do(t, "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "9999999999999999.99"}, "Accept-Language: en")
		want422(t, r, "amount")
		if msg := r.JSON()["message"].(string); !strings.Contains(msg, "greater than") {
			t.Errorf("max message: %s", msg)
		}
		f.do(t, "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "amount": "999999999999999.99"}).Status(201)
		want422(t, f.do(t, "POST", "/api/email", obj{"subject": "x", "cc": []any{"x@y.nl", 1}}), "cc.1")
	})
}

// TestConditionalRequests: If-Match compares strongly (a weak tag is a
// 412), Show answers 304 to an If-None-Match naming the current ETag, and
// completed_at/closed_at may only be set in agreement with the state.
func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Conditional")
		path := p("/api/customer/%d", f.customer)
		etag := f.do(t, "GET", path, nil).Status(200).Header.Get("ETag")
		f.do(t, "PATCH", path, obj{"status": "prospect"}, "If-Match: W/"+etag).Status(412)
		r := f.do(t, "GET", path, nil, "If-None-Match: "+etag).Status(304)
		wantEq(t, "304 ETag", r.Header.Get("ETag"), etag)
		wantEq(t, "304 body", len(r.Body), 0)
		f.do(t, "GET", path+"?with=contacts", nil, "If-None-Match: "+etag).Status(200)
		etag = f.do(t, "PATCH", path, obj{"status": "prospect"}, "If-Match: "+etag).Status(200).Header.Get("ETag")
		f.do(t, "GET", path, nil, `If-None-Match: "stale", W/`+etag).Status(304)

		task := p("/api/task/%d", f.task)
		want422(t, f.do(t, "PATCH", task, obj{"completed_at": "2020-01-01T00:00:00Z"}), "completed_at")
		m := f.do(t, "PATCH", task, obj{"status": "done", "completed_at": "2020-01-01t10:00:00z"}).Status(200).JSON()
		wantEq(t, "imported completed_at", m["completed_at"], "2020-01-01T10:00:00Z")
		want422(t, f.do(t, "PATCH", task, obj{"completed_at": nil}), "completed_at")
		want422(t, f.do(t, "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "closed_at": "2020-01-01T00:00:00Z"}), "closed_at")
		f.do(t, "POST", "/api/chance", obj{"title": "x", "customer_id": f.customer, "stage": "won", "closed_at": "2020-01-01T00:00:00Z"}).Status(201)

		want422(t, f.do(t, "PATCH", p("/api/user/%d", f.user), obj{"password": nil}), "password")
		on(t, f.a.Do("POST", "/api/customer", f.a.Token, `{"name":"x"}`, "Content-Type: application/json; charset=iso-8859-1")).Status(415)
		on(t, f.a.Do("POST", "/api/customer", f.a.Token, `{"name":"x"}`, "Content-Type: application/json; charset=UTF-8")).Status(201)
	})
}

// TestSettingDateFormat: date_format is one of the formats the company can
// show dates in.
func TestSettingDateFormat(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "DateFormat")
		want422(t, f.do(t, "PATCH", "/api/setting", obj{"date_format": ""}), "date_format")
		want422(t, f.do(t, "PATCH", "/api/setting", obj{"date_format": "whatever"}), "date_format")
		wantEq(t, "date_format", f.do(t, "PATCH", "/api/setting", obj{"date_format": "YYYY-MM-DD"}).Status(200).JSON()["date_format"], "YYYY-MM-DD")
	})
}

// TestConcurrentUpdates: concurrent updates of one record without If-Match
// all succeed (last write wins) and each writes its log entry; with
// PostgreSQL's concurrent writers they raced to a 412 before the row lock.
func TestConcurrentUpdates(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Concurrent")
		path := p("/api/customer/%d", f.customer)
		statuses := []string{"lead", "prospect", "customer", "inactive"}
		var wg sync.WaitGroup
		codes := make([]int, 24)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				codes[i] = f.a.Do("PATCH", path, f.a.Token, obj{"status": statuses[i%4], "phone": p("06-%08d", i)}).Code
			}(i)
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Errorf("update %d: %d", i, c)
			}
		}
		if n := len(logs(t, f.a, "customer", f.customer)); n != 1+len(codes) {
			t.Errorf("%d log entries, want %d", n, 1+len(codes))
		}
	})
}
