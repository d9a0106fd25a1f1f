package pages_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
)

// chromium is the browser binary: CIRQLL_TEST_CHROMIUM (which must then
// work: a browser that cannot start fails the test), else one on the PATH;
// without either the browser tests are skipped.
func chromium(t *testing.T) string {
	if p := os.Getenv("CIRQLL_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install it (apt-get install chromium) or set CIRQLL_TEST_CHROMIUM")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile. It may not
// reach beyond 127.0.0.1: background networking is off and every host name
// fails to resolve (the tests use only IP addresses).
func startBrowser(t *testing.T) context.Context {
	bin := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("Chromium (%s) did not start: %v", bin, err)
	}
	return ctx
}

// tab is one isolated browser profile (its own cookies) on the server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newTab(t *testing.T, browser context.Context, base, acceptLanguage string) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, ctx: ctx, base: base}
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome Cirqll-test", AcceptLanguage: acceptLanguage})
		return err
	}))
	b.desktop()
	return b
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.url(), err)
	}
}

// open navigates and returns the document's HTTP status.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// click clicks an element that loads a page and returns that page's status.
func (b *tab) click(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s at %s: %v", sel, b.url(), err)
	}
	return res.Status
}

func (b *tab) typeIn(id, text string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+jsString(id)+`).value = ''`),
		chromedp.SendKeys(chromedp.ID(id), text))
}

func (b *tab) url() string {
	u, _ := chromedp.Run(b.ctx, chromedp.Location())
	return u
}

func (b *tab) path() string {
	u, err := url.Parse(b.url())
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s at %s: %v", sel, b.url(), err)
	}
	return s
}

func (b *tab) value(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("value of #%s: %v", id, err)
	}
	return s
}

func evalIn[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %q at %s: %v", js, b.url(), err)
	}
	return v
}

// contains checks the visible text of the page.
func (b *tab) contains(texts ...string) {
	b.t.Helper()
	// Read through script rather than a DOM node id: right after a
	// navigation the body node may be replaced under a node-id read.
	var body string
	var err error
	for range 20 {
		body, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil && body != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("text of the page at %s: %v", b.url(), err)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			b.t.Fatalf("%s: page lacks %q:\n%s", b.path(), s, body)
		}
	}
}

// waitText waits (briefly) for an element's text to contain s.
func (b *tab) waitText(sel, s string) {
	b.t.Helper()
	var got string
	for range 50 {
		got = evalIn[string](b, `(document.querySelector(`+jsString(sel)+`) || {}).textContent || ""`)
		if strings.Contains(got, s) {
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	b.t.Fatalf("%s: %s says %q, want %q", b.path(), sel, got, s)
}

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func (b *tab) desktop() { b.do(chromedp.EmulateViewport(1280, 800)) }
func (b *tab) phone() {
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
}

// scheme emulates prefers-color-scheme ("" resets it).
func (b *tab) scheme(s string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}})
		return err
	}))
}

// audit checks what a page owes keyboard and screen reader users at the
// current width: one h1, a main landmark, a name for every control and
// link, the page's language, no horizontal scrolling, and text contrast of
// at least 4.5:1 (3:1 for large text).
func (b *tab) audit(lang string) {
	b.t.Helper()
	problems := evalIn[[]string](b, auditJS)
	if got := evalIn[string](b, `document.documentElement.lang`); got != lang {
		problems = append(problems, "lang is "+got)
	}
	if len(problems) > 0 {
		b.t.Errorf("%s (%d px wide, %s): %s", b.path(), evalIn[int](b, `window.innerWidth`),
			evalIn[string](b, `matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'`), strings.Join(problems, "; "))
	}
}

