package oauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/cirqll/core/internal/config"

	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// The whole authorization code flow with PKCE through golang.org/x/oauth2
// and the real pages, then refresh with rotation and replay detection.
func TestAuthorizationCodeFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for _, confidential := range []bool{true, false} {
			c, secret := e.client(e.company, e.owner, confidential)
			conf := e.oauthConfig(c, secret, "customer.read.all", "contact.read.all")
			verifier := oauth2.GenerateVerifier()
			b := e.browser()
			cb := b.authorize(conf.AuthCodeURL("xyz", oauth2.S256ChallengeOption(verifier)), "owner-a@example.com", "approve")
			if cb.Query().Get("state") != "xyz" || cb.Query().Get("code") == "" {
				t.Fatalf("callback %s", cb)
			}
			tok, err := conf.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange (confidential=%v): %v", confidential, err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "customer.read.all contact.read.all" {
				t.Fatalf("token %+v scope %v", tok, tok.Extra("scope"))
			}
			if ei, _ := tok.Extra("expires_in").(float64); ei != 2592000 {
				t.Fatalf("expires_in %v", tok.Extra("expires_in"))
			}
			p, err := e.srv.Authenticate(ctx, tok.AccessToken)
			if err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			if p.CompanyID != e.company || p.UserID != e.owner || p.ClientID != c.ID || p.ClientPK != c.PK || p.TokenID == 0 ||
				p.Locale != "" || p.CompanyLocale != "en" || len(p.Scopes) != 2 { // the owner follows the company's locale
				t.Fatalf("principal %+v", p)
			}

			// Refresh: rotation.
			ts := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)})
			tok2, err := ts.Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
				t.Fatal("refresh did not rotate")
			}
			if _, err := e.srv.Authenticate(ctx, tok2.AccessToken); err != nil {
				t.Fatalf("new access token: %v", err)
			}
			if _, err := e.srv.Authenticate(ctx, tok.AccessToken); err == nil {
				t.Fatal("the access token of a rotated refresh token still works")
			}
			// Replaying the retired refresh token revokes the family.
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
			if code := retrieveCode(t, err); code != "invalid_grant" {
				t.Fatalf("replay: %s", code)
			}
			if _, err := e.srv.Authenticate(ctx, tok2.AccessToken); err == nil {
				t.Fatal("family not revoked: the newest access token still works")
			}
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
			if code := retrieveCode(t, err); code != "invalid_grant" {
				t.Fatalf("newest refresh token after family revocation: %s", code)
			}
		}
	})
}

// The token response's exact shape and headers.
func TestTokenResponseShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all")
		cb := e.browser().authorize(conf.AuthCodeURL("s"), "owner-a@example.com", "approve")
		var body map[string]any
		resp := e.post("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
			"redirect_uri": {callback}}, c.ID, secret, &body)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
			t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
		}
		want := []string{"token_type", "access_token", "refresh_token", "expires_in", "created_at", "scope"}
		if len(body) != len(want) {
			t.Fatalf("body keys %v", body)
		}
		for _, k := range want {
			if _, ok := body[k]; !ok {
				t.Fatalf("missing %s in %v", k, body)
			}
		}
		if ca, _ := body["created_at"].(float64); int64(ca) < time.Now().Add(-time.Minute).Unix() {
			t.Fatalf("created_at %v", body["created_at"])
		}
		if resp.Header.Get("WWW-Authenticate") != "" {
			t.Fatal("WWW-Authenticate on a 200")
		}
	})
}

func TestCodeReuseRevokes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all")
		v := oauth2.GenerateVerifier()
		cb := e.browser().authorize(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "owner-a@example.com", "approve")
		code := cb.Query().Get("code")
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(v))
		if rc := retrieveCode(t, err); rc != "invalid_grant" {
			t.Fatalf("second exchange: %s", rc)
		}
		if _, err := e.srv.Authenticate(ctx, tok.AccessToken); err == nil {
			t.Fatal("the first exchange's access token survived the code reuse")
		}
		_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if rc := retrieveCode(t, err); rc != "invalid_grant" {
			t.Fatalf("refresh after code reuse: %s", rc)
		}
	})
}

func TestPKCEErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, _ := e.client(e.company, e.owner, false)
		conf := e.oauthConfig(c, "", "customer.read.all")
		b := e.browser()
		v := oauth2.GenerateVerifier()
		cb := b.authorize(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "owner-a@example.com", "approve")
		code := cb.Query().Get("code")
		_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if rc := retrieveCode(t, err); rc != "invalid_grant" {
			t.Fatalf("wrong verifier: %s", rc)
		}
		_, err = conf.Exchange(ctx, code)
		if rc := retrieveCode(t, err); rc != "invalid_grant" {
			t.Fatalf("missing verifier: %s", rc)
		}
		// The code survives failed verifications and still works once.
		if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(v)); err != nil {
			t.Fatalf("right verifier: %v", err)
		}
		// A wrong redirect_uri at the token endpoint.
		cb = b.authorize(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "", "approve")
		var out map[string]string
		resp := e.post("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {c.ID}, "code": {cb.Query().Get("code")},
			"redirect_uri": {"http://localhost/other"}, "code_verifier": {v}}, "", "", &out)
		if resp.StatusCode != 400 || out["error"] != "invalid_grant" || out["message"] == "" || out["error_description"] == "" {
			t.Fatalf("redirect mismatch at token: %d %v", resp.StatusCode, out)
		}
	})
}

func TestClientAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}}
		var out map[string]string
		resp := e.post("/oauth/token", form, c.ID, "wrong", &out)
		if resp.StatusCode != 401 || out["error"] != "invalid_client" || out["message"] == "" ||
			resp.Header.Get("WWW-Authenticate") != `Basic realm="cirqll"` {
			t.Fatalf("wrong secret: %d %v %v", resp.StatusCode, out, resp.Header)
		}
		// Every byte percent-encoded before base64 (RFC 6749 §2.3.1).
		req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basic(pctAll(c.ID), pctAll(secret)))
		var tr tokenResponse
		if resp := e.do(req, &tr); resp.StatusCode != 200 || tr.AccessToken == "" {
			t.Fatalf("percent-encoded Basic: %d", resp.StatusCode)
		}
		// client_secret_post, and JSON bodies.
		tr = tokenResponse{}
		form2 := url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}, "client_id": {c.ID}, "client_secret": {secret}}
		if resp := e.post("/oauth/token", form2, "", "", &tr); resp.StatusCode != 200 || tr.AccessToken == "" {
			t.Fatalf("client_secret_post: %d", resp.StatusCode)
		}
		js, _ := json.Marshal(map[string]any{"grant_type": "client_credentials", "scope": "customer.read.all", "client_id": c.ID, "client_secret": secret, "user_id": e.owner})
		req, _ = http.NewRequest("POST", e.ts.URL+"/oauth/token", strings.NewReader(string(js)))
		req.Header.Set("Content-Type", "application/json")
		tr = tokenResponse{}
		if resp := e.do(req, &tr); resp.StatusCode != 200 || tr.AccessToken == "" {
			t.Fatalf("JSON body: %d", resp.StatusCode)
		}
		// Unknown client, no client, unknown grant type.
		out = nil
		if resp := e.post("/oauth/token", form, "nope", "x", &out); resp.StatusCode != 401 || out["error"] != "invalid_client" {
			t.Fatalf("unknown client: %d %v", resp.StatusCode, out)
		}
		out = nil
		if resp := e.post("/oauth/token", url.Values{"grant_type": {"password"}}, c.ID, secret, &out); resp.StatusCode != 400 ||
			out["error"] != "unsupported_grant_type" || resp.Header.Get("WWW-Authenticate") != "" {
			t.Fatalf("password grant: %d %v", resp.StatusCode, out)
		}
		// Dutch message.
		req, _ = http.NewRequest("POST", e.ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "nl-NL,nl;q=0.9")
		req.SetBasicAuth(c.ID, "wrong")
		out = nil
		if e.do(req, &out); out["message"] != "De client kon niet worden geauthenticeerd." {
			t.Fatalf("nl message %v", out)
		}
	})
}

func TestAuthorizeErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		pub, _ := e.client(e.company, e.owner, false)
		conf, _ := e.client(e.company, e.owner, true)
		b := e.browser()
		v := oauth2.GenerateVerifier()
		ch := oauth2.S256ChallengeOption(v)
		_ = ch
		base := func(c Client, extra url.Values) string {
			q := url.Values{"client_id": {c.ID}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"customer.read.all"}, "state": {"st"}}
			for k, vs := range extra {
				if vs == nil {
					delete(q, k)
				} else {
					q[k] = vs
				}
			}
			return e.ts.URL + "/oauth/authorize?" + q.Encode()
		}
		noRedirect := func(name, u string) {
			p := b.get(u)
			if p.resp.StatusCode != 400 || p.resp.Header.Get("Location") != "" || !strings.Contains(p.resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s: want an error page, got %d %v", name, p.resp.StatusCode, p.resp.Header)
			}
		}
		noRedirect("unknown client", base(Client{ID: "unknown"}, nil))
		noRedirect("missing client", base(conf, url.Values{"client_id": nil}))
		noRedirect("redirect mismatch", base(conf, url.Values{"redirect_uri": {"http://localhost/callback/x"}}))
		noRedirect("redirect prefix", base(conf, url.Values{"redirect_uri": {"http://localhost/callbac"}}))

		redirected := func(name, u, want string) {
			p := b.get(u)
			loc, _ := url.Parse(p.resp.Header.Get("Location"))
			if p.resp.StatusCode != 302 || loc == nil || loc.Query().Get("error") != want || loc.Query().Get("state") != "st" ||
				!strings.HasPrefix(loc.String(), callback+"?") {
				t.Fatalf("%s: want a redirect with error=%s, got %d %s", name, want, p.resp.StatusCode, p.resp.Header.Get("Location"))
			}
		}
		challenge := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}, "code_challenge_method": {"S256"}}
		redirected("public client without PKCE", base(pub, nil), "invalid_request")
		redirected("plain method", base(pub, url.Values{"code_challenge": {v}, "code_challenge_method": {"plain"}}), "invalid_request")
		redirected("challenge without method", base(conf, url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}}), "invalid_request")
		redirected("response_type token", base(conf, url.Values{"response_type": {"token"}}), "unsupported_response_type")
		redirected("unknown scope", base(conf, url.Values{"scope": {"customer.read.all customer.fly.all"}}), "invalid_scope")
		redirected("empty scope", base(conf, url.Values{"scope": nil}), "invalid_scope")
		// A valid public request reaches the login page.
		if p := b.get(base(pub, challenge)); p.resp.StatusCode != 200 || !strings.Contains(p.body, `name="password"`) {
			t.Fatalf("valid request: %d", p.resp.StatusCode)
		}
		// Deny.
		cb := b.authorize(base(conf, nil), "owner-a@example.com", "deny")
		if cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != "st" || cb.Query().Get("code") != "" {
			t.Fatalf("deny: %s", cb)
		}
	})
}

