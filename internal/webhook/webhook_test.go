package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store/storetest"
)

// subscribe creates a webhook for rcv and tells rcv its secret.
func subscribe(t *testing.T, a *apitest.Tenant, token string, rcv *receiver, events ...string) (int64, map[string]any) {
	t.Helper()
	r := a.Do("POST", "/api/webhook", token, map[string]any{"url": rcv.URL(), "events": events, "description": "test"}).Status(201)
	m := r.JSON()
	secret, _ := m["secret"].(string)
	if len(secret) < 32 {
		t.Fatalf("create: no full secret in %s", r.Body)
	}
	rcv.setSecret(secret)
	return r.ID(), m
}

func plain(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return m
}

func num(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case float64:
		return int64(x)
	}
	return 0
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestSubscriptionAndDelivery(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a, b := e.Company("Acme"), e.Company("Other")
		ra, rb := newReceiver(t), newReceiver(t)
		hook, created := subscribe(t, a, a.Token, ra, "customer.created", "customer.updated", "customer.deleted", "chance.won")
		subscribe(t, b, b.Token, rb, "*")

		// The secret is shown once; later reads carry its last four characters.
		secret := created["secret"].(string)
		if created["secret_last4"] != secret[len(secret)-4:] || created["active"] != true || num(created["failure_count"]) != 0 {
			t.Fatalf("create answer: %v", created)
		}
		show := a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON()
		if _, ok := show["secret"]; ok || show["secret_last4"] != secret[len(secret)-4:] || num(show["user_id"]) != a.OwnerID {
			t.Fatalf("show: %v", show)
		}
		if _, ok := show["scopes"]; ok {
			t.Fatalf("show leaks scopes: %v", show)
		}
		if _, ok := show["grant_id"]; ok || show["client_id"] != a.ClientID {
			t.Fatalf("show: grant_id shown or client_id missing: %v", show)
		}
		log := a.Do("GET", "/api/activity_log?filter=subject_type:eq:webhook", a.Token, nil).Status(200)
		if bytes.Contains(log.Body, []byte(secret)) {
			t.Fatalf("activity log holds the secret: %s", log.Body)
		}

		cid := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Bakker BV", "status": "lead"}).Status(201).ID()
		shown := a.Do("GET", path("/api/customer/%d", cid), a.Token, nil).Status(200).Body
		a.Do("PATCH", path("/api/customer/%d", cid), a.Token, map[string]any{"status": "customer"}).Status(200)
		chance := a.Do("POST", "/api/chance", a.Token, map[string]any{"title": "Deal", "customer_id": cid}).Status(201).ID()
		a.Do("PATCH", path("/api/chance/%d", chance), a.Token, map[string]any{"stage": "won"}).Status(200)
		a.Do("PATCH", path("/api/chance/%d", chance), a.Token, map[string]any{"stage": "lost"}).Status(200)
		a.Do("DELETE", path("/api/chance/%d", chance), a.Token, nil).Status(204)
		a.Do("DELETE", path("/api/customer/%d", cid), a.Token, nil).Status(204)

		got := ra.waitN(4)
		want := []string{"customer.created", "customer.updated", "chance.won", "customer.deleted"}
		time.Sleep(200 * time.Millisecond) // anything more would be a bug: let it show
		got = ra.all()
		if !reflect.DeepEqual(events(got), want) {
			t.Fatalf("events %v, want %v", events(got), want)
		}
		seen := map[string]bool{}
		for i, d := range got {
			if !d.Valid {
				t.Errorf("delivery %d: bad signature or headers: %+v", i, d)
			}
			if d.Payload["event"] != d.Event || d.Payload["id"] == "" || num(d.Payload["company_id"]) != a.CompanyID || d.Payload["occurred_at"] == "" {
				t.Errorf("delivery %d payload: %s", i, d.Body)
			}
			if seen[d.ID] || !strings.HasPrefix(d.ID, "dlv_") {
				t.Errorf("delivery id %q repeated or malformed", d.ID)
			}
			seen[d.ID] = true
		}
		// data is the record as Show renders it, byte for byte.
		var env struct {
			Data     json.RawMessage `json:"data"`
			Previous json.RawMessage `json:"previous"`
		}
		_ = json.Unmarshal(got[0].Body, &env)
		if !bytes.Equal(env.Data, shown) || env.Previous != nil {
			t.Errorf("created data:\n%s\nshow:\n%s", env.Data, shown)
		}
		_ = json.Unmarshal(got[1].Body, &env)
		if p := plain(t, env.Previous); !reflect.DeepEqual(p, map[string]any{"status": "lead"}) {
			t.Errorf("updated previous: %s", env.Previous)
		}
		if d := plain(t, env.Data); d["status"] != "customer" {
			t.Errorf("updated data: %s", env.Data)
		}

		// Another company's subscription saw none of it.
		if n := len(rb.all()); n != 0 {
			t.Fatalf("company B received %d of company A's events", n)
		}
		bc := b.Do("POST", "/api/customer", b.Token, map[string]any{"name": "B's"}).Status(201).ID()
		d := rb.waitN(1)
		if d[0].Event != "customer.created" || num(d[0].Payload["company_id"]) != b.CompanyID || num(d[0].Payload["data"].(map[string]any)["id"]) != bc {
			t.Fatalf("company B: %s", d[0].Body)
		}
		if len(ra.all()) != 4 {
			t.Fatalf("company A received company B's event")
		}

		// History: one entry per attempt, newest first, list envelope.
		h := a.Do("GET", path("/api/webhook/%d/deliveries", hook), a.Token, nil).Status(200)
		rows := h.Data()
		if len(rows) != 4 || num(h.JSON()["total"]) != 4 {
			t.Fatalf("history: %s", h.Body)
		}
		for i, r := range rows {
			if r["status"] != "succeeded" || num(r["response_status"]) != 200 || num(r["attempt"]) != 1 || r["event"] != want[3-i] ||
				r["delivery_id"] != got[3-i].ID || r["event_id"] != got[3-i].Payload["id"] || r["next_retry_at"] != nil {
				t.Errorf("history %d: %v", i, r)
			}
		}
		b.Do("GET", path("/api/webhook/%d/deliveries", hook), b.Token, nil).Status(404)
		b.Do("GET", path("/api/webhook/%d", hook), b.Token, nil).Status(404)
		a.Do("GET", path("/api/webhook/%d/deliveries?filter=event:eq:chance.won&limit=1", hook), a.Token, nil).Status(200)
		w := a.Do("GET", path("/api/webhook/%d?with=deliveries&count=deliveries", hook), a.Token, nil).Status(200).JSON()
		if num(w["deliveries_count"]) != 4 {
			t.Fatalf("with deliveries: %v", w)
		}
		a.Do("GET", path("/api/webhook?filter=deliveries.status:eq:succeeded&order_by=id:desc&limit=3"), a.Token, nil).Status(200)

		// Unsubscribe (Zapier): nothing more arrives, history goes with it.
		a.Do("DELETE", path("/api/webhook/%d", hook), a.Token, nil).Status(204)
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "After"}).Status(201)
		b.Do("POST", "/api/customer", b.Token, map[string]any{"name": "B2"}).Status(201)
		rb.waitN(2)
		if n := len(ra.all()); n != 4 {
			t.Fatalf("deleted subscription received %d", n)
		}
	})
}

