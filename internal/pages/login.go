package pages

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/cirqll/core/internal/oauth"
)

type loginData struct {
	Email string
	Next  string
}

// safeNext keeps a post-login target only when it is a settings page of
// this server (never another origin: no open redirect).
func safeNext(s string) string {
	if s == "/settings" || strings.HasPrefix(s, "/settings/") && !strings.ContainsAny(s, "\\\r\n") && !strings.HasPrefix(s, "//") {
		return s
	}
	return ""
}

func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	u, err := p.current(w, r)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	if u != nil {
		next := safeNext(r.URL.Query().Get("next"))
		if next == "" {
			next = firstPage(u)
		}
		seeOther(w, r, next)
		return
	}
	p.loginPage(w, r, http.StatusOK, "", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *Pages) loginPage(w http.ResponseWriter, r *http.Request, status int, alert string, d loginData) {
	v := p.newView(w, r, nil, "", "login_title")
	v.CSRF = p.oa.CSRFToken(w, r)
	v.Alert = alert
	v.Data = d
	p.render(w, r, status, "login", v)
}

// loginPost signs in with the same accounts, throttling and sessions as
// the authorize pages (oauth.Server.Login and StartSession).
func (p *Pages) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	l := anonLang(r)
	if err := r.ParseForm(); err != nil {
		p.badForm(w, r, nil, err)
		return
	}
	d := loginData{Email: r.PostFormValue("email"), Next: safeNext(r.PostFormValue("next"))}
	if !p.oa.CheckCSRF(r) {
		p.loginPage(w, r, http.StatusForbidden, tr(l, "error_csrf"), d)
		return
	}
	uid, err := p.oa.Login(r.Context(), d.Email, r.PostFormValue("password"), clientIP(r))
	var te *oauth.ThrottledError
	switch {
	case errors.As(err, &te):
		secs := int(te.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg := tr(l, "login_throttled_one")
		if mins := (secs + 59) / 60; mins > 1 {
			msg = tr(l, "login_throttled", mins)
		}
		p.loginPage(w, r, http.StatusTooManyRequests, msg, d)
		return
	case errors.Is(err, oauth.ErrInvalidLogin):
		p.loginPage(w, r, http.StatusOK, tr(l, "login_failed"), d)
		return
	case err != nil:
		p.internal(w, r, err)
		return
	}
	var cid int64
	if err := p.db.Reader().QueryRow(r.Context(), `SELECT company_id FROM users WHERE id = ?`, uid).Scan(&cid); err != nil {
		p.internal(w, r, err)
		return
	}
	if err := p.oa.StartSession(r.Context(), w, r, uid, cid); err != nil {
		p.internal(w, r, err)
		return
	}
	next := d.Next
	if next == "" {
		next = "/settings"
	}
	seeOther(w, r, next)
}

func (p *Pages) logoutForm(w http.ResponseWriter, r *http.Request) {
	u := p.signedIn(w, r)
	if u == nil {
		return
	}
	v := p.newView(w, r, u, "", "logout_title")
	p.render(w, r, http.StatusOK, "logout", v)
}

func (p *Pages) logoutPost(w http.ResponseWriter, r *http.Request) {
	u, err := p.current(w, r)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	if u == nil { // already signed out
		seeOther(w, r, "/login")
		return
	}
	if !p.parseForm(w, r, u) {
		return
	}
	if err := p.oa.EndSession(w, r); err != nil {
		p.internal(w, r, err)
		return
	}
	p.setFlash(w, r, "flash_signed_out", "")
	seeOther(w, r, "/login")
}

// clientIP is the peer's address; X-Forwarded-For is not trusted (anyone
// could send one to escape the per-address throttle), as in oauth.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
