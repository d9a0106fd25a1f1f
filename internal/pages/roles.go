package pages

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// The permission matrix: a row per scope resource, a column per action,
// each cell the extent the role grants (none, own, all). Permissions with
// another action (client.manage.all) are listed below the table.
var matrixActions = []string{"read", "create", "update", "delete"}

type catalogEntry struct {
	resource string
	extents  map[string][]string // action -> available extents, "own" before "all"
}

var (
	catalogOnce  sync.Once
	catalogRows  []catalogEntry
	catalogOther []string
)

func permCatalog() ([]catalogEntry, []string) {
	catalogOnce.Do(func() {
		idx := map[string]int{}
		for _, sc := range schema.Scopes() {
			parts := strings.Split(sc, ".")
			if len(parts) != 3 {
				continue
			}
			res, action, ext := parts[0], parts[1], parts[2]
			if !contains(matrixActions, action) {
				catalogOther = append(catalogOther, sc)
				continue
			}
			i, ok := idx[res]
			if !ok {
				i = len(catalogRows)
				idx[res] = i
				catalogRows = append(catalogRows, catalogEntry{resource: res, extents: map[string][]string{}})
			}
			catalogRows[i].extents[action] = append(catalogRows[i].extents[action], ext)
		}
		for _, e := range catalogRows {
			for a, list := range e.extents {
				sort.Slice(list, func(i, j int) bool { return list[i] == "own" && list[j] == "all" })
				e.extents[a] = list
			}
		}
	})
	return catalogRows, catalogOther
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type permOpt struct {
	Value, Label string
	Selected     bool
}

type permCell struct {
	Action      string
	ActionLabel string
	Field       string // form field: perm.customer.read
	ID          string // input id: p-customer-read
	Available   bool
	Value       string // "", "own" or "all"
	ValueLabel  string
	Options     []permOpt
}

type permRow struct {
	Resource string
	Label    string
	Cells    []permCell
	Any      bool // the role grants something on this resource
}

type otherPerm struct {
	Scope, Label, ID string
	Checked          bool
}

type roleMatrix struct {
	Actions []string // column headers
	Rows    []permRow
	Other   []otherPerm
}

// buildMatrix lays out a role's permissions (all covering own).
func buildMatrix(lang string, perms []string) roleMatrix {
	has := map[string]bool{}
	for _, p := range perms {
		has[p] = true
	}
	entries, other := permCatalog()
	m := roleMatrix{}
	for _, a := range matrixActions {
		m.Actions = append(m.Actions, tr(lang, "act_"+a))
	}
	for _, e := range entries {
		row := permRow{Resource: e.resource, Label: resourceLabel(lang, e.resource)}
		for _, a := range matrixActions {
			c := permCell{Action: a, ActionLabel: tr(lang, "act_"+a), Field: "perm." + e.resource + "." + a,
				ID: "p-" + e.resource + "-" + a}
			exts := e.extents[a]
			if len(exts) > 0 {
				c.Available = true
				base := e.resource + "." + a
				switch {
				case has[base+".all"]:
					c.Value = "all"
				case has[base+".own"]:
					c.Value = "own"
				}
				c.ValueLabel = tr(lang, "ext_"+orNone(c.Value))
				c.Options = append(c.Options, permOpt{Value: "", Label: tr(lang, "ext_none"), Selected: c.Value == ""})
				for _, x := range exts {
					c.Options = append(c.Options, permOpt{Value: x, Label: tr(lang, "ext_"+x), Selected: c.Value == x})
				}
				if c.Value != "" {
					row.Any = true
				}
			}
			row.Cells = append(row.Cells, c)
		}
		m.Rows = append(m.Rows, row)
	}
	col := collate.New(language.Make(lang))
	sort.SliceStable(m.Rows, func(i, j int) bool { return col.CompareString(m.Rows[i].Label, m.Rows[j].Label) < 0 })
	for _, sc := range other {
		m.Other = append(m.Other, otherPerm{Scope: sc, Label: oauth.ScopeDescription(lang, sc),
			ID: "p-" + strings.ReplaceAll(sc, ".", "-"), Checked: has[sc]})
	}
	return m
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func resourceLabel(lang, res string) string {
	if k := "pg.res_" + res; i18n.Has(k) {
		return i18n.T(lang, k)
	}
	return strings.ReplaceAll(res, "_", " ")
}

// permsFromForm reads the matrix back into permission names. A value that
// is not none/own/all is passed on as res.action.value so the role
// validation of the API refuses it like any unknown permission.
func permsFromForm(r *http.Request) []string {
	entries, _ := permCatalog()
	out := []string{}
	for _, e := range entries {
		for _, a := range matrixActions {
			v := strings.TrimSpace(r.PostFormValue("perm." + e.resource + "." + a))
			if v == "" || v == "none" {
				continue
			}
			out = append(out, e.resource+"."+a+"."+v)
		}
	}
	for _, sc := range r.PostForm["perm_other"] {
		if sc = strings.TrimSpace(sc); sc != "" && !contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

type roleItem struct {
	ID          int64
	Name        string
	Description string
	Builtin     bool
	Users       int64
	HasCount    bool
	Perms       int
	Matrix      roleMatrix
}

type rolesData struct {
	Roles                           []roleItem
	CanCreate, CanUpdate, CanDelete bool
}

type roleForm struct {
	Action      string
	Edit        bool
	ID          int64
	Name        string
	Description string
	ETag        string
	Matrix      roleMatrix
}

type userRef struct{ Name, Email string }

type roleDeleteData struct {
	Role    roleItem
	Users   []userRef
	More    int64 // users beyond those listed
	Blocked bool
	Unknown bool // users exist but the caller may not read them
}

// roleManager returns the user when they may manage roles, else answers.
func (p *Pages) roleManager(w http.ResponseWriter, r *http.Request) *user {
	u := p.signedIn(w, r)
	if u == nil {
		return nil
	}
	if !u.CanManageRoles() {
		p.forbidden(w, r, u, "role.update.all")
		return nil
	}
	return u
}

func toRoleItem(lang string, row *store.Row) roleItem {
	it := roleItem{ID: row.ID}
	it.Name, _ = row.Vals["name"].(string)
	it.Description, _ = row.Vals["description"].(string)
	it.Builtin, _ = row.Vals["builtin"].(bool)
	perms, _ := row.Vals["permissions"].([]string)
	it.Perms = len(perms)
	it.Matrix = buildMatrix(lang, perms)
	if n, ok := row.Counts["users"]; ok {
		it.Users, it.HasCount = n, true
	}
	return it
}

func (p *Pages) roles(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil {
		return
	}
	c := resource.NewCaller(u.P)
	q := url.Values{"limit": {strconv.Itoa(query.MaxLimit)}}
	if c.CanRead(schema.User) {
		q.Set("count", "users")
	}
	params, err := query.ParseIndex(schema.Role, q, p.svc.Access(r.Context(), c))
	if err != nil {
		p.internal(w, r, err)
		return
	}
	page, err := p.svc.List(r.Context(), c, schema.Role, params)
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	d := rolesData{CanCreate: u.can("create"), CanUpdate: u.can("update"), CanDelete: u.can("delete")}
	for _, row := range page.Rows {
		d.Roles = append(d.Roles, toRoleItem(u.Lang, row))
	}
	v := p.newView(w, r, u, "roles", "roles_title")
	v.Data = d
	p.render(w, r, http.StatusOK, "roles", v)
}

func (p *Pages) roleNew(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil {
		return
	}
	if !u.can("create") {
		p.forbidden(w, r, u, "role.create.all")
		return
	}
	p.roleFormPage(w, r, u, http.StatusOK, roleForm{Action: "/settings/roles", Matrix: buildMatrix(u.Lang, nil)}, nil, "")
}

func (p *Pages) roleFormPage(w http.ResponseWriter, r *http.Request, u *user, status int, f roleForm, errs *formErrors, alert string) {
	title := "role_new_title"
	var args []any
	if f.Edit {
		title, args = "role_edit_title", []any{f.Name}
	}
	v := p.newView(w, r, u, "roles", title, args...)
	if errs != nil {
		v.Errors = errs
	}
	v.Alert = alert
	v.Data = f
	p.render(w, r, status, "role_form", v)
}

func roleLabels(lang string) (map[string]string, map[string]string) {
	return map[string]string{
			"name":        tr(lang, "role_name"),
			"description": tr(lang, "role_description"),
			"permissions": tr(lang, "role_permissions"),
		}, map[string]string{
			"name": "f-name", "description": "f-description", "permissions": "permissions",
		}
}

// roleBody builds the JSON body /api/role takes, for resource.Service.
func roleBody(name, description string, perms []string, create bool) (*resource.Body, error) {
	m := map[string]any{"name": name, "permissions": perms}
	switch {
	case strings.TrimSpace(description) != "":
		m["description"] = description
	case !create:
		m["description"] = nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return resource.DecodeBody(b)
}

// roleWriteError shows a failed write on the form: field errors, a
// duplicate name, a role changed meanwhile; anything else is a page.
func (p *Pages) roleWriteError(w http.ResponseWriter, r *http.Request, u *user, f roleForm, err error) {
	labels, ids := roleLabels(u.Lang)
	if fe, ok := fromAPI(u.Lang, err, labels, ids); ok {
		p.roleFormPage(w, r, u, http.StatusUnprocessableEntity, f, fe, "")
		return
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusConflict && ae.Msg.Key == "duplicate":
			fe := &formErrors{}
			fe.Add("name", "f-name", tr(u.Lang, "role_duplicate", strings.TrimSpace(f.Name)))
			p.roleFormPage(w, r, u, http.StatusConflict, f, fe, "")
			return
		case ae.Status == http.StatusPreconditionFailed:
			// Keep what the user typed; saving again overwrites knowingly.
			if row, err := p.svc.Show(r.Context(), resource.NewCaller(u.P), schema.Role, f.ID, nil); err == nil {
				f.ETag = resource.ETag(row)
			}
			p.roleFormPage(w, r, u, http.StatusPreconditionFailed, f, nil, tr(u.Lang, "role_changed"))
			return
		}
	}
	p.apiError(w, r, u, err)
}

func (p *Pages) roleCreate(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	perms := permsFromForm(r)
	f := roleForm{Action: "/settings/roles", Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		Matrix: buildMatrix(u.Lang, perms)}
	body, err := roleBody(f.Name, f.Description, perms, true)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	row, err := p.svc.Create(r.Context(), resource.NewCaller(u.P), schema.Role, body)
	if err != nil {
		p.roleWriteError(w, r, u, f, err)
		return
	}
	name, _ := row.Vals["name"].(string)
	p.setFlash(w, r, "flash_role_created", name)
	seeOther(w, r, "/settings/roles")
}

func roleID(r *http.Request) int64 {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return 0
	}
	return id
}

// showRole reads a role of the user's company through the service (another
// company's role is a 404 there).
func (p *Pages) showRole(r *http.Request, u *user, id int64, with string) (*store.Row, error) {
	if id == 0 {
		return nil, apierr.NotFound()
	}
	c := resource.NewCaller(u.P)
	var params *query.Params
	if with != "" {
		var err error
		if params, err = query.ParseShow(schema.Role, url.Values{"with": {with}}, p.svc.Access(r.Context(), c)); err != nil {
			return nil, err
		}
	}
	return p.svc.Show(r.Context(), c, schema.Role, id, params)
}

func (p *Pages) roleEdit(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil {
		return
	}
	row, err := p.showRole(r, u, roleID(r), "")
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	it := toRoleItem(u.Lang, row)
	if it.Builtin {
		p.errorPage(w, r, u, http.StatusConflict, "error_title", i18n.T(u.Lang, "builtin_role"))
		return
	}
	if !u.can("update") {
		p.forbidden(w, r, u, "role.update.all")
		return
	}
	p.roleFormPage(w, r, u, http.StatusOK, roleForm{Action: "/settings/roles/" + strconv.FormatInt(row.ID, 10), Edit: true,
		ID: row.ID, Name: it.Name, Description: it.Description, ETag: resource.ETag(row), Matrix: it.Matrix}, nil, "")
}

func (p *Pages) roleUpdate(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	id := roleID(r)
	if id == 0 {
		p.apiError(w, r, u, apierr.NotFound())
		return
	}
	perms := permsFromForm(r)
	f := roleForm{Action: "/settings/roles/" + strconv.FormatInt(id, 10), Edit: true, ID: id,
		Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), ETag: r.PostFormValue("etag"),
		Matrix: buildMatrix(u.Lang, perms)}
	body, err := roleBody(f.Name, f.Description, perms, false)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	row, err := p.svc.Update(r.Context(), resource.NewCaller(u.P), schema.Role, id, body, resource.WriteOpts{IfMatch: f.ETag})
	if err != nil {
		p.roleWriteError(w, r, u, f, err)
		return
	}
	name, _ := row.Vals["name"].(string)
	p.setFlash(w, r, "flash_role_updated", name)
	seeOther(w, r, "/settings/roles")
}

// roleDeleteInfo reads what the confirmation needs: the role and who still
// has it (the API's 409 names the relation; the page names the people).
func (p *Pages) roleDeleteInfo(r *http.Request, u *user, id int64) (roleDeleteData, error) {
	c := resource.NewCaller(u.P)
	with := ""
	if c.CanRead(schema.User) {
		with = "users"
	}
	row, err := p.showRole(r, u, id, with)
	if err != nil {
		return roleDeleteData{}, err
	}
	d := roleDeleteData{Role: toRoleItem(u.Lang, row)}
	if pg, ok := row.Embeds["users"].(*store.Page); ok {
		for _, ur := range pg.Rows {
			name, _ := ur.Vals["name"].(string)
			email, _ := ur.Vals["email"].(string)
			d.Users = append(d.Users, userRef{Name: name, Email: email})
		}
		if pg.Total != nil && *pg.Total > int64(len(d.Users)) {
			d.More = *pg.Total - int64(len(d.Users))
		}
		d.Blocked = len(d.Users) > 0
	} else {
		var n int64
		if err := p.db.Reader().QueryRow(r.Context(), `SELECT COUNT(*) FROM users WHERE company_id = ? AND role_id = ?`,
			u.CompanyID, id).Scan(&n); err != nil {
			return d, err
		}
		d.Blocked, d.Unknown = n > 0, n > 0
	}
	return d, nil
}

func (p *Pages) roleDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil {
		return
	}
	d, err := p.roleDeleteInfo(r, u, roleID(r))
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	if d.Role.Builtin {
		p.errorPage(w, r, u, http.StatusConflict, "error_title", i18n.T(u.Lang, "builtin_role"))
		return
	}
	if !u.can("delete") {
		p.forbidden(w, r, u, "role.delete.all")
		return
	}
	p.roleDeletePage(w, r, u, http.StatusOK, d)
}

func (p *Pages) roleDeletePage(w http.ResponseWriter, r *http.Request, u *user, status int, d roleDeleteData) {
	v := p.newView(w, r, u, "roles", "role_delete_title", d.Role.Name)
	if d.Blocked {
		v.Alert = tr(u.Lang, "role_in_use_page")
	}
	v.Data = d
	p.render(w, r, status, "role_delete", v)
}

func (p *Pages) roleDelete(w http.ResponseWriter, r *http.Request) {
	u := p.roleManager(w, r)
	if u == nil || !p.parseForm(w, r, u) {
		return
	}
	id := roleID(r)
	d, err := p.roleDeleteInfo(r, u, id)
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	err = p.svc.Delete(r.Context(), resource.NewCaller(u.P), schema.Role, id, resource.WriteOpts{})
	var ae *apierr.Error
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Msg.Key == "delete_blocked" {
		// Someone was given the role since the confirmation was shown.
		if d2, err2 := p.roleDeleteInfo(r, u, id); err2 == nil {
			d = d2
		}
		d.Blocked = true
		p.roleDeletePage(w, r, u, http.StatusConflict, d)
		return
	}
	if err != nil {
		p.apiError(w, r, u, err)
		return
	}
	p.setFlash(w, r, "flash_role_deleted", d.Role.Name)
	seeOther(w, r, "/settings/roles")
}
