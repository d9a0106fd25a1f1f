package pages_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

const (
	ownerPassword = "owner-password-123"
	userPassword  = "user-password-123"
)

// client is a browser without JavaScript: a cookie jar, no automatic
// redirects (tests look at each 303), an Accept-Language.
type client struct {
	t    *testing.T
	e    *apitest.Env
	http *http.Client
	lang string
	last *resp // the last page, whose CSRF token forms send back
}

func newClient(t *testing.T, e *apitest.Env) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	t        *testing.T
	Code     int
	Header   http.Header
	Body     string
	Location string
	req      string
}

func (c *client) do(method, path string, form url.Values) *resp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.Server.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := &resp{t: c.t, Code: res.StatusCode, Header: res.Header, Body: string(b), req: method + " " + path}
	if loc := res.Header.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil && u.Host == "" {
			r.Location = u.String()
		} else if err == nil && strings.HasPrefix(loc, c.e.Server.URL) {
			r.Location = strings.TrimPrefix(loc, c.e.Server.URL)
		} else {
			r.Location = loc
		}
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		c.last = r
	}
	return r
}

func (c *client) get(path string) *resp { c.t.Helper(); return c.do("GET", path, nil) }

// post sends a form with the CSRF token of the last page (unless the form
// sets csrf_token itself, possibly to "").
func (c *client) post(path string, form url.Values) *resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok && c.last != nil {
		form.Set("csrf_token", c.last.csrf())
	} else if ok && form.Get("csrf_token") == "" {
		form.Del("csrf_token")
	}
	return c.do("POST", path, form)
}

// login signs in through the form and checks where it lands.
func (c *client) login(email, password string) *resp {
	c.t.Helper()
	c.get("/login").status(200)
	return c.post("/login", url.Values{"email": {email}, "password": {password}})
}

func (r *resp) status(want int) *resp {
	r.t.Helper()
	if r.Code != want {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.req, r.Code, want, excerpt(r.Body))
	}
	return r
}

func (r *resp) redirect(want string) *resp {
	r.t.Helper()
	if r.Code != http.StatusSeeOther || r.Location != want {
		r.t.Fatalf("%s: %d to %q, want 303 to %q\n%s", r.req, r.Code, r.Location, want, excerpt(r.Body))
	}
	return r
}

// has checks that the page's text (tags stripped, entities decoded)
// contains each string.
func (r *resp) has(texts ...string) *resp {
	r.t.Helper()
	txt := r.text()
	for _, s := range texts {
		if !strings.Contains(txt, s) && !strings.Contains(r.Body, s) {
			r.t.Fatalf("%s: page lacks %q:\n%s", r.req, s, excerpt(r.Body))
		}
	}
	return r
}

func (r *resp) lacks(texts ...string) *resp {
	r.t.Helper()
	for _, s := range texts {
		if strings.Contains(r.Body, s) || strings.Contains(r.text(), s) {
			r.t.Fatalf("%s: page contains %q", r.req, s)
		}
	}
	return r
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
	csrfRE  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

func (r *resp) text() string {
	return spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(r.Body, " ")), " ")
}

func (r *resp) csrf() string {
	m := csrfRE.FindStringSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return m[1]
}

// input returns the value attribute of the input with the id.
func (r *resp) input(id string) string {
	r.t.Helper()
	re := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]*value="([^"]*)"`)
	m := re.FindStringSubmatch(r.Body)
	if m == nil {
		r.t.Fatalf("%s: no input #%s:\n%s", r.req, id, excerpt(r.Body))
	}
	return html.UnescapeString(m[1])
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "..."
	}
	return s
}

// ownerEmail is the e-mail apitest gives a company's owner.
func ownerEmail(t *testing.T, e *apitest.Env, tn *apitest.Tenant) string {
	t.Helper()
	var email string
	if err := e.DB.Reader().QueryRow(t.Context(), `SELECT email FROM users WHERE id = ?`, tn.OwnerID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	return email
}

// user creates a user with the role and returns its id and e-mail.
func user(t *testing.T, e *apitest.Env, tn *apitest.Tenant, role string) (int64, string) {
	t.Helper()
	id := tn.User(role)
	// English pages unless a test asks otherwise (users default to nl).
	tn.Do("PATCH", fmt.Sprintf("/api/user/%d", id), tn.Token, map[string]any{"locale": "en"}).Status(200)
	var email string
	if err := e.DB.Reader().QueryRow(t.Context(), `SELECT email FROM users WHERE id = ?`, id).Scan(&email); err != nil {
		t.Fatal(err)
	}
	return id, email
}

func roleID(t *testing.T, e *apitest.Env, tn *apitest.Tenant, name string) int64 {
	t.Helper()
	var id int64
	if err := e.DB.Reader().QueryRow(t.Context(), `SELECT id FROM roles WHERE company_id = ? AND name = ?`, tn.CompanyID, name).Scan(&id); err != nil {
		t.Fatalf("role %s: %v", name, err)
	}
	return id
}

// authorize runs the authorization code flow through the consent page
// with the signed-in client and returns the code.
func (c *client) authorize(clientID, redirect, scope string) string {
	c.t.Helper()
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"st"}}
	c.get("/oauth/authorize?" + q.Encode()).status(200)
	form := url.Values{"decision": {"approve"}}
	for k, v := range q {
		form[k] = v
	}
	r := c.post("/oauth/authorize", form)
	if r.Code != http.StatusFound {
		c.t.Fatalf("consent: %d %s", r.Code, excerpt(r.Body))
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || u.Query().Get("code") == "" {
		c.t.Fatalf("consent: no code in %q", r.Header.Get("Location"))
	}
	return u.Query().Get("code")
}

// exchange trades a code for an access token (confidential client).
func exchange(t *testing.T, e *apitest.Env, clientID, secret, redirect, code string) string {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	req, _ := http.NewRequest("POST", e.Server.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %s", res.StatusCode, b)
	}
	return tr.AccessToken
}

// clientCredentials gets a token for the client's owner, or fails.
func clientCredentials(e *apitest.Env, clientID, secret, scope string) (int, string) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	req, _ := http.NewRequest("POST", e.Server.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(b, &tr)
	if tr.AccessToken == "" {
		return res.StatusCode, string(b)
	}
	return res.StatusCode, tr.AccessToken
}

func clientCount(t *testing.T, e *apitest.Env, companyID int64) int {
	t.Helper()
	list, err := e.App.OAuth.ListClients(t.Context(), companyID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}
