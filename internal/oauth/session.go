package oauth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/store"
)

// Login throttling: failures are counted per key in fixed windows of
// throttleWindow that start with the first failure; a key at its limit
// refuses further attempts until its window ends.
var throttleLimits = []struct {
	prefix string
	limit  int
}{
	{"acctip:", 5}, // one account from one address
	{"ip:", 20},    // one address, any account
	{"acct:", 50},  // one account, any address (a distributed guess)
}

// ErrInvalidLogin is a wrong e-mail address or password, or an inactive user.
var ErrInvalidLogin = errors.New("oauth: invalid e-mail address or password")

// ErrThrottled matches a *ThrottledError with errors.Is.
var ErrThrottled = errors.New("oauth: too many failed logins")

// ThrottledError says when logging in may be tried again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("oauth: too many failed logins, retry after %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// maxEmail bounds a sign-in address (RFC 5321 allows 254 octets; the
// slack covers older accounts), so a throttle key stays within an index
// entry.
const maxEmail = 1000

func throttleKeys(email, ip string) []string {
	return []string{"acctip:" + email + "|" + ip, "ip:" + ip, "acct:" + email}
}

// Login checks an e-mail address and password, throttled per account and
// per address. It returns ErrInvalidLogin, a *ThrottledError, or the user.
func (s *Server) Login(ctx context.Context, email, password, ip string) (userID int64, err error) {
	userID, _, err = s.login(ctx, email, password, ip)
	return userID, err
}

func (s *Server) login(ctx context.Context, email, password, ip string) (userID, companyID int64, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	// Input no account can have (NUL or invalid UTF-8, which PostgreSQL
	// refuses, or longer than any address) is a failed login like an
	// unknown address, throttled under its hash: a key any dialect stores
	// and indexes ("#" keeps it apart from real addresses).
	known := storable(email) && len(email) <= maxEmail
	if !known {
		email = "#" + auth.Hash(email)
	}
	keys := throttleKeys(email, ip)
	now := s.now()
	if wait, err := s.throttled(ctx, keys, now); err != nil {
		return 0, 0, err
	} else if wait > 0 {
		return 0, 0, &ThrottledError{RetryAfter: wait}
	}
	var hash sql.NullString
	var active bool
	var activeRaw any
	err = sql.ErrNoRows
	if known {
		err = s.db.Reader().QueryRow(ctx, `SELECT id, company_id, password_hash, active FROM users WHERE email = ?`, email).
			Scan(&userID, &companyID, &hash, &activeRaw)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		hash = sql.NullString{}
	case err != nil:
		return 0, 0, err
	default:
		active = truthy(activeRaw)
	}
	ok := auth.CheckPasswordOrDummy(hash.String, password) && active
	if !ok {
		if err := s.recordFailure(ctx, keys, now); err != nil {
			return 0, 0, err
		}
		return 0, 0, ErrInvalidLogin
	}
	if _, err := s.db.Writer().Exec(ctx, `DELETE FROM login_throttle WHERE throttle_key = ?`, keys[0]); err != nil {
		return 0, 0, err
	}
	return userID, companyID, nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case []byte:
		return string(x) == "1" || string(x) == "true"
	case string:
		return x == "1" || x == "true"
	}
	return false
}