// The pages: form contract, headers, cookies, CSRF and language.
func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, _ := e.client(e.company, e.owner, true)
		u := e.oauthConfig(c, "x", "customer.read.all").AuthCodeURL("st")
		b := e.browser()
		b.header.Set("X-Forwarded-Proto", "https")
		b.header.Set("Accept-Language", "nl")
		p := b.get(u)
		h := p.resp.Header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") || strings.Contains(p.body, "<script") {
			t.Fatalf("headers %v", h)
		}
		if !strings.Contains(p.body, "Inloggen") || p.forms != 1 || p.fields.Get(CSRFField) == "" || p.fields.Get("client_id") != c.ID {
			t.Fatalf("login page: %s", p.body)
		}
		// No CSRF token: refused.
		bad := &htmlPage{resp: p.resp, url: p.url, action: p.action, forms: 1, fields: url.Values{}}
		for k, v := range p.fields {
			if k != CSRFField {
				bad.fields[k] = v
			}
		}
		if r := b.submit(bad, url.Values{"email": {"owner-a@example.com"}, "password": {password}}); r.resp.StatusCode != 403 {
			t.Fatalf("login without CSRF: %d", r.resp.StatusCode)
		}
		// Wrong password: the page again.
		r := b.submit(p, url.Values{"email": {"owner-a@example.com"}, "password": {"nope"}})
		if r.resp.StatusCode != 200 || !strings.Contains(r.body, "komen niet overeen") {
			t.Fatalf("wrong password: %d %s", r.resp.StatusCode, r.body)
		}
		// Login: the session cookie's flags.
		var cookie string
		b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
		r = b.login(r, "owner-a@example.com")
		for _, sc := range r.resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, SessionCookie+"=") {
				cookie = sc
			}
		}
		if r.resp.StatusCode != http.StatusSeeOther || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") ||
			!strings.Contains(cookie, "Secure") {
			t.Fatalf("login: %d cookie %q", r.resp.StatusCode, cookie)
		}
		loc, _ := url.Parse(r.resp.Header.Get("Location"))
		if loc.Path != "/oauth/authorize" || loc.Query().Get("state") != "st" || loc.Query().Get("client_id") != c.ID {
			t.Fatalf("back to %s", loc)
		}
		// The consent page in Dutch, with the scope's description.
		p = b.get(e.ts.URL + loc.String())
		if p.resp.StatusCode != 200 || !strings.Contains(p.body, "Alle klanten lezen") || !contains(p.buttons, "decision=approve") ||
			!contains(p.buttons, "decision=deny") || p.forms != 1 {
			t.Fatalf("consent: %d %s", p.resp.StatusCode, p.body)
		}
		if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://localhost") {
			t.Fatalf("consent CSP %q", csp)
		}
		// Consent with a wrong CSRF token is refused.
		p2 := *p
		p2.fields = url.Values{}
		for k, v := range p.fields {
			p2.fields[k] = v
		}
		p2.fields.Set(CSRFField, "forged")
		if r := b.submit(&p2, url.Values{"decision": {"approve"}}); r.resp.StatusCode != 403 || r.resp.Header.Get("Location") != "" {
			t.Fatalf("forged consent: %d", r.resp.StatusCode)
		}
		// English when the browser asks for it; the static CSS is served.
		b.header.Set("Accept-Language", "en")
		if p := b.get(u); !strings.Contains(p.body, "Read all customers") {
			t.Fatalf("english consent: %s", p.body)
		}
		resp, err := http.Get(e.ts.URL + "/oauth/static/oauth.css")
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("css: %v %v", err, resp)
		}
		resp.Body.Close()
	})
}

