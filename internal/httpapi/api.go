// Package httpapi is the HTTP face of the API: routes derived from the
// resource declarations, middleware (request id, logging, metrics,
// recovery, authentication, rate limiting, body checks) and generic
// handlers that hand everything to internal/resource.
package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// API serves /api.
type API struct {
	svc       *resource.Service
	auth      Authenticator
	limiter   ratelimit.Limiter
	rateLimit int
	log       *slog.Logger
}

// Route is one registered API route (the OpenAPI document is built from
// the same list).
type Route struct {
	Method   string
	Path     string // ServeMux pattern path: /api/customer/{id}
	Resource *schema.Resource
	Op       schema.Op
	handler  http.HandlerFunc
}

// Routes lists every route the API serves, derived from the declarations.
func (a *API) Routes() []Route {
	var out []Route
	add := func(method, path string, res *schema.Resource, op schema.Op, h http.HandlerFunc) {
		out = append(out, Route{Method: method, Path: path, Resource: res, Op: op, handler: h})
	}
	add("GET", "/api/auth/me", schema.User, "", a.me)
	add("GET", "/api/user/me", schema.User, "", a.me)
	for _, res := range schema.Resources() {
		res := res
		base := "/api/" + res.Name
		switch {
		case res.Virtual:
			add("GET", base, res, schema.OpIndex, a.permissions)
			continue
		case res.Singleton:
			if res.Has(schema.OpShow) {
				add("GET", base, res, schema.OpShow, a.show(res))
			}
			if res.Has(schema.OpUpdate) {
				add("PATCH", base, res, schema.OpUpdate, a.update(res))
			}
			continue
		}
		if res.Has(schema.OpIndex) {
			add("GET", base, res, schema.OpIndex, a.index(res))
		}
		if res.Has(schema.OpCreate) {
			add("POST", base, res, schema.OpCreate, a.create(res))
		}
		if res.Has(schema.OpShow) {
			add("GET", base+"/{id}", res, schema.OpShow, a.show(res))
		}
		if res.Has(schema.OpUpdate) {
			add("PATCH", base+"/{id}", res, schema.OpUpdate, a.update(res))
		}
		if res.Has(schema.OpDelete) {
			add("DELETE", base+"/{id}", res, schema.OpDelete, a.delete(res))
		}
	}
	return out
}

func caller(r *http.Request) resource.Caller { return resource.NewCaller(auth.From(r.Context())) }

// handler is an API handler that returns its error for the one renderer.
type handler func(w http.ResponseWriter, r *http.Request, c resource.Caller) error

func serve(res *schema.Resource, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r, caller(r)); err != nil {
			errorWeight(w, r, res)
			respond.Error(w, r, err)
		}
	}
}

// errorWeight sets X-Eager-Loading-Weight on an error answer to a request
// with with (query.md: every such response carries it), unless the
// handler set it already.
func errorWeight(w http.ResponseWriter, r *http.Request, res *schema.Resource) {
	if w.Header().Get("X-Eager-Loading-Weight") != "" {
		return
	}
	if n, ok := query.Weight(res, queryValues(r)); ok {
		w.Header().Set("X-Eager-Loading-Weight", strconv.Itoa(n))
	}
}

// target checks the operation's scope and parses the record id of the path
// (none for singletons); the scope comes first so a caller without it
// learns nothing about ids.
func target(r *http.Request, c resource.Caller, res *schema.Resource, op schema.Op) (int64, error) {
	if _, err := c.Need(res, op); err != nil {
		return 0, err
	}
	if res.Singleton || op == schema.OpIndex || op == schema.OpCreate {
		return 0, nil
	}
	return pathID(r)
}

func (a *API) index(res *schema.Resource) http.HandlerFunc {
	return serve(res, func(w http.ResponseWriter, r *http.Request, c resource.Caller) error {
		if _, err := target(r, c, res, schema.OpIndex); err != nil {
			return err
		}
		p, err := query.ParseIndex(res, queryValues(r), a.svc.Access(r.Context(), c))
		if err != nil {
			return err
		}
		page, err := a.svc.List(r.Context(), c, res, p)
		if err != nil {
			return err
		}
		weight(w, p)
		respond.Raw(w, http.StatusOK, resource.List(res, page, p))
		return nil
	})
}

func weight(w http.ResponseWriter, p *query.Params) {
	if p != nil && p.HasWith {
		w.Header().Set("X-Eager-Loading-Weight", strconv.Itoa(p.Weight))
	}
}

// queryValues are the request's query parameters; see query.Values for
// why not r.URL.Query().
func queryValues(r *http.Request) url.Values { return query.Values(r.URL.RawQuery) }

// pathID parses {id}; anything but a positive integer does not exist.
func pathID(r *http.Request) (int64, error) {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return 0, apierr.NotFound()
	}
	return id, nil
}