const auditJS = `(() => {
  const out = [];
  if (document.querySelectorAll('h1').length !== 1) out.push('h1 count ' + document.querySelectorAll('h1').length);
  if (!document.querySelector('main#main')) out.push('no main');
  const first = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea');
  if (!first || !first.classList.contains('skip')) out.push('the skip link is not first');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const name = (el.labels ? [...el.labels].map(l => l.textContent).join(' ') : '') + (el.getAttribute('aria-label') || '');
    if (!name.trim()) out.push('no label: ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('a, button')) {
    if (el.hidden || el.closest('[hidden]')) continue;
    if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.push('no name: ' + el.outerHTML.slice(0, 80));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('scrolls sideways: ' + document.documentElement.scrollWidth);
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || el.getClientRects().length === 0) continue;
    const r = el.getBoundingClientRect(); if (r.width <= 1 || r.height <= 1) continue;
    const fg = rgb(st.color), b = bg(el);
    if (!fg) continue;
    const l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    const key = el.tagName + st.color + b.r + b.g + b.b;
    if (ratio < need && !seen.has(key)) { seen.add(key); out.push('contrast ' + ratio.toFixed(2) + ' of ' + el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '"'); }
  }
  return out;
})()`

// login signs in through the sign-in page.
func (b *tab) login(email, password string) int64 {
	b.t.Helper()
	if st := b.open("/login"); st != 200 {
		b.t.Fatalf("/login: %d", st)
	}
	b.typeIn("f-email", email)
	b.typeIn("f-password", password)
	return b.click(`form[action="/login"] button[type=submit]`)
}

// callbacks is a client's redirect URI on 127.0.0.1 that records what the
// authorization server sends it.
type callbacks struct {
	srv   *httptest.Server
	query chan url.Values
}

