package pages_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/pages"
)

// TestPages drives every page and error over HTTP (no JavaScript), on
// SQLite and, with CIRQLL_TEST_POSTGRES_URL, PostgreSQL.
func TestPages(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Run("headers", func(t *testing.T) { testHeaders(t, e) })
		t.Run("login", func(t *testing.T) { testLogin(t, e) })
		t.Run("throttle", func(t *testing.T) { testThrottle(t, e) })
		t.Run("signed out", func(t *testing.T) { testSignedOut(t, e) })
		t.Run("csrf", func(t *testing.T) { testCSRF(t, e) })
		t.Run("marketplace", func(t *testing.T) { testMarketplace(t, e) })
		t.Run("marketplace errors", func(t *testing.T) { testMarketplaceErrors(t, e) })
		t.Run("forbidden", func(t *testing.T) { testForbidden(t, e) })
		t.Run("apps", func(t *testing.T) { testApps(t, e) })
		t.Run("roles", func(t *testing.T) { testRoles(t, e) })
		t.Run("other company", func(t *testing.T) { testOtherCompany(t, e) })
		t.Run("language", func(t *testing.T) { testLanguage(t, e) })
	})
}

func testHeaders(t *testing.T, e *apitest.Env) {
	tn := e.Company("Headers")
	c := newClient(t, e)
	check := func(r *resp) {
		t.Helper()
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", r.req, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows unsafe: %q", r.req, csp)
		}
		if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", r.req, r.Header)
		}
		if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(r.Body) ||
			strings.Contains(r.Body, "style=") {
			t.Errorf("%s: inline script or style in the page", r.req)
		}
		if n := strings.Count(r.Body, "<h1"); n != 1 {
			t.Errorf("%s: %d h1 elements", r.req, n)
		}
	}
	check(c.get("/login").status(200))
	c.login(ownerEmail(t, e, tn), ownerPassword).redirect("/settings")
	for _, p := range []string{"/settings/marketplace", "/settings/marketplace/new", "/settings/apps", "/settings/roles",
		"/settings/roles/new", "/logout", "/settings/nope"} {
		r := c.get(p)
		check(r)
		if p != "/settings/nope" {
			r.status(200).has(`<nav class="side"`, `class="skip" href="#main"`, `id="main"`)
		} else {
			r.status(404)
		}
	}
	// Static files for the pages.
	for _, p := range []string{"/oauth/static/pages.css", "/oauth/static/pages.js"} {
		r := c.get(p).status(200)
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
	}
	// Cookies: the session is HttpOnly and SameSite=Lax.
	c2 := newClient(t, e)
	c2.get("/login")
	r := c2.post("/login", url.Values{"email": {ownerEmail(t, e, tn)}, "password": {ownerPassword}})
	found := false
	for _, sc := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "cirqll_session=") {
			found = true
			if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
				t.Errorf("session cookie %q", sc)
			}
		}
	}
	if !found {
		t.Error("no session cookie")
	}
}