// showParams parses with/show/count for Show, Create and Update answers.
func (a *API) showParams(r *http.Request, c resource.Caller, res *schema.Resource) (*query.Params, error) {
	return query.ParseShow(res, queryValues(r), a.svc.Access(r.Context(), c))
}

func (a *API) show(res *schema.Resource) http.HandlerFunc {
	return serve(res, func(w http.ResponseWriter, r *http.Request, c resource.Caller) error {
		id, err := target(r, c, res, schema.OpShow)
		if err != nil {
			return err
		}
		p, err := a.showParams(r, c, res)
		if err != nil {
			return err
		}
		row, err := a.svc.Show(r.Context(), c, res, id, p)
		if err != nil {
			return err
		}
		// The ETag covers the record, not what with or count embed, so a
		// 304 is only right for the record alone (or a show= part of it).
		if len(p.With) == 0 && len(p.Count) == 0 && resource.NotModified(r.Header.Get("If-None-Match"), row) {
			w.Header().Set("ETag", resource.ETag(row))
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		a.writeRecord(w, r, http.StatusOK, res, row, p)
		return nil
	})
}

func (a *API) writeRecord(w http.ResponseWriter, r *http.Request, status int, res *schema.Resource, row *store.Row, p *query.Params) {
	w.Header().Set("ETag", resource.ETag(row))
	weight(w, p)
	respond.Raw(w, status, resource.Record(res, row, p))
}

// readBody reads and decodes the JSON object of a write.
func readBody(r *http.Request) ([]byte, *resource.Body, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, apierr.New(http.StatusRequestEntityTooLarge, "payload_too_large")
		}
		return nil, nil, apierr.New(http.StatusBadRequest, "malformed_json", "unreadable body")
	}
	body, err := resource.DecodeBody(b)
	return b, body, err
}

