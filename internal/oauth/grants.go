package oauth

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Grant is one authorization of a user (a token family): listed by
// GET /oauth/tokens and revoked with all its tokens by DELETE.
type Grant struct {
	ID        int64       `json:"id"`
	Client    GrantClient `json:"client"`
	Scopes    []string    `json:"scopes"`
	CreatedAt RFC3339     `json:"created_at"`
	ExpiresAt RFC3339     `json:"expires_at"`
}

// GrantClient names the client of a grant.
type GrantClient struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LiveGrant is the condition on grant g of being active: not revoked and
// holding a token that still works, an access token or a refresh token
// (a grant whose only access token was revoked through /oauth/revoke, or
// whose refresh token expired first, is over). Both ? are now. Webhook
// subscriptions made with a grant end with it (internal/webhook).
const LiveGrant = `g.revoked_at IS NULL AND (
	EXISTS (SELECT 1 FROM oauth_access_tokens a WHERE a.grant_id = g.id AND a.revoked_at IS NULL AND a.expires_at > ?)
	OR EXISTS (SELECT 1 FROM oauth_refresh_tokens t WHERE t.grant_id = g.id AND t.revoked_at IS NULL AND t.used_at IS NULL AND t.expires_at > ?))`

// ListGrants returns the user's active grants (LiveGrant).
func (s *Server) ListGrants(ctx context.Context, companyID, userID int64) ([]Grant, error) {
	now := s.t(s.now())
	rows, err := s.db.Reader().Query(ctx, `SELECT g.id, c.client_id, c.name, g.scopes, g.created_at, g.expires_at
		FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_pk
		WHERE g.user_id = ? AND g.company_id = ? AND `+LiveGrant+`
		ORDER BY g.id`, userID, companyID, now, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Grant{}
	for rows.Next() {
		var g Grant
		var scopes string
		var created, expires ts
		if err := rows.Scan(&g.ID, &g.Client.ID, &g.Client.Name, &scopes, &created, &expires); err != nil {
			return nil, err
		}
		g.Scopes = strings.Fields(scopes)
		if g.Scopes == nil {
			g.Scopes = []string{}
		}
		g.CreatedAt, g.ExpiresAt = RFC3339(created.T), RFC3339(expires.T)
		out = append(out, g)
	}
	return out, rows.Err()
}

// ClientGrants counts the active grants (LiveGrant) of a client of the
// company: what deleting the client revokes.
func (s *Server) ClientGrants(ctx context.Context, companyID int64, clientID string) (int, error) {
	if !storable(clientID) {
		return 0, nil
	}
	now := s.t(s.now())
	var n int
	err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_pk
		WHERE c.client_id = ? AND c.company_id = ? AND `+LiveGrant, clientID, companyID, now, now).Scan(&n)
	return n, err
}

// RevokeGrant revokes one of the user's grants and every token of it; a
// grant that is not the user's (or already revoked) is a 404.
func (s *Server) RevokeGrant(ctx context.Context, companyID, userID, grantID int64) error {
	return s.db.Tx(ctx, func(tx store.Conn) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM oauth_grants WHERE id = ? AND user_id = ? AND company_id = ? AND revoked_at IS NULL`,
			grantID, userID, companyID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.NotFound()
		} else if err != nil {
			return err
		}
		return s.revokeGrant(ctx, tx, id)
	})
}

func (s *Server) handleListGrants(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.principal(w, r)
	if !ok {
		return
	}
	list, err := s.ListGrants(r.Context(), p.CompanyID, p.UserID)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, list)
}