func testLogin(t *testing.T, e *apitest.Env) {
	tn := e.Company("Login")
	email := ownerEmail(t, e, tn)
	c := newClient(t, e)
	r := c.get("/login").status(200).has("Sign in", `name="email"`, `name="password"`, `autocomplete="current-password"`)
	if r.csrf() == "" {
		t.Fatal("no csrf token on the login page")
	}
	// Wrong password: the same message as the authorize flow, e-mail kept.
	c.post("/login", url.Values{"email": {email}, "password": {"wrong-password-1"}}).status(200).
		has("These credentials do not match our records.", `value="`+email+`"`)
	// Unknown account: the same message.
	c.post("/login", url.Values{"email": {"nobody@nowhere.test"}, "password": {"x"}}).status(200).
		has("These credentials do not match our records.")
	// No CSRF token: refused, nothing checked.
	c.post("/login", url.Values{"email": {email}, "password": {ownerPassword}, "csrf_token": {""}}).status(403).
		has("The form has expired")
	// A wrong CSRF token too.
	c.post("/login", url.Values{"email": {email}, "password": {ownerPassword}, "csrf_token": {strings.Repeat("x", 43)}}).status(403)
	// Right: the owner lands on their settings, the first page they may see.
	c.login(email, ownerPassword).redirect("/settings")
	c.get("/settings").redirect("/settings/marketplace")
	c.get("/settings/marketplace").status(200).has("Owner Login", "Login") // name and company in the header
	// Signed in, /login goes to the settings.
	c.get("/login").redirect("/settings/marketplace")

	// A user without client.manage.all lands on Authorized apps.
	_, uemail := user(t, e, tn, "company_user")
	u := newClient(t, e)
	u.login(uemail, userPassword).redirect("/settings")
	u.get("/settings").redirect("/settings/apps")
	u.get("/settings/apps").status(200).lacks(`href="/settings/marketplace"`, `href="/settings/roles"`)

	// next: back to the page asked for, never to another site.
	n := newClient(t, e)
	n.get("/settings/roles").redirect("/login?next=%2Fsettings%2Froles")
	n.get("/login?next=%2Fsettings%2Froles").status(200).has(`name="next" value="/settings/roles"`)
	n.post("/login", url.Values{"email": {email}, "password": {ownerPassword}, "next": {"/settings/roles"}}).redirect("/settings/roles")
	for _, bad := range []string{"https://evil.test/", "//evil.test/settings", "/oauth/token", "/settings\\..\\x"} {
		m := newClient(t, e)
		m.get("/login")
		m.post("/login", url.Values{"email": {email}, "password": {ownerPassword}, "next": {bad}}).redirect("/settings")
	}

	// Sign out: CSRF checked, session ended, back to the login page with a message.
	c.post("/logout", url.Values{"csrf_token": {""}}).status(403)
	c.get("/settings/apps").status(200)
	c.post("/logout", nil).redirect("/login")
	c.get("/login").status(200).has("You have been signed out.")
	c.get("/settings/apps").redirect("/login?next=%2Fsettings%2Fapps")
	// The old session cookie is dead on the server too.
	c.post("/logout", nil).redirect("/login")

	// An inactive user cannot sign in.
	uid, iemail := user(t, e, tn, "company_user")
	tn.Do("PATCH", fmt.Sprintf("/api/user/%d", uid), tn.Token, map[string]any{"active": false}).Status(200)
	newClient(t, e).login(iemail, userPassword).status(200).has("These credentials do not match our records.")
}

func testThrottle(t *testing.T, e *apitest.Env) {
	tn := e.Company("Throttle")
	_, email := user(t, e, tn, "company_user")
	c := newClient(t, e)
	c.get("/login")
	for i := 0; i < 5; i++ {
		c.post("/login", url.Values{"email": {email}, "password": {"wrong-password"}}).status(200)
	}
	r := c.post("/login", url.Values{"email": {email}, "password": {userPassword}}).status(429).has("Too many failed sign-in attempts")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The same counter as the authorize flow's login form.
	q := url.Values{"client_id": {tn.ClientID}, "redirect_uri": {"http://127.0.0.1/cb"}, "response_type": {"code"}, "scope": {"customer.read.all"}}
	c.get("/oauth/authorize?" + q.Encode()).status(200)
	form := url.Values{"email": {email}, "password": {userPassword}}
	for k, v := range q {
		form[k] = v
	}
	c.post("/oauth/authorize", form).status(429)
}

func testSignedOut(t *testing.T, e *apitest.Env) {
	c := newClient(t, e)
	for _, p := range []string{"/settings", "/settings/marketplace", "/settings/marketplace/new", "/settings/marketplace/x/edit",
		"/settings/marketplace/x/delete", "/settings/apps", "/settings/roles", "/settings/roles/new", "/settings/roles/1/edit",
		"/settings/roles/1/delete", "/logout"} {
		c.get(p).redirect("/login?next=" + url.QueryEscape(p))
	}
	for _, p := range []string{"/settings/marketplace", "/settings/marketplace/x", "/settings/marketplace/x/delete",
		"/settings/apps/1/revoke", "/settings/roles", "/settings/roles/1", "/settings/roles/1/delete"} {
		c.post(p, url.Values{"name": {"x"}}).redirect("/login")
	}
	c.get("/login").has("Your session has ended")
	c.post("/logout", nil).redirect("/login")
	c.get("/settings/nope").status(404).has("Not found")
}