func newCallbacks(t *testing.T) *callbacks {
	c := &callbacks{query: make(chan url.Values, 8)}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.query <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>Callback</title><h1>Signed in</h1></html>`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

func exchangePKCE(t *testing.T, e *apitest.Env, clientID, secret, redirect, code, verifier string) string {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	req, _ := http.NewRequest("POST", e.Server.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonDecode(res, &tr); err != nil || res.StatusCode != 200 || tr.AccessToken == "" {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	return tr.AccessToken
}

// authorizeInBrowser runs the authorization code flow (PKCE) through the
// consent page in the browser and returns an access token.
func authorizeInBrowser(t *testing.T, b *tab, e *apitest.Env, cb *callbacks, clientID, secret, scope string) string {
	t.Helper()
	redirect := cb.srv.URL + "/cb"
	verifier, challenge := pkce()
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope},
		"state": {"s-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	if st := b.open("/oauth/authorize?" + q.Encode()); st != 200 {
		t.Fatalf("consent page: %d", st)
	}
	if st := b.click(`button[name=decision][value=approve]`); st != 200 {
		t.Fatalf("callback: %d", st)
	}
	var got url.Values
	select {
	case got = <-cb.query:
	case <-time.After(10 * time.Second):
		t.Fatal("the client's redirect URI was not called")
	}
	if got.Get("state") != "s-1" || got.Get("code") == "" {
		t.Fatalf("callback with %v", got)
	}
	return exchangePKCE(t, e, clientID, secret, redirect, got.Get("code"), verifier)
}

// TestBrowser drives the pages in headless Chromium: the flows of issue #5
// end to end, plus the wrong password, a missing CSRF token and a viewer at
// the Marketplace.
func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	e := apitest.New(t, dialect.SQLite)
	tn := e.Company("Browser BV")
	cb := newCallbacks(t)
	owner := newTab(t, browser, e.Server.URL, "en")
	email := ownerEmail(t, e, tn)

	// A wrong password: an error, still on the sign-in page.
	if st := owner.login(email, "not-the-password"); st != 200 {
		t.Fatalf("wrong password: status %d", st)
	}
	owner.contains("These credentials do not match our records.")
	if owner.value("f-email") != email {
		t.Error("the e-mail address was not kept")
	}
	// Signed in, the owner lands on Settings > Marketplace.
	owner.login(email, ownerPassword)
	if p := owner.path(); p != "/settings/marketplace" {
		t.Fatalf("after sign-in at %s", p)
	}
	// Keyboard: the first Tab reaches the skip link, which moves focus to
	// the content; focus is visible.
	owner.do(chromedp.KeyEvent(kb.Tab))
	if got := evalIn[string](owner, `document.activeElement.className + '|' + getComputedStyle(document.activeElement).outlineStyle`); got != "skip|solid" {
		t.Errorf("first Tab: %s", got)
	}
	owner.do(chromedp.KeyEvent(kb.Enter))
	if got := evalIn[string](owner, `document.activeElement.id`); got != "main" {
		t.Errorf("the skip link moved focus to %q", got)
	}

	// Create a client; its secret is shown once, with a copy button.
	owner.click(`a[href="/settings/marketplace/new"]`)
	owner.typeIn("f-name", "Browser app")
	owner.typeIn("f-redirect-uris", cb.srv.URL+"/cb")
	if st := owner.click(`form button[type=submit].primary`); st != 201 {
		t.Fatalf("create client: %d", st)
	}
	owner.contains("Client Browser app created", "shown only this once")
	clientID, secret := owner.value("client-id"), owner.value("client-secret")
	if len(secret) < 43 {
		t.Fatalf("secret %q", secret)
	}
	if evalIn[bool](owner, `document.querySelector('[data-copy=client-secret]').hidden`) {
		t.Fatal("the copy button stayed hidden: pages.js did not run")
	}
	owner.do(chromedp.Click(chromedp.CSS(`[data-copy=client-secret]`)))
	owner.waitText("#copy-status", "The client secret was copied to the clipboard.")
	// The list never shows it again.
	owner.open("/settings/marketplace")
	owner.contains("Browser app", clientID, cb.srv.URL+"/cb", "Confidential")
	if html := evalIn[string](owner, `document.documentElement.outerHTML`); strings.Contains(html, secret) {
		t.Fatal("the Marketplace shows the secret again")
	}

	// Use the client: authorization code flow through the consent page.
	token := authorizeInBrowser(t, owner, e, cb, clientID, secret, "customer.read.all contact.read.all")
	tn.Do("GET", "/api/customer", token, nil).Status(200)

	// The grant under Authorized apps, its scopes in words; revoke it.
	owner.open("/settings/apps")
	owner.contains("Browser app", "Read all customers", "Read all contacts")
	owner.click("#" + grantOf(owner, "Browser app") + " button.danger")
	owner.contains("Access for Browser app has been revoked.")
	tn.Do("GET", "/api/customer", token, nil).Status(401)

	// A custom role, assigned through the API; its limits bite.
	owner.open("/settings/roles")
	owner.click(`a[href="/settings/roles/new"]`)
	owner.typeIn("f-name", "Customer readers")
	owner.do(chromedp.SetValue(chromedp.ID("p-customer-read"), "all"))
	owner.click(`form button[type=submit].primary`)
	owner.contains("The role Customer readers has been created.", "Customer readers")
	rid := roleID(t, e, tn, "Customer readers")
	uid := tn.Do("POST", "/api/user", tn.Token, map[string]any{"name": "Carla Reader", "email": "carla@browser.test",
		"password": userPassword, "role_id": rid, "locale": "en"}).Status(201).ID()
	limited := tn.TokenFor(uid, "customer.read.all", "customer.create.all", "contact.read.all")
	tn.Do("GET", "/api/customer", limited, nil).Status(200)
	body := tn.Do("POST", "/api/customer", limited, map[string]any{"name": "Nope BV"}).Status(403).JSON()
	if body["required_scope"] != "customer.create.all" {
		t.Errorf("403 names %v", body["required_scope"])
	}
	tn.Do("GET", "/api/contact", limited, nil).Status(403)
	// In use: the role cannot be deleted, and the page says by whom.
	owner.open(fmt.Sprintf("/settings/roles/%d/delete", rid))
	owner.contains("cannot be deleted while users have it", "Carla Reader")

	// Edit the client, then delete it after the confirmation; its tokens die.
	_, cc := clientCredentials(e, clientID, secret, "customer.read.all")
	tn.Do("GET", "/api/customer", cc, nil).Status(200)
	owner.open("/settings/marketplace")
	owner.click(`a[href="/settings/marketplace/` + clientID + `/edit"]`)
	owner.typeIn("f-name", "Browser app v2")
	owner.click(`form button[type=submit].primary`)
	owner.contains("The client Browser app v2 has been saved.")
	owner.click(`a[href="/settings/marketplace/` + clientID + `/delete"]`)
	owner.contains("Delete Browser app v2?", "tokens are revoked", "It currently has 1 active authorization.")
	owner.click(`form button.danger`)
	owner.contains("The client Browser app v2 has been deleted and its tokens revoked.")
	tn.Do("GET", "/api/customer", cc, nil).Status(401)

	// A form without its CSRF token is refused and changes nothing.
	before := clientCount(t, e, tn.CompanyID)
	owner.open("/settings/marketplace/new")
	owner.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('main form input[name=csrf_token]').remove()`))
	owner.typeIn("f-name", "Forged")
	owner.typeIn("f-redirect-uris", "https://forged.test/cb")
	if st := owner.click(`form button[type=submit].primary`); st != 403 {
		t.Fatalf("without CSRF token: %d", st)
	}
	owner.contains("Form expired")
	if clientCount(t, e, tn.CompanyID) != before {
		t.Fatal("a form without CSRF token made a client")
	}

	// A viewer: Authorized apps only; the Marketplace is a 403 page.
	_, vemail := user(t, e, tn, "company_viewer")
	viewer := newTab(t, browser, e.Server.URL, "en")
	viewer.login(vemail, userPassword)
	if p := viewer.path(); p != "/settings/apps" {
		t.Fatalf("viewer landed on %s", p)
	}
	if evalIn[int](viewer, `document.querySelectorAll('nav a[href="/settings/marketplace"]').length`) != 0 {
		t.Error("the viewer's navigation links to Marketplace")
	}
	if st := viewer.open("/settings/marketplace"); st != 403 {
		t.Fatalf("viewer at Marketplace: %d", st)
	}
	viewer.contains("No access", "client.manage.all")

	// Sign out from the header.
	owner.click(`form[action="/logout"] button`)
	if p := owner.path(); p != "/login" {
		t.Fatalf("after sign-out at %s", p)
	}
	owner.contains("You have been signed out.")
	if st := owner.open("/settings/roles"); st != 200 || owner.path() != "/login?next=%2Fsettings%2Froles" {
		t.Fatalf("signed out, /settings/roles went to %s", owner.path())
	}
}

