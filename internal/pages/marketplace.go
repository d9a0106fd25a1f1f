package pages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/oauth"
)

// clientRow is a client as the Marketplace lists it (never its secret).
type clientRow struct {
	ID           string
	Name         string
	RedirectURIs []string
	Confidential bool
	RateLimit    int // 0: the server default
	CreatedAt    time.Time
}

func toRow(c oauth.Client) clientRow {
	r := clientRow{ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, Confidential: c.Confidential,
		CreatedAt: time.Time(c.CreatedAt)}
	if c.RateLimit != nil {
		r.RateLimit = *c.RateLimit
	}
	return r
}

type marketplaceData struct {
	Clients      []clientRow
	DefaultLimit int
}

// clientForm is the create and edit form's values, as typed.
type clientForm struct {
	Action       string // where the form posts
	Edit         bool
	ID           string
	Name         string
	RedirectURIs string // one per line
	Public       bool
	RateLimit    string
	FormID       string // create only: recognises a re-sent POST
	DefaultLimit int
}

type createdData struct {
	Client clientRow
	Secret string
}

type clientDeleteData struct {
	Client clientRow
	Grants int
}

// manager returns the signed-in user when they may manage clients, else
// answers (login redirect or 403 page).
func (p *Pages) manager(w http.ResponseWriter, r *http.Request) *user {
	u := p.signedIn(w, r)
	if u == nil {
		return nil
	}
	if !u.CanManageClients() {
		p.forbidden(w, r, u, "client.manage.all")
		return nil
	}
	return u
}

func (p *Pages) marketplace(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil {
		return
	}
	list, err := p.oa.ListClients(r.Context(), u.CompanyID)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	d := marketplaceData{DefaultLimit: p.rateLimit}
	for _, c := range list {
		d.Clients = append(d.Clients, toRow(c))
	}
	v := p.newView(w, r, u, "marketplace", "marketplace_title")
	v.Data = d
	p.render(w, r, http.StatusOK, "marketplace", v)
}

func (p *Pages) clientNew(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil {
		return
	}
	p.clientFormPage(w, r, u, http.StatusOK, clientForm{Action: "/settings/marketplace", FormID: auth.NewID()}, nil)
}

func (p *Pages) clientFormPage(w http.ResponseWriter, r *http.Request, u *user, status int, f clientForm, errs *formErrors) {
	title := "client_new_title"
	var args []any
	if f.Edit {
		title, args = "client_edit_title", []any{f.Name}
	}
	f.DefaultLimit = p.rateLimit
	v := p.newView(w, r, u, "marketplace", title, args...)
	if errs != nil {
		v.Errors = errs
	}
	v.Data = f
	p.render(w, r, status, "client_form", v)
}

func clientLabels(lang string) (map[string]string, map[string]string) {
	return map[string]string{
			"name":          tr(lang, "client_name"),
			"redirect_uris": tr(lang, "client_redirect_uris"),
			"rate_limit":    tr(lang, "client_rate_limit"),
			"confidential":  tr(lang, "client_type"),
		}, map[string]string{
			"name": "f-name", "redirect_uris": "f-redirect-uris", "rate_limit": "f-rate-limit", "confidential": "f-confidential",
		}
}

// readClientForm turns the form into the same ClientInput /oauth/clients
// builds from JSON; a rate limit that is not a whole number is reported
// with the API's message (everything else is validated by oauth).
func readClientForm(r *http.Request, lang string, create bool) (clientForm, oauth.ClientInput, *formErrors) {
	f := clientForm{
		Name:         r.PostFormValue("name"),
		RedirectURIs: r.PostFormValue("redirect_uris"),
		RateLimit:    strings.TrimSpace(r.PostFormValue("rate_limit")),
		Public:       r.PostFormValue("type") == "public",
		FormID:       r.PostFormValue("form_id"),
	}
	in := oauth.ClientInput{Name: &f.Name, RedirectURIs: splitLines(f.RedirectURIs), SetRateLimit: true}
	if create {
		conf := !f.Public
		in.Confidential = &conf
		if t := r.PostFormValue("type"); t != "" && t != "public" && t != "confidential" {
			labels, ids := clientLabels(lang)
			errs := &formErrors{}
			errs.Add("confidential", ids["confidential"], i18n.T(lang, "v_boolean", labels["confidential"]))
			return f, in, errs
		}
	}
	if f.RateLimit != "" {
		n, err := strconv.Atoi(f.RateLimit)
		if err != nil {
			labels, ids := clientLabels(lang)
			errs := &formErrors{}
			errs.Add("rate_limit", ids["rate_limit"], i18n.T(lang, "v_integer", labels["rate_limit"]))
			return f, in, errs
		}
		in.RateLimit = &n
	}
	return f, in, nil
}

// splitLines: one redirect URI per line (commas and spaces separate too,
// since a redirect URI contains neither); blank lines are dropped.
func splitLines(s string) []string {
	out := []string{}
	for _, l := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t'
	}) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// clientCreate creates a client through oauth.CreateClient and shows its