// testCSRF: every form of a signed-in user is refused without its token or
// with another session's token, and nothing changes.
func testCSRF(t *testing.T, e *apitest.Env) {
	tn := e.Company("Csrf")
	email := ownerEmail(t, e, tn)
	c := newClient(t, e)
	c.login(email, ownerPassword).redirect("/settings")
	other := newClient(t, e)
	other.login(email, ownerPassword)
	otherToken := other.get("/settings/apps").csrf()
	before := clientCount(t, e, tn.CompanyID)
	role := roleID(t, e, tn, "company_viewer")
	for _, p := range []string{"/settings/marketplace", "/settings/marketplace/" + tn.ClientID, "/settings/marketplace/" + tn.ClientID + "/delete",
		"/settings/apps/1/revoke", "/settings/roles", fmt.Sprintf("/settings/roles/%d", role), fmt.Sprintf("/settings/roles/%d/delete", role), "/logout"} {
		for _, tok := range []string{"", otherToken} {
			c.post(p, url.Values{"csrf_token": {tok}, "name": {"Changed"}, "redirect_uris": {"https://x.test/cb"}}).status(403).
				has("Form expired", "The form has expired or was not sent from this site.")
		}
	}
	if n := clientCount(t, e, tn.CompanyID); n != before {
		t.Errorf("clients: %d, want %d", n, before)
	}
	c.get("/settings/marketplace").status(200).has("test client")
}

func testMarketplace(t *testing.T, e *apitest.Env) {
	tn := e.Company("Market")
	c := newClient(t, e)
	c.login(ownerEmail(t, e, tn), ownerPassword)
	// The list: the client apitest made, with its facts and never a secret.
	r := c.get("/settings/marketplace").status(200).has("test client", tn.ClientID, "http://127.0.0.1/cb", "Confidential",
		"Default (1000000 per minute)", `<time datetime="`)
	if strings.Contains(r.Body, tn.ClientSecret) {
		t.Fatal("the list shows a secret")
	}
	// Create: the secret once, in the POST's answer, not cacheable.
	form := c.get("/settings/marketplace/new").status(200).has(`name="form_id"`, "Redirect URIs")
	formID := regexp.MustCompile(`name="form_id" value="([^"]+)"`).FindStringSubmatch(form.Body)[1]
	r = c.post("/settings/marketplace", url.Values{"name": {"  Zapier sync  "}, "redirect_uris": {"https://zap.example/cb\r\n\r\nhttp://localhost:9000/cb\n"},
		"type": {"confidential"}, "rate_limit": {"120"}, "form_id": {formID}}).status(201)
	r.has("Client Zapier sync created", "shown only this once", `data-copy="client-secret"`)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the secret page may be cached")
	}
	id, secret := r.input("client-id"), r.input("client-secret")
	if len(secret) < 43 {
		t.Fatalf("secret %q", secret)
	}
	// It is a real client: the secret works at the token endpoint.
	if code, tok := clientCredentials(e, id, secret, "customer.read.all"); code != 200 {
		t.Fatalf("client_credentials with the shown secret: %d %s", code, tok)
	}
	// Never again: not on the list, not by sending the form again.
	n := clientCount(t, e, tn.CompanyID)
	r = c.get("/settings/marketplace").status(200).has("Zapier sync", id, "https://zap.example/cb", "http://localhost:9000/cb", "120 per minute")
	if strings.Contains(r.Body, secret) {
		t.Fatal("the list shows the secret")
	}
	r = c.post("/settings/marketplace", url.Values{"name": {"Zapier sync"}, "redirect_uris": {"https://zap.example/cb"},
		"type": {"confidential"}, "form_id": {formID}}).status(409).has("This form was already sent")
	if strings.Contains(r.Body, secret) || clientCount(t, e, tn.CompanyID) != n {
		t.Fatal("a re-sent form showed a secret or made a client")
	}
	// Through the same code as /oauth/clients: the API lists it the same.
	var list []map[string]any
	must(0, json.Unmarshal(tn.Do("GET", "/oauth/clients", tn.Token, nil).Status(200).Body, &list))
	var got map[string]any
	for _, cl := range list {
		if cl["id"] == id {
			got = cl
		}
	}
	if got == nil || got["name"] != "Zapier sync" || got["confidential"] != true || fmt.Sprint(got["rate_limit"]) != "120" ||
		fmt.Sprint(got["redirect_uris"]) != "[https://zap.example/cb http://localhost:9000/cb]" {
		t.Fatalf("API shows %v", got)
	}

	// A public client: no secret.
	r = c.post("/settings/marketplace", url.Values{"name": {"Mobile app"}, "redirect_uris": {"com.example.app:/callback"}, "type": {"public"}}).status(201)
	r.has("This public client has no secret").lacks("client-secret")
	c.get("/settings/marketplace").has("Mobile app", "Public", "com.example.app:/callback")

	// Edit: the form shows the values; saving redirects with a message.
	c.get("/settings/marketplace/"+id+"/edit").status(200).has("Edit Zapier sync", `value="Zapier sync"`, "https://zap.example/cb\nhttp://localhost:9000/cb", `value="120"`, "cannot be changed")
	c.post("/settings/marketplace/"+id, url.Values{"name": {"Zapier"}, "redirect_uris": {"https://zap.example/cb2"}, "rate_limit": {""}}).
		redirect("/settings/marketplace")
	c.get("/settings/marketplace").status(200).has("The client Zapier has been saved.", "https://zap.example/cb2").lacks("http://localhost:9000/cb")
	// The message is shown once.
	c.get("/settings/marketplace").lacks("has been saved")
	must(0, json.Unmarshal(tn.Do("GET", "/oauth/clients", tn.Token, nil).Body, &list))
	for _, cl := range list {
		if cl["id"] == id && (cl["name"] != "Zapier" || cl["rate_limit"] != nil) {
			t.Fatalf("after edit: %v", cl)
		}
	}

	// Delete: a confirmation that says the tokens are revoked; then they are.
	_, tok := clientCredentials(e, id, secret, "customer.read.all")
	tn.Do("GET", "/api/customer", tok, nil).Status(200)
	c.get("/settings/marketplace/"+id+"/delete").status(200).has("Delete Zapier?", "cannot be undone", "tokens are revoked", "It currently has 2 active authorizations.", "Delete client and revoke its tokens")
	c.post("/settings/marketplace/"+id+"/delete", nil).redirect("/settings/marketplace")
	c.get("/settings/marketplace").has("The client Zapier has been deleted and its tokens revoked.").lacks(id)
	tn.Do("GET", "/api/customer", tok, nil).Status(401)
	// Gone: its pages are 404s.
	c.get("/settings/marketplace/" + id + "/edit").status(404).has("Not found")
	c.post("/settings/marketplace/"+id+"/delete", nil).status(404)
}

