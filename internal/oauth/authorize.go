package oauth

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
)

// authzParams are the authorization request's parameters the pages carry
// along in hidden fields, so the request survives the login.
var authzParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state",
	"code_challenge", "code_challenge_method", "response_mode", "nonce"}

// authzReq is a validated authorization request.
type authzReq struct {
	client      *Client
	redirect    string // where to send the browser: the given or the only registered URI
	given       string // redirect_uri as sent ("" when omitted), bound to the code
	scopes      []string
	state       string
	challenge   string
	params      url.Values
	redirectErr *oauthError // set when the request is invalid but may be redirected
}

// checkAuthz validates an authorization request. When the client or the
// redirect URI cannot be trusted it answers with an error page and returns
// nil; other errors are returned in req.redirectErr (RFC 6749 §4.1.2.1).
func (s *Server) checkAuthz(w http.ResponseWriter, r *http.Request, q url.Values, l string) *authzReq {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			s.errorPage(w, r, http.StatusBadRequest, l, i18n.T(l, "page_error_duplicate", k))
			return nil
		}
	}
	id := q.Get("client_id")
	if id == "" {
		s.errorPage(w, r, http.StatusBadRequest, l, i18n.T(l, "page_error_missing_id"))
		return nil
	}
	c, err := s.clientByID(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		s.errorPage(w, r, http.StatusBadRequest, l, i18n.T(l, "page_error_client"))
		return nil
	} else if err != nil {
		s.internalPage(w, r, l, err)
		return nil
	}
	req := &authzReq{client: c, given: q.Get("redirect_uri"), params: url.Values{}}
	switch {
	case req.given != "" && c.hasRedirect(req.given):
		req.redirect = req.given
	case req.given == "" && len(c.RedirectURIs) == 1:
		req.redirect = c.RedirectURIs[0]
	default:
		s.errorPage(w, r, http.StatusBadRequest, l, i18n.T(l, "page_error_redirect"))
		return nil
	}
	for _, k := range authzParams {
		if v, ok := q[k]; ok {
			req.params[k] = v
		}
	}
	req.state = q.Get("state")
	req.redirectErr = func() *oauthError {
		for _, k := range authzParams {
			if len(q[k]) > 1 {
				return oerr("invalid_request", "The parameter "+k+" is given more than once.")
			}
		}
		switch rt := q.Get("response_type"); rt {
		case "code":
		case "":
			return oerr("invalid_request", "response_type is required.")
		default:
			return oerr("unsupported_response_type", "Only response_type=code is supported.")
		}
		if m := q.Get("response_mode"); m != "" && m != "query" {
			return oerr("invalid_request", "Only response_mode=query is supported.")
		}
		scopes, unknown := parseScopes(q.Get("scope"))
		if unknown != "" {
			return oerr("invalid_scope", "Unknown scope: "+unknown+".")
		}
		if len(scopes) == 0 {
			return oerr("invalid_scope", "The scope parameter is required.")
		}
		req.scopes = scopes
		req.challenge = q.Get("code_challenge")
		method := q.Get("code_challenge_method")
		switch {
		case req.challenge == "" && method != "":
			return oerr("invalid_request", "code_challenge_method without code_challenge.")
		case req.challenge == "" && !c.Confidential:
			return oerr("invalid_request", "PKCE is required for public clients: send code_challenge with code_challenge_method=S256.")
		case req.challenge != "" && method != "S256":
			return oerr("invalid_request", "Only code_challenge_method=S256 is supported.")
		case req.challenge != "" && !validChallenge(req.challenge):
			return oerr("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).")
		}
		return nil
	}()
	return req
}

func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isUnreserved(c[i]) || c[i] == '.' || c[i] == '~' {
			return false
		}
	}
	return true
}

// isUnreserved: RFC 3986 unreserved characters (the code_verifier alphabet).
func isUnreserved(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~'
}

// redirectTo sends the browser to the client's redirect URI with params.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // registered URIs are validated; cannot happen
		http.Error(w, "Bad redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (req *authzReq) fail(w http.ResponseWriter, r *http.Request, e *oauthError) {
	p := url.Values{"error": {e.Code}, "error_description": {e.Desc}}
	if req.state != "" {
		p.Set("state", req.state)
	}
	redirectTo(w, r, req.redirect, p)
}