func TestValidationRules(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) { testValidation(t, d) })
	}
}

func testValidation(t *testing.T, d dialect.Dialect) {
	dev := apitest.New(t, d)
	prod := apitest.New(t, d, func(c *config.Config) { c.Env = "production" })
	a, p := dev.Company("Dev"), prod.Company("Prod")
	field := func(r *apitest.Response, name string) {
		t.Helper()
		r.Status(422)
		if _, ok := r.JSON()["errors"].(map[string]any)[name]; !ok {
			t.Fatalf("422 without %s: %s", name, r.Body)
		}
	}
	ok := map[string]any{"url": "https://example.com/hook", "events": []string{"customer.created"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		m[k] = v
		return m
	}
	// production: https only, no internal addresses
	p.Do("POST", "/api/webhook", p.Token, ok).Status(201)
	field(p.Do("POST", "/api/webhook", p.Token, with("url", "http://example.com/hook")), "url")
	for _, u := range []string{"https://127.0.0.1/h", "https://localhost/h", "https://10.1.2.3/h", "https://192.168.1.1/h",
		"https://169.254.169.254/latest/meta-data", "https://[::1]/h", "https://[fd00:ec2::254]/", "https://100.100.100.200/", "https://0.0.0.0/"} {
		field(p.Do("POST", "/api/webhook", p.Token, with("url", u)), "url")
	}
	// development: http only to loopback
	a.Do("POST", "/api/webhook", a.Token, with("url", "http://127.0.0.1:9/h")).Status(201)
	a.Do("POST", "/api/webhook", a.Token, with("url", "http://localhost:9/h")).Status(201)
	field(a.Do("POST", "/api/webhook", a.Token, with("url", "http://example.com/h")), "url")
	field(a.Do("POST", "/api/webhook", a.Token, with("url", "ftp://example.com/h")), "url")
	// events: known names or "*", at least one
	field(a.Do("POST", "/api/webhook", a.Token, with("events", []string{"customer.exploded"})), "events")
	field(a.Do("POST", "/api/webhook", a.Token, with("events", []string{})), "events")
	field(a.Do("POST", "/api/webhook", a.Token, with("events", "customer.created")), "events")
	field(a.Do("POST", "/api/webhook", a.Token, map[string]any{"url": "https://example.com/"}), "events")
	field(a.Do("POST", "/api/webhook", a.Token, map[string]any{"events": []string{"*"}}), "url")
	r := a.Do("POST", "/api/webhook", a.Token, with("events", []string{"*", "chance.won", "chance.lost", "task.completed", "ping", "user.deleted", "chance.won"})).Status(201).JSON()
	if !reflect.DeepEqual(r["events"], []any{"*", "chance.won", "chance.lost", "task.completed", "ping", "user.deleted"}) {
		t.Fatalf("events not deduplicated: %v", r["events"])
	}
	// read-only fields
	for _, k := range []string{"secret", "secret_last4", "failure_count", "disabled_reason", "user_id", "client_id", "scopes", "grant_id", "last_delivery_at"} {
		field(a.Do("POST", "/api/webhook", a.Token, with(k, "x")), k)
	}
	id := num(r["id"])
	field(a.Do("PATCH", path("/api/webhook/%d", id), a.Token, map[string]any{"events": []string{"nope"}}), "events")
	upd := a.Do("PATCH", path("/api/webhook/%d", id), a.Token, map[string]any{"active": false, "description": "paused"}).Status(200).JSON()
	if upd["active"] != false || upd["secret"] != nil {
		t.Fatalf("update: %v", upd)
	}
	// secrets are not filterable or showable
	a.Do("GET", "/api/webhook?filter=secret:eq:x", a.Token, nil).Status(400)
	a.Do("GET", "/api/webhook?show=secret", a.Token, nil).Status(400)
	a.Do("GET", "/api/webhook?filter=events:eq:x", a.Token, nil).Status(400)
	// scopes webhook.<action>.all
	ro := a.TokenFor(a.OwnerID, "webhook.read.all")
	a.Do("GET", "/api/webhook", ro, nil).Status(200)
	a.Do("POST", "/api/webhook", ro, ok).Status(403)
	a.Do("POST", path("/api/webhook/%d/test", id), ro, nil).Status(403)
	none := a.TokenFor(a.OwnerID, "customer.read.all")
	a.Do("GET", "/api/webhook", none, nil).Status(403)
	a.Do("GET", path("/api/webhook/%d/deliveries", id), none, nil).Status(403)
	// inactive: no test ping
	a.Do("POST", path("/api/webhook/%d/test", id), a.Token, nil).Status(409)
	a.Do("POST", path("/api/webhook/%d/test", 999999), a.Token, nil).Status(404)
}

// TestPreviousOfNestedValues: an update that changes only the nested
// address or custom field values says what they were (data shows neither).
func TestPreviousOfNestedValues(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		subscribe(t, a, a.Token, rcv, "customer.updated")
		a.Do("POST", "/api/field", a.Token, map[string]any{"name": "Industry", "model": "customer", "type": "text"}).Status(201)
		a.Do("POST", "/api/field", a.Token, map[string]any{"name": "Size", "model": "customer", "type": "number"}).Status(201)
		cid := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Addr",
			"address": map[string]any{"street": "A", "city": "B"}, "field_values": map[string]any{"industry": "Retail"}}).Status(201).ID()
		other := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Bare"}).Status(201).ID()
		addr := num(a.Do("GET", path("/api/customer/%d", cid), a.Token, nil).Status(200).JSON()["address_id"])

		patch := func(id int64, body map[string]any) {
			t.Helper()
			a.Do("PATCH", path("/api/customer/%d", id), a.Token, body).Status(200)
		}
		patch(cid, map[string]any{"address": map[string]any{"street": "New", "city": "B"}})
		patch(cid, map[string]any{"field_values": map[string]any{"industry": "Tech", "size": 40}})
		patch(cid, map[string]any{"name": "Renamed", "field_values": map[string]any{"industry": nil}})
		patch(cid, map[string]any{"address": nil})
		patch(other, map[string]any{"address": map[string]any{"city": "Ede"}})

		oldAddr := map[string]any{"street": "A", "house_number": nil, "postal_code": nil, "city": "B", "country": "NL"}
		want := []map[string]any{
			{"address": oldAddr},
			{"field_values": map[string]any{"industry": "Retail", "size": nil}},
			{"name": "Addr", "field_values": map[string]any{"industry": "Tech"}},
			{"address_id": json.Number(fmt.Sprint(addr)), "address": map[string]any{"street": "New", "house_number": nil, "postal_code": nil, "city": "B", "country": "NL"}},
			{"address_id": nil, "address": nil},
		}
		got := rcv.waitN(len(want))
		for i, w := range want {
			var env struct {
				Previous json.RawMessage `json:"previous"`
			}
			_ = json.Unmarshal(got[i].Body, &env)
			if p := plain(t, env.Previous); !reflect.DeepEqual(p, w) {
				t.Errorf("update %d: previous %s, want %v", i+1, env.Previous, w)
			}
		}
	})
}