// testMarketplaceErrors: every error the client API can give, on the form.
func testMarketplaceErrors(t *testing.T, e *apitest.Env) {
	tn := e.Company("MarketErr")
	c := newClient(t, e)
	c.login(ownerEmail(t, e, tn), ownerPassword)
	c.get("/settings/marketplace/new")
	before := clientCount(t, e, tn.CompanyID)
	cases := []struct {
		name string
		form url.Values
		want []string
	}{
		{"empty", url.Values{"name": {" "}, "redirect_uris": {""}}, []string{"The Name field is required.", "The Redirect URIs field is required."}},
		{"http", url.Values{"name": {"A"}, "redirect_uris": {"http://example.com/cb"}}, []string{"invalid redirect URI: http://example.com/cb"}},
		{"fragment", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb#x"}}, []string{"invalid redirect URI: https://a.test/cb#x"}},
		{"relative", url.Values{"name": {"A"}, "redirect_uris": {"/cb"}}, []string{"invalid redirect URI: /cb"}},
		{"long name", url.Values{"name": {strings.Repeat("n", 256)}, "redirect_uris": {"https://a.test/cb"}}, []string{"may not be longer than 255 characters"}},
		{"too many", url.Values{"name": {"A"}, "redirect_uris": {strings.Repeat("https://a.test/cb\n", 21)}}, []string{"may not have more than 20 items"}},
		{"rate limit text", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}, "rate_limit": {"fast"}}, []string{"The Rate limit field must be an integer."}},
		{"rate limit zero", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}, "rate_limit": {"0"}}, []string{"The Rate limit field must be at least 1."}},
		{"rate limit huge", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}, "rate_limit": {"1000001"}}, []string{"may not be greater than 1000000"}},
		{"type", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}, "type": {"secret"}}, []string{"must be true or false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/settings/marketplace", tc.form).status(422).has(tc.want...).has(`id="error-summary"`, `class="field-error"`)
			if strings.Contains(r.Body, "client-secret") {
				t.Fatal("secret field on an error page")
			}
		})
	}
	// The form keeps what was typed.
	c.post("/settings/marketplace", url.Values{"name": {"Keep me"}, "redirect_uris": {"ftp://x"}}).status(422).has(`value="Keep me"`, "ftp://x")
	if clientCount(t, e, tn.CompanyID) != before {
		t.Fatal("an invalid form made a client")
	}
	// Edit errors.
	c.post("/settings/marketplace/"+tn.ClientID, url.Values{"name": {""}, "redirect_uris": {"https://a.test/cb"}}).status(422).has("The Name field is required.")
	c.post("/settings/marketplace/"+tn.ClientID, url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}, "rate_limit": {"-3"}}).status(422).has("must be at least 1")
	// Unknown ids.
	c.get("/settings/marketplace/nope/edit").status(404)
	c.get("/settings/marketplace/nope/delete").status(404)
	c.post("/settings/marketplace/nope", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/cb"}}).status(404)
	c.post("/settings/marketplace/nope/delete", nil).status(404)
	// A body that is too large.
	c.post("/settings/marketplace", url.Values{"name": {strings.Repeat("x", 70<<10)}}).status(413)
}

