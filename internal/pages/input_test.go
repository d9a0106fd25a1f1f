package pages_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/store/storetest"
)

// Form values PostgreSQL cannot store (NUL, invalid UTF-8: a form may
// carry both) get the answer a wrong value gets, never a 500; an
// oversized form is a 413.
func TestPagesUnstorableInput(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		tn := e.Company("Input")
		email := ownerEmail(t, e, tn)
		for _, bad := range []string{"ab\x00c", "ab\xffc"} {
			c := newClient(t, e)
			c.get("/login").status(200)
			c.post("/login", url.Values{"email": {email + bad}, "password": {ownerPassword}}).status(200).
				has("These credentials do not match our records.")
			c.login(email, ownerPassword).redirect("/settings")
			c.get("/settings/marketplace/new").status(200)
			c.post("/settings/marketplace", url.Values{"name": {bad}, "redirect_uris": {"https://a.test/cb"}}).status(422).
				has("The Name field must be a string.")
			c.post("/settings/marketplace", url.Values{"name": {"A"}, "redirect_uris": {"https://a.test/" + bad}}).status(422).
				has("invalid redirect URI")
			c.post("/settings/marketplace/"+tn.ClientID, url.Values{"name": {bad}, "redirect_uris": {"https://a.test/cb"}}).status(422)
			c.get("/settings/marketplace/" + url.PathEscape(bad) + "/edit").status(404)
			c.get("/settings/marketplace/" + url.PathEscape(bad) + "/delete").status(404)
			c.post("/settings/marketplace/"+url.PathEscape(bad)+"/delete", nil).status(404)
			c.get("/settings/roles/new").status(200)
			if r := c.post("/settings/roles", url.Values{"name": {"R" + bad}, "description": {bad}, "perm_other": {bad}}); r.Code >= 500 {
				t.Fatalf("%q role: %d", bad, r.Code)
			}
		}
		// Over the forms' limit: 413, signed in or not.
		c := newClient(t, e)
		c.get("/login").status(200)
		c.post("/login", url.Values{"email": {strings.Repeat("x", 70<<10)}}).status(413)
		c.login(email, ownerPassword).redirect("/settings")
		c.get("/settings/marketplace/new").status(200)
		c.post("/settings/marketplace", url.Values{"name": {strings.Repeat("x", 70<<10)}}).status(413).has("The form is too large")
	})
}

// The pages' cookies are Secure when CIRQLL_BASE_URL is https.
func TestPagesSecureCookiesFromBaseURL(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			e := apitest.New(t, d, func(c *config.Config) { c.BaseURL = "https://crm.example.test/" })
			tn := e.Company("Secure")
			// Cookies are handled by hand: a jar would not send Secure cookies over http.
			res, err := http.Get(e.Server.URL + "/login")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			csrf := cookieOf(res, "cirqll_csrf")
			if csrf == nil || !csrf.Secure {
				t.Fatalf("csrf cookie %+v", csrf)
			}
			form := url.Values{"email": {ownerEmail(t, e, tn)}, "password": {ownerPassword}, "csrf_token": {csrf.Value}}
			req, _ := http.NewRequest("POST", e.Server.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: csrf.Name, Value: csrf.Value})
			res2, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res2.Body.Close()
			session := cookieOf(res2, "cirqll_session")
			if res2.StatusCode != 303 || session == nil || !session.Secure {
				t.Fatalf("login: %d, session cookie %+v", res2.StatusCode, session)
			}
			// Signing out leaves a flash message cookie: Secure too.
			req, _ = http.NewRequest("GET", e.Server.URL+"/logout", nil)
			req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
			res3, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res3.Body)
			res3.Body.Close()
			m := csrfRE.FindStringSubmatch(string(page))
			if m == nil {
				t.Fatalf("logout page: %d %s", res3.StatusCode, page)
			}
			req, _ = http.NewRequest("POST", e.Server.URL+"/logout", strings.NewReader(url.Values{"csrf_token": {m[1]}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
			res4, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			res4.Body.Close()
			if f := cookieOf(res4, "cirqll_flash"); res4.StatusCode != 303 || f == nil || !f.Secure {
				t.Fatalf("logout: %d, flash cookie %+v", res4.StatusCode, f)
			}
		})
	}
}

func cookieOf(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