func (req *authzReq) hidden() []hiddenField {
	var out []hiddenField
	for _, k := range authzParams {
		if v, ok := req.params[k]; ok && len(v) > 0 {
			out = append(out, hiddenField{k, v[0]})
		}
	}
	return out
}

// handleAuthorize: GET /oauth/authorize, the login page without a session,
// else the consent page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.authorize(w, r, r.URL.Query(), "")
}

// handleAuthorizePost: POST /oauth/authorize from the login form (email,
// password) or the consent form (decision).
func (s *Server) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, lang(r), i18n.T(lang(r), "oauth_request_too_large"))
			return
		}
		s.errorPage(w, r, http.StatusBadRequest, lang(r), i18n.T(lang(r), "oauth_invalid_request"))
		return
	}
	// The request's parameters come from the hidden fields; a form posted
	// to the page's own URL may carry them in the query instead.
	q := url.Values{}
	for _, k := range authzParams {
		if v, ok := r.PostForm[k]; ok {
			q[k] = v
		}
	}
	if q.Get("client_id") == "" {
		q = r.URL.Query()
	}
	if _, ok := r.PostForm["decision"]; ok {
		s.consent(w, r, q)
		return
	}
	s.authorize(w, r, q, "login")
}

// authorize shows the login or consent page, or handles the login form.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, q url.Values, action string) {
	ss, signedIn := s.session(r)
	l := lang(r)
	var u consentUser
	if signedIn {
		var err error
		if u, err = s.consentUser(r, ss.UserID); err != nil {
			s.internalPage(w, r, l, err)
			return
		}
		if i18n.FromHeader(r.Header.Get("Accept-Language")) == "" {
			l = i18n.Pick(u.Locale, u.CompanyLocale)
		}
	}
	req := s.checkAuthz(w, r, q, l)
	if req == nil {
		return
	}
	if req.redirectErr != nil {
		req.fail(w, r, req.redirectErr)
		return
	}
	if action == "login" && !signedIn {
		s.handleLogin(w, r, req, l)
		return
	}
	if !signedIn {
		s.loginPage(w, r, req, l, http.StatusOK, "", "")
		return
	}
	s.consentPage(w, r, req, l, ss, u)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, req *authzReq, l string, status int, msg, email string) {
	s.render(w, r, status, "login.html", &page{
		Lang: l, Title: i18n.T(l, "page_login_title"), Error: msg, CSRF: s.csrfCookie(w, r),
		Hidden: req.hidden(), ClientName: req.client.Name, Email: email,
	}, "")
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, req *authzReq, l string) {
	email := r.PostFormValue("email")
	if !s.CheckCSRF(r) {
		s.loginPage(w, r, req, l, http.StatusForbidden, i18n.T(l, "page_form_expired"), email)
		return
	}
	userID, companyID, err := s.login(r.Context(), email, r.PostFormValue("password"), clientIP(r))
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		mins := int(te.RetryAfter.Minutes() + 0.999)
		w.Header().Set("Retry-After", itoa(int(te.RetryAfter.Seconds()+0.999)))
		s.loginPage(w, r, req, l, http.StatusTooManyRequests, i18n.T(l, "page_login_throttled", max(mins, 1)), email)
		return
	case errors.Is(err, ErrInvalidLogin):
		s.loginPage(w, r, req, l, http.StatusOK, i18n.T(l, "page_login_failed"), email)
		return
	case err != nil:
		s.internalPage(w, r, l, err)
		return
	}
	if err := s.StartSession(r.Context(), w, r, userID, companyID); err != nil {
		s.internalPage(w, r, l, err)
		return
	}
	// Back to the same authorization request, now signed in (303: GET).
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/oauth/authorize?"+req.params.Encode(), http.StatusSeeOther)
}

type consentUser struct {
	Name, Email, Locale, CompanyLocale string
	Perms                              []string
}

func (s *Server) consentUser(r *http.Request, userID int64) (consentUser, error) {
	var u consentUser
	var locale, clocale, perms sql.NullString
	err := s.db.Reader().QueryRow(r.Context(), `SELECT u.name, u.email, u.locale, st.locale, ro.permissions
		FROM users u JOIN roles ro ON ro.id = u.role_id LEFT JOIN settings st ON st.company_id = u.company_id
		WHERE u.id = ?`, userID).Scan(&u.Name, &u.Email, &locale, &clocale, &perms)
	u.Locale, u.CompanyLocale, u.Perms = locale.String, clocale.String, strings.Fields(perms.String)
	return u, err
}

