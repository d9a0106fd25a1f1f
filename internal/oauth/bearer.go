package oauth

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
)

// authQuery is the bearer check: one query on the unique token_hash index,
// joining the user (active), its role's permissions, the client and the
// company's locale. Nothing is cached, so a revoked token, a deactivated
// user or a role change bites on the next request.
const authQuery = `SELECT t.id, t.company_id, t.user_id, t.scopes, u.locale, r.permissions, c.id, c.client_id, c.rate_limit, st.locale
FROM oauth_access_tokens t
JOIN users u ON u.id = t.user_id AND u.company_id = t.company_id
JOIN roles r ON r.id = u.role_id
JOIN oauth_clients c ON c.id = t.client_pk
LEFT JOIN settings st ON st.company_id = t.company_id
WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.active = ?`

// Authenticate resolves a bearer token to its principal: effective
// permissions are the token's scopes intersected with the user's current
// role. A missing, unknown, expired or revoked token, or an inactive user,
// is a 401 *apierr.Error.
func (s *Server) Authenticate(ctx context.Context, bearer string) (*auth.Principal, error) {
	if bearer == "" || len(bearer) > 256 {
		return nil, apierr.New(http.StatusUnauthorized, "unauthenticated")
	}
	var (
		tokenID, companyID, userID, clientPK int64
		scopes, perms, clientID              string
		locale, companyLocale                sql.NullString
		rateLimit                            sql.NullInt64
	)
	args := []any{auth.Hash(bearer), s.t(s.now()), s.b(true)}
	var row *sql.Row
	if st := s.authStmt(ctx); st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = s.db.Reader().QueryRow(ctx, authQuery, args...)
	}
	err := row.Scan(&tokenID, &companyID, &userID, &scopes, &locale, &perms, &clientPK, &clientID, &rateLimit, &companyLocale)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apierr.New(http.StatusUnauthorized, "unauthenticated")
	} else if err != nil {
		return nil, err
	}
	p := auth.PrincipalFor(scopes, perms)
	p.CompanyID, p.UserID, p.TokenID = companyID, userID, tokenID
	p.ClientID, p.ClientPK = clientID, clientPK
	p.Locale, p.CompanyLocale = locale.String, companyLocale.String
	p.RateLimit = int(rateLimit.Int64)
	return p, nil
}

// authStmt is the bearer check prepared once on the reader pool
// (database/sql prepares it again on each new connection); nil when
// preparing fails, and then the query runs unprepared.
func (s *Server) authStmt(ctx context.Context) *sql.Stmt {
	if st := s.authSt.Load(); st != nil {
		return st
	}
	st, err := s.db.R.PrepareContext(ctx, s.db.Q(authQuery))
	if err != nil {
		return nil
	}
	if !s.authSt.CompareAndSwap(nil, st) {
		st.Close()
	}
	return s.authSt.Load()
}

// BearerFrom returns the token of an "Authorization: Bearer <token>" header
// (scheme case-insensitive), or "".
func (s *Server) BearerFrom(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}
