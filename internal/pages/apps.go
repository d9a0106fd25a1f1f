package pages

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/oauth"
)

type scopeWord struct{ ID, Description string }

type grantRow struct {
	ID         int64
	ClientName string
	ClientID   string
	Scopes     []scopeWord
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// apps: Settings > Authorized apps, the user's own grants (GET
// /oauth/tokens), with their scopes in words.
func (p *Pages) apps(w http.ResponseWriter, r *http.Request) {
	u := p.signedIn(w, r)
	if u == nil {
		return
	}
	list, err := p.oa.ListGrants(r.Context(), u.CompanyID, u.ID)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	var rows []grantRow
	for _, g := range list {
		gr := grantRow{ID: g.ID, ClientName: g.Client.Name, ClientID: g.Client.ID,
			CreatedAt: time.Time(g.CreatedAt), ExpiresAt: time.Time(g.ExpiresAt)}
		for _, s := range g.Scopes {
			gr.Scopes = append(gr.Scopes, scopeWord{ID: s, Description: oauth.ScopeDescription(u.Lang, s)})
		}
		rows = append(rows, gr)
	}
	v := p.newView(w, r, u, "apps", "apps_title")
	v.Data = rows
	p.render(w, r, http.StatusOK, "apps", v)
}

// appRevoke revokes one of the user's grants and all its tokens (DELETE
// /oauth/tokens/{id}); another user's grant is a 404.
func (p *Pages) appRevoke(w http.ResponseWriter, r *http.Request) {
	u := p.signedIn(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.apiError(w, r, u, apierr.NotFound())
		return
	}
	name := ""
	if list, err := p.oa.ListGrants(r.Context(), u.CompanyID, u.ID); err == nil {
		for _, g := range list {
			if g.ID == id {
				name = g.Client.Name
			}
		}
	}
	if name == "" {
		name = "#" + strconv.FormatInt(id, 10)
	}
	if err := p.oa.RevokeGrant(r.Context(), u.CompanyID, u.ID, id); err != nil {
		p.apiError(w, r, u, err)
		return
	}
	p.setFlash(w, r, "flash_app_revoked", name)
	seeOther(w, r, "/settings/apps")
}