func (s *Server) handleRevokeGrant(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.principal(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		respond.Error(w, r, apierr.NotFound())
		return
	}
	if err := s.RevokeGrant(r.Context(), p.CompanyID, p.UserID, id); err != nil {
		respond.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRevoke: POST /oauth/revoke (RFC 7009). The client authenticates;
// the answer is 200 whether or not the token existed. A refresh token
// takes its whole family with it, an access token only itself. Tokens of
// other clients are left alone (still 200: nothing is disclosed).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	c, err := s.authenticateClient(w, r, p, false)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	tok := p["token"]
	if tok == "" {
		s.writeOAuthError(w, r, oerr("invalid_request", "token is required."))
		return
	}
	ctx := r.Context()
	h := auth.Hash(tok)
	order := []string{"access_token", "refresh_token"}
	if p["token_type_hint"] == "refresh_token" {
		order = []string{"refresh_token", "access_token"}
	}
	err = s.db.Tx(ctx, func(tx store.Conn) error {
		for _, kind := range order {
			var id, grantID int64
			q := `SELECT id, grant_id FROM oauth_access_tokens WHERE token_hash = ? AND client_pk = ?`
			if kind == "refresh_token" {
				q = `SELECT id, grant_id FROM oauth_refresh_tokens WHERE token_hash = ? AND client_pk = ?`
			}
			err := tx.QueryRow(ctx, q, h, c.PK).Scan(&id, &grantID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			if kind == "refresh_token" {
				return s.revokeGrant(ctx, tx, grantID)
			}
			_, err = tx.Exec(ctx, `UPDATE oauth_access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.t(s.now()), id)
			return err
		}
		return nil
	})
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	noStore(w)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect: POST /oauth/introspect (RFC 7662), for confidential
// clients about their own tokens; anything else is {"active": false}.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	p, err := params(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	c, err := s.authenticateClient(w, r, p, false)
	if err == nil && !c.Confidential {
		err = oerr("invalid_client", "Introspection is for confidential clients.")
	}
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	tok := p["token"]
	if tok == "" {
		s.writeOAuthError(w, r, oerr("invalid_request", "token is required."))
		return
	}
	order := []string{"access_token", "refresh_token"}
	if p["token_type_hint"] == "refresh_token" {
		order = []string{"refresh_token", "access_token"}
	}
	out := map[string]any{"active": false}
	for _, kind := range order {
		table, live := "oauth_access_tokens", ""
		if kind == "refresh_token" {
			table, live = "oauth_refresh_tokens", " AND t.used_at IS NULL"
		}
		var userID int64
		var scopes, email string
		var perms sql.NullString
		var exp, created ts
		err := s.db.Reader().QueryRow(r.Context(), `SELECT t.user_id, t.scopes, t.expires_at, t.created_at, u.email, ro.permissions
			FROM `+table+` t JOIN users u ON u.id = t.user_id AND u.company_id = t.company_id JOIN roles ro ON ro.id = u.role_id
			WHERE t.token_hash = ? AND t.client_pk = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.active = ?`+live,
			auth.Hash(tok), c.PK, s.t(s.now()), s.b(true)).Scan(&userID, &scopes, &exp, &created, &email, &perms)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			slog.ErrorContext(r.Context(), "oauth: introspect", "err", err.Error())
			break
		}
		tt := "Bearer"
		if kind == "refresh_token" {
			tt = "refresh_token"
		}
		out = map[string]any{"active": true, "scope": effectiveScope(scopes, perms.String), "client_id": c.ID, "username": email,
			"sub": strconv.FormatInt(userID, 10), "exp": exp.T.Unix(), "iat": created.T.Unix(), "token_type": tt}
		break
	}
	noStore(w)
	writeJSON(w, http.StatusOK, out)
}

// effectiveScope is what a token may do as the API applies it: its scopes
// intersected with the user's current role (auth.Effective, `all`
// covering `own`), in the token's order. Introspection reports this, not
// the stored scopes, so a resource server never grants what the API would
// refuse after a role change.
func effectiveScope(tokenScopes, rolePerms string) string {
	scopes := strings.Fields(tokenScopes)
	eff, _ := auth.Effective(scopes, strings.Fields(rolePerms))
	var out []string
	seen := map[string]bool{}
	for _, sc := range scopes {
		base, _ := splitScope(sc)
		if e := eff[base]; e != schema.None && !seen[base] {
			seen[base] = true
			out = append(out, base+"."+e.String())
		}
	}
	return strings.Join(out, " ")
}

// handleMetadata: GET /.well-known/oauth-authorization-server (RFC 8414).
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	iss := s.issuer(r)
	_, scopes := scopeCatalog()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + "/oauth/authorize",
		"token_endpoint":                                iss + "/oauth/token",
		"revocation_endpoint":                           iss + "/oauth/revoke",
		"introspection_endpoint":                        iss + "/oauth/introspect",
		"scopes_supported":                              scopes,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":              []string{"S256"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"ui_locales_supported":                          []string{"en", "nl"},
	})
}
