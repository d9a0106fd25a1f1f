package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// Identifiers PostgreSQL cannot compare (NUL, invalid UTF-8) get the
// answer a wrong value gets, never a 500 (SQLSTATE 22021), on both dialects.
func TestUnstorableInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		tok := e.managerToken(e.company, e.owner)
		for _, bad := range []string{"ab\x00c", "ab\xffc"} {
			var oe map[string]string
			check := func(what string, resp *http.Response, status int, code string) {
				t.Helper()
				if resp.StatusCode != status || code != "" && oe["error"] != code {
					t.Errorf("%q %s: %d %v, want %d %s", bad, what, resp.StatusCode, oe, status, code)
				}
				oe = nil
			}
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}, "client_id": {bad}, "client_secret": {"x"}}
			check("token, client_id in the body", e.post("/oauth/token", form, "", "", &oe), 401, "invalid_client")
			check("token, Basic", e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, bad, "x", &oe), 401, "invalid_client")
			j, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": bad, "client_secret": "x"})
			if bad == "ab\x00c" { // invalid UTF-8 cannot be in a valid JSON body; NUL can (\u0000)
				req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/token", bytes.NewReader(j))
				req.Header.Set("Content-Type", "application/json")
				check("token, JSON", e.do(req, &oe), 401, "invalid_client")
			}
			check("revoke", e.post("/oauth/revoke", url.Values{"token": {"x"}, "client_id": {bad}}, "", "", &oe), 401, "invalid_client")
			check("introspect", e.post("/oauth/introspect", url.Values{"token": {"x"}, "client_id": {bad}, "client_secret": {"x"}}, "", "", &oe), 401, "invalid_client")
			for _, f := range []url.Values{
				{"grant_type": {"authorization_code"}, "code": {bad}},
				{"grant_type": {"refresh_token"}, "refresh_token": {bad}},
			} {
				check("token, "+f.Get("grant_type"), e.post("/oauth/token", f, c.ID, secret, &oe), 400, "invalid_grant")
			}
			check("token, scope", e.post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {bad}}, c.ID, secret, &oe), 400, "invalid_scope")

			// The authorize pages: the unknown-client page, or the unregistered-redirect page.
			for _, q := range []url.Values{
				{"client_id": {bad}, "response_type": {"code"}, "scope": {"customer.read.all"}},
				{"client_id": {c.ID}, "redirect_uri": {callback + bad}, "response_type": {"code"}, "scope": {"customer.read.all"}},
			} {
				p := e.browser().get(e.ts.URL + "/oauth/authorize?" + q.Encode())
				if p.resp.StatusCode != 400 || !strings.Contains(p.body, "Authorization failed") {
					t.Errorf("%q authorize %v: %d %s", bad, q, p.resp.StatusCode, p.body)
				}
			}

			// Clients: another id is a 404, a name that is not text a 422.
			path := "/oauth/clients/" + url.PathEscape(bad)
			check("PATCH client", e.api("PATCH", path, tok, map[string]string{"name": "x"}, nil), 404, "")
			check("DELETE client", e.api("DELETE", path, tok, nil, nil), 404, "")
			// (Sent as is: json.Marshal would replace the invalid byte.)
			req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/clients", strings.NewReader(`{"name":"`+strings.ReplaceAll(bad, "\x00", `\u0000`)+`","redirect_uris":["https://a.example/cb"]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			var ve struct{ Errors map[string][]string }
			resp := e.do(req, &ve)
			if bad == "ab\x00c" && (resp.StatusCode != 422 || len(ve.Errors["name"]) != 1) || bad == "ab\xffc" && resp.StatusCode != 400 {
				t.Errorf("%q client name: %d %v", bad, resp.StatusCode, ve)
			}
			// What the pages pass on from a form (where invalid UTF-8 can come).
			name := bad
			if _, _, err := e.srv.CreateClient(e.ctx(), e.company, e.owner, ClientInput{Name: &name, RedirectURIs: []string{callback}}); !isStatus(err, 422) {
				t.Errorf("%q CreateClient name: %v", bad, err)
			}
			if _, _, err := e.srv.CreateClient(e.ctx(), e.company, e.owner, ClientInput{Name: &c.Name, RedirectURIs: []string{"https://a.example/" + bad}}); !isStatus(err, 422) {
				t.Errorf("%q CreateClient redirect URI: %v", bad, err)
			}
			if _, err := e.srv.UpdateClient(e.ctx(), e.company, c.ID, ClientInput{Name: &name}); !isStatus(err, 422) {
				t.Errorf("%q UpdateClient name: %v", bad, err)
			}

			// Signing in: a failed login, counted.
			for _, email := range []string{"owner-a@example.com" + bad, bad + "@example.com"} {
				if _, err := e.srv.Login(e.ctx(), email, password, "10.1.1.1"); err != ErrInvalidLogin {
					t.Errorf("login %q: %v", email, err)
				}
			}
			b := e.browser()
			p := b.get(e.oauthConfig(c, secret, "customer.read.all").AuthCodeURL("s"))
			if p = b.submit(p, url.Values{"email": {bad}, "password": {password}}); p.resp.StatusCode != 200 ||
				!strings.Contains(p.body, "These credentials do not match") {
				t.Errorf("%q login page: %d %s", bad, p.resp.StatusCode, p.body)
			}
		}
		// An address longer than any account's would not fit the throttle's index.
		if _, err := e.srv.Login(e.ctx(), strings.Repeat("a", 5000)+"@example.com", password, "10.1.1.1"); err != ErrInvalidLogin {
			t.Errorf("long e-mail: %v", err)
		}
	})
}