func (a *API) create(res *schema.Resource) http.HandlerFunc {
	return serve(res, func(w http.ResponseWriter, r *http.Request, c resource.Caller) error {
		if _, err := target(r, c, res, schema.OpCreate); err != nil {
			return err
		}
		raw, body, err := readBody(r)
		if err != nil {
			return err
		}
		p, err := a.showParams(r, c, res)
		if err != nil {
			return err
		}
		run := func() (resource.Stored, error) {
			row, err := a.svc.Create(r.Context(), c, res, body)
			if err != nil {
				return resource.Stored{}, err
			}
			if err := a.svc.Decorate(r.Context(), c, res, row, p); err != nil {
				return resource.Stored{}, err
			}
			return resource.Stored{Body: resource.Record(res, row, p), Location: "/api/" + res.Name + "/" + strconv.FormatInt(row.ID, 10), ETag: resource.ETag(row)}, nil
		}
		var out resource.Stored
		replayed := false
		if key := r.Header.Get("Idempotency-Key"); key != "" {
			// The fingerprint covers the route too: a key reused on another
			// resource's Create is a different request (422), not a replay.
			h := sha256.Sum256(append([]byte(res.Name+"\x00"+r.URL.RawQuery+"\x00"), raw...))
			out, replayed, err = a.svc.Idempotent(r.Context(), c, res, key, hex.EncodeToString(h[:]), run)
		} else {
			out, err = run()
		}
		if err != nil {
			return err
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.Header().Set("Location", out.Location)
		if out.ETag != "" {
			w.Header().Set("ETag", out.ETag)
		}
		weight(w, p)
		respond.Raw(w, http.StatusCreated, out.Body)
		return nil
	})
}

func (a *API) update(res *schema.Resource) http.HandlerFunc {
	return serve(res, func(w http.ResponseWriter, r *http.Request, c resource.Caller) error {
		id, err := target(r, c, res, schema.OpUpdate)
		if err != nil {
			return err
		}
		_, body, err := readBody(r)
		if err != nil {
			return err
		}
		p, err := a.showParams(r, c, res)
		if err != nil {
			return err
		}
		row, err := a.svc.Update(r.Context(), c, res, id, body, resource.WriteOpts{IfMatch: r.Header.Get("If-Match")})
		if err != nil {
			return err
		}
		if err := a.svc.Decorate(r.Context(), c, res, row, p); err != nil {
			return err
		}
		a.writeRecord(w, r, http.StatusOK, res, row, p)
		return nil
	})
}

func (a *API) delete(res *schema.Resource) http.HandlerFunc {
	return serve(res, func(w http.ResponseWriter, r *http.Request, c resource.Caller) error {
		id, err := pathID(r) // the service checks the scope (and says 404 before 403)
		if err != nil {
			return err
		}
		err = a.svc.Delete(r.Context(), c, res, id, resource.WriteOpts{IfMatch: r.Header.Get("If-Match"), TransferTo: queryValues(r).Get("transfer_to")})
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// me answers /api/auth/me: the token's user with company (and its address)
// and role; any valid token may read it.
func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	all := query.Access{CanRead: func(*schema.Resource) bool { return true }}
	params, err := query.ParseShow(schema.User, url.Values{"with": {"company.address,role"}}, all)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	scope := store.Scope{CompanyID: p.CompanyID, UserID: p.UserID}
	conn := a.svc.DB.Reader()
	row, err := conn.Get(r.Context(), scope, schema.User, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		respond.Error(w, r, apierr.New(http.StatusUnauthorized, "unauthenticated"))
		return
	}
	if err == nil {
		err = conn.Load(r.Context(), scope, schema.User, []*store.Row{row}, params.With)
	}
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	respond.Raw(w, http.StatusOK, resource.Record(schema.User, row, params))
}

// permissions is the read-only catalogue (Index only): the scope list. Like
// every Index it takes the query parameters of query.md, applied here to
// the catalogue in memory (it has no table; name is its identity and its
// default order).
func (a *API) permissions(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	if _, err := c.Need(schema.Permission, schema.OpIndex); err != nil {
		respond.Error(w, r, err)
		return
	}
	p, err := query.ParseIndex(schema.Permission, queryValues(r), a.svc.Access(r.Context(), c))
	if err == nil && p.HasAfter {
		err = apierr.BadParam("after", 0, "q_unknown_field", "id") // keyset paging needs an id
	}
	if err != nil {
		errorWeight(w, r, schema.Permission)
		respond.Error(w, r, err)
		return
	}
	lang := respond.Lang(r)
	rows := []map[string]any{}
	for _, s := range schema.Scopes() {
		row := map[string]any{"name": s, "description": ScopeDescription(lang, s)}
		if p.Filter == nil || catalogueMatch(p.Filter, row) {
			rows = append(rows, row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range p.OrderBy {
			x, _ := rows[i][o.Field.Name].(string)
			y, _ := rows[j][o.Field.Name].(string)
			if x != y {
				return (x < y) != o.Desc
			}
		}
		return false
	})
	total := len(rows)
	rows = rows[min(p.Offset, total):min(p.Offset+p.Limit, total)]
	if p.Show != nil {
		for i, row := range rows {
			shown := map[string]any{"name": row["name"]}
			for _, f := range p.Show.Fields {
				if v, ok := row[f.Name]; ok {
					shown[f.Name] = v
				}
			}
			rows[i] = shown
		}
	}
	var tot any
	if p.Total {
		tot = total
	}
	respond.JSON(w, http.StatusOK, map[string]any{"data": rows, "limit": p.Limit, "total": tot, "offset": p.Offset})
}

// catalogueMatch evaluates a parsed filter on one catalogue entry (text
// fields; a field the catalogue lacks, like id, is null).
func catalogueMatch(n query.Node, row map[string]any) bool {
	switch x := n.(type) {
	case *query.And:
		for _, it := range x.Items {
			if !catalogueMatch(it, row) {
				return false
			}
		}
		return true
	case *query.Or:
		for _, it := range x.Items {
			if catalogueMatch(it, row) {
				return true
			}
		}
		return false
	case *query.Cond:
		v, ok := row[x.Field.Name].(string)
		if x.Op == query.OpNull {
			return ok == x.Not
		}
		if !ok {
			return x.Not // NULL matches only a negated condition
		}
		hit := false
		lv := strings.ToLower(v)
		for _, want := range x.Values {
			w, _ := want.(string)
			switch x.Op {
			case query.OpEq, query.OpIn:
				hit = hit || v == w
			case query.OpGt:
				hit = v > w
			case query.OpLt:
				hit = v < w
			case query.OpGte:
				hit = v >= w
			case query.OpLte:
				hit = v <= w
			case query.OpLike:
				hit = strings.Contains(lv, strings.ToLower(w))
			case query.OpStartsWith:
				hit = strings.HasPrefix(lv, strings.ToLower(w))
			case query.OpEndsWith:
				hit = strings.HasSuffix(lv, strings.ToLower(w))
			}
		}
		return hit != x.Not
	}
	return true
}

// ScopeDescription is a scope's human description in lang.
func ScopeDescription(lang, scope string) string {
	if k := "scope." + scope; i18n.Has(k) {
		return i18n.T(lang, k)
	}
	return scope
}

// notFoundOr405 answers requests no route matched, in JSON.
func notFoundOr405(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pat := mux.Handler(probe); pat != "" && pat != "/" && pat != "/api/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			respond.Error(w, r, apierr.New(http.StatusMethodNotAllowed, "method_not_allowed"))
			return
		}
		respond.Error(w, r, apierr.NotFound())
	}
}