// throttled returns how long until every key is below its limit again.
func (s *Server) throttled(ctx context.Context, keys []string, now time.Time) (time.Duration, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT throttle_key, failures, window_start FROM login_throttle WHERE throttle_key IN (?, ?, ?)`,
		keys[0], keys[1], keys[2])
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var wait time.Duration
	for rows.Next() {
		var key string
		var failures int
		var start ts
		if err := rows.Scan(&key, &failures, &start); err != nil {
			return 0, err
		}
		end := start.T.Add(throttleWindow)
		if !end.After(now) {
			continue
		}
		for _, l := range throttleLimits {
			if strings.HasPrefix(key, l.prefix) && failures >= l.limit {
				wait = max(wait, end.Sub(now))
			}
		}
	}
	return wait, rows.Err()
}

// recordFailure counts a failed login against every key, starting a new
// window where the old one ended.
func (s *Server) recordFailure(ctx context.Context, keys []string, now time.Time) error {
	cutoff := s.t(now.Add(-throttleWindow))
	return s.db.Tx(ctx, func(tx store.Conn) error {
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO login_throttle (throttle_key, failures, window_start) VALUES (?, 1, ?)
				ON CONFLICT (throttle_key) DO UPDATE SET
				failures = CASE WHEN login_throttle.window_start <= ? THEN 1 ELSE login_throttle.failures + 1 END,
				window_start = CASE WHEN login_throttle.window_start <= ? THEN excluded.window_start ELSE login_throttle.window_start END`,
				k, s.t(now), cutoff, cutoff); err != nil {
				return err
			}
		}
		return nil
	})
}

// clientIP is the address of the peer. X-Forwarded-For is not trusted:
// anyone could send one to escape the per-address limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type session struct {
	ID, UserID, CompanyID int64
	CSRF                  string
}

// StartSession signs the user in on this browser: a new random session
// (never reusing one the browser brought), stored hashed, in the
// cirqll_session cookie for SessionTTL.
func (s *Server) StartSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID, companyID int64) error {
	raw := auth.NewSecret()
	now := s.now()
	if c, err := r.Cookie(SessionCookie); err == nil {
		_, _ = s.db.Writer().Exec(ctx, `DELETE FROM web_sessions WHERE session_hash = ?`, auth.Hash(c.Value))
	}
	if _, err := s.db.Writer().Exec(ctx, `INSERT INTO web_sessions (session_hash, user_id, company_id, csrf, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		auth.Hash(raw), userID, companyID, auth.NewSecret(), s.t(now.Add(SessionTTL)), s.t(now)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: raw, Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies(r)})
	return nil
}

// EndSession signs the browser out.
func (s *Server) EndSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, err := s.db.Writer().Exec(r.Context(), `DELETE FROM web_sessions WHERE session_hash = ?`, auth.Hash(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies(r)})
	return nil
}

// session returns the browser's live session of an active user.
func (s *Server) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return session{}, false
	}
	var ss session
	err = s.db.Reader().QueryRow(r.Context(), `SELECT ws.id, ws.user_id, ws.company_id, ws.csrf
		FROM web_sessions ws JOIN users u ON u.id = ws.user_id AND u.company_id = ws.company_id
		WHERE ws.session_hash = ? AND ws.expires_at > ? AND u.active = ?`,
		auth.Hash(c.Value), s.t(s.now()), s.b(true)).Scan(&ss.ID, &ss.UserID, &ss.CompanyID, &ss.CSRF)
	return ss, err == nil
}

// SessionUser is the signed-in user of the browser, if any.
func (s *Server) SessionUser(r *http.Request) (userID, companyID int64, ok bool) {
	ss, ok := s.session(r)
	return ss.UserID, ss.CompanyID, ok
}

// CSRFToken returns the token a form must send back in the csrf_token
// field: the session's when signed in, else a double-submit cookie
// (cirqll_csrf) it sets when missing.
func (s *Server) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	if ss, ok := s.session(r); ok {
		return ss.CSRF
	}
	return s.csrfCookie(w, r)
}

func (s *Server) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		return c.Value
	}
	v := auth.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies(r)})
	return v
}

// CheckCSRF verifies the csrf_token field of a parsed form against the
// session's token, or the cirqll_csrf cookie when not signed in.
func (s *Server) CheckCSRF(r *http.Request) bool {
	got := r.PostFormValue(CSRFField)
	if got == "" {
		return false
	}
	if ss, ok := s.session(r); ok {
		return auth.Equal(got, ss.CSRF)
	}
	c, err := r.Cookie(CSRFCookie)
	return err == nil && c.Value != "" && auth.Equal(got, c.Value)
}
