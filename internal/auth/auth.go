// Package auth holds the principal a request acts as, the effective-scope
// rule (token scopes intersected with the user's role, `all` covering
// `own`), and the secret primitives: random tokens, their hashes, passwords.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/cirqll/core/internal/schema"
)

// Principal is who a request acts as: a user of a company through a client.
type Principal struct {
	CompanyID int64
	UserID    int64
	ClientID  string // the OAuth client_id (public identifier); "" for web sessions
	ClientPK  int64  // oauth_clients.id
	TokenID   int64  // oauth_access_tokens.id; 0 for web sessions
	Locale    string // the user's locale (nl/en)
	// CompanyLocale is the company setting, the last language fallback.
	CompanyLocale string
	RateLimit     int // the client's per-minute override; 0 = server default
	Scopes        []string
	perms         map[string]schema.Extent // "customer.read" -> effective extent
	manage        bool                     // client.manage.all
}

// NewPrincipal computes the effective permissions from the token's scopes and
// the role's permissions.
func NewPrincipal(tokenScopes, rolePerms []string) *Principal {
	p := &Principal{Scopes: tokenScopes}
	p.perms, p.manage = Effective(tokenScopes, rolePerms)
	return p
}

// Effective intersects token scopes with role permissions per resource and
// action: the result's extent is the smaller of the two, where all > own.
func Effective(tokenScopes, rolePerms []string) (map[string]schema.Extent, bool) {
	tok := extents(tokenScopes)
	role := extents(rolePerms)
	out := make(map[string]schema.Extent, len(tok))
	for k, te := range tok {
		if re := role[k]; re != schema.None {
			out[k] = min(te, re)
		}
	}
	return out, out["client.manage"] == schema.All
}

func extents(scopes []string) map[string]schema.Extent {
	m := make(map[string]schema.Extent, len(scopes))
	for _, s := range scopes {
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			continue
		}
		var e schema.Extent
		switch s[i+1:] {
		case "all":
			e = schema.All
		case "own":
			e = schema.Own
		default:
			continue
		}
		if e > m[s[:i]] {
			m[s[:i]] = e
		}
	}
	return m
}

// Extent is what the principal may do with action on a scope resource.
func (p *Principal) Extent(scopeResource, action string) schema.Extent {
	if p == nil {
		return schema.None
	}
	return p.perms[scopeResource+"."+action]
}

// CanManageClients reports client.manage.all.
func (p *Principal) CanManageClients() bool { return p != nil && p.manage }

// Granted lists the effective scopes as names (for /oauth/tokens and logs).
func (p *Principal) Granted() []string {
	var out []string
	for k, e := range p.perms {
		out = append(out, k+"."+e.String())
	}
	return out
}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of ctx or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// NewSecret returns a random URL-safe secret of 256 bits.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns a random URL-safe identifier of 128 bits (client ids).
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how tokens, codes and client secrets are stored: they carry 256
// bits of randomness, so a fast hash is enough and keeps the lookup one
// indexed equality.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Equal compares in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// effectiveCache memoizes Effective for the space-separated strings the
// bearer check reads: a handful of distinct (token scopes, role) pairs serve
// every request, and splitting ~120 permissions into maps per request would
// cost more than the database lookup. Entries are immutable once stored.
var effectiveCache struct {
	sync.RWMutex
	m map[string]*cachedPerms
}

type cachedPerms struct {
	scopes []string
	perms  map[string]schema.Extent
	manage bool
}

const maxEffectiveCache = 4096

// PrincipalFor is NewPrincipal over space-separated token scopes and role
// permissions, memoized.
func PrincipalFor(tokenScopes, rolePerms string) *Principal {
	key := tokenScopes + "\x00" + rolePerms
	effectiveCache.RLock()
	c := effectiveCache.m[key]
	effectiveCache.RUnlock()
	if c == nil {
		c = &cachedPerms{scopes: strings.Fields(tokenScopes)}
		c.perms, c.manage = Effective(c.scopes, strings.Fields(rolePerms))
		effectiveCache.Lock()
		if effectiveCache.m == nil || len(effectiveCache.m) >= maxEffectiveCache {
			effectiveCache.m = map[string]*cachedPerms{}
		}
		effectiveCache.m[key] = c
		effectiveCache.Unlock()
	}
	return &Principal{Scopes: c.scopes, perms: c.perms, manage: c.manage}
}