func testForbidden(t *testing.T, e *apitest.Env) {
	tn := e.Company("Forbid")
	for _, role := range []string{"company_viewer", "company_user"} {
		_, email := user(t, e, tn, role)
		c := newClient(t, e)
		c.login(email, userPassword).redirect("/settings")
		c.get("/settings").redirect("/settings/apps")
		for _, p := range []string{"/settings/marketplace", "/settings/marketplace/new", "/settings/marketplace/" + tn.ClientID + "/edit",
			"/settings/marketplace/" + tn.ClientID + "/delete"} {
			c.get(p).status(403).has("No access", "client.manage.all", "Manage the company's OAuth clients").lacks(tn.ClientID + "</code>")
		}
		for _, p := range []string{"/settings/roles", "/settings/roles/new", fmt.Sprintf("/settings/roles/%d/edit", roleID(t, e, tn, "company_user"))} {
			c.get(p).status(403).has("No access", "role.update.all")
		}
		c.get("/settings/apps")
		c.post("/settings/marketplace", url.Values{"name": {"Sneaky"}, "redirect_uris": {"https://a.test/cb"}}).status(403)
		c.post("/settings/marketplace/"+tn.ClientID+"/delete", nil).status(403)
		c.post("/settings/roles", url.Values{"name": {"Sneaky"}}).status(403)
		c.post(fmt.Sprintf("/settings/roles/%d/delete", roleID(t, e, tn, "company_viewer")), nil).status(403)
		c.get("/settings/apps").status(200).lacks(`href="/settings/marketplace"`, `href="/settings/roles"`)
	}
	if clientCount(t, e, tn.CompanyID) != 1 {
		t.Fatal("a forbidden form made a client")
	}
}

