package oauth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/store"
)

// tokenResponse is the token endpoint's success body (RFC 6749 §5.1 plus
// Cirqll's created_at in unix seconds).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	CreatedAt    int64  `json:"created_at"`
	Scope        string `json:"scope"`
}

// handleToken: POST /oauth/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) { s.token(w, r, false) }

// handleTokenRefresh: POST /oauth/token/refresh, grant_type optional.
func (s *Server) handleTokenRefresh(w http.ResponseWriter, r *http.Request) { s.token(w, r, true) }

func (s *Server) token(w http.ResponseWriter, r *http.Request, refreshOnly bool) {
	p, err := params(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	c, err := s.authenticateClient(w, r, p, true)
	if err != nil {
		if !errors.Is(err, errLimited) {
			s.writeOAuthError(w, r, err)
		}
		return
	}
	gt := p["grant_type"]
	if refreshOnly && gt == "" {
		gt = "refresh_token"
	}
	var resp *tokenResponse
	switch {
	case gt == "":
		err = oerr("invalid_request", "grant_type is required.")
	case refreshOnly && gt != "refresh_token":
		err = oerr("unsupported_grant_type", "This endpoint only takes grant_type=refresh_token.")
	case gt == "authorization_code":
		resp, err = s.exchangeCode(r.Context(), c, p)
	case gt == "refresh_token":
		resp, err = s.refresh(r.Context(), c, p)
	case gt == "client_credentials":
		resp, err = s.clientCredentials(r.Context(), c, p)
	default:
		err = oerr("unsupported_grant_type", "Supported: authorization_code, refresh_token, client_credentials.")
	}
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
}

// errLimited: the request was refused by the rate limit (already answered).
var errLimited = errors.New("rate limited")

// authenticateClient identifies and authenticates the client of a token,
// revocation or introspection request: HTTP Basic (each part
// form-urlencoded, RFC 6749 §2.3.1) or client_id and client_secret in the
// body; a public client sends only its client_id. With limit, the token
// endpoint's per-client rate limit is counted (before the secret is
// checked, so guessing secrets is limited too).
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, p map[string]string, limit bool) (*Client, error) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, oerr("invalid_client", "The Basic credentials are not form-urlencoded.")
		}
		if _, ok := p["client_secret"]; ok {
			return nil, oerr("invalid_request", "Use one client authentication method, not Basic and client_secret together.")
		}
		if bid, ok := p["client_id"]; ok && bid != id {
			return nil, oerr("invalid_client", "client_id differs from the Basic credentials.")
		}
	} else {
		id, secret = p["client_id"], p["client_secret"]
	}
	if id == "" {
		return nil, oerr("invalid_client", "Client authentication is required.")
	}
	c, err := s.clientByID(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oerr("invalid_client", "Unknown client or wrong secret.")
	} else if err != nil {
		return nil, err
	}
	if limit && !s.allow(w, r, c) {
		return nil, errLimited
	}
	switch {
	case c.Confidential && (secret == "" || !auth.Equal(auth.Hash(secret), c.secretHash)):
		return nil, oerr("invalid_client", "Unknown client or wrong secret.")
	case !c.Confidential && secret != "":
		return nil, oerr("invalid_client", "A public client has no secret.")
	}
	return c, nil
}

// allow counts a token request of the client ("token:<client_id>", the
// client's rate_limit or the default) and answers 429 when over.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, c *Client) bool {
	if s.lim == nil {
		return true
	}
	limit := s.cfg.RateLimit
	if c.RateLimit != nil && *c.RateLimit > 0 {
		limit = *c.RateLimit
	}
	res, err := s.lim.Allow(r.Context(), "token:"+c.ID, limit)
	if err != nil { // the limiter's store is down: serve rather than refuse everyone
		slog.WarnContext(r.Context(), "oauth: rate limiter unavailable", "err", err.Error())
		return true
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
	if !res.Allowed {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(res.Reset.Unix(), 10))
		h.Set("Retry-After", strconv.Itoa(res.RetryAfter()))
		noStore(w)
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": i18n.T(lang(r), "too_many_requests")})
		return false
	}
	return true
}

