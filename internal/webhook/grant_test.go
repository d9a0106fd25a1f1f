package webhook_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apitest"
)

// client creates another OAuth client of the tenant and returns the tenant
// as seen through it (its tokens come from that client).
func client(t *testing.T, a *apitest.Tenant, name string) *apitest.Tenant {
	t.Helper()
	c := a.Do("POST", "/oauth/clients", a.Token, map[string]any{"name": name, "redirect_uris": []string{"http://127.0.0.1/cb"}, "confidential": true}).Status(201).JSON()
	b := *a
	b.ClientID, b.ClientSecret = c["id"].(string), c["secret"].(string)
	return &b
}

// revoke is POST /oauth/revoke of an access token by its client.
func revoke(t *testing.T, e *apitest.Env, a *apitest.Tenant, token string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.Server.URL+"/oauth/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	resp.Body.Close()
	a.Do("GET", "/api/auth/me", token, nil).Status(401)
}

// inactive waits until the subscription is set inactive and returns it.
func inactive(t *testing.T, a *apitest.Tenant, hook int64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON()
		if w["active"] == false {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription %d still active: %v", hook, w)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGrantEndsSubscription: a subscription lives as long as the OAuth
// grant of the token that created it. A refresh keeps the grant; revoking
// the token (POST /oauth/revoke), the grant (DELETE /oauth/tokens/{id}, a
// replayed refresh token) or deleting the client makes it read nothing: it
// is set inactive and sends nothing more, not even what was queued.
func TestGrantEndsSubscription(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		control := newReceiver(t)
		subscribe(t, a, a.Token, control, "contact.created")
		scopes := []string{"webhook.create.all", "webhook.read.all", "webhook.update.all", "contact.read.all"}

		revoked := newReceiver(t) // its token is revoked
		t1 := a.TokenFor(a.OwnerID, scopes...)
		h1, c1 := subscribe(t, a, t1, revoked, "contact.created")
		if c1["client_id"] != a.ClientID {
			t.Fatalf("client_id %v, want %s", c1["client_id"], a.ClientID)
		}
		deleted := newReceiver(t) // its grant is deleted by the user
		t2 := a.TokenFor(a.OwnerID, append(scopes, "note.read.all")...)
		h2, _ := subscribe(t, a, t2, deleted, "contact.created")
		rotated := newReceiver(t) // an authorization code grant, refreshed, then its refresh token replayed
		first := a.Authorize(scopes...)
		h3, _ := subscribe(t, a, first.Access, rotated, "contact.created")
		if _, ok := a.Refresh(first.Refresh); !ok {
			t.Fatal("refresh refused")
		}
		gone := newReceiver(t) // its client is deleted
		b := client(t, a, "Zapier")
		h4, c4 := subscribe(t, a, b.TokenFor(a.OwnerID, scopes...), gone, "contact.created")
		if c4["client_id"] != b.ClientID {
			t.Fatalf("client_id %v, want %s", c4["client_id"], b.ClientID)
		}

		cust := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "C"}).Status(201).ID()
		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Before", "customer_id": cust}).Status(201)
		for _, r := range []*receiver{control, revoked, deleted, rotated, gone} {
			r.waitN(1) // the refresh kept the grant alive
		}

		revoke(t, e, a, t1)
		var grant any
		for _, g := range listGrants(t, a) {
			if len(g["scopes"].([]any)) == len(scopes)+1 {
				grant = g["id"]
			}
		}
		a.Do("DELETE", fmt.Sprintf("/oauth/tokens/%v", grant), a.Token, nil).Status(204)
		if _, ok := a.Refresh(first.Refresh); ok {
			t.Fatal("a replayed refresh token was accepted")
		}
		a.Do("DELETE", "/oauth/clients/"+b.ClientID, a.Token, nil).Status(204)
		// A ping queued while the subscription is still active is not sent.
		a.Do("POST", path("/api/webhook/%d/test", h1), a.Token, nil).Status(202)

		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "After", "customer_id": cust}).Status(201)
		control.waitN(2)
		for i, h := range []int64{h1, h2, h3, h4} {
			if w := inactive(t, a, h); !strings.Contains(w["disabled_reason"].(string), "revoked") {
				t.Errorf("subscription %d: %v", i+1, w)
			}
		}
		time.Sleep(200 * time.Millisecond) // anything more would be a bug: let it show
		for i, r := range []*receiver{revoked, deleted, rotated, gone} {
			if got := r.all(); len(got) != 1 {
				t.Errorf("receiver %d got %v after its grant ended", i+1, events(got))
			}
		}
	})
}

func listGrants(t *testing.T, a *apitest.Tenant) []map[string]any {
	t.Helper()
	var list []map[string]any
	r := a.Do("GET", "/oauth/tokens", a.Token, nil).Status(200)
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatalf("grants: %s", r.Body)
	}
	return list
}

// TestEditRebinds: a token that changes a subscription's url or events
// takes it over: from then on it delivers what that token may read, under
// that token's grant. Other edits leave the binding alone.
func TestEditRebinds(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		owner, hijack := newReceiver(t), newReceiver(t)
		creator := a.TokenFor(a.OwnerID, "webhook.create.all", "customer.read.all", "contact.read.all")
		hook, created := subscribe(t, a, creator, owner, "customer.created")
		hijack.setSecret(created["secret"].(string))
		b := client(t, a, "Other")
		tw := b.TokenFor(a.OwnerID, "webhook.read.all", "webhook.update.all", "contact.read.all")
		a.Do("GET", "/api/customer", tw, nil).Status(403)

		// Same url and events, another description: still the creator's.
		a.Do("PATCH", path("/api/webhook/%d", hook), tw, map[string]any{"url": owner.URL(), "events": []string{"customer.created"}, "description": "x"}).Status(200)
		if w := a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON(); w["client_id"] != a.ClientID {
			t.Fatalf("an edit of the description re-bound it: %v", w)
		}
		cust := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "One"}).Status(201).ID()
		owner.waitN(1)

		// Pointed elsewhere with every event: it now reads what tw reads.
		w := a.Do("PATCH", path("/api/webhook/%d", hook), tw, map[string]any{"url": hijack.URL(), "events": []string{"*"}}).Status(200).JSON()
		if w["client_id"] != b.ClientID {
			t.Fatalf("client_id after the edit: %v", w)
		}
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "VIP", "email": "vip@example.nl"}).Status(201)
		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Jan", "customer_id": cust}).Status(201)
		hijack.waitN(1)
		time.Sleep(200 * time.Millisecond)
		if got := events(hijack.all()); len(got) != 1 || got[0] != "contact.created" {
			t.Fatalf("after the edit the subscription sent %v, want only contact.created", got)
		}
		if n := len(owner.all()); n != 1 {
			t.Fatalf("the old url got %d deliveries", n)
		}

		// Its grant is now tw's: revoking the creator's token does nothing,
		// revoking tw ends it.
		revoke(t, e, a, creator)
		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Piet", "customer_id": cust}).Status(201)
		hijack.waitN(2)
		revoke(t, e, b, tw)
		a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Klaas", "customer_id": cust}).Status(201)
		inactive(t, a, hook)
		if n := len(hijack.all()); n != 2 {
			t.Fatalf("deliveries after tw was revoked: %d", n)
		}
	})
}
