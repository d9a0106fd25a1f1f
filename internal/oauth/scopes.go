package oauth

import (
	"net/http"
	"strings"
	"sync"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/schema"
)

var (
	catalogOnce sync.Once
	catalog     map[string]bool
	catalogList []string
)

func scopeCatalog() (map[string]bool, []string) {
	catalogOnce.Do(func() {
		catalogList = schema.Scopes()
		catalog = make(map[string]bool, len(catalogList))
		for _, s := range catalogList {
			catalog[s] = true
		}
	})
	return catalog, catalogList
}

// parseScopes splits a space-separated scope parameter, dropping
// duplicates and keeping the order. unknown is the first scope that is not
// in the catalogue.
func parseScopes(raw string) (scopes []string, unknown string) {
	cat, _ := scopeCatalog()
	seen := map[string]bool{}
	for _, sc := range strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' }) {
		if !cat[sc] {
			if unknown == "" {
				unknown = sc
			}
			continue
		}
		if !seen[sc] {
			seen[sc] = true
			scopes = append(scopes, sc)
		}
	}
	return scopes, unknown
}

// scopeChange tells what narrowing did to one requested scope.
type scopeChange struct {
	Requested string
	Granted   string // "" when dropped
}

// narrow limits requested scopes to what the role grants, `all` covering
// `own`: x.all under a role with only x.own becomes x.own; a scope the role
// has nothing of is dropped. The order of the request is kept.
func narrow(requested, rolePerms []string) (granted []string, changes []scopeChange) {
	role := make(map[string]bool, len(rolePerms))
	for _, p := range rolePerms {
		role[p] = true
	}
	seen := map[string]bool{}
	for _, sc := range requested {
		base, ext := splitScope(sc)
		g := ""
		switch {
		case role[base+".all"]:
			g = sc
		case role[base+".own"] && (ext == "all" || ext == "own"):
			g = base + ".own"
		}
		if g != sc {
			changes = append(changes, scopeChange{Requested: sc, Granted: g})
		}
		if g != "" && !seen[g] {
			seen[g] = true
			granted = append(granted, g)
		}
	}
	return granted, changes
}

// within reports whether every requested scope is covered by held, `all`
// covering `own` (a refresh may narrow, never widen).
func within(requested, held []string) bool {
	h := make(map[string]bool, len(held))
	for _, s := range held {
		h[s] = true
	}
	for _, s := range requested {
		base, ext := splitScope(s)
		if !h[s] && !(ext == "own" && h[base+".all"]) {
			return false
		}
	}
	return true
}

func splitScope(s string) (base, ext string) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// ScopeDescription is the human description of a scope in lang.
func ScopeDescription(lang, scope string) string { return i18n.T(lang, "scope."+scope) }

type scopeInfo struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// handleScopes: GET /oauth/scopes, every scope with its description in
// the request's language. No token is needed, but a valid one makes its
// user's locale the language when there is no Accept-Language, as on every
// other endpoint; an invalid one is ignored.
func (s *Server) handleScopes(w http.ResponseWriter, r *http.Request) {
	if i18n.FromHeader(r.Header.Get("Accept-Language")) == "" {
		if bearer := s.BearerFrom(r); bearer != "" {
			if p, err := s.Authenticate(r.Context(), bearer); err == nil {
				r = r.WithContext(auth.With(r.Context(), p))
			}
		}
	}
	l := respond.Lang(r)
	_, list := scopeCatalog()
	out := make([]scopeInfo, 0, len(list))
	for _, sc := range list {
		out = append(out, scopeInfo{ID: sc, Description: ScopeDescription(l, sc)})
	}
	w.Header().Set("Vary", "Accept-Language, Authorization")
	writeJSON(w, http.StatusOK, out)
}

func lang(r *http.Request) string { return respond.Lang(r) }

func tr(l, key string, args ...any) string { return i18n.T(l, key, args...) }
