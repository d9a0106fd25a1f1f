// Package oauth is Cirqll's OAuth 2.0 authorization server (spec oauth.md):
// the authorize pages (login and consent), the token endpoint with the
// authorization_code (PKCE S256), refresh_token (rotation, family revocation
// on reuse) and client_credentials grants, client and grant management,
// revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414), and
// the bearer check every API request goes through.
//
// The protocol is implemented here rather than with a framework: the
// contract needs its own storage of token families, scope narrowing by role,
// JSON bodies, a translated `message` on every error and a bearer check that
// is one indexed query.
package oauth

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/web"
)

// Lifetimes that are not configurable.
const (
	SessionTTL     = 12 * time.Hour
	SessionCookie  = "cirqll_session"
	CSRFCookie     = "cirqll_csrf"
	CSRFField      = "csrf_token"
	maxBody        = 1 << 20
	throttleWindow = 15 * time.Minute
)

// Server is the authorization server. Create it with New and register its
// routes with Mount.
type Server struct {
	db    *store.DB
	cfg   config.Config
	lim   ratelimit.Limiter
	pages *template.Template
	now   func() time.Time

	authSt atomic.Pointer[sql.Stmt]
}

// New returns a server over db. lim counts token requests per client; nil
// disables that limit.
func New(db *store.DB, cfg config.Config, lim ratelimit.Limiter) *Server {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = 30 * 24 * time.Hour
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 90 * 24 * time.Hour
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 10 * time.Minute
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 60
	}
	return &Server{db: db, cfg: cfg, lim: lim, pages: parsePages(), now: store.Now}
}

// Mount registers the routes (Go 1.22 patterns).
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/authorize", s.handleAuthorizePost)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("POST /oauth/token/refresh", s.handleTokenRefresh)
	mux.HandleFunc("GET /oauth/clients", s.handleListClients)
	mux.HandleFunc("POST /oauth/clients", s.handleCreateClient)
	mux.HandleFunc("PATCH /oauth/clients/{id}", s.handleUpdateClient)
	mux.HandleFunc("DELETE /oauth/clients/{id}", s.handleDeleteClient)
	mux.HandleFunc("GET /oauth/tokens", s.handleListGrants)
	mux.HandleFunc("DELETE /oauth/tokens/{id}", s.handleRevokeGrant)
	mux.HandleFunc("GET /oauth/scopes", s.handleScopes)
	mux.HandleFunc("POST /oauth/revoke", s.handleRevoke)
	mux.HandleFunc("POST /oauth/introspect", s.handleIntrospect)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	static, _ := fs.Sub(web.FS, "static")
	mux.Handle("GET /oauth/static/", http.StripPrefix("/oauth/static/", staticHandler(static)))
}