// A role that grants less narrows the consent: all becomes own, nothing
// drops the scope, and the page says so.
func TestConsentNarrowsByRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.newRole(e.company, "own_only", "customer.read.own", "contact.read.all")
		e.newUser(e.company, "own@example.com", "own_only")
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all", "contact.read.all", "customer.delete.all")
		b := e.browser()
		p := b.login(b.get(conf.AuthCodeURL("s")), "own@example.com")
		if !strings.Contains(p.body, "Read own customers") || !strings.Contains(p.body, "your role allows only your own records") ||
			!strings.Contains(p.body, "Not granted") || !strings.Contains(p.body, "Delete all customers") {
			t.Fatalf("consent page: %s", p.body)
		}
		cb := b.decide(p, "approve")
		tok, err := conf.Exchange(ctx, cb.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		if tok.Extra("scope") != "customer.read.own contact.read.all" {
			t.Fatalf("granted %v", tok.Extra("scope"))
		}
		// A role with none of them: only a way back, and approve fails.
		e.newRole(e.company, "nothing")
		e.newUser(e.company, "none@example.com", "nothing")
		b = e.browser()
		p = b.login(b.get(conf.AuthCodeURL("s")), "none@example.com")
		if contains(p.buttons, "decision=approve") || !contains(p.buttons, "decision=deny") {
			t.Fatalf("nothing grantable: %v", p.buttons)
		}
		res := b.submit(p, url.Values{"decision": {"approve"}})
		if loc, _ := url.Parse(res.resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "invalid_scope" {
			t.Fatalf("approve without grantable scope: %d %v", res.resp.StatusCode, res.resp.Header)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		viewer := e.newUser(e.company, "viewer@example.com", "company_viewer")
		c, secret := e.client(e.company, e.owner, true)
		// Default: the client's owner.
		tr, resp := e.ccToken(c, secret, 0, "customer.read.all customer.update.all")
		if resp.StatusCode != 200 || tr.RefreshToken != "" || tr.Scope != "customer.read.all customer.update.all" {
			t.Fatalf("owner: %d %+v", resp.StatusCode, tr)
		}
		if p, err := e.srv.Authenticate(ctx, tr.AccessToken); err != nil || p.UserID != e.owner {
			t.Fatalf("owner principal: %v %v", p, err)
		}
		// user_id: a viewer gets no write scopes.
		tr, resp = e.ccToken(c, secret, viewer, "customer.read.all customer.update.all customer.delete.own")
		if resp.StatusCode != 200 || tr.Scope != "customer.read.all" {
			t.Fatalf("viewer: %d %+v", resp.StatusCode, tr)
		}
		p, err := e.srv.Authenticate(ctx, tr.AccessToken)
		if err != nil || p.UserID != viewer || p.Extent("customer", "update") != 0 {
			t.Fatalf("viewer principal %+v %v", p, err)
		}
		// userId alias.
		var out map[string]any
		resp = e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"contact.read.all"}, "userId": {itoa(int(viewer))}}, c.ID, secret, &out)
		if resp.StatusCode != 200 {
			t.Fatalf("userId: %d %v", resp.StatusCode, out)
		}
		if p, _ := e.srv.Authenticate(ctx, out["access_token"].(string)); p == nil || p.UserID != viewer {
			t.Fatal("userId ignored")
		}
		// Nothing grantable, a user of another company, a bad id, a public client.
		var oe map[string]string
		if _, resp := e.ccToken(c, secret, viewer, "customer.delete.all"); resp.StatusCode != 400 {
			t.Fatalf("nothing grantable: %d", resp.StatusCode)
		}
		_, otherOwner := e.newCompany("b")
		oe = nil
		resp = e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}, "user_id": {itoa(int(otherOwner))}}, c.ID, secret, &oe)
		if resp.StatusCode != 400 || oe["error"] != "invalid_grant" {
			t.Fatalf("other company's user: %d %v", resp.StatusCode, oe)
		}
		oe = nil
		resp = e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}, "user_id": {"abc"}}, c.ID, secret, &oe)
		if resp.StatusCode != 400 || oe["error"] != "invalid_request" {
			t.Fatalf("bad user_id: %d %v", resp.StatusCode, oe)
		}
		pub, _ := e.client(e.company, e.owner, false)
		oe = nil
		resp = e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}, "client_id": {pub.ID}}, "", "", &oe)
		if resp.StatusCode != 400 || oe["error"] != "unauthorized_client" {
			t.Fatalf("public client: %d %v", resp.StatusCode, oe)
		}
		// A role change bites at once.
		if _, err := db.Writer().Exec(ctx, `UPDATE users SET active = ? WHERE id = ?`, db.Dialect.Bool(false), viewer); err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.Authenticate(ctx, tr.AccessToken); err == nil {
			t.Fatal("an inactive user's token still works")
		}
	})
}

func TestRefreshScopesAndEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all", "contact.read.all")
		cb := e.browser().authorize(conf.AuthCodeURL("s"), "owner-a@example.com", "approve")
		tok, err := conf.Exchange(context.Background(), cb.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		var oe map[string]string
		resp := e.post("/oauth/token/refresh", url.Values{"refresh_token": {tok.RefreshToken}, "scope": {"customer.read.all customer.delete.all"}}, c.ID, secret, &oe)
		if resp.StatusCode != 400 || oe["error"] != "invalid_scope" {
			t.Fatalf("widening: %d %v", resp.StatusCode, oe)
		}
		// Narrowing at /oauth/token/refresh without grant_type; all covers own.
		var tr tokenResponse
		resp = e.post("/oauth/token/refresh", url.Values{"refresh_token": {tok.RefreshToken}, "scope": {"customer.read.own"}}, c.ID, secret, &tr)
		if resp.StatusCode != 200 || tr.Scope != "customer.read.own" || tr.RefreshToken == "" {
			t.Fatalf("narrowing: %d %+v", resp.StatusCode, tr)
		}
		// And it never widens back.
		oe = nil
		resp = e.post("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}, "scope": {"customer.read.all"}}, c.ID, secret, &oe)
		if resp.StatusCode != 400 || oe["error"] != "invalid_scope" {
			t.Fatalf("widening back: %d %v", resp.StatusCode, oe)
		}
		// Another client cannot use it.
		c2, s2 := e.client(e.company, e.owner, true)
		oe = nil
		resp = e.post("/oauth/token/refresh", url.Values{"refresh_token": {tr.RefreshToken}}, c2.ID, s2, &oe)
		if resp.StatusCode != 400 || oe["error"] != "invalid_grant" {
			t.Fatalf("other client: %d %v", resp.StatusCode, oe)
		}
		// Other grant types are refused at /oauth/token/refresh.
		oe = nil
		resp = e.post("/oauth/token/refresh", url.Values{"grant_type": {"client_credentials"}}, c.ID, secret, &oe)
		if resp.StatusCode != 400 || oe["error"] != "unsupported_grant_type" {
			t.Fatalf("cc at refresh: %d %v", resp.StatusCode, oe)
		}
	})
}

func TestTokenRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		two := 2
		if _, err := e.srv.UpdateClient(context.Background(), e.company, c.ID, ClientInput{RateLimit: &two, SetRateLimit: true}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, resp := e.ccToken(c, secret, 0, "customer.read.all"); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "2" {
				t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
			}
		}
		var out map[string]any
		resp := e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}}, c.ID, secret, &out)
		if resp.StatusCode != 429 || out["message"] != "Too Many Requests" || len(out) != 1 || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") == "" || resp.Header.Get("WWW-Authenticate") != "" {
			t.Fatalf("over the limit: %d %v %v", resp.StatusCode, out, resp.Header)
		}
	})
}

func TestRevokeAndIntrospect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all")
		cb := e.browser().authorize(conf.AuthCodeURL("s"), "owner-a@example.com", "approve")
		tok, err := conf.Exchange(ctx, cb.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		var in map[string]any
		e.post("/oauth/introspect", url.Values{"token": {tok.AccessToken}}, c.ID, secret, &in)
		if in["active"] != true || in["scope"] != "customer.read.all" || in["client_id"] != c.ID || in["username"] != "owner-a@example.com" ||
			in["sub"] != itoa(int(e.owner)) || in["token_type"] != "Bearer" || in["exp"] == nil || in["iat"] == nil {
			t.Fatalf("introspect: %v", in)
		}
		in = nil
		e.post("/oauth/introspect", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, c.ID, secret, &in)
		if in["active"] != true {
			t.Fatalf("introspect refresh: %v", in)
		}
		// Another client sees nothing; a public client may not introspect.
		c2, s2 := e.client(e.company, e.owner, true)
		in = nil
		if e.post("/oauth/introspect", url.Values{"token": {tok.AccessToken}}, c2.ID, s2, &in); in["active"] != false || len(in) != 1 {
			t.Fatalf("other client: %v", in)
		}
		pub, _ := e.client(e.company, e.owner, false)
		if resp := e.post("/oauth/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {pub.ID}}, "", "", nil); resp.StatusCode != 401 {
			t.Fatalf("public introspection: %d", resp.StatusCode)
		}
		// Revoke: unknown is 200; an access token only itself.
		if resp := e.post("/oauth/revoke", url.Values{"token": {"unknown"}}, c.ID, secret, nil); resp.StatusCode != 200 {
			t.Fatalf("unknown: %d", resp.StatusCode)
		}
		if resp := e.post("/oauth/revoke", url.Values{"token": {tok.AccessToken}}, c2.ID, s2, nil); resp.StatusCode != 200 {
			t.Fatalf("other client's: %d", resp.StatusCode)
		}
		if _, err := e.srv.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatal("another client revoked the token")
		}
		if resp := e.post("/oauth/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, c.ID, secret, nil); resp.StatusCode != 200 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if _, err := e.srv.Authenticate(ctx, tok.AccessToken); err == nil {
			t.Fatal("revoked access token works")
		}
		in = nil
		if e.post("/oauth/introspect", url.Values{"token": {tok.AccessToken}}, c.ID, secret, &in); in["active"] != false {
			t.Fatalf("revoked introspects %v", in)
		}
		// The refresh token still works; revoking it (with a wrong hint) takes the family.
		tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if err != nil {
			t.Fatal(err)
		}
		if resp := e.post("/oauth/revoke", url.Values{"token": {tok2.RefreshToken}, "token_type_hint": {"access_token"}}, c.ID, secret, nil); resp.StatusCode != 200 {
			t.Fatalf("revoke refresh: %d", resp.StatusCode)
		}
		if _, err := e.srv.Authenticate(ctx, tok2.AccessToken); err == nil {
			t.Fatal("revoking the refresh token left its access token")
		}
		// Client authentication is required.
		if resp := e.post("/oauth/revoke", url.Values{"token": {tok2.AccessToken}}, c.ID, "wrong", nil); resp.StatusCode != 401 {
			t.Fatalf("unauthenticated revoke: %d", resp.StatusCode)
		}
		// JSON bodies work here too.
		req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/introspect", strings.NewReader(`{"token":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(c.ID, secret)
		in = nil
		if resp := e.do(req, &in); resp.StatusCode != 200 || in["active"] != false {
			t.Fatalf("json introspect: %d %v", resp.StatusCode, in)
		}
	})
}

func TestMetadataAndScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		req, _ := http.NewRequest("GET", e.ts.URL+"/.well-known/oauth-authorization-server", nil)
		req.Host = "crm.example.test:8443"
		req.Header.Set("X-Forwarded-Proto", "https")
		var md map[string]any
		e.do(req, &md)
		if md["issuer"] != "https://crm.example.test:8443" || md["token_endpoint"] != "https://crm.example.test:8443/oauth/token" ||
			md["revocation_endpoint"] == nil || md["introspection_endpoint"] == nil {
			t.Fatalf("metadata %v", md)
		}
		if m, _ := md["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
			t.Fatalf("methods %v", md["code_challenge_methods_supported"])
		}
		var scopes []map[string]string
		req, _ = http.NewRequest("GET", e.ts.URL+"/oauth/scopes", nil)
		req.Header.Set("Accept-Language", "nl")
		e.do(req, &scopes)
		found := false
		for _, s := range scopes {
			if s["id"] == "customer.read.own" && s["description"] == "Eigen klanten lezen" {
				found = true
			}
		}
		if !found || len(scopes) < 100 {
			t.Fatalf("scopes %v", scopes)
		}
		// CIRQLL_BASE_URL wins.
		mux := http.NewServeMux()
		New(db, config.Config{BaseURL: "https://api.cirqll.test/"}, nil).Mount(mux)
		ts2 := httptest.NewServer(mux)
		defer ts2.Close()
		md = nil
		e.do(mustReq("GET", ts2.URL+"/.well-known/oauth-authorization-server"), &md)
		if md["issuer"] != "https://api.cirqll.test" || md["authorization_endpoint"] != "https://api.cirqll.test/oauth/authorize" {
			t.Fatalf("base url metadata %v", md)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			if _, err := e.srv.Login(ctx, "owner-a@example.com", "wrong", "10.0.0.1"); err != ErrInvalidLogin {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := e.srv.Login(ctx, "OWNER-A@example.com", password, "10.0.0.1"); err == nil || !isThrottled(err) {
			t.Fatalf("6th attempt: %v", err)
		}
		// Another address still may.
		if id, err := e.srv.Login(ctx, "owner-a@example.com", password, "10.0.0.2"); err != nil || id != e.owner {
			t.Fatalf("other address: %v", err)
		}
		// Through the page: 429 with a message.
		c, _ := e.client(e.company, e.owner, true)
		b := e.browser()
		p := b.get(e.oauthConfig(c, "x", "customer.read.all").AuthCodeURL("s"))
		// httptest clients come from 127.0.0.1.
		for i := 0; i < 5; i++ {
			p = b.submit(p, url.Values{"email": {"owner-a@example.com"}, "password": {"nope"}})
		}
		p = b.login(p, "owner-a@example.com")
		if p.resp.StatusCode != 429 || !strings.Contains(p.body, "Too many failed sign-in attempts") || p.resp.Header.Get("Retry-After") == "" {
			t.Fatalf("throttled page: %d %s", p.resp.StatusCode, p.body)
		}
		// Unknown accounts count too, and the window passes.
		e.srv.now = func() time.Time { return store.Now().Add(16 * time.Minute) }
		if _, err := e.srv.Login(ctx, "owner-a@example.com", password, "127.0.0.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func isThrottled(err error) bool {
	te, ok := err.(*ThrottledError)
	return ok && te.RetryAfter > 0
}

func TestClientsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok := e.managerToken(e.company, e.owner)
		var created map[string]any
		resp := e.api("POST", "/oauth/clients", tok, map[string]any{"name": "Zapier", "redirect_uris": []string{"https://zapier.com/cb"}, "confidential": true}, &created)
		if resp.StatusCode != 201 || created["secret"] == nil || created["id"] == "" || created["confidential"] != true || created["rate_limit"] != nil {
			t.Fatalf("create: %d %v", resp.StatusCode, created)
		}
		id := created["id"].(string)
		if _, err := time.Parse(time.RFC3339, created["created_at"].(string)); err != nil {
			t.Fatalf("created_at %v", created["created_at"])
		}
		var pub map[string]any
		resp = e.api("POST", "/oauth/clients", tok, map[string]any{"name": "SPA", "redirect_uris": []string{"http://127.0.0.1:3000/cb", "com.example.app:/cb"}, "confidential": false}, &pub)
		if resp.StatusCode != 201 || pub["secret"] != nil {
			t.Fatalf("public: %d %v", resp.StatusCode, pub)
		}
		if _, ok := pub["secret"]; !ok {
			t.Fatal("secret key missing for a public client")
		}
		// Validation: every field at once.
		var verr struct {
			Message string              `json:"message"`
			Errors  map[string][]string `json:"errors"`
		}
		resp = e.api("POST", "/oauth/clients", tok, map[string]any{"name": "", "redirect_uris": []string{"http://example.com/cb", "https://x.test/cb#frag", "javascript:alert(1)"}, "bogus": 1}, &verr)
		if resp.StatusCode != 422 || len(verr.Errors["name"]) != 1 || len(verr.Errors["redirect_uris"]) != 3 || len(verr.Errors["bogus"]) != 1 {
			t.Fatalf("validation: %d %+v", resp.StatusCode, verr)
		}
		resp = e.api("POST", "/oauth/clients", tok, map[string]any{"name": "x", "redirect_uris": []string{}}, &verr)
		if resp.StatusCode != 422 {
			t.Fatalf("empty redirect_uris: %d", resp.StatusCode)
		}
		req := mustReq("POST", e.ts.URL+"/oauth/clients")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Body = io.NopCloser(strings.NewReader(`{"name":"a","name":"b"}`))
		if resp := e.do(req, nil); resp.StatusCode != 400 {
			t.Fatalf("duplicate key: %d", resp.StatusCode)
		}
		// List: never the secret.
		var list []map[string]any
		e.api("GET", "/oauth/clients", tok, nil, &list)
		if len(list) != 3 { // the manager token's client, Zapier, SPA
			t.Fatalf("list %v", list)
		}
		for _, c := range list {
			if _, ok := c["secret"]; ok {
				t.Fatal("secret listed")
			}
		}
		// Patch.
		var patched map[string]any
		resp = e.api("PATCH", "/oauth/clients/"+id, tok, map[string]any{"name": "Zapier 2", "rate_limit": 120}, &patched)
		if resp.StatusCode != 200 || patched["name"] != "Zapier 2" || patched["rate_limit"] != float64(120) {
			t.Fatalf("patch: %d %v", resp.StatusCode, patched)
		}
		resp = e.api("PATCH", "/oauth/clients/"+id, tok, map[string]any{"rate_limit": nil}, &patched)
		if resp.StatusCode != 200 || patched["rate_limit"] != nil || patched["name"] != "Zapier 2" {
			t.Fatalf("patch null: %d %v", resp.StatusCode, patched)
		}
		if resp := e.api("PATCH", "/oauth/clients/"+id, tok, map[string]any{"rate_limit": 0, "confidential": false}, &verr); resp.StatusCode != 422 ||
			verr.Errors["rate_limit"] == nil || verr.Errors["confidential"] == nil {
			t.Fatalf("patch invalid: %d %+v", resp.StatusCode, verr)
		}
		// Permissions: a viewer's token (no client.manage.all) is a 403; no token a 401.
		viewer := e.newUser(e.company, "viewer@example.com", "company_viewer")
		mc, msecret := e.client(e.company, e.owner, true)
		vt, _ := e.ccToken(mc, msecret, viewer, "client.manage.all customer.read.all")
		var fe map[string]any
		resp = e.api("GET", "/oauth/clients", vt.AccessToken, nil, &fe)
		if resp.StatusCode != 403 || fe["required_scope"] != "client.manage.all" || fe["message"] == "" {
			t.Fatalf("viewer: %d %v", resp.StatusCode, fe)
		}
		ot, _ := e.ccToken(mc, msecret, 0, "customer.read.all")
		if resp := e.api("POST", "/oauth/clients", ot.AccessToken, map[string]any{"name": "x"}, nil); resp.StatusCode != 403 {
			t.Fatalf("token without the scope: %d", resp.StatusCode)
		}
		if resp := e.api("GET", "/oauth/clients", "", nil, nil); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("no token: %d %v", resp.StatusCode, resp.Header)
		}
		// Tenancy: company B sees none of A's clients and cannot touch them.
		bCompany, bOwner := e.newCompany("b")
		btok := e.managerToken(bCompany, bOwner)
		list = nil
		e.api("GET", "/oauth/clients", btok, nil, &list)
		for _, c := range list {
			if c["id"] == id {
				t.Fatal("company B lists A's client")
			}
		}
		if resp := e.api("PATCH", "/oauth/clients/"+id, btok, map[string]any{"name": "x"}, nil); resp.StatusCode != 404 {
			t.Fatalf("B patches A's client: %d", resp.StatusCode)
		}
		if resp := e.api("DELETE", "/oauth/clients/"+id, btok, nil, nil); resp.StatusCode != 404 {
			t.Fatalf("B deletes A's client: %d", resp.StatusCode)
		}
		// Delete revokes the client's tokens.
		zc := Client{ID: id}
		tr, _ := e.ccToken(zc, created["secret"].(string), 0, "customer.read.all")
		if _, err := e.srv.Authenticate(context.Background(), tr.AccessToken); err != nil {
			t.Fatal(err)
		}
		if resp := e.api("DELETE", "/oauth/clients/"+id, tok, nil, nil); resp.StatusCode != 204 {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		if _, err := e.srv.Authenticate(context.Background(), tr.AccessToken); err == nil {
			t.Fatal("a deleted client's token works")
		}
		if resp := e.api("DELETE", "/oauth/clients/"+id, tok, nil, nil); resp.StatusCode != 404 {
			t.Fatalf("delete again: %d", resp.StatusCode)
		}
	})
}

func TestGrantsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, secret := e.client(e.company, e.owner, true)
		conf := e.oauthConfig(c, secret, "customer.read.all", "contact.read.all")
		cb := e.browser().authorize(conf.AuthCodeURL("s"), "owner-a@example.com", "approve")
		tok, err := conf.Exchange(ctx, cb.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		var grants []struct {
			ID     int64             `json:"id"`
			Client map[string]string `json:"client"`
			Scopes []string          `json:"scopes"`
			Cr     string            `json:"created_at"`
			Ex     string            `json:"expires_at"`
		}
		if resp := e.api("GET", "/oauth/tokens", tok.AccessToken, nil, &grants); resp.StatusCode != 200 || len(grants) != 1 ||
			grants[0].Client["id"] != c.ID || grants[0].Client["name"] != "App" || len(grants[0].Scopes) != 2 {
			t.Fatalf("grants: %d %+v", resp.StatusCode, grants)
		}
		ex, err := time.Parse(time.RFC3339, grants[0].Ex)
		if err != nil || ex.Before(time.Now().Add(89*24*time.Hour)) {
			t.Fatalf("expires_at %s", grants[0].Ex)
		}
		// Another company's user cannot see or revoke it.
		bCompany, bOwner := e.newCompany("b")
		btok := e.managerToken(bCompany, bOwner)
		var bg []map[string]any
		e.api("GET", "/oauth/tokens", btok, nil, &bg)
		for _, g := range bg {
			if g["id"] == float64(grants[0].ID) {
				t.Fatal("B sees A's grant")
			}
		}
		if resp := e.api("DELETE", "/oauth/tokens/"+itoa(int(grants[0].ID)), btok, nil, nil); resp.StatusCode != 404 {
			t.Fatalf("B revokes A's grant: %d", resp.StatusCode)
		}
		// Revoke it: its tokens die.
		if resp := e.api("DELETE", "/oauth/tokens/"+itoa(int(grants[0].ID)), tok.AccessToken, nil, nil); resp.StatusCode != 204 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if _, err := e.srv.Authenticate(ctx, tok.AccessToken); err == nil {
			t.Fatal("revoked grant's token works")
		}
		_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if rc := retrieveCode(t, err); rc != "invalid_grant" {
			t.Fatalf("refresh of a revoked grant: %s", rc)
		}
	})
}

func mustReq(method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, secret := e.client(e.company, e.owner, true)
		tr, _ := e.ccToken(c, secret, 0, "customer.read.all")
		if n, err := e.srv.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("prune of live data: %d %v", n, err)
		}
		e.srv.now = func() time.Time { return store.Now().Add(31 * 24 * time.Hour) }
		if _, err := e.srv.Authenticate(ctx, tr.AccessToken); err == nil {
			t.Fatal("an expired token works")
		}
		if n, err := e.srv.Prune(ctx); err != nil || n != 2 { // the access token and its grant
			t.Fatalf("prune: %d %v", n, err)
		}
	})
}