// issued is what one issuance wrote.
type issued struct {
	access, refresh string
	accessID        int64
	created         time.Time
}

// issue writes an access token (and a refresh token when withRefresh) of
// grant g in tx and moves the grant's expiry and scopes along.
func (s *Server) issue(ctx context.Context, tx store.Conn, grantID, clientPK, companyID, userID int64, scopes []string, withRefresh bool) (issued, error) {
	now := s.now()
	out := issued{access: auth.NewSecret(), created: now}
	sc := strings.Join(scopes, " ")
	accessExp := now.Add(s.cfg.AccessTTL)
	var err error
	out.accessID, err = insertID(ctx, tx, `INSERT INTO oauth_access_tokens (token_hash, grant_id, client_pk, company_id, user_id, scopes, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, auth.Hash(out.access), grantID, clientPK, companyID, userID, sc, s.t(accessExp), s.t(now))
	if err != nil {
		return out, err
	}
	exp := accessExp
	if withRefresh {
		out.refresh = auth.NewSecret()
		exp = now.Add(s.cfg.RefreshTTL)
		if _, err := tx.Exec(ctx, `INSERT INTO oauth_refresh_tokens (token_hash, grant_id, access_token_id, client_pk, company_id, user_id, scopes, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, auth.Hash(out.refresh), grantID, out.accessID, clientPK, companyID, userID, sc, s.t(exp), s.t(now)); err != nil {
			return out, err
		}
		if accessExp.After(exp) {
			exp = accessExp
		}
	}
	_, err = tx.Exec(ctx, `UPDATE oauth_grants SET scopes = ?, expires_at = ? WHERE id = ?`, sc, s.t(exp), grantID)
	return out, err
}

func (s *Server) newGrant(ctx context.Context, tx store.Conn, grantType string, clientPK, companyID, userID int64, scopes []string) (int64, error) {
	now := s.now()
	return insertID(ctx, tx, `INSERT INTO oauth_grants (client_pk, company_id, user_id, grant_type, scopes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, clientPK, companyID, userID, grantType, strings.Join(scopes, " "), s.t(now), s.t(now))
}

// revokeGrant revokes a family: the grant and every access and refresh
// token descended from it.
func (s *Server) revokeGrant(ctx context.Context, tx store.Conn, grantID int64) error {
	now := s.t(s.now())
	for _, q := range []string{
		`UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		`UPDATE oauth_access_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL`,
		`UPDATE oauth_refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL`,
	} {
		if _, err := tx.Exec(ctx, q, now, grantID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) response(is issued, scopes []string) *tokenResponse {
	return &tokenResponse{TokenType: "Bearer", AccessToken: is.access, RefreshToken: is.refresh,
		ExpiresIn: int64(s.cfg.AccessTTL / time.Second), CreatedAt: is.created.Unix(), Scope: strings.Join(scopes, " ")}
}

// exchangeCode: grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636).
// A code is single use: a second exchange fails and revokes the family the
// first one started (RFC 6749 §4.1.2).
func (s *Server) exchangeCode(ctx context.Context, c *Client, p map[string]string) (*tokenResponse, error) {
	code := p["code"]
	if code == "" {
		return nil, oerr("invalid_request", "code is required.")
	}
	var (
		id, clientPK, companyID, userID int64
		redirect, scopes                string
		challenge                       sql.NullString
		expires, used                   ts
		grantID                         sql.NullInt64
		resp                            *tokenResponse
		fail                            error
	)
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		err := tx.QueryRow(ctx, `SELECT id, client_pk, company_id, user_id, redirect_uri, scopes, code_challenge, expires_at, used_at, grant_id
			FROM oauth_codes WHERE code_hash = ?`, auth.Hash(code)).
			Scan(&id, &clientPK, &companyID, &userID, &redirect, &scopes, &challenge, &expires, &used, &grantID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fail = oerr("invalid_grant", "Unknown authorization code.")
			return nil
		case err != nil:
			return err
		case clientPK != c.PK:
			fail = oerr("invalid_grant", "The authorization code was issued to another client.")
			return nil
		case used.Valid:
			if grantID.Valid {
				if err := s.revokeGrant(ctx, tx, grantID.Int64); err != nil {
					return err
				}
			}
			fail = oerr("invalid_grant", "The authorization code was already used; the tokens issued with it are revoked.")
			return nil
		case !expires.T.After(s.now()):
			fail = oerr("invalid_grant", "The authorization code has expired.")
			return nil
		case redirect != "" && p["redirect_uri"] != redirect,
			redirect == "" && p["redirect_uri"] != "" && !c.hasRedirect(p["redirect_uri"]):
			fail = oerr("invalid_grant", "redirect_uri differs from the authorization request's.")
			return nil
		}
		if f := checkVerifier(challenge, p["code_verifier"]); f != nil {
			fail = f
			return nil
		}
		if _, err := s.loadUser(ctx, tx, userID, companyID); errors.Is(err, sql.ErrNoRows) {
			fail = oerr("invalid_grant", "The user is no longer active.")
			return nil
		} else if err != nil {
			return err
		}
		sc := strings.Fields(scopes)
		gid, err := s.newGrant(ctx, tx, "authorization_code", c.PK, companyID, userID, sc)
		if err != nil {
			return err
		}
		// Claim the code; a concurrent exchange that got here first wins.
		res, err := tx.Exec(ctx, `UPDATE oauth_codes SET used_at = ?, grant_id = ? WHERE id = ? AND used_at IS NULL`, s.t(s.now()), gid, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errRace
		}
		is, err := s.issue(ctx, tx, gid, c.PK, companyID, userID, sc, true)
		if err != nil {
			return err
		}
		resp = s.response(is, sc)
		return nil
	})
	if errors.Is(err, errRace) {
		return s.exchangeCode(ctx, c, p) // now seen as used: revokes and fails
	}
	if err != nil {
		return nil, err
	}
	return resp, fail
}