func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, req *authzReq, l string, ss session, u consentUser) {
	granted, changes := narrow(req.scopes, u.Perms)
	p := &page{Lang: l, Title: i18n.T(l, "page_consent_title", req.client.Name), CSRF: ss.CSRF,
		Hidden: req.hidden(), ClientName: req.client.Name, UserName: u.Name, UserEmail: u.Email,
		RedirectHost: redirectOrigin(req.redirect, false)}
	for _, g := range granted {
		line := scopeLine{ID: g, Description: ScopeDescription(l, g)}
		for _, c := range changes {
			if c.Granted == g && !contains(req.scopes, g) {
				line.Narrowed = ScopeDescription(l, c.Requested)
			}
		}
		p.Granted = append(p.Granted, line)
	}
	for _, c := range changes {
		if c.Granted == "" {
			p.Dropped = append(p.Dropped, scopeLine{ID: c.Requested, Description: ScopeDescription(l, c.Requested)})
		}
	}
	s.render(w, r, http.StatusOK, "consent.html", p, redirectOrigin(req.redirect, true))
}

// consent handles the consent form: approve issues a code, deny sends
// access_denied.
func (s *Server) consent(w http.ResponseWriter, r *http.Request, q url.Values) {
	ss, signedIn := s.session(r)
	if !signedIn { // session expired meanwhile: sign in again
		s.authorize(w, r, q, "")
		return
	}
	u, err := s.consentUser(r, ss.UserID)
	if err != nil {
		s.internalPage(w, r, lang(r), err)
		return
	}
	l := lang(r)
	if i18n.FromHeader(r.Header.Get("Accept-Language")) == "" {
		l = i18n.Pick(u.Locale, u.CompanyLocale)
	}
	req := s.checkAuthz(w, r, q, l)
	if req == nil {
		return
	}
	if !s.CheckCSRF(r) {
		s.errorPage(w, r, http.StatusForbidden, l, i18n.T(l, "page_form_expired"))
		return
	}
	if req.redirectErr != nil {
		req.fail(w, r, req.redirectErr)
		return
	}
	switch r.PostFormValue("decision") {
	case "approve":
	case "deny":
		req.fail(w, r, oerr("access_denied", "The user denied the request."))
		return
	default:
		s.errorPage(w, r, http.StatusBadRequest, l, i18n.T(l, "page_error_decision"))
		return
	}
	granted, _ := narrow(req.scopes, u.Perms)
	if len(granted) == 0 {
		req.fail(w, r, oerr("invalid_scope", "The user's role grants none of the requested scopes."))
		return
	}
	code := auth.NewSecret()
	now := s.now()
	var challenge any
	if req.challenge != "" {
		challenge = req.challenge
	}
	if _, err := s.db.Writer().Exec(r.Context(), `INSERT INTO oauth_codes (code_hash, client_pk, company_id, user_id, redirect_uri, scopes, code_challenge, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, auth.Hash(code), req.client.PK, ss.CompanyID, ss.UserID, req.given,
		strings.Join(granted, " "), challenge, s.t(now.Add(s.cfg.CodeTTL)), s.t(now)); err != nil {
		s.internalPage(w, r, l, err)
		return
	}
	p := url.Values{"code": {code}}
	if req.state != "" {
		p.Set("state", req.state)
	}
	redirectTo(w, r, req.redirect, p)
}

// redirectOrigin is the origin of a redirect URI: for display, or as a CSP
// source (scheme-only for private-use schemes of native apps).
func redirectOrigin(uri string, csp bool) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if csp {
			return u.Scheme + "://" + u.Host
		}
		return u.Host
	}
	return u.Scheme + ":"
}

// internalPage answers an unexpected error with a 500 page showing the
// request id of the log line.
func (s *Server) internalPage(w http.ResponseWriter, r *http.Request, l string, err error) {
	rid := s.logError(r, err)
	s.render(w, r, http.StatusInternalServerError, "error.html",
		&page{Lang: l, Title: i18n.T(l, "page_error_title"), Error: i18n.T(l, "server_error"), RequestID: rid}, "")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