// TestScreenshots visits every page in English and Dutch at desktop and
// phone width, audits each (keyboard and screen reader basics, contrast,
// no sideways scrolling) and, with CIRQLL_SCREENSHOTS=1, saves them in
// docs/screenshots.
func TestScreenshots(t *testing.T) {
	browser := startBrowser(t)
	save := os.Getenv("CIRQLL_SCREENSHOTS") == "1"
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if save {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			// The default rate limit, as a real server shows it.
			e := apitest.New(t, dialect.SQLite, func(c *config.Config) { c.RateLimit = 60 })
			tn := e.Company("Acme BV")
			tn.Do("PATCH", fmt.Sprintf("/api/user/%d", tn.OwnerID), tn.Token, map[string]any{"name": "Anna de Vries", "locale": lang}).Status(200)
			// A custom role with a user, and a viewer, made through the API.
			rid := tn.Do("POST", "/api/role", tn.Token, map[string]any{"name": "Sales",
				"description": map[string]string{"en": "Account managers", "nl": "Accountmanagers"}[lang],
				"permissions": []string{"customer.read.all", "contact.read.all", "chance.read.all", "customer.update.own",
					"chance.create.own", "chance.update.own", "task.create.own"}}).Status(201).ID()
			tn.Do("POST", "/api/user", tn.Token, map[string]any{"name": "Bram Jansen", "email": "bram@acme.example",
				"password": userPassword, "role_id": rid}).Status(201)
			vid, vemail := user(t, e, tn, "company_viewer")
			tn.Do("PATCH", fmt.Sprintf("/api/user/%d", vid), tn.Token, map[string]any{"name": "Vera Viewer", "locale": lang}).Status(200)
			// Without the harness's client (and its all-scopes grant).
			if err := e.App.OAuth.DeleteClient(t.Context(), tn.CompanyID, tn.ClientID); err != nil {
				t.Fatal(err)
			}
			cb := newCallbacks(t)
			b := newTab(t, browser, e.Server.URL, lang)
			shoot := func(b *tab, name string) {
				t.Helper()
				for _, width := range []string{"desktop", "phone"} {
					if width == "phone" {
						b.phone()
					} else {
						b.desktop()
					}
					b.audit(lang)
					if save {
						png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
						if err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(filepath.Join(dir, name+"-"+lang+"-"+width+".png"), png, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				// The smallest phones, and the dark colour scheme, are
				// audited too (not saved).
				b.do(chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile))
				b.audit(lang)
				b.desktop()
				b.scheme("dark")
				b.audit(lang)
				b.scheme("")
			}

			b.open("/login")
			shoot(b, "login")
			b.typeIn("f-email", ownerEmail(t, e, tn))
			b.typeIn("f-password", "wrong password")
			b.click(`form[action="/login"] button[type=submit]`)
			shoot(b, "login-error")
			b.login(ownerEmail(t, e, tn), ownerPassword)

			// Marketplace with two clients, one of them authorized.
			b.open("/settings/marketplace/new")
			b.typeIn("f-name", "Zapier sync")
			b.typeIn("f-redirect-uris", "https://hooks.zapier.example/cirqll/callback")
			b.click(`form button[type=submit].primary`)
			b.open("/settings/marketplace/new")
			b.typeIn("f-name", "Webshop")
			b.typeIn("f-redirect-uris", "ftp://shop.example/cb")
			b.click(`form button[type=submit].primary`)
			shoot(b, "client-new-errors")
			b.typeIn("f-redirect-uris", cb.srv.URL+"/cb\nhttps://shop.example/oauth/callback")
			b.typeIn("f-rate-limit", "120")
			if st := b.click(`form button[type=submit].primary`); st != 201 {
				t.Fatalf("create: %d", st)
			}
			b.do(chromedp.Click(chromedp.CSS(`[data-copy=client-secret]`)))
			shoot(b, "client-created")
			id, secret := b.value("client-id"), b.value("client-secret")
			b.open("/settings/marketplace")
			shoot(b, "marketplace")
			b.open("/settings/marketplace/" + id + "/edit")
			shoot(b, "client-edit")
			b.open("/settings/marketplace/" + id + "/delete")
			shoot(b, "client-delete")

			// Authorized apps.
			authorizeInBrowser(t, b, e, cb, id, secret, "customer.read.all contact.read.all task.update.own")
			b.open("/settings/apps")
			shoot(b, "apps")

			b.open("/settings/roles")
			b.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach((d, i) => { if (i === 3) d.open = true; })`))
			shoot(b, "roles")
			b.open(fmt.Sprintf("/settings/roles/%d/edit", rid))
			shoot(b, "role-edit")
			b.open(fmt.Sprintf("/settings/roles/%d/delete", rid))
			shoot(b, "role-delete-blocked")

			// A viewer at the Marketplace.
			v := newTab(t, browser, e.Server.URL, lang)
			v.login(vemail, userPassword)
			v.open("/settings/marketplace")
			shoot(v, "forbidden")
		})
	}
}

// grantOf is the id of the Authorized apps entry of the named client.
func grantOf(b *tab, client string) string {
	b.t.Helper()
	id := evalIn[string](b, `(([...document.querySelectorAll('.grant')].find(g => g.querySelector('h2').textContent === `+jsString(client)+`)) || {}).id || ''`)
	if id == "" {
		b.t.Fatalf("no authorized app %q", client)
	}
	return id
}

func jsonDecode(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }
