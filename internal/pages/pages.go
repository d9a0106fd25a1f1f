// Package pages is the web app's settings pages, server-rendered from the
// embedded templates in web/templates/pages: sign-in and sign-out,
// Settings > Marketplace (the company's OAuth clients), Settings >
// Authorized apps (the user's grants) and Settings > Roles. Every action
// goes through the same code as the API (oauth.Server for clients and
// grants, resource.Service for roles), so the pages cannot do what the API
// would refuse. See docs/pages.md.
package pages

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/web"
)

// Static files (web/static) are served by the OAuth server at this prefix;
// the pages use pages.css and pages.js from there.
const staticPrefix = "/oauth/static/"

// maxForm bounds a form body; the largest form (a role) is a few KiB.
const maxForm = 64 << 10

// Pages serves the web app's pages. Create it with New and register its
// routes with Mount.
type Pages struct {
	oa        *oauth.Server
	svc       *resource.Service
	db        *store.DB
	rateLimit int // the server's default per-minute limit, shown for clients without their own
	tpl       map[string]*template.Template
	now       func() time.Time

	// created remembers which create-client forms were already submitted,
	// so a browser that re-sends the POST (reload, back) neither creates a
	// second client nor sees a secret again.
	mu      sync.Mutex
	created map[string]submitted
}

type submitted struct {
	name string
	at   time.Time
}

// New returns the pages over the OAuth server and the resource service.
func New(oa *oauth.Server, svc *resource.Service, cfg config.Config) *Pages {
	rl := cfg.RateLimit
	if rl <= 0 {
		rl = 60
	}
	return &Pages{oa: oa, svc: svc, db: svc.DB, rateLimit: rl, tpl: parseTemplates(), now: time.Now,
		created: map[string]submitted{}}
}

// Mount registers the routes; it is an httpapi.Mounter (the API guard is
// not used: the pages authenticate with the session cookie).
func (p *Pages) Mount(mux *http.ServeMux, _ func(http.Handler) http.Handler) {
	mux.HandleFunc("GET /login", p.loginForm)
	mux.HandleFunc("POST /login", p.loginPost)
	mux.HandleFunc("GET /logout", p.logoutForm)
	mux.HandleFunc("POST /logout", p.logoutPost)
	mux.HandleFunc("GET /settings", p.settings)
	mux.HandleFunc("/settings/", p.notFound)

	mux.HandleFunc("GET /settings/marketplace", p.marketplace)
	mux.HandleFunc("GET /settings/marketplace/new", p.clientNew)
	mux.HandleFunc("POST /settings/marketplace", p.clientCreate)
	mux.HandleFunc("GET /settings/marketplace/{id}/edit", p.clientEdit)
	mux.HandleFunc("POST /settings/marketplace/{id}", p.clientUpdate)
	mux.HandleFunc("GET /settings/marketplace/{id}/delete", p.clientDeleteConfirm)
	mux.HandleFunc("POST /settings/marketplace/{id}/delete", p.clientDelete)

	mux.HandleFunc("GET /settings/apps", p.apps)
	mux.HandleFunc("POST /settings/apps/{id}/revoke", p.appRevoke)

	mux.HandleFunc("GET /settings/roles", p.roles)
	mux.HandleFunc("GET /settings/roles/new", p.roleNew)
	mux.HandleFunc("POST /settings/roles", p.roleCreate)
	mux.HandleFunc("GET /settings/roles/{id}/edit", p.roleEdit)
	mux.HandleFunc("POST /settings/roles/{id}", p.roleUpdate)
	mux.HandleFunc("GET /settings/roles/{id}/delete", p.roleDeleteConfirm)
	mux.HandleFunc("POST /settings/roles/{id}/delete", p.roleDelete)
}

// parseTemplates parses each page (templates/pages/*.html) together with
// the shared layout and partials (templates/pages/base/*.html).
func parseTemplates() map[string]*template.Template {
	base := template.Must(template.New("pages").Funcs(template.FuncMap{"dict": dict}).
		ParseFS(web.FS, "templates/pages/base/*.html"))
	names, err := fs.Glob(web.FS, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		short := strings.TrimPrefix(n, "templates/pages/")
		t := template.Must(base.Clone())
		template.Must(t.ParseFS(web.FS, n))
		out[strings.TrimSuffix(short, ".html")] = t
	}
	return out
}

// dict builds a map for passing several values to a template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: key is not a string")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// user is the signed-in user of a request: who they are and what their
// role lets them do (the principal the pages act as).
type user struct {
	ID, CompanyID int64
	Name, Email   string
	Company       string
	Lang          string
	Loc           *time.Location
	CSRF          string
	P             *auth.Principal
}

// CanManageClients: Settings > Marketplace (client.manage.all).
func (u *user) CanManageClients() bool { return u.P.CanManageClients() }

// CanManageRoles: Settings > Roles, for whoever may create, change or
// delete roles of the whole company (company owners by default). Reading
// roles alone (every built-in role may) does not open the page.
func (u *user) CanManageRoles() bool {
	for _, a := range []string{"create", "update", "delete"} {
		if u.P.Extent("role", a) == schema.All {
			return true
		}
	}
	return false
}

func (u *user) can(action string) bool { return u.P.Extent("role", action) == schema.All }

// SessionPrincipal builds the principal of a web session user: the user
// acts with exactly their role's permissions (the role's permissions play
// the part of the token's scopes), with the user's and company's locales.
// sql.ErrNoRows when the user is not an active user of the company.
func SessionPrincipal(ctx context.Context, db *store.DB, userID, companyID int64) (*auth.Principal, error) {
	var perms, locale, companyLocale sql.NullString
	err := db.Reader().QueryRow(ctx, `SELECT r.permissions, u.locale, st.locale
		FROM users u JOIN roles r ON r.id = u.role_id AND r.company_id = u.company_id
		LEFT JOIN settings st ON st.company_id = u.company_id
		WHERE u.id = ? AND u.company_id = ? AND u.active = ?`, userID, companyID, db.Dialect.Bool(true)).
		Scan(&perms, &locale, &companyLocale)
	if err != nil {
		return nil, err
	}
	list := strings.Fields(perms.String)
	p := auth.NewPrincipal(list, list)
	p.CompanyID, p.UserID = companyID, userID
	p.Locale, p.CompanyLocale = locale.String, companyLocale.String
	return p, nil
}

// current returns the signed-in user, or nil when the browser has no live
// session.
func (p *Pages) current(w http.ResponseWriter, r *http.Request) (*user, error) {
	uid, cid, ok := p.oa.SessionUser(r)
	if !ok {
		return nil, nil
	}
	pr, err := SessionPrincipal(r.Context(), p.db, uid, cid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	u := &user{ID: uid, CompanyID: cid, P: pr}
	var tz sql.NullString
	if err := p.db.Reader().QueryRow(r.Context(), `SELECT u.name, u.email, u.timezone, c.name FROM users u
		JOIN companies c ON c.id = u.company_id WHERE u.id = ? AND u.company_id = ?`, uid, cid).
		Scan(&u.Name, &u.Email, &tz, &u.Company); err != nil {
		return nil, err
	}
	u.Loc = time.UTC
	if l, err := time.LoadLocation(tz.String); err == nil && tz.String != "" {
		u.Loc = l
	}
	u.Lang = userLang(r, pr.Locale, pr.CompanyLocale)
	u.CSRF = p.oa.CSRFToken(w, r)
	return u, nil
}

// userLang: the pages follow the user's own locale first, then the
// browser's Accept-Language, then the company setting, then English.
func userLang(r *http.Request, userLocale, companyLocale string) string {
	if userLocale == "en" || userLocale == "nl" {
		return userLocale
	}
	if l := i18n.FromHeader(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return i18n.Pick(companyLocale)
}

// anonLang is the language of a page without a signed-in user.
func anonLang(r *http.Request) string {
	if l := i18n.FromHeader(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "en"
}

// signedIn returns the signed-in user or answers: a GET goes to the login
// page and comes back afterwards; a POST without a session goes to the
// login page too (its form cannot be trusted any more).
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request) *user {
	u, err := p.current(w, r)
	if err != nil {
		p.internal(w, r, err)
		return nil
	}
	if u == nil {
		target := "/login"
		if r.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(r.URL.Path)
		} else {
			p.setFlash(w, r, "flash_session_expired", "")
		}
		seeOther(w, r, target)
		return nil
	}
	return u
}

// navItem is one link of the settings navigation.
type navItem struct {
	Href, Label string
	Current     bool
}

// view is what every template gets.
type view struct {
	Lang   string
	Title  string
	Page   string // the nav entry of the page: marketplace, apps, roles
	User   *user
	Nav    []navItem
	CSRF   string
	Flash  string
	Alert  string
	Errors *formErrors
	Data   any
	loc    *time.Location
}

// tr translates one of this package's messages (keys prefixed "pg.").
func tr(lang, key string, args ...any) string { return i18n.T(lang, "pg."+key, args...) }

// T translates for the templates.
func (v *view) T(key string, args ...any) string { return tr(v.Lang, key, args...) }

// Date formats a time in the user's time zone and language.
func (v *view) Date(t time.Time) string { return formatDate(v.Lang, t, v.loc) }

// Day formats a date (no time) in the user's time zone and language.
func (v *view) Day(t time.Time) string { return formatDay(v.Lang, t, v.loc) }

// ISO is a time as RFC 3339 for <time datetime>.
func (v *view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (p *Pages) newView(w http.ResponseWriter, r *http.Request, u *user, page, titleKey string, args ...any) *view {
	v := &view{Page: page, Errors: &formErrors{}, loc: time.UTC}
	if u != nil {
		v.Lang, v.User, v.CSRF, v.loc = u.Lang, u, u.CSRF, u.Loc
		v.Nav = nav(u, page)
	} else {
		v.Lang = anonLang(r)
	}
	v.Title = tr(v.Lang, titleKey, args...)
	v.Flash = p.takeFlash(w, r, v.Lang)
	return v
}

func nav(u *user, current string) []navItem {
	var out []navItem
	add := func(page, href, key string) {
		out = append(out, navItem{Href: href, Label: tr(u.Lang, key), Current: page == current})
	}
	if u.CanManageClients() {
		add("marketplace", "/settings/marketplace", "nav_marketplace")
	}
	add("apps", "/settings/apps", "nav_apps")
	if u.CanManageRoles() {
		add("roles", "/settings/roles", "nav_roles")
	}
	return out
}

// securePage sets the headers of every page: a strict CSP (scripts and
// styles only from this origin, no inline script), no framing, no caching
// (the pages are per user and some carry a secret), no referrer.
func securePage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Vary", "Accept-Language, Cookie")
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := p.tpl[name]
	var buf bytes.Buffer
	if t == nil {
		slog.ErrorContext(r.Context(), "pages: no template", "page", name)
		http.Error(w, "Server Error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.ErrorContext(r.Context(), "pages: render", "page", name, "err", err.Error())
		securePage(w)
		http.Error(w, "Server Error", http.StatusInternalServerError)
		return
	}
	securePage(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// seeOther is the redirect after a POST (and to the login page): 303, so
// the browser follows with a GET.
func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	securePage(w)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// errorData is the body of the error page.
type errorData struct {
	Message   string
	RequestID string
	Back      string
}

// errorPage renders a page with only a message (403, 404, 500, ...).
func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, u *user, status int, titleKey, msg string) {
	v := p.newView(w, r, u, "", titleKey)
	d := errorData{Message: msg, Back: "/settings"}
	if u == nil {
		d.Back = "/login"
	}
	if status >= 500 {
		d.RequestID = respond.RequestID(r.Context())
	}
	v.Data = d
	p.render(w, r, status, "error", v)
}

func (p *Pages) internal(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "pages: internal error", "path", r.URL.Path, "err", err.Error())
	u, _ := p.current(w, r)
	p.errorPage(w, r, u, http.StatusInternalServerError, "error_server_title", tr(langOf(r, u), "error_server"))
}

func langOf(r *http.Request, u *user) string {
	if u != nil {
		return u.Lang
	}
	return anonLang(r)
}

// forbidden is the 403 page naming the permission a page needs.
func (p *Pages) forbidden(w http.ResponseWriter, r *http.Request, u *user, scope string) {
	p.errorPage(w, r, u, http.StatusForbidden, "error_forbidden_title",
		tr(u.Lang, "error_forbidden", oauth.ScopeDescription(u.Lang, scope), scope))
}

func (p *Pages) notFound(w http.ResponseWriter, r *http.Request) {
	u, err := p.current(w, r)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	p.errorPage(w, r, u, http.StatusNotFound, "error_not_found_title", tr(langOf(r, u), "error_not_found"))
}

// apiError renders an error of the API layer (oauth or resource) that is
// not a form's field error: the same statuses, with a page.
func (p *Pages) apiError(w http.ResponseWriter, r *http.Request, u *user, err error) {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		p.internal(w, r, err)
		return
	}
	switch ae.Status {
	case http.StatusNotFound:
		p.errorPage(w, r, u, http.StatusNotFound, "error_not_found_title", tr(u.Lang, "error_not_found"))
	case http.StatusForbidden:
		p.forbidden(w, r, u, ae.RequiredScope)
	default:
		p.errorPage(w, r, u, ae.Status, "error_title", i18n.T(u.Lang, ae.Msg.Key, ae.Msg.Args...))
	}
}

// parseForm reads a POST form (bounded) and checks its CSRF token; on
// failure it answers with a 403 page and returns false.
func (p *Pages) parseForm(w http.ResponseWriter, r *http.Request, u *user) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.badForm(w, r, u, err)
		return false
	}
	if !p.oa.CheckCSRF(r) {
		p.errorPage(w, r, u, http.StatusForbidden, "error_csrf_title", tr(langOf(r, u), "error_csrf"))
		return false
	}
	return true
}

