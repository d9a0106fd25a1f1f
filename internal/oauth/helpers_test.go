package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/store"
)

func TestMain(m *testing.M) {
	auth.ArgonMemory, auth.ArgonTime = 64, 1
	os.Exit(m.Run())
}

const (
	callback = "http://localhost/callback"
	password = "correct horse battery staple"
)

// env is a company with an owner, a running server and helpers.
type env struct {
	t        testing.TB
	db       *store.DB
	srv      *Server
	ts       *httptest.Server
	company  int64
	owner    int64
	ownerTok string // a token with client.manage.all
}

func newEnv(t testing.TB, db *store.DB) *env {
	return newEnvCfg(t, db, config.Config{RateLimit: 1000})
}

func newEnvCfg(t testing.TB, db *store.DB, cfg config.Config) *env {
	t.Helper()
	srv := New(db, cfg, ratelimit.NewMemory())
	mux := http.NewServeMux()
	srv.Mount(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	e := &env{t: t, db: db, srv: srv, ts: ts}
	e.company, e.owner = e.newCompany("a")
	return e
}

func (e *env) ctx() context.Context { return context.Background() }

// newCompany creates a company whose owner is owner-<tag>@example.com.
func (e *env) newCompany(tag string) (companyID, ownerID int64) {
	e.t.Helper()
	c, u, err := e.db.CreateCompany(e.ctx(), store.NewCompany{Name: "Company " + tag, OwnerName: "Owner " + tag,
		OwnerEmail: "owner-" + tag + "@example.com", OwnerPassword: password, Locale: "en"})
	if err != nil {
		e.t.Fatalf("create company: %v", err)
	}
	return c, u
}

// newUser adds a user with a built-in or custom role to a company.
func (e *env) newUser(company int64, email, role string) int64 {
	e.t.Helper()
	var roleID int64
	if err := e.db.Reader().QueryRow(e.ctx(), `SELECT id FROM roles WHERE company_id = ? AND name = ?`, company, role).Scan(&roleID); err != nil {
		e.t.Fatalf("role %s: %v", role, err)
	}
	now := e.db.Dialect.Time(store.Now())
	id, err := insertID(e.ctx(), e.db.Writer(), `INSERT INTO users (company_id, name, email, password_hash, role_id, locale, timezone, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'en', 'Europe/Amsterdam', ?, ?, ?)`, company, email, email, auth.HashPassword(password), roleID, e.db.Dialect.Bool(true), now, now)
	if err != nil {
		e.t.Fatalf("insert user: %v", err)
	}
	return id
}

// newRole adds a custom role.
func (e *env) newRole(company int64, name string, perms ...string) {
	e.t.Helper()
	now := e.db.Dialect.Time(store.Now())
	if _, err := e.db.Writer().Exec(e.ctx(), `INSERT INTO roles (company_id, name, description, permissions, builtin, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?)`,
		company, name, strings.Join(perms, " "), e.db.Dialect.Bool(false), now, now); err != nil {
		e.t.Fatalf("insert role: %v", err)
	}
}

func (e *env) client(company, owner int64, confidential bool, uris ...string) (Client, string) {
	e.t.Helper()
	if len(uris) == 0 {
		uris = []string{callback}
	}
	name := "App"
	c, secret, err := e.srv.CreateClient(e.ctx(), company, owner, ClientInput{Name: &name, RedirectURIs: uris, Confidential: &confidential})
	if err != nil {
		e.t.Fatalf("create client: %v", err)
	}
	return c, secret
}

// ccToken issues a client_credentials token for userID (0: the owner).
func (e *env) ccToken(c Client, secret string, userID int64, scope string) (tokenResponse, *http.Response) {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	if userID != 0 {
		form.Set("user_id", itoa(int(userID)))
	}
	var tr tokenResponse
	resp := e.post("/oauth/token", form, c.ID, secret, &tr)
	return tr, resp
}

// managerToken is a client_credentials token of the company's owner with
// client.manage.all.
func (e *env) managerToken(company, owner int64) string {
	e.t.Helper()
	c, secret := e.client(company, owner, true)
	tr, resp := e.ccToken(c, secret, 0, "client.manage.all customer.read.all")
	if resp.StatusCode != 200 {
		e.t.Fatalf("manager token: %d", resp.StatusCode)
	}
	return tr.AccessToken
}

// post sends a form to the server with Basic credentials when id is set
// and decodes the JSON answer into out.
func (e *env) post(path string, form url.Values, id, secret string, out any) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return e.do(req, out)
}

func (e *env) do(req *http.Request, out any) *http.Response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decode %s: %v: %s", req.URL.Path, err, b)
		}
	}
	return resp
}

// api calls a JSON endpoint with a bearer token.
func (e *env) api(method, path, token string, body any, out any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req, out)
}