func isStatus(err error, status int) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Status == status
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A server error on an OAuth endpoint carries the request id in its body
// (JSON or page) and its log line, as the API's 500s do.
func TestServerErrorRequestID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs syncBuffer
		prev := slog.Default()
		slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
		defer slog.SetDefault(prev)
		mux := http.NewServeMux()
		New(db, config.Config{}, nil).Mount(mux)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mux.ServeHTTP(w, r.WithContext(respond.WithRequestID(r.Context(), "rid-"+r.Method)))
		}))
		defer ts.Close()
		// Any query on the clients now fails.
		if _, err := db.Writer().Exec(t.Context(), `ALTER TABLE oauth_clients RENAME TO oauth_clients_gone`); err != nil {
			t.Fatal(err)
		}
		resp, err := http.PostForm(ts.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 500 || body["request_id"] != "rid-POST" || body["error"] != "server_error" || body["message"] != "Server Error" {
			t.Fatalf("500 body: %d %v", resp.StatusCode, body)
		}
		resp, err = http.Get(ts.URL + "/oauth/authorize?client_id=x&response_type=code")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.Contains(string(page), "rid-GET") {
			t.Fatalf("500 page: %d %s", resp.StatusCode, page)
		}
		for _, rid := range []string{"rid-POST", "rid-GET"} {
			if !strings.Contains(logs.String(), `"request_id":"`+rid+`"`) {
				t.Fatalf("no log line with %s: %s", rid, logs.String())
			}
		}
	})
}

// Every body over 1 MiB is a 413, JSON on the token, revocation and
// introspection endpoints and the authorize form included.
func TestOversizedBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		big := strings.Repeat("a", 2<<20)
		for _, path := range []string{"/oauth/token", "/oauth/revoke", "/oauth/introspect"} {
			req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(`{"grant_type":"client_credentials","x":"`+big+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth(c.ID, secret)
			var oe map[string]string
			if resp := e.do(req, &oe); resp.StatusCode != 413 || oe["error"] != "invalid_request" || oe["message"] != "The request body is larger than 1 MiB." {
				t.Errorf("%s JSON: %d %v", path, resp.StatusCode, oe)
			}
		}
		req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/authorize", strings.NewReader("client_id="+c.ID+"&x="+big))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(page), "larger than 1 MiB") {
			t.Errorf("authorize form: %d %s", resp.StatusCode, page)
		}
	})
}