// badForm answers a form that could not be parsed: 413 when it is over
// maxForm (the contract's answer to an oversized body), else 400.
func (p *Pages) badForm(w http.ResponseWriter, r *http.Request, u *user, err error) {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		p.errorPage(w, r, u, http.StatusRequestEntityTooLarge, "error_title", tr(langOf(r, u), "error_form_too_large"))
		return
	}
	p.errorPage(w, r, u, http.StatusBadRequest, "error_title", tr(langOf(r, u), "error_bad_form"))
}

// settings sends the user to the first settings page they may see.
func (p *Pages) settings(w http.ResponseWriter, r *http.Request) {
	u := p.signedIn(w, r)
	if u == nil {
		return
	}
	seeOther(w, r, firstPage(u))
}

func firstPage(u *user) string {
	if u.CanManageClients() {
		return "/settings/marketplace"
	}
	return "/settings/apps"
}

// Flash messages survive one redirect in a short-lived cookie holding a
// message key (only known keys are shown) and one argument (a name, shown
// escaped). Never a secret.
const flashCookie = "cirqll_flash"

var flashKeys = map[string]bool{
	"flash_signed_out": true, "flash_session_expired": true,
	"flash_client_updated": true, "flash_client_deleted": true,
	"flash_app_revoked":  true,
	"flash_role_created": true, "flash_role_updated": true, "flash_role_deleted": true,
}

func (p *Pages) setFlash(w http.ResponseWriter, r *http.Request, key, arg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(key + "|" + arg), Path: "/", MaxAge: 120,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.oa.SecureCookies(r)})
}

func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request, lang string) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.oa.SecureCookies(r)})
	raw, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	key, arg, _ := strings.Cut(raw, "|")
	if !flashKeys[key] || len(arg) > 300 {
		return ""
	}
	if arg == "" {
		return tr(lang, key)
	}
	return tr(lang, key, arg)
}
