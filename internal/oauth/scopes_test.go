package oauth

import (
	"net/http"
	"testing"

	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// /oauth/scopes answers in the token user's language when no
// Accept-Language is sent; a bad token is ignored (no token is needed).
func TestScopesLanguageFromToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, err := db.Writer().Exec(e.ctx(), `UPDATE users SET locale = 'nl' WHERE id = ?`, e.owner); err != nil {
			t.Fatal(err)
		}
		c, secret := e.client(e.company, e.owner, true)
		tok, _ := e.ccToken(c, secret, 0, "customer.read.all")
		describe := func(token, lang string) string {
			t.Helper()
			req, _ := http.NewRequest("GET", e.ts.URL+"/oauth/scopes", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if lang != "" {
				req.Header.Set("Accept-Language", lang)
			}
			var list []scopeInfo
			if resp := e.do(req, &list); resp.StatusCode != 200 {
				t.Fatalf("scopes: %d", resp.StatusCode)
			}
			for _, s := range list {
				if s.ID == "customer.read.own" {
					return s.Description
				}
			}
			return ""
		}
		for _, tc := range []struct{ token, lang, want string }{
			{tok.AccessToken, "", "Eigen klanten lezen"},
			{tok.AccessToken, "en", ScopeDescription("en", "customer.read.own")},
			{"not-a-token", "", ScopeDescription("en", "customer.read.own")},
			{"", "", ScopeDescription("en", "customer.read.own")},
		} {
			if got := describe(tc.token, tc.lang); got != tc.want {
				t.Errorf("token %q lang %q: %q, want %q", tc.token, tc.lang, got, tc.want)
			}
		}
	})
}