// staticHandler serves the files of fsys and nothing else: a folder is a
// 404 rather than http.FileServer's listing.
func staticHandler(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if fi, err := fs.Stat(fsys, name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// oauthError is an RFC 6749 §5.2 error with the translated `message`.
type oauthError struct {
	Status int
	Code   string // invalid_request, invalid_client, invalid_grant, ...
	Desc   string // English, for developers (error_description)
	Key    string // message catalogue key; default "oauth_<code>"
	Args   []any  // the message's arguments (i18n.N for translated details)
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Desc }

func oerr(code, desc string) *oauthError {
	st := http.StatusBadRequest
	if code == "invalid_client" {
		st = http.StatusUnauthorized
	}
	return &oauthError{Status: st, Code: code, Desc: desc}
}

// writeOAuthError renders an oauthError, or a 500 for anything else: logged
// and answered with the request id, as respond.Error does for the API.
func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	body := map[string]string{}
	if !errors.As(err, &oe) {
		rid := s.logError(r, err)
		oe = &oauthError{Status: http.StatusInternalServerError, Code: "server_error", Desc: "The server could not handle the request."}
		body["request_id"] = rid
	}
	key := oe.Key
	if key == "" {
		key = "oauth_" + oe.Code
	}
	noStore(w)
	if oe.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="cirqll"`)
	}
	body["error"], body["error_description"], body["message"] = oe.Code, oe.Desc, tr(lang(r), key, oe.Args...)
	writeJSON(w, oe.Status, body)
}

// errTooLarge is the answer to a body over maxBody (the contract's 413).
func errTooLarge() *oauthError {
	return &oauthError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request",
		Desc: "The request body is larger than 1 MiB.", Key: "oauth_request_too_large"}
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// params reads an OAuth request body: application/x-www-form-urlencoded or
// a JSON object of scalar values. A parameter given twice is an error
// (RFC 6749 §3.2).
func params(r *http.Request) (map[string]string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0]))
	switch ct {
	case "application/json":
		return jsonParams(r)
	case "application/x-www-form-urlencoded", "":
		if err := r.ParseForm(); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return nil, errTooLarge()
			}
			return nil, oerr("invalid_request", "The request body is not valid form encoding.")
		}
		out := make(map[string]string, len(r.PostForm))
		for k, vs := range r.PostForm {
			if len(vs) > 1 {
				return nil, oerr("invalid_request", "The parameter "+k+" is given more than once.")
			}
			out[k] = vs[0]
		}
		return out, nil
	default:
		return nil, &oauthError{Status: http.StatusUnsupportedMediaType, Code: "invalid_request",
			Desc: "The body must be application/x-www-form-urlencoded or application/json."}
	}
}

// jsonParams reads a JSON object of scalar values. The body is checked
// like every JSON body of the API (resource.DecodeBody: valid UTF-8 with no
// unpaired \u surrogate, no key given twice, one object), so a malformed
// body is an invalid_request with the API's translated message instead of
// being read with U+FFFD in place of the bad bytes.
func jsonParams(r *http.Request) (map[string]string, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errTooLarge()
		}
		return nil, oerr("invalid_request", "The request body could not be read.")
	}
	body, err := resource.DecodeBody(b)
	if err != nil {
		var ae *apierr.Error
		if !errors.As(err, &ae) {
			return nil, err
		}
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request",
			Desc: i18n.T("en", ae.Msg.Key, ae.Msg.Args...), Key: ae.Msg.Key, Args: ae.Msg.Args}
	}
	out := make(map[string]string, len(body.Keys))
	for _, k := range body.Keys {
		raw := bytes.TrimSpace(body.Raw[k])
		switch {
		case raw[0] == '"':
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, err // DecodeBody accepted it: cannot happen
			}
			out[k] = v
		case string(raw) == "null": // as if absent
		case raw[0] == '{' || raw[0] == '[':
			return nil, oerr("invalid_request", "The request body is not a JSON object of strings and numbers.")
		default: // a number or true/false, as sent
			out[k] = string(raw)
		}
	}
	return out, nil
}

// issuer is CIRQLL_BASE_URL, else the scheme and Host of the request.
func (s *Server) issuer(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if isTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// SecureCookies reports whether cookies set in answer to r get the Secure
// flag: behind TLS, as seen on the request or said by a public URL that is
// https (a TLS proxy may not send X-Forwarded-Proto).
func (s *Server) SecureCookies(r *http.Request) bool {
	return isTLS(r) || strings.HasPrefix(strings.ToLower(s.cfg.BaseURL), "https://")
}

// storable reports whether s can be a text value on both dialects.
// PostgreSQL refuses NUL and invalid UTF-8 (SQLSTATE 22021, a 500), so
// input that is not storable is answered like a value that matches
// nothing, before it reaches SQL.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https")
}

// ts scans a date-time column of either dialect (time.Time from
// PostgreSQL, fixed-width text from SQLite). A NULL leaves Valid false.
type ts struct {
	T     time.Time
	Valid bool
}

func (t *ts) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.T, t.Valid = time.Time{}, false
		return nil
	case time.Time:
		t.T, t.Valid = x.UTC(), true
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return fmt.Errorf("oauth: cannot scan %T as time", v)
}

func (t *ts) parse(s string) error {
	p, err := time.Parse(dialect.TimeLayout, s)
	if err != nil {
		if p, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("oauth: bad time %q", s)
		}
	}
	t.T, t.Valid = p.UTC(), true
	return nil
}

// t binds a time for the dialect.
func (s *Server) t(tm time.Time) any { return s.db.Dialect.Time(tm) }

// b binds a boolean for the dialect.
func (s *Server) b(v bool) any { return s.db.Dialect.Bool(v) }

// userRow is what logins and grants need of a user.
type userRow struct {
	ID, CompanyID int64
	Email         string
	Locale        string
	Active        bool
	Perms         []string
}

// loadUser reads an active user of the company with its role's
// permissions; sql.ErrNoRows when missing, inactive or of another company.
func (s *Server) loadUser(ctx context.Context, c store.Conn, userID, companyID int64) (userRow, error) {
	var u userRow
	var perms, locale sql.NullString
	err := c.QueryRow(ctx, `SELECT u.id, u.company_id, u.email, u.locale, r.permissions
		FROM users u JOIN roles r ON r.id = u.role_id
		WHERE u.id = ? AND u.company_id = ? AND u.active = ?`,
		userID, companyID, s.b(true)).Scan(&u.ID, &u.CompanyID, &u.Email, &locale, &perms)
	u.Locale, u.Perms, u.Active = locale.String, strings.Fields(perms.String), err == nil
	return u, err
}

// Prune deletes what can no longer be used: expired tokens and their
// grants, codes a day after they expired (until then a replay is still
// recognised), expired sessions and passed throttle windows. Call it
// periodically (hourly is plenty); it is safe on several instances.
func (s *Server) Prune(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{`DELETE FROM oauth_refresh_tokens WHERE expires_at < ?`, now},
		{`DELETE FROM oauth_access_tokens WHERE expires_at < ?`, now},
		{`DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE expires_at < ?)`, now},
		{`DELETE FROM oauth_access_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE expires_at < ?)`, now},
		{`DELETE FROM oauth_grants WHERE expires_at < ?`, now},
		{`DELETE FROM oauth_codes WHERE expires_at < ?`, now.Add(-24 * time.Hour)},
		{`DELETE FROM web_sessions WHERE expires_at < ?`, now},
		{`DELETE FROM login_throttle WHERE window_start < ?`, now.Add(-throttleWindow)},
	} {
		res, err := s.db.Writer().Exec(ctx, q.sql, s.t(q.at))
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// logError logs an unexpected error with the request id (which the 500
// answer carries too) and returns that id.
func (s *Server) logError(r *http.Request, err error) string {
	rid := respond.RequestID(r.Context())
	slog.ErrorContext(r.Context(), "oauth: internal error", "request_id", rid, "path", r.URL.Path, "err", err.Error())
	return rid
}

// insertID runs an INSERT and returns the new id (RETURNING works on both
// dialects).
func insertID(ctx context.Context, c store.Conn, q string, args ...any) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}