func testApps(t *testing.T, e *apitest.Env) {
	tn := e.Company("Apps")
	_, email := user(t, e, tn, "company_user")
	c := newClient(t, e)
	c.login(email, userPassword)
	c.get("/settings/apps").status(200).has("You have not authorized any applications.")
	// Authorize the company's client through the consent page.
	code := c.authorize(tn.ClientID, "http://127.0.0.1/cb", "customer.read.all contact.update.all")
	tok := exchange(t, e, tn.ClientID, tn.ClientSecret, "http://127.0.0.1/cb", code)
	tn.Do("GET", "/api/customer", tok, nil).Status(200)
	// Its scopes in words (contact.update.all was narrowed to own by the role).
	r := c.get("/settings/apps").status(200).has("test client", "Read all customers", "customer.read.all",
		"Update own contacts", "contact.update.own", "Authorized on", "expires")
	m := regexp.MustCompile(`action="/settings/apps/(\d+)/revoke"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no revoke form")
	}
	// Another user cannot revoke it.
	_, other := user(t, e, tn, "company_user")
	o := newClient(t, e)
	o.login(other, userPassword)
	o.get("/settings/apps").lacks("test client")
	o.post("/settings/apps/"+m[1]+"/revoke", nil).status(404)
	tn.Do("GET", "/api/customer", tok, nil).Status(200)
	// Revoke: gone from the list, the token refused by the API.
	c.post("/settings/apps/"+m[1]+"/revoke", nil).redirect("/settings/apps")
	c.get("/settings/apps").has("Access for test client has been revoked.", "You have not authorized any applications.")
	tn.Do("GET", "/api/customer", tok, nil).Status(401)
	c.post("/settings/apps/"+m[1]+"/revoke", nil).status(404)
	c.post("/settings/apps/abc/revoke", nil).status(404)
}

func testRoles(t *testing.T, e *apitest.Env) {
	tn := e.Company("Roles")
	c := newClient(t, e)
	c.login(ownerEmail(t, e, tn), ownerPassword)
	r := c.get("/settings/roles").status(200).has("company_owner", "company_user", "company_viewer", "Built-in", "Read only",
		"Users with this role: 1", "Permissions (", "Customers", "Sales opportunities")
	if strings.Contains(r.Body, fmt.Sprintf(`/settings/roles/%d/edit`, roleID(t, e, tn, "company_owner"))) {
		t.Fatal("a built-in role has an edit link")
	}
	// Built-in roles are read only, whatever is posted.
	builtin := roleID(t, e, tn, "company_user")
	c.get(fmt.Sprintf("/settings/roles/%d/edit", builtin)).status(409).has("Built-in roles cannot be changed or deleted.")
	c.post(fmt.Sprintf("/settings/roles/%d", builtin), url.Values{"name": {"x"}}).status(409).has("Built-in roles cannot be changed or deleted.")
	c.get(fmt.Sprintf("/settings/roles/%d/delete", builtin)).status(409)
	c.post(fmt.Sprintf("/settings/roles/%d/delete", builtin), nil).status(409).has("Built-in roles cannot be changed or deleted.")

	// Create: the matrix of selects, one per resource and action.
	c.get("/settings/roles/new").status(200).has(`name="perm.customer.read"`, `<option value="own">Own</option>`, `name="perm_other" value="client.manage.all"`,
		`<label for="p-customer-read" class="cell-label"><span class="sr-only">Customers: </span>Read</label>`).lacks(`name="perm.webhook.read"><option value="">None</option><option value="own"`)
	c.post("/settings/roles", url.Values{"name": {""}}).status(422).has("The Name field is required.")
	c.post("/settings/roles", url.Values{"name": {"Bad"}, "perm.customer.read": {"most"}}).status(422).has("Unknown permission: customer.read.most.")
	c.post("/settings/roles", url.Values{"name": {"Bad"}, "perm_other": {"client.fly.all"}}).status(422).has("Unknown permission: client.fly.all.")
	c.post("/settings/roles", url.Values{"name": {"Sales reader"}, "description": {"Reads customers"}, "perm.customer.read": {"all"},
		"perm.contact.read": {"own"}, "perm.customer.create": {""}}).redirect("/settings/roles")
	c.get("/settings/roles").has("The role Sales reader has been created.", "Sales reader", "Reads customers", "Permissions (2)")
	id := roleID(t, e, tn, "Sales reader")
	body := tn.Do("GET", fmt.Sprintf("/api/role/%d?with=permissions", id), tn.Token, nil).Status(200).JSON()
	if fmt.Sprint(body["permissions"]) != "[contact.read.own customer.read.all]" {
		t.Fatalf("permissions %v", body["permissions"])
	}
	c.post("/settings/roles", url.Values{"name": {"Sales reader"}}).status(409).has("A role named Sales reader already exists.")

	// Edit: the form shows the role; a stale form is refused with a message.
	edit := c.get(fmt.Sprintf("/settings/roles/%d/edit", id)).status(200).has(`value="Sales reader"`, "Reads customers")
	if !regexp.MustCompile(`name="perm.customer.read">.*<option value="all" selected>`).MatchString(edit.Body) {
		t.Fatal("the edit form does not select customer.read.all")
	}
	etag := html.UnescapeString(regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(edit.Body)[1])
	tn.Do("PATCH", fmt.Sprintf("/api/role/%d", id), tn.Token, map[string]any{"description": "Changed by the API"}).Status(200)
	r = c.post(fmt.Sprintf("/settings/roles/%d", id), url.Values{"name": {"Sales reader"}, "etag": {etag}, "perm.customer.read": {"all"}, "perm.customer.update": {"own"}}).
		status(412).has("Someone else changed this role")
	etag2 := html.UnescapeString(regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(r.Body)[1])
	if etag2 == etag {
		t.Fatal("the etag was not refreshed")
	}
	c.post(fmt.Sprintf("/settings/roles/%d", id), url.Values{"name": {"Sales"}, "etag": {etag2}, "perm.customer.read": {"all"}, "perm.customer.update": {"own"}}).
		redirect("/settings/roles")
	c.get("/settings/roles").has("The role Sales has been saved.")
	body = tn.Do("GET", fmt.Sprintf("/api/role/%d?with=permissions", id), tn.Token, nil).Status(200).JSON()
	if fmt.Sprint(body["permissions"]) != "[customer.read.all customer.update.own]" || body["description"] != nil {
		t.Fatalf("after edit %v", body)
	}
	c.post(fmt.Sprintf("/settings/roles/%d", id), url.Values{"name": {"company_owner"}}).status(409).has("A role named company_owner already exists.")

	// In use: the delete page names who has it; the POST is refused too.
	uid := tn.Do("POST", "/api/user", tn.Token, map[string]any{"name": "Rita Role", "email": fmt.Sprintf("rita%d@roles.test", tn.CompanyID),
		"password": userPassword, "role_id": id}).Status(201).ID()
	c.get(fmt.Sprintf("/settings/roles/%d/delete", id)).status(200).has("cannot be deleted while users have it", "Rita Role", "rita").lacks("Delete role</button>")
	c.post(fmt.Sprintf("/settings/roles/%d/delete", id), nil).status(409).has("Rita Role")
	c.get("/settings/roles").has("Users with this role: 1")
	// Free again: delete with confirmation.
	tn.Do("PATCH", fmt.Sprintf("/api/user/%d", uid), tn.Token, map[string]any{"role_id": roleID(t, e, tn, "company_user")}).Status(200)
	c.get(fmt.Sprintf("/settings/roles/%d/delete", id)).status(200).has("Delete role Sales?", "cannot be undone", "Delete role</button>")
	c.post(fmt.Sprintf("/settings/roles/%d/delete", id), nil).redirect("/settings/roles")
	c.get("/settings/roles").has("The role Sales has been deleted.")
	c.get(fmt.Sprintf("/settings/roles/%d/edit", id)).status(404)
	c.get("/settings/roles/0/edit").status(404)
	c.get("/settings/roles/abc/delete").status(404)
}

// testOtherCompany: ids of another company's clients, grants and roles do
// not exist for a user (404), on every page and form.
func testOtherCompany(t *testing.T, e *apitest.Env) {
	a := e.Company("Alpha")
	b := e.Company("Beta")
	ca := newClient(t, e)
	ca.login(ownerEmail(t, e, a), ownerPassword)
	code := ca.authorize(a.ClientID, "http://127.0.0.1/cb", "customer.read.all")
	exchange(t, e, a.ClientID, a.ClientSecret, "http://127.0.0.1/cb", code)
	grant := regexp.MustCompile(`/settings/apps/(\d+)/revoke`).FindStringSubmatch(ca.get("/settings/apps").Body)[1]
	ca.post("/settings/roles", url.Values{"name": {"Alpha secret role"}, "perm.customer.read": {"all"}}).redirect("/settings/roles")
	role := roleID(t, e, a, "Alpha secret role")

	cb := newClient(t, e)
	cb.login(ownerEmail(t, e, b), ownerPassword)
	cb.get("/settings/marketplace").status(200).lacks(a.ClientID, "Alpha")
	cb.get("/settings/roles").status(200).lacks("Alpha secret role")
	cb.get("/settings/apps").status(200).lacks("Alpha")
	cb.get("/settings/marketplace/" + a.ClientID + "/edit").status(404).lacks(a.ClientID + "</code>")
	cb.get("/settings/marketplace/" + a.ClientID + "/delete").status(404)
	cb.post("/settings/marketplace/"+a.ClientID, url.Values{"name": {"Hijack"}, "redirect_uris": {"https://evil.test/cb"}}).status(404)
	cb.post("/settings/marketplace/"+a.ClientID+"/delete", nil).status(404)
	cb.post("/settings/apps/"+grant+"/revoke", nil).status(404)
	cb.get(fmt.Sprintf("/settings/roles/%d/edit", role)).status(404).lacks("Alpha secret role")
	cb.get(fmt.Sprintf("/settings/roles/%d/delete", role)).status(404)
	cb.post(fmt.Sprintf("/settings/roles/%d", role), url.Values{"name": {"Hijack"}}).status(404)
	cb.post(fmt.Sprintf("/settings/roles/%d/delete", role), nil).status(404)
	// Alpha's things are untouched.
	ca.get("/settings/marketplace").has("test client", a.ClientID)
	ca.get("/settings/apps").has("test client")
	ca.get("/settings/roles").has("Alpha secret role")
}

// testLanguage: the pages follow the user's locale first, then the
// browser's Accept-Language.
func testLanguage(t *testing.T, e *apitest.Env) {
	tn := e.Company("Taal")
	c := newClient(t, e)
	c.lang = "nl-NL,nl;q=0.9"
	c.get("/login").status(200).has(`<html lang="nl">`, "Inloggen", "Wachtwoord")
	c.post("/login", url.Values{"email": {"x@y.test"}, "password": {"nope"}}).has("Deze gegevens komen niet overeen met onze administratie.")
	// The owner's own locale en wins over a Dutch browser.
	tn.Do("PATCH", fmt.Sprintf("/api/user/%d", tn.OwnerID), tn.Token, map[string]any{"locale": "en"}).Status(200)
	c.login(ownerEmail(t, e, tn), ownerPassword)
	c.get("/settings/marketplace").has(`<html lang="en">`, "Marketplace", "Authorized apps")
	// Switch the user's locale to nl.
	tn.Do("PATCH", fmt.Sprintf("/api/user/%d", tn.OwnerID), tn.Token, map[string]any{"locale": "nl"}).Status(200)
	c.lang = "en"
	c.get("/settings/marketplace").has(`<html lang="nl">`, "Gekoppelde apps", "Nieuwe OAuth2-client", "Standaard (1000000 per minuut)")
	c.get("/settings/roles").has("Ingebouwd", "Klanten", "Verkoopkansen")
	c.post("/settings/marketplace", url.Values{"name": {""}, "redirect_uris": {"http://x.test/cb"}}).status(422).
		has("Het veld Naam is verplicht.", "Het veld Redirect-URI's bevat een ongeldige redirect-URI: http://x.test/cb.")
	c.post("/settings/apps/1/revoke", url.Values{"csrf_token": {""}}).status(403).has("Formulier verlopen")
}

// TestMessages: every message of the pages exists in both languages with
// the same placeholders, and every key the templates and code use exists.
func TestMessages(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	en, nl := pages.MessageKeys()
	for _, k := range en {
		if !slices.Contains(nl, k) {
			t.Errorf("%s has no Dutch text", k)
		}
		if fmt.Sprint(verbs.FindAllString(i18n.T("en", k), -1)) != fmt.Sprint(verbs.FindAllString(i18n.T("nl", k), -1)) {
			t.Errorf("%s: placeholders differ between en and nl", k)
		}
	}
	for _, k := range nl {
		if !slices.Contains(en, k) {
			t.Errorf("%s has no English text", k)
		}
	}
	used := []*regexp.Regexp{
		regexp.MustCompile(`\.T "([a-z_]+)"`),
		regexp.MustCompile(`\btr\([^,()]+, "([a-z_]*[a-z])"`),
		regexp.MustCompile(`newView\(w, r, \w+, "[a-z]*", "([a-z_]+)"`),
		regexp.MustCompile(`errorPage\(w, r, \w+, [^,]+, "([a-z_]+)"`),
		regexp.MustCompile(`setFlash\(w, r, "([a-z_]+)"`),
		regexp.MustCompile(`title(?:, args)? :?= "([a-z_]+)"`),
	}
	files, _ := filepath.Glob("../../web/templates/pages/*.html")
	more, _ := filepath.Glob("../../web/templates/pages/base/*.html")
	code, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range append(append(files, more...), code...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range used {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				n++
				if !slices.Contains(en, "pg."+m[1]) {
					t.Errorf("%s uses the unknown message %s", f, m[1])
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("found only %d message uses; is the pattern broken?", n)
	}
}