func (e *env) oauthConfig(c Client, secret string, scopes ...string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if secret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: c.ID, ClientSecret: secret, RedirectURL: callback, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: e.ts.URL + "/oauth/authorize", TokenURL: e.ts.URL + "/oauth/token", AuthStyle: style}}
}

// browser is a cookie-keeping HTTP client that stops at the callback.
type browser struct {
	e      *env
	c      *http.Client
	header http.Header
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, header: http.Header{}, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// page is a fetched HTML page.
type htmlPage struct {
	resp   *http.Response
	body   string
	url    *url.URL
	action string
	fields url.Values
	// buttons: name=value of the submit buttons
	buttons []string
	forms   int
}

var (
	reForm   = regexp.MustCompile(`(?is)<form\b([^>]*)>`)
	reInput  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	reButton = regexp.MustCompile(`(?is)<button\b([^>]*)>`)
	reAttr   = regexp.MustCompile(`(?is)([a-z-]+)\s*=\s*"([^"]*)"`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

func (b *browser) parse(resp *http.Response) *htmlPage {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := &htmlPage{resp: resp, body: string(raw), url: resp.Request.URL, fields: url.Values{}}
	forms := reForm.FindAllStringSubmatch(p.body, -1)
	p.forms = len(forms)
	if len(forms) == 1 {
		a := attrs(forms[0][1])
		if strings.ToLower(a["method"]) != "post" {
			b.e.t.Fatalf("form method %q", a["method"])
		}
		p.action = a["action"]
	}
	for _, in := range reInput.FindAllStringSubmatch(p.body, -1) {
		a := attrs(in[1])
		if a["type"] == "hidden" {
			p.fields.Add(a["name"], a["value"])
		}
	}
	for _, bt := range reButton.FindAllStringSubmatch(p.body, -1) {
		a := attrs(bt[1])
		if a["name"] != "" {
			p.buttons = append(p.buttons, a["name"]+"="+a["value"])
		}
	}
	return p
}

func (b *browser) get(u string) *htmlPage {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", u, err)
	}
	return b.parse(resp)
}

// submit posts the page's form with its hidden fields plus extra.
func (b *browser) submit(p *htmlPage, extra url.Values) *htmlPage {
	b.e.t.Helper()
	if p.forms != 1 {
		b.e.t.Fatalf("page has %d forms (status %d): %s", p.forms, p.resp.StatusCode, p.body)
	}
	target := p.url.ResolveReference(&url.URL{Path: p.action})
	if p.action == "" {
		target = p.url
	}
	form := url.Values{}
	for k, v := range p.fields {
		form[k] = v
	}
	for k, v := range extra {
		form[k] = v
	}
	req, _ := http.NewRequest("POST", target.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", target, err)
	}
	return b.parse(resp)
}

// login fills the login page.
func (b *browser) login(p *htmlPage, email string) *htmlPage {
	b.e.t.Helper()
	if !strings.Contains(p.body, `name="email"`) || !strings.Contains(p.body, `name="password"`) {
		b.e.t.Fatalf("not a login page (%d): %s", p.resp.StatusCode, p.body)
	}
	return b.submit(p, url.Values{"email": {email}, "password": {password}})
}

// decide presses a consent button and returns the callback URL.
func (b *browser) decide(p *htmlPage, decision string) *url.URL {
	b.e.t.Helper()
	if !contains(p.buttons, "decision="+decision) {
		b.e.t.Fatalf("consent page (%d) lacks the %s button: %s", p.resp.StatusCode, decision, p.body)
	}
	res := b.submit(p, url.Values{"decision": {decision}})
	if res.resp.StatusCode != http.StatusFound {
		b.e.t.Fatalf("decision %s: status %d: %s", decision, res.resp.StatusCode, res.body)
	}
	u, err := url.Parse(res.resp.Header.Get("Location"))
	if err != nil {
		b.e.t.Fatal(err)
	}
	return u
}

// authorize runs the pages from authURL to the callback as email.
func (b *browser) authorize(authURL, email, decision string) *url.URL {
	b.e.t.Helper()
	p := b.get(authURL)
	if strings.Contains(p.body, `name="password"`) {
		p = b.login(p, email)
	}
	if p.resp.StatusCode != 200 {
		b.e.t.Fatalf("consent page: %d: %s", p.resp.StatusCode, p.body)
	}
	return b.decide(p, decision)
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// pctAll percent-encodes every byte (what a form-encoding client may do).
func pctAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(hex2(s[i])))
	}
	return b.String()
}

func hex2(c byte) string {
	const h = "0123456789abcdef"
	return string([]byte{h[c>>4], h[c&15]})
}

func retrieveCode(t testing.TB, err error) string {
	t.Helper()
	re, ok := err.(*oauth2.RetrieveError)
	if !ok {
		t.Fatalf("want a RetrieveError, got %T %v", err, err)
	}
	return re.ErrorCode
}