// Malformed JSON bodies are refused with the API's checks (resource.DecodeBody)
// and a translated message, in the OAuth error shape.
func TestMalformedJSONBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, secret := e.client(e.company, e.owner, true)
		for _, tc := range []struct{ path, body, en, nl string }{
			{"/oauth/token", `{"grant_type":"client_credentials","scope":"customer.read.all","foo":"` + "\xff" + `"}`,
				"The request body is not a valid JSON object: it is not valid UTF-8.", "De body van het verzoek is geen geldig JSON-object: het is geen geldige UTF-8."},
			{"/oauth/token", `{"grant_type":"client_credentials","scope":"customer.read.all` + "\xff" + `"}`,
				"The request body is not a valid JSON object: it is not valid UTF-8.", "De body van het verzoek is geen geldig JSON-object: het is geen geldige UTF-8."},
			{"/oauth/token", `{"grant_type":"client_credentials","scope":"customer.read.all","x":"\ud800"}`,
				"The request body is not a valid JSON object: it is not valid UTF-8.", "De body van het verzoek is geen geldig JSON-object: het is geen geldige UTF-8."},
			{"/oauth/token", `{"grant_type":"client_credentials","grant_type":"client_credentials"}`,
				`The request body is not a valid JSON object: the key "grant_type" is given twice.`, `De body van het verzoek is geen geldig JSON-object: de sleutel "grant_type" komt twee keer voor.`},
			{"/oauth/revoke", `{"token":"` + "\xff" + `"}`,
				"The request body is not a valid JSON object: it is not valid UTF-8.", "De body van het verzoek is geen geldig JSON-object: het is geen geldige UTF-8."},
			{"/oauth/introspect", `["token"]`,
				"The request body is not a valid JSON object: it is not an object.", "De body van het verzoek is geen geldig JSON-object: het is geen object."},
		} {
			for _, lang := range []string{"en", "nl"} {
				req, _ := http.NewRequest("POST", e.ts.URL+tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept-Language", lang)
				req.SetBasicAuth(c.ID, secret)
				var oe map[string]string
				resp := e.do(req, &oe)
				want := tc.en
				if lang == "nl" {
					want = tc.nl
				}
				if resp.StatusCode != 400 || oe["error"] != "invalid_request" || oe["message"] != want || oe["error_description"] != tc.en {
					t.Errorf("%s %q (%s): %d %v", tc.path, tc.body, lang, resp.StatusCode, oe)
				}
			}
		}
		// Scalars of every kind still work.
		req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/token", strings.NewReader(`{"grant_type":"client_credentials","scope":"customer.read.all","user_id":`+itoa(int(e.owner))+`,"x":true,"y":null}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(c.ID, secret)
		if resp := e.do(req, nil); resp.StatusCode != 200 {
			t.Errorf("scalars: %d", resp.StatusCode)
		}
	})
}

// The session and CSRF cookies are Secure when CIRQLL_BASE_URL is https,
// even when the proxy does not say so.
func TestSecureCookiesFromBaseURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, _ := e.client(e.company, e.owner, true)
		for _, base := range []string{"", "http://crm.example.test", "https://crm.example.test"} {
			secure := strings.HasPrefix(base, "https:")
			mux := http.NewServeMux()
			New(db, config.Config{BaseURL: base}, nil).Mount(mux)
			ts := httptest.NewServer(mux)
			defer ts.Close()
			q := url.Values{"client_id": {c.ID}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"customer.read.all"}}
			resp, err := http.Get(ts.URL + "/oauth/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			p := e.browser().parse(resp)
			csrf := cookie(resp, CSRFCookie)
			if csrf == nil || csrf.Secure != secure {
				t.Fatalf("base %q: csrf cookie %+v", base, csrf)
			}
			form := url.Values{"email": {"owner-a@example.com"}, "password": {password}}
			for k, v := range p.fields {
				form[k] = v
			}
			req, _ := http.NewRequest("POST", ts.URL+"/oauth/authorize", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: CSRFCookie, Value: csrf.Value})
			resp, err = http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if s := cookie(resp, SessionCookie); resp.StatusCode != 303 || s == nil || s.Secure != secure {
				t.Fatalf("base %q: login %d, session cookie %+v", base, resp.StatusCode, s)
			}
		}
	})
}

func cookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// /oauth/static/ serves files, never a folder listing.
func TestStaticFilesOnly(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Dialects()[0]))
	for path, want := range map[string]int{"/oauth/static/": 404, "/oauth/static/oauth.css": 200, "/oauth/static/nope.css": 404} {
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 404 && strings.Contains(string(b), "oauth.css") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
}