var errRace = errors.New("oauth: concurrent use")

// checkVerifier enforces PKCE S256 (RFC 7636 §4.6). A verifier without a
// challenge is refused too (RFC 9700 §2.1.1: no PKCE downgrade).
func checkVerifier(challenge sql.NullString, verifier string) error {
	if !challenge.Valid || challenge.String == "" {
		if verifier != "" {
			return oerr("invalid_grant", "code_verifier sent, but the authorization request had no code_challenge.")
		}
		return nil
	}
	if len(verifier) < 43 || len(verifier) > 128 {
		return oerr("invalid_grant", "code_verifier must be 43 to 128 characters.")
	}
	for i := 0; i < len(verifier); i++ {
		if !isUnreserved(verifier[i]) {
			return oerr("invalid_grant", "code_verifier has characters outside [A-Za-z0-9-._~].")
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	if !auth.Equal(base64.RawURLEncoding.EncodeToString(sum[:]), challenge.String) {
		return oerr("invalid_grant", "code_verifier does not match the code_challenge.")
	}
	return nil
}

// refresh: grant_type=refresh_token with rotation. A retired (rotated)
// refresh token presented again revokes its whole family (RFC 9700 §4.14.2).
func (s *Server) refresh(ctx context.Context, c *Client, p map[string]string) (*tokenResponse, error) {
	rt := p["refresh_token"]
	if rt == "" {
		return nil, oerr("invalid_request", "refresh_token is required.")
	}
	var requested []string
	if raw, ok := p["scope"]; ok && strings.TrimSpace(raw) != "" {
		var unknown string
		requested, unknown = parseScopes(raw)
		if unknown != "" {
			return nil, oerr("invalid_scope", "Unknown scope: "+unknown+".")
		}
	}
	var (
		id, grantID, accessID, clientPK, companyID, userID int64
		scopes                                             string
		expires, used, revoked                             ts
		resp                                               *tokenResponse
		fail                                               error
	)
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		err := tx.QueryRow(ctx, `SELECT id, grant_id, access_token_id, client_pk, company_id, user_id, scopes, expires_at, used_at, revoked_at
			FROM oauth_refresh_tokens WHERE token_hash = ?`, auth.Hash(rt)).
			Scan(&id, &grantID, &accessID, &clientPK, &companyID, &userID, &scopes, &expires, &used, &revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fail = oerr("invalid_grant", "Unknown refresh token.")
			return nil
		case err != nil:
			return err
		case clientPK != c.PK:
			fail = oerr("invalid_grant", "The refresh token was issued to another client.")
			return nil
		case revoked.Valid:
			fail = oerr("invalid_grant", "The refresh token is revoked.")
			return nil
		case used.Valid:
			if err := s.revokeGrant(ctx, tx, grantID); err != nil {
				return err
			}
			fail = oerr("invalid_grant", "The refresh token was already used; every token of this authorization is revoked.")
			return nil
		case !expires.T.After(s.now()):
			fail = oerr("invalid_grant", "The refresh token has expired.")
			return nil
		}
		held := strings.Fields(scopes)
		sc := held
		if requested != nil {
			if !within(requested, held) {
				fail = oerr("invalid_scope", "The requested scope is wider than the refresh token's.")
				return nil
			}
			sc = requested
		}
		if _, err := s.loadUser(ctx, tx, userID, companyID); errors.Is(err, sql.ErrNoRows) {
			fail = oerr("invalid_grant", "The user is no longer active.")
			return nil
		} else if err != nil {
			return err
		}
		now := s.t(s.now())
		res, err := tx.Exec(ctx, `UPDATE oauth_refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errRace
		}
		// The access token issued with the retired refresh token retires too.
		if _, err := tx.Exec(ctx, `UPDATE oauth_access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now, accessID); err != nil {
			return err
		}
		is, err := s.issue(ctx, tx, grantID, c.PK, companyID, userID, sc, true)
		if err != nil {
			return err
		}
		resp = s.response(is, sc)
		return nil
	})
	if errors.Is(err, errRace) {
		return s.refresh(ctx, c, p) // seen as used now: revokes the family and fails
	}
	if err != nil {
		return nil, err
	}
	return resp, fail
}

// clientCredentials: grant_type=client_credentials, confidential clients
// only, acting for user_id (alias userId) of the client's company or the
// client's owner, with the scopes narrowed by that user's role. No refresh
// token (RFC 6749 §4.4.3).
func (s *Server) clientCredentials(ctx context.Context, c *Client, p map[string]string) (*tokenResponse, error) {
	if !c.Confidential {
		return nil, oerr("unauthorized_client", "Only confidential clients may use client_credentials.")
	}
	uid, alias := p["user_id"], p["userId"]
	if uid != "" && alias != "" && uid != alias {
		return nil, oerr("invalid_request", "user_id and userId differ.")
	}
	if uid == "" {
		uid = alias
	}
	userID := c.UserID
	if uid != "" {
		n, err := strconv.ParseInt(uid, 10, 64)
		if err != nil || n <= 0 {
			return nil, oerr("invalid_request", "user_id must be a positive integer.")
		}
		userID = n
	}
	requested, unknown := parseScopes(p["scope"])
	if unknown != "" {
		return nil, oerr("invalid_scope", "Unknown scope: "+unknown+".")
	}
	if len(requested) == 0 {
		return nil, oerr("invalid_scope", "The scope parameter is required.")
	}
	u, err := s.loadUser(ctx, s.db.Reader(), userID, c.CompanyID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oerr("invalid_grant", "user_id is not an active user of the client's company.")
	} else if err != nil {
		return nil, err
	}
	granted, _ := narrow(requested, u.Perms)
	if len(granted) == 0 {
		return nil, oerr("invalid_scope", "The user's role grants none of the requested scopes.")
	}
	var resp *tokenResponse
	err = s.db.Tx(ctx, func(tx store.Conn) error {
		gid, err := s.newGrant(ctx, tx, "client_credentials", c.PK, c.CompanyID, userID, granted)
		if err != nil {
			return err
		}
		is, err := s.issue(ctx, tx, gid, c.PK, c.CompanyID, userID, granted, false)
		if err != nil {
			return err
		}
		resp = s.response(is, granted)
		return nil
	})
	return resp, err
}
