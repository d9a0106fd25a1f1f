package oauth

import (
	"net/url"
	"testing"
	"time"

	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// GET /oauth/tokens lists only grants that still hold a usable token.
func TestGrantsListOnlyLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		listed := func() []int64 {
			t.Helper()
			gs, err := e.srv.ListGrants(e.ctx(), e.company, e.owner)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, g := range gs {
				ids = append(ids, g.ID)
			}
			return ids
		}
		grantOf := func(access string) int64 {
			t.Helper()
			p, err := e.srv.Authenticate(e.ctx(), access)
			if err != nil {
				t.Fatal(err)
			}
			var g int64
			if err := db.Reader().QueryRow(e.ctx(), `SELECT grant_id FROM oauth_access_tokens WHERE id = ?`, p.TokenID).Scan(&g); err != nil {
				t.Fatal(err)
			}
			return g
		}
		// A client_credentials grant has no refresh token: revoking its
		// access token ends it.
		cc, _ := e.ccToken(c, secret, 0, "customer.read.all")
		ccGrant := grantOf(cc.AccessToken)
		if ids := listed(); len(ids) != 1 || ids[0] != ccGrant {
			t.Fatalf("before revoke: %v", ids)
		}
		if resp := e.post("/oauth/revoke", url.Values{"token": {cc.AccessToken}}, c.ID, secret, nil); resp.StatusCode != 200 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if ids := listed(); len(ids) != 0 {
			t.Fatalf("a grant without a usable token is listed: %v", ids)
		}
		other, _ := e.ccToken(c, secret, 0, "role.read.all")
		var api []struct{ ID int64 }
		if e.api("GET", "/oauth/tokens", other.AccessToken, nil, &api); len(api) != 1 || api[0].ID != grantOf(other.AccessToken) {
			t.Fatalf("GET /oauth/tokens: %+v", api)
		}
		if n, err := e.srv.ClientGrants(e.ctx(), e.company, c.ID); n != 1 || err != nil {
			t.Fatalf("ClientGrants: %d %v", n, err)
		}
		if n, err := e.srv.ClientGrants(e.ctx(), e.company, "ab\x00c"); n != 0 || err != nil {
			t.Fatalf("ClientGrants of an unstorable id: %d %v", n, err)
		}
		// An authorization code grant lives on its refresh token after its
		// access token is revoked, until that expires too.
		conf := e.oauthConfig(c, secret, "customer.read.all")
		cb := e.browser().authorize(conf.AuthCodeURL("s"), "owner-a@example.com", "approve")
		tok, err := conf.Exchange(t.Context(), cb.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		acGrant := grantOf(tok.AccessToken)
		e.post("/oauth/revoke", url.Values{"token": {tok.AccessToken}}, c.ID, secret, nil)
		if ids := listed(); len(ids) != 2 || ids[1] != acGrant {
			t.Fatalf("refresh token alive: %v", ids)
		}
		past := db.Dialect.Time(store.Now().Add(-time.Minute))
		if _, err := db.Writer().Exec(e.ctx(), `UPDATE oauth_refresh_tokens SET expires_at = ? WHERE grant_id = ?`, past, acGrant); err != nil {
			t.Fatal(err)
		}
		if ids := listed(); len(ids) != 1 || ids[0] == acGrant {
			t.Fatalf("refresh token expired: %v", ids)
		}
	})
}

// Introspection reports the scope the API applies: the token's scopes
// narrowed by the user's current role.
func TestIntrospectEffectiveScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.newRole(e.company, "custom", "customer.read.all", "contact.read.all")
		uid := e.newUser(e.company, "u@example.com", "custom")
		c, secret := e.client(e.company, e.owner, true)
		tok, resp := e.ccToken(c, secret, uid, "customer.read.all contact.read.all")
		if resp.StatusCode != 200 {
			t.Fatalf("token: %d", resp.StatusCode)
		}
		scope := func() any {
			t.Helper()
			var in map[string]any
			e.post("/oauth/introspect", url.Values{"token": {tok.AccessToken}}, c.ID, secret, &in)
			if in["active"] != true {
				t.Fatalf("introspect: %v", in)
			}
			return in["scope"]
		}
		if s := scope(); s != "customer.read.all contact.read.all" {
			t.Fatalf("scope %v", s)
		}
		if _, err := db.Writer().Exec(e.ctx(), `UPDATE roles SET permissions = 'customer.read.own' WHERE company_id = ? AND name = 'custom'`, e.company); err != nil {
			t.Fatal(err)
		}
		if s := scope(); s != "customer.read.own" {
			t.Fatalf("scope after the role change: %v", s)
		}
		if p, err := e.srv.Authenticate(e.ctx(), tok.AccessToken); err != nil || p.Extent("customer", "read").String() != "own" || p.Extent("contact", "read").String() != "none" {
			t.Fatalf("the API disagrees: %v", err)
		}
	})
}