// secret in this response only (not stored, not in a cookie or URL, not
// cached). A re-sent form (reload, back button) shows a notice instead of
// creating a second client.
func (p *Pages) clientCreate(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	f, in, errs := readClientForm(r, u.Lang, true)
	f.Action = "/settings/marketplace"
	if errs != nil {
		p.clientFormPage(w, r, u, http.StatusUnprocessableEntity, f, errs)
		return
	}
	key := ""
	if f.FormID != "" && len(f.FormID) <= 64 {
		key = auth.Hash(u.CSRF + "|" + f.FormID)
		if prev, dup := p.wasCreated(key); dup {
			v := p.newView(w, r, u, "marketplace", "client_resent_title")
			v.Alert = tr(u.Lang, "client_resent", prev)
			v.Data = errorData{Back: "/settings/marketplace"}
			p.render(w, r, http.StatusConflict, "error", v)
			return
		}
	}
	c, secret, err := p.oa.CreateClient(r.Context(), u.CompanyID, u.ID, in)
	if err != nil {
		labels, ids := clientLabels(u.Lang)
		if fe, ok := fromAPI(u.Lang, err, labels, ids); ok {
			p.clientFormPage(w, r, u, http.StatusUnprocessableEntity, f, fe)
			return
		}
		p.apiError(w, r, u, err)
		return
	}
	if key != "" {
		p.remember(key, c.Name)
	}
	v := p.newView(w, r, u, "marketplace", "client_created_title", c.Name)
	v.Data = createdData{Client: toRow(c), Secret: secret}
	p.render(w, r, http.StatusCreated, "client_created", v)
}

// wasCreated / remember: create forms already handled, for an hour.
func (p *Pages) wasCreated(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.created[key]
	if ok && p.now().Sub(s.at) > time.Hour {
		delete(p.created, key)
		return "", false
	}
	return s.name, ok
}

func (p *Pages) remember(key, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if len(p.created) > 10_000 {
		for k, s := range p.created {
			if now.Sub(s.at) > time.Hour {
				delete(p.created, k)
			}
		}
	}
	p.created[key] = submitted{name: name, at: now}
}

// findClient reads one client of the user's company (ListClients is scoped
// by company, so another company's client id is simply not found).
func (p *Pages) findClient(ctx context.Context, companyID int64, id string) (*oauth.Client, error) {
	list, err := p.oa.ListClients(ctx, companyID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, apierr.NotFound()
}

func (p *Pages) clientEdit(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil {
		return
	}
	c, err := p.findClient(r.Context(), u.CompanyID, r.PathValue("id"))
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	f := clientForm{Action: "/settings/marketplace/" + url.PathEscape(c.ID), Edit: true, ID: c.ID, Name: c.Name,
		RedirectURIs: strings.Join(c.RedirectURIs, "\n"), Public: !c.Confidential}
	if c.RateLimit != nil {
		f.RateLimit = strconv.Itoa(*c.RateLimit)
	}
	p.clientFormPage(w, r, u, http.StatusOK, f, nil)
}

func (p *Pages) clientUpdate(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	id := r.PathValue("id")
	c, err := p.findClient(r.Context(), u.CompanyID, id)
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	f, in, errs := readClientForm(r, u.Lang, false)
	f.Action, f.Edit, f.ID, f.Public = "/settings/marketplace/"+url.PathEscape(id), true, id, !c.Confidential
	if errs != nil {
		p.clientFormPage(w, r, u, http.StatusUnprocessableEntity, f, errs)
		return
	}
	updated, err := p.oa.UpdateClient(r.Context(), u.CompanyID, id, in)
	if err != nil {
		labels, ids := clientLabels(u.Lang)
		if fe, ok := fromAPI(u.Lang, err, labels, ids); ok {
			p.clientFormPage(w, r, u, http.StatusUnprocessableEntity, f, fe)
			return
		}
		p.apiError(w, r, u, err)
		return
	}
	p.setFlash(w, r, "flash_client_updated", updated.Name)
	seeOther(w, r, "/settings/marketplace")
}

func (p *Pages) clientDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil {
		return
	}
	c, err := p.findClient(r.Context(), u.CompanyID, r.PathValue("id"))
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	n, err := p.oa.ClientGrants(r.Context(), u.CompanyID, c.ID)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	v := p.newView(w, r, u, "marketplace", "client_delete_title", c.Name)
	v.Data = clientDeleteData{Client: toRow(*c), Grants: n}
	p.render(w, r, http.StatusOK, "client_delete", v)
}

func (p *Pages) clientDelete(w http.ResponseWriter, r *http.Request) {
	u := p.manager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	id := r.PathValue("id")
	c, err := p.findClient(r.Context(), u.CompanyID, id)
	if err == nil {
		err = p.oa.DeleteClient(r.Context(), u.CompanyID, id)
	}
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	p.setFlash(w, r, "flash_client_deleted", c.Name)
	seeOther(w, r, "/settings/marketplace")
}
