package openapi

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cirqll/core/internal/httpapi"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
)

// Build generates the document from the router's resource routes and any
// other routes.
func Build(routes []httpapi.Route, extra ...Route) *Document {
	b := &builder{
		doc: &Document{
			OpenAPI: "3.1.0",
			Info: Info{
				Title:       "Cirqll Core API",
				Version:     "1.0.0",
				Summary:     "Multi-tenant CRM REST API with its own OAuth 2.0 authorization server.",
				Description: infoDescription(),
			},
			Paths: Paths{},
			Components: Components{
				Schemas:         sharedSchemas(),
				Responses:       map[string]*Response{},
				Headers:         sharedHeaders(),
				Parameters:      sharedParameters(),
				SecuritySchemes: securitySchemes(),
			},
		},
		tags: map[string]bool{},
	}
	b.resourceSchemas()
	for _, rt := range routes {
		b.resourceRoute(rt)
	}
	for _, r := range OAuthRoutes() {
		b.route(r)
	}
	for _, r := range extra {
		b.route(r)
	}
	for _, r := range SystemRoutes() {
		b.route(r)
	}
	return b.doc
}

type builder struct {
	doc  *Document
	tags map[string]bool
}

func (b *builder) tag(name, desc string) {
	if !b.tags[name] {
		b.tags[name] = true
		b.doc.Tags = append(b.doc.Tags, Tag{Name: name, Description: desc})
	}
}

// add puts an operation on its path; a second one for the same method and
// path replaces the first (an extra route may refine a generated one).
func (b *builder) add(method, path string, op *Operation) {
	item := b.doc.Paths[path]
	if item == nil {
		item = &PathItem{}
		b.doc.Paths[path] = item
		b.doc.order = append(b.doc.order, pathEntry{path: path, item: item})
	}
	slot := item.op(method)
	if slot == nil {
		panic("openapi: unsupported method " + method + " " + path)
	}
	op.method, op.path = method, path
	*slot = op
}

// ---------------------------------------------------------------- schemas

// resourceSchemas adds, per resource with records, the record as Show
// returns it, its list envelope and its Create and Update bodies.
func (b *builder) resourceSchemas() {
	sc := b.doc.Components.Schemas
	for _, res := range schema.Resources() {
		name := typeName(res.Name)
		sc[name] = recordSchema(res)
		if res.Name == "address" {
			sc["AddressWrite"] = writeSchema(res, false)
			sc["AddressWrite"].Description = "A postal address, written nested in its holder (company, customer, contact); null removes it. Country defaults to NL."
			continue
		}
		if res.Has(schema.OpIndex) || hasToManyTo(res) {
			sc[name+"List"] = List(Ref(name))
			sc[name+"List"].Description = "A page of " + plural(res) + " (list envelope)."
		}
		if res.Virtual {
			continue
		}
		if res.Has(schema.OpCreate) {
			sc[name+"Create"] = writeSchema(res, true)
			if c := createdSchema(res); c != nil {
				sc[name+"Created"] = c
			}
		}
		if res.Has(schema.OpUpdate) {
			sc[name+"Update"] = writeSchema(res, false)
		}
	}
}

// hasToManyTo reports whether another resource embeds res as a to-many list.
func hasToManyTo(res *schema.Resource) bool {
	for _, r := range schema.Resources() {
		for _, rel := range r.AllRelations() {
			if rel.Kind == schema.ToMany && rel.Target == res.Name {
				return true
			}
		}
	}
	return false
}

// recordSchema is the record with every readable field, the relations
// `with` can embed and the counts `count` can add.
func recordSchema(res *schema.Resource) *Schema {
	s := &Schema{Types: []string{"object"}, Description: res.Desc}
	if !res.Virtual {
		s.Description = join(res.Desc, "Every field below that is not an embedded relation or a count is present unless show= narrows the fields (id always is).")
	}
	seen := map[string]bool{}
	for _, f := range res.Fields {
		if !visible(f) || (res.Virtual && isCommon(f.Name)) {
			continue
		}
		seen[f.Name] = true
		s.Properties = append(s.Properties, P(f.Name, fieldSchema(res, f, readMode)))
		if res.Virtual || f.Name == "id" {
			s.Required = append(s.Required, f.Name)
		}
	}
	for _, rel := range res.AllRelations() {
		if seen[rel.Name] {
			continue
		}
		seen[rel.Name] = true
		var p *Schema
		switch rel.Kind {
		case schema.ToOne:
			p = Nullable(Ref(typeName(rel.Target)))
			p.Description = "With with=" + rel.Name + ": the " + human(rel.Target) + " (or null); with show=" + rel.Name + ".<field>, only those fields."
			if res.Field(rel.Key) == nil && !seen[rel.Key] {
				// A key that is no field of its own (a user's company_id):
				// responses carry it only next to show=<relation>.<field>
				// (query.md), never otherwise, and the schema says so.
				seen[rel.Key] = true
				only := "Only with show=" + rel.Name + ".<field>"
				k := &Schema{Types: []string{"integer"}, Format: "int64", ReadOnly: true, Description: only + ": the key of " + rel.Name + "; absent otherwise."}
				s.Properties = append(s.Properties, P(rel.Key, k))
				s.Description = join(s.Description, rel.Key+" is not a field of its own: it is present only with show="+rel.Name+".<field>.")
			}
		case schema.ToMany:
			p = Ref(typeName(rel.Target) + "List")
			p.Description = "With with=" + rel.Name + ": a list envelope of at most 50 " + plural(schema.Get(rel.Target)) + ", ordered by id."
		case schema.Special:
			p = specialShape(rel.Name)
			p.Description = "With with=" + rel.Name + ": " + lowerFirst(p.Description)
		}
		s.Properties = append(s.Properties, P(rel.Name, p))
	}
	for _, rel := range res.AllRelations() {
		if rel.Kind == schema.ToMany {
			s.Properties = append(s.Properties, P(rel.Name+"_count", &Schema{Types: []string{"integer"}, Minimum: i64p(0),
				Description: "With count=" + rel.Name + ": how many " + plural(schema.Get(rel.Target)) + " there are."}))
		}
	}
	return s
}

// revealable fields are hidden secrets generated by the server and
// rendered in full only in the answer of the Create that made them
// (resource.revealable: a webhook's secret).
func revealable(f *schema.Field) bool {
	return f.Hidden && f.Secret && f.Type != schema.Password && !f.NoColumn
}

// createdSchema is the Create answer of a resource with revealable fields:
// the record plus those fields; nil when it has none.
func createdSchema(res *schema.Resource) *Schema {
	var props []Prop
	var req []string
	for _, f := range res.Fields {
		if revealable(f) {
			s := nonNull(fieldSchema(res, f, readMode)) // generated: never null
			s.Description = join(s.Description, "Returned only in this answer: keep it.")
			props = append(props, P(f.Name, s))
			req = append(req, f.Name)
		}
	}
	if props == nil {
		return nil
	}
	return &Schema{Description: "The new " + human(res.Name) + " as Show returns it, plus what is shown only once.",
		AllOf: []*Schema{Ref(typeName(res.Name)), Obj("", req, props...)}}
}

// nonNull drops null from a plain schema's types.
func nonNull(s *Schema) *Schema {
	var t []string
	for _, x := range s.Types {
		if x != "null" {
			t = append(t, x)
		}
	}
	s.Types = t
	return s
}

func isCommon(name string) bool { return name == "id" || name == "created_at" || name == "updated_at" }

// writeSchema is a Create (required fields required) or Update (all
// optional) body: writable fields only, unknown ones are a 422.
func writeSchema(res *schema.Resource, create bool) *Schema {
	s := &Schema{Types: []string{"object"}, AdditionalProperties: false}
	if create {
		s.Description = "A new " + human(res.Name) + ". Unknown and read-only fields are a 422."
	} else {
		s.Description = "The fields to change; absent fields are untouched and null clears a nullable field. Unknown and read-only fields are a 422."
	}
	for _, f := range res.Fields {
		if !f.Writable() {
			continue
		}
		s.Properties = append(s.Properties, P(f.Name, fieldSchema(res, f, writeMode)))
		if create && f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	if res.CustomFields {
		s.Properties = append(s.Properties, P("field_values", Ref("FieldValuesWrite")))
	}
	for _, r := range res.Rules {
		if r.Kind == schema.AtLeastOne {
			s.Description = join(s.Description, "At least one of "+strings.Join(r.Fields, ", ")+" must be set.")
		}
	}
	return s
}

// ---------------------------------------------------------------- headers, parameters, security

func sharedHeaders() map[string]*Header {
	intH := func(desc string) *Header {
		return &Header{Description: desc, Required: true, Schema: &Schema{Types: []string{"integer"}}}
	}
	return map[string]*Header{
		"X-Request-Id": {Description: "The request's id: the incoming X-Request-Id when it is 1-128 characters of A-Za-z0-9._-, else a new one.",
			Required: true, Schema: &Schema{Types: []string{"string"}, Pattern: `^[A-Za-z0-9._-]{1,128}$`}},
		"X-RateLimit-Limit":     intH("Requests allowed per one-minute window for this client and company."),
		"X-RateLimit-Remaining": intH("Requests left in the current window."),
		"X-RateLimit-Reset":     intH("The unix second the current window ends."),
		"Retry-After":           intH("Seconds to wait before retrying."),
		"ETag": {Description: "The record's version; send it as If-Match to update or delete only that version.",
			Required: true, Schema: &Schema{Types: []string{"string"}}},
		"Location": {Description: "The new record's URL.", Required: true, Schema: &Schema{Types: []string{"string"}, Format: "uri-reference"}},
		"X-Eager-Loading-Weight": {Description: fmt.Sprintf("With with: the eager loading weight of the request (at most %d).", query.MaxWeight),
			Schema: &Schema{Types: []string{"integer"}, Minimum: i64p(0), Maximum: i64p(query.MaxWeight)}},
		"Idempotent-Replayed": {Description: "true when the answer is the stored first response to the same Idempotency-Key.",
			Schema: &Schema{Types: []string{"string"}, Enum: []any{"true"}}},
		"WWW-Authenticate": {Description: "Bearer (401) or Bearer error=\"insufficient_scope\" (403).", Required: true, Schema: &Schema{Types: []string{"string"}}},
	}
}

func hdr(name string) *Header { return &Header{Ref: "#/components/headers/" + name} }

func sharedParameters() map[string]*Parameter {
	return map[string]*Parameter{
		"Accept-Language": {Name: "Accept-Language", In: "header", Description: "The language of messages (nl or en); else the user's locale, else the company setting, else English.",
			Schema: &Schema{Types: []string{"string"}}, Example: "nl"},
		"X-Request-Id": {Name: "X-Request-Id", In: "header", Description: "Your id for the request (1-128 characters of A-Za-z0-9._-), echoed in the response and logs.",
			Schema: &Schema{Types: []string{"string"}, Pattern: `^[A-Za-z0-9._-]{1,128}$`}},
		"If-Match": {Name: "If-Match", In: "header", Description: "The ETag of the version you read: the change is made only if the record is still that version, else 412 Precondition Failed.",
			Schema: &Schema{Types: []string{"string"}}},
		"Idempotency-Key": {Name: "Idempotency-Key", In: "header", Description: "Repeating a Create with the same key (same client, within 24 h) returns the first response and creates nothing new; " +
			"the same key with a different body is a 422, a repeat while the first is in flight a 409.", Schema: &Schema{Types: []string{"string"}, MaxLength: i64p(255)}},
	}
}

func paramRef(name string) *Parameter { return &Parameter{Name: "$ref:" + name} }

const (
	oauthScheme  = "oauth2"
	clientScheme = "clientBasic"
)

func securitySchemes() map[string]*SecurityScheme {
	scopes := map[string]string{}
	for _, s := range schema.Scopes() {
		scopes[s] = httpapi.ScopeDescription("en", s)
	}
	return map[string]*SecurityScheme{
		oauthScheme: {
			Type: "oauth2",
			Description: "OAuth 2.0 bearer tokens (Authorization: Bearer <token>). A token may do what its scopes and its user's current role both allow, " +
				"where all covers own: with x.read.own, other users' records do not exist (404); a record that may be read but not changed is a 403 naming the scope.",
			Flows: &OAuthFlows{
				AuthorizationCode: &OAuthFlow{AuthorizationURL: "/oauth/authorize", TokenURL: "/oauth/token", RefreshURL: "/oauth/token/refresh", Scopes: scopes},
				ClientCredentials: &OAuthFlow{TokenURL: "/oauth/token", Scopes: scopes},
			},
		},
		clientScheme: {
			Type: "http", Scheme: "basic",
			Description: "OAuth client authentication: client_id and client_secret, each form-urlencoded, as HTTP Basic credentials " +
				"(or as client_id and client_secret in the body; public clients send only client_id and use PKCE).",
		},
	}
}

// ---------------------------------------------------------------- resource routes

// resourceRoute documents one route of httpapi.API.Routes.
func (b *builder) resourceRoute(rt httpapi.Route) {
	res := rt.Resource
	if rt.Op == "" {
		b.meRoute(rt)
		return
	}
	b.tag(res.Name, res.Desc)
	name := typeName(res.Name)
	op := &Operation{
		OperationID: string(rt.Op) + name,
		Tags:        []string{res.Name},
	}
	scopes := needScopes(res, rt.Op)
	op.XScopes = scopes
	if len(scopes) == 0 {
		op.Security = []SecReq{{oauthScheme: {}}}
	}
	for _, s := range scopes {
		op.Security = append(op.Security, SecReq{oauthScheme: {s}})
	}
	hasID := strings.Contains(rt.Path, "{id}")
	if hasID {
		op.Parameters = append(op.Parameters, &Parameter{Name: "id", In: "path", Required: true,
			Description: "The " + human(res.Name) + "'s id. Another company's record, or one the token may not read, does not exist (404).",
			Schema:      &Schema{Types: []string{"integer"}, Format: "int64", Minimum: i64p(1)}})
	}
	resp := Responses{}
	ok := func(status int, r *Response) { resp[strconv.Itoa(status)] = r }
	var errs []int
	desc := []string{scopeText(res, rt.Op, scopes)}
	switch rt.Op {
	case schema.OpIndex:
		op.Summary = "List " + plural(res)
		if res.Virtual {
			op.Summary = "List the " + plural(res)
			op.Parameters = append(op.Parameters, pagingParams()...)
		} else {
			op.Parameters = append(op.Parameters, b.indexParams(res)...)
			desc = append(desc, "Supports with, show, count, filter, order_by and paging (see the parameters). "+
				"Every scalar field is filterable and sortable, directly and through relations.")
		}
		if res.Virtual {
			ok(200, b.success("A page of "+plural(res)+".", Ref(name+"List"), true))
		} else {
			ok(200, b.success("A page of "+plural(res)+".", Ref(name+"List"), true, "X-Eager-Loading-Weight"))
		}
		errs = []int{400}
	case schema.OpShow:
		op.Summary = "Show " + article(res)
		if res.Singleton {
			op.Summary = "Show the " + human(res.Name)
		}
		op.Parameters = append(op.Parameters, b.shapeRefs(res)...)
		ok(200, b.success("The "+human(res.Name)+".", Ref(name), true, "ETag", "X-Eager-Loading-Weight"))
		errs = []int{400}
	case schema.OpCreate:
		op.Summary = "Create " + article(res)
		op.Parameters = append(op.Parameters, b.shapeRefs(res)...)
		op.Parameters = append(op.Parameters, paramRef("Idempotency-Key"))
		op.RequestBody = jsonBody(Ref(name + "Create"))
		created := Ref(name)
		if b.doc.Components.Schemas[name+"Created"] != nil {
			created = Ref(name + "Created")
		}
		ok(201, b.success("The new "+human(res.Name)+", as Show returns it.", created, true, "ETag", "Location", "X-Eager-Loading-Weight", "Idempotent-Replayed"))
		errs = []int{400, 409, 413, 415, 422}
		desc = append(desc, createText(res)...)
	case schema.OpUpdate:
		op.Summary = "Update " + article(res)
		if res.Singleton {
			op.Summary = "Update the " + human(res.Name)
		}
		op.Parameters = append(op.Parameters, b.shapeRefs(res)...)
		op.Parameters = append(op.Parameters, paramRef("If-Match"))
		op.RequestBody = jsonBody(Ref(name + "Update"))
		what := "The " + human(res.Name) + " after the change."
		if res.Singleton {
			what = "The whole " + human(res.Name) + " object after the change."
		}
		ok(200, b.success(what, Ref(name), true, "ETag", "X-Eager-Loading-Weight"))
		errs = []int{400, 409, 412, 413, 415, 422}
		desc = append(desc, "Absent fields are untouched; null clears a nullable field. With If-Match, the change is made only if the record is still that version (else 412).")
		desc = append(desc, ruleText(res)...)
	case schema.OpDelete:
		op.Summary = "Delete " + article(res)
		op.Parameters = append(op.Parameters, paramRef("If-Match"))
		ok(204, b.success("Deleted.", nil, true))
		errs = []int{409, 412}
		if res.Owner == "id" { // users: records they own block the delete unless transferred
			op.Parameters = append(op.Parameters, &Parameter{Name: "transfer_to", In: "query",
				Description: "Another user of the company to whom every record this user owns moves. Without it, deleting a user who still owns records is a 409 naming them.",
				Schema:      &Schema{Types: []string{"integer"}, Format: "int64", Minimum: i64p(1)}})
			errs = append(errs, 422)
		}
		desc = append(desc, deleteText(res)...)
	}
	if hasID {
		errs = append(errs, 404)
	}
	if len(scopes) > 0 {
		errs = append(errs, 403)
	}
	errs = append(errs, 401, 429, 500)
	for _, st := range errs {
		resp[strconv.Itoa(st)] = b.errorResponse(st, true)
	}
	op.Responses = resp
	op.Description = strings.Join(nonEmpty(desc), "\n\n")
	op.Parameters = append(op.Parameters, paramRef("Accept-Language"), paramRef("X-Request-Id"))
	b.add(rt.Method, rt.Path, resolveParams(b.doc, op))
}

// meRoute documents /api/auth/me and its alias: the token's user with
// company (and its address) and role embedded.
func (b *builder) meRoute(rt httpapi.Route) {
	b.tag("auth", "The token's own user: the connection test for integrations.")
	sc := b.doc.Components.Schemas
	if sc["Me"] == nil {
		company := &Schema{AllOf: []*Schema{Ref("Company"), Obj("", []string{"address"}, P("address", Nullable(Ref("Address"))))}}
		sc["Me"] = &Schema{
			Description: "The token's user with its company (and the company's address) and role embedded.",
			AllOf: []*Schema{Ref(typeName(rt.Resource.Name)), Obj("", []string{"company", "role"},
				P("company", company), P("role", Ref("Role")))},
		}
	}
	id := "showMe"
	if !strings.HasPrefix(rt.Path, "/api/auth/") {
		id = "show" + typeName(strings.TrimPrefix(rt.Path, "/api/"))
	}
	op := &Operation{
		OperationID: id,
		Tags:        []string{"auth"},
		Summary:     "The token's user",
		Description: "The user the token acts for, with company (and its address) and role embedded. Needs only a valid token.",
		Security:    []SecReq{{oauthScheme: {}}},
		Responses: Responses{
			"200": b.success("The token's user.", Ref("Me"), true),
		},
	}
	if rt.Path != "/api/auth/me" {
		op.Description = "An alias of GET /api/auth/me. " + op.Description
	}
	for _, st := range []int{401, 429, 500} {
		op.Responses[strconv.Itoa(st)] = b.errorResponse(st, true)
	}
	op.Parameters = []*Parameter{paramRef("Accept-Language"), paramRef("X-Request-Id")}
	b.add(rt.Method, rt.Path, resolveParams(b.doc, op))
}

// needScopes are the scopes of which the operation needs one (resource.Caller.Need):
// the all extent, and own where the resource has an owner column.
func needScopes(res *schema.Resource, op schema.Op) []string {
	action := op.Action()
	if res.Name == "company" && action == "read" {
		return nil // any valid token reads its own company
	}
	perms := map[string]bool{}
	for _, p := range res.Permissions() {
		perms[p] = true
	}
	base := res.ScopeName() + "." + action
	out := []string{base + ".all"}
	if perms[base+".own"] && res.Owner != "" {
		out = append(out, base+".own")
	}
	return out
}

func scopeText(res *schema.Resource, op schema.Op, scopes []string) string {
	switch len(scopes) {
	case 0:
		return "Needs only a valid token."
	case 1:
		return "Needs " + scopes[0] + "."
	}
	own := "records whose " + res.Owner + " is the token's user"
	if res.Owner == "id" {
		own = "the token's own user"
	}
	t := "Needs " + scopes[0] + ", or " + scopes[1] + " for " + own
	if op.Action() == "read" {
		t += " (others then do not exist: 404, absent from lists)"
	}
	return t + "."
}

func createText(res *schema.Resource) []string {
	var out []string
	var req, defs []string
	for _, f := range res.Fields {
		if !f.Writable() {
			continue
		}
		if f.Required {
			req = append(req, f.Name)
		}
		if f.Default != nil {
			defs = append(defs, fmt.Sprintf("%s=%v", f.Name, f.Default))
		}
	}
	if len(req) > 0 {
		out = append(out, "Required: "+strings.Join(req, ", ")+".")
	}
	if res.Owner == "user_id" {
		defs = append([]string{"user_id=the token's user"}, defs...)
	}
	if len(defs) > 0 {
		out = append(out, "Defaults: "+strings.Join(defs, ", ")+".")
	}
	out = append(out, "Foreign keys must name records of the caller's company (else 422). "+
		"With Idempotency-Key, a repeat returns the first response.")
	return append(out, ruleText(res)...)
}

func ruleText(res *schema.Resource) []string {
	var out []string
	for _, r := range res.Rules {
		switch r.Kind {
		case schema.StampWhen:
			out = append(out, r.Target+" is set when "+r.Field+" becomes "+strings.Join(r.Values, " or ")+", and cleared when it leaves.")
		case schema.NotBefore:
			out = append(out, r.Field+" may not be before "+r.Other+" (422).")
		case schema.AtLeastOne:
			out = append(out, "At least one of "+strings.Join(r.Fields, ", ")+" must be set (422).")
		}
	}
	if res.Events {
		ev := []string{res.Name + ".created", res.Name + ".updated", res.Name + ".deleted"}
		for _, e := range res.ExtraEvents {
			ev = append(ev, res.Name+"."+e.Event+" (when "+e.Field+" becomes "+e.Value+")")
		}
		out = append(out, "Webhook events: "+strings.Join(ev, ", ")+".")
	}
	return out
}

func deleteText(res *schema.Resource) []string {
	var out []string
	d := res.Delete
	if len(d.Cascade) > 0 {
		out = append(out, "Deletes its "+strings.Join(d.Cascade, ", ")+" too.")
	}
	if len(d.Nullify) > 0 {
		out = append(out, "Its "+strings.Join(d.Nullify, ", ")+" stay, unlinked ("+res.Name+"_id becomes null).")
	}
	if len(d.Block) > 0 {
		out = append(out, "Existing "+strings.Join(d.Block, ", ")+" block the delete: 409 naming them in blocked_by.")
	}
	if res.Field("builtin") != nil {
		out = append(out, "Built-in "+plural(res)+" cannot be deleted (409).")
	}
	if res.CustomFields {
		out = append(out, "Its custom field values go with it.")
	}
	out = append(out, "With If-Match, only that version is deleted (else 412). The delete is written to the activity log.")
	return out
}

// ---------------------------------------------------------------- query parameters

func listParam(name, desc string, items *Schema) []*Parameter {
	f := false
	t := true
	return []*Parameter{
		{Name: name, In: "query", Description: desc + " Comma separated (" + name + "=a,b) or in array form (" + name + "[]=a&" + name + "[]=b, see " + name + "[]).",
			Style: "form", Explode: &f, Schema: Arr(items, "")},
		{Name: name + "[]", In: "query", Description: "The array form of " + name + ": " + name + "[]=a&" + name + "[]=b (joined with commas after any plain " + name + ").",
			Style: "form", Explode: &t, Schema: Arr(items, "")},
	}
}

// shapeParams are with, show and count (Show, Create, Update; Index too).
func shapeParams(res *schema.Resource) []*Parameter {
	var out []*Parameter
	rels := res.AllRelations()
	if len(rels) > 0 {
		var names []string
		for _, r := range rels {
			names = append(names, fmt.Sprintf("%s (%s, %d)", r.Name, relKind(r), r.Points()))
		}
		out = append(out, listParam("with", "Relations to embed: "+strings.Join(names, ", ")+" (kind, points). "+
			"Nested with dots (with=user.company.address): to-one relations nest to any depth, a to-many relation only at the first level "+
			"(special ones anywhere; a to-one may follow a to-many). To-one relations are embedded as an object or null, to-many ones as a list envelope "+
			"of at most 50 ordered by id, special ones as complete arrays. Each distinct path costs points x depth (3 for to-many, 1 otherwise); "+
			fmt.Sprintf("the sum may not exceed %d (X-Eager-Loading-Weight tells it). ", query.MaxWeight)+
			"An unknown relation, one the token may not read, a forbidden nesting or too much weight is a 400.", Str(""))...)
	}
	var fields []string
	for _, f := range res.Fields {
		if visible(f) {
			fields = append(fields, f.Name)
		}
	}
	out = append(out, listParam("show", "Only these fields (id is always included): "+strings.Join(fields, ", ")+
		". Related to-one fields with dots (show=name,user.name) embed that relation with those fields and add its foreign key. An unknown field is a 400.", Str(""))...)
	var many []any
	for _, r := range rels {
		if r.Kind == schema.ToMany {
			many = append(many, r.Name)
		}
	}
	if len(many) > 0 {
		out = append(out, listParam("count", "To-many relations to count: adds <relation>_count to every record. Anything else is a 400.",
			&Schema{Types: []string{"string"}, Enum: many})...)
	}
	return out
}

func relKind(r *schema.Relation) string {
	switch r.Kind {
	case schema.ToMany:
		return "to-many"
	case schema.Special:
		return "special"
	}
	return "to-one"
}

// shapeRefs puts the resource's with, show and count parameters in the
// components once and references them (Index, Show, Create and Update
// share them).
func (b *builder) shapeRefs(res *schema.Resource) []*Parameter {
	var out []*Parameter
	for _, p := range shapeParams(res) {
		key := res.Name + "." + strings.ReplaceAll(p.Name, "[]", "_array")
		if b.doc.Components.Parameters[key] == nil {
			b.doc.Components.Parameters[key] = p
		}
		out = append(out, paramRef(key))
	}
	return out
}

func (b *builder) indexParams(res *schema.Resource) []*Parameter {
	out := b.shapeRefs(res)
	var filterable []string
	for _, f := range res.Fields {
		if f.Filterable() {
			filterable = append(filterable, f.Name)
		}
	}
	cf := ""
	if res.CustomFields {
		cf = " Custom fields: field_values.<key>:op:value."
	}
	filter := listParam("filter", "Conditions field:operator:value (filter=status:eq:open), joined by the items and / or "+
		"(filter=status:eq:open,and,amount:gt:100; two atoms without a connector mean and; and binds tighter than or) and grouped with parentheses "+
		"(filter=a:eq:1,and,(b:gt:5,or,c:lt:10)). Operators: eq, ne, gt, lt, gte, lte, like and contains (case-insensitive; % and _ match themselves), "+
		"starts_with, ends_with, in (semicolon separated: status:in:open;won), not before another operator (status:not:eq:won), null and notnull (value ignored). "+
		"Values may be double-quoted (needed for commas, colons or parentheses; \\\" and \\\\ escape); they are typed by the field (a bad value is a 400). "+
		"Related fields with dots (user.name:eq:Jan; through a to-many relation: at least one matches)."+cf+" "+
		"Filterable fields: "+strings.Join(filterable, ", ")+". "+
		fmt.Sprintf("At most %d characters, %d conditions and %d levels of parentheses. ", query.MaxFilterLen, query.MaxConditions, query.MaxDepth)+
		"Errors are a 400 naming the position of the offending token.", Str(""))
	// One expression, not a list: its commas are the language's own.
	filter[0].Schema = &Schema{Types: []string{"string"}, MaxLength: i64p(query.MaxFilterLen)}
	filter[0].Style, filter[0].Explode = "", nil
	filter[0].Description = strings.Replace(filter[0].Description, " Comma separated (filter=a,b) or in array form", " Also in array form", 1)
	out = append(out, filter...)
	out = append(out, listParam("order_by", "Sort fields field:asc|desc (direction defaults to asc), "+
		fmt.Sprintf("at most %d; ", query.MaxOrderFields)+"ties are broken in the order given and finally by id; without order_by the order is id:asc. "+
		"Related to-one fields with dots (order_by=user.name:asc). Sortable fields: "+strings.Join(filterable, ", ")+". "+
		"An unknown or non-sortable field or a bad direction is a 400.",
		&Schema{Types: []string{"string"}, Pattern: `^[a-z0-9_.]+(:(asc|desc))?$`})...)
	out = append(out, pagingParams()...)
	out = append(out,
		&Parameter{Name: "total", In: "query", Description: "total=false (or 0) skips counting for speed: total is then null in the envelope.",
			Schema: &Schema{Types: []string{"boolean"}, Default: true}},
		&Parameter{Name: "after", In: "query", Description: "Keyset pagination for exports: records with an id greater than this, in id order. Cannot be combined with order_by or offset (400).",
			Schema: &Schema{Types: []string{"integer"}, Format: "int64", Minimum: i64p(0)}},
	)
	return out
}

func pagingParams() []*Parameter {
	return []*Parameter{
		{Name: "offset", In: "query", Description: "Records to skip (default 0).",
			Schema: &Schema{Types: []string{"integer"}, Minimum: i64p(0), Maximum: i64p(query.MaxOffset), Default: 0}},
		{Name: "limit", In: "query", Description: fmt.Sprintf("Page size (default %d, at most %d).", query.DefaultLimit, query.MaxLimit),
			Schema: &Schema{Types: []string{"integer"}, Minimum: i64p(0), Maximum: i64p(query.MaxLimit), Default: query.DefaultLimit}},
		{Name: "per_page", In: "query", Description: "An alias of limit (limit wins when both are given).",
			Schema: &Schema{Types: []string{"integer"}, Minimum: i64p(0), Maximum: i64p(query.MaxLimit)}},
	}
}

// PageParams are offset, limit and per_page, for extra list routes.
func PageParams() []*Parameter { return pagingParams() }

// ---------------------------------------------------------------- responses

func jsonBody(s *Schema) *RequestBody {
	return &RequestBody{Required: true, Content: map[string]MediaType{"application/json": {Schema: s}}}
}

// success is a success response with the standard headers.
func (b *builder) success(desc string, body *Schema, api bool, headers ...string) *Response {
	r := &Response{Description: desc, Headers: map[string]*Header{"X-Request-Id": hdr("X-Request-Id")}}
	if api {
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			r.Headers[h] = hdr(h)
		}
	}
	for _, h := range headers {
		r.Headers[h] = hdr(h)
	}
	if body != nil {
		r.Content = map[string]MediaType{"application/json": {Schema: body}}
	}
	return r
}

type errInfo struct {
	name, desc, schema string
}

var errorInfo = map[int]errInfo{
	400: {"BadRequest", "A bad query parameter (naming the parameter and the position in its value), or a malformed JSON body (including a key given twice, invalid UTF-8 or a body that is not an object).", "BadRequestError"},
	401: {"Unauthenticated", "Missing, invalid, expired or revoked token: {\"message\": \"Unauthenticated.\"}.", "Error"},
	403: {"Forbidden", "The token (or its user's role) lacks the scope named in required_scope.", "ForbiddenError"},
	404: {"NotFound", "The record does not exist for the caller (another company's record never does).", "Error"},
	409: {"Conflict", "A conflict: a delete blocked by dependent records (blocked_by), a duplicate unique value, or a repeat of an Idempotency-Key still in flight.", "ConflictError"},
	412: {"PreconditionFailed", "If-Match named another version: the record changed since it was read.", "Error"},
	413: {"PayloadTooLarge", "The body is larger than 1 MiB.", "Error"},
	415: {"UnsupportedMediaType", "A body that is not Content-Type: application/json.", "Error"},
	422: {"ValidationFailed", "Validation failed, every failing field at once (unknown and read-only fields, wrong JSON types, foreign keys of no record of the company, the same Idempotency-Key with another body).", "ValidationError"},
	429: {"TooManyRequests", "Rate limited (the request was not processed): {\"message\": \"Too Many Requests\"}.", "Error"},
	500: {"ServerError", "An unexpected error, with the request id to quote.", "ServerError"},
}

// errorResponse references (creating it once) the component response for
// an error status; api adds the rate limit headers of /api routes.
func (b *builder) errorResponse(status int, api bool) *Response {
	info, ok := errorInfo[status]
	if !ok {
		info = errInfo{"Status" + strconv.Itoa(status), http.StatusText(status) + ".", "Error"}
	}
	name := info.name
	if !api {
		name = "Plain" + name
	}
	if b.doc.Components.Responses[name] == nil {
		r := b.success(info.desc, Ref(info.schema), api)
		switch status {
		case 401:
			r.Headers["WWW-Authenticate"] = hdr("WWW-Authenticate")
		case 403:
			w := *sharedHeaders()["WWW-Authenticate"]
			w.Required = false
			r.Headers["WWW-Authenticate"] = &w
		case 429:
			r.Headers["Retry-After"] = hdr("Retry-After")
			if !api {
				r.Headers["X-RateLimit-Reset"] = &Header{Description: "The unix second the window ends.", Schema: &Schema{Types: []string{"integer"}}}
			}
		}
		b.doc.Components.Responses[name] = r
	}
	return &Response{Ref: "#/components/responses/" + name}
}

// resolveParams turns "$ref:Name" placeholders into references; the JSON of
// a reference parameter is {"$ref": ...}, done by Parameter's MarshalJSON.
func resolveParams(doc *Document, op *Operation) *Operation {
	for _, p := range op.Parameters {
		if strings.HasPrefix(p.Name, "$ref:") {
			name := strings.TrimPrefix(p.Name, "$ref:")
			if doc.Components.Parameters[name] == nil {
				panic("openapi: unknown parameter " + name)
			}
			p.ref = "#/components/parameters/" + name
			p.resolved = doc.Components.Parameters[name]
		}
	}
	return op
}

// ---------------------------------------------------------------- generic routes

var pathVar = regexp.MustCompile(`\{([^}]+)\}`)

// route documents a Route.
func (b *builder) route(r Route) {
	tag := r.Tag
	if tag == "" {
		tag = defaultTag(r.Path)
	}
	if res := schema.Get(tag); res != nil {
		b.tag(tag, res.Desc)
	} else {
		b.tag(tag, tagDescriptions[tag])
	}
	path := patternPath(r.Path)
	op := &Operation{
		OperationID: r.OperationID,
		Tags:        []string{tag},
		Summary:     r.Summary,
		Description: r.Description,
	}
	if op.OperationID == "" {
		op.OperationID = deriveID(r.Method, path)
	}
	bearer := r.API || r.Bearer
	switch {
	case bearer && len(r.Scopes) == 0:
		op.Security = []SecReq{{oauthScheme: {}}}
	case bearer:
		for _, s := range r.Scopes {
			op.Security = append(op.Security, SecReq{oauthScheme: {s}})
		}
		op.XScopes = r.Scopes
	case r.ClientAuth:
		op.Security = []SecReq{{clientScheme: {}}, {}}
	default:
		op.Security = []SecReq{{}}
	}
	declared := map[string]bool{}
	for _, p := range r.Params {
		if p.In == "path" {
			declared[p.Name] = true
		}
	}
	for _, m := range pathVar.FindAllStringSubmatch(path, -1) {
		if !declared[m[1]] {
			op.Parameters = append(op.Parameters, &Parameter{Name: m[1], In: "path", Required: true,
				Schema: &Schema{Types: []string{"integer"}, Format: "int64", Minimum: i64p(1)}})
		}
	}
	op.Parameters = append(op.Parameters, r.Params...)
	if !r.HTML {
		op.Parameters = append(op.Parameters, paramRef("Accept-Language"), paramRef("X-Request-Id"))
	}
	switch {
	case r.Request != nil:
		op.RequestBody = jsonBody(r.Request)
	case r.Form != nil:
		op.RequestBody = &RequestBody{Required: true, Content: map[string]MediaType{
			"application/x-www-form-urlencoded": {Schema: r.Form},
			"application/json":                  {Schema: r.Form},
		}}
		if r.HTML {
			delete(op.RequestBody.Content, "application/json")
		}
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
		if r.Response == nil && r.ResponseType == "" {
			status = http.StatusNoContent
		}
	}
	ok := b.success(http.StatusText(status)+".", r.Response, r.API)
	if r.Summary != "" {
		ok.Description = r.Summary + "."
	}
	if r.ResponseType != "" && r.ResponseType != "application/json" {
		s := r.Response
		if s == nil {
			s = Str("")
		}
		ok.Content = map[string]MediaType{r.ResponseType: {Schema: s}}
	}
	for k, h := range r.ResponseHeaders {
		ok.Headers[k] = h
	}
	op.Responses = Responses{strconv.Itoa(status): ok}
	for st, resp := range r.Responses {
		if resp.Headers == nil {
			resp.Headers = map[string]*Header{}
		}
		if resp.Headers["X-Request-Id"] == nil {
			resp.Headers["X-Request-Id"] = hdr("X-Request-Id")
		}
		op.Responses[strconv.Itoa(st)] = resp
	}
	errs := append([]int(nil), r.Errors...)
	if bearer {
		errs = append(errs, 401)
	}
	if bearer && len(r.Scopes) > 0 {
		errs = append(errs, 403)
	}
	if r.API {
		errs = append(errs, 429)
		if r.Request != nil {
			errs = append(errs, 413, 415)
		}
	}
	if !r.HTML {
		errs = append(errs, 500)
	}
	sort.Ints(errs)
	for _, st := range errs {
		key := strconv.Itoa(st)
		if op.Responses[key] != nil {
			continue
		}
		if r.OAuthErrors && (st == 400 || st == 401) {
			op.Responses[key] = b.oauthError(st)
			continue
		}
		op.Responses[key] = b.errorResponse(st, r.API)
	}
	b.add(r.Method, path, resolveParams(b.doc, op))
}

// oauthError is the RFC 6749 §5.2 error response.
func (b *builder) oauthError(status int) *Response {
	name := "OAuthError" + strconv.Itoa(status)
	if b.doc.Components.Responses[name] == nil {
		r := b.success("", Ref("OAuthError"), false)
		r.Headers["Cache-Control"] = &Header{Description: "no-store", Schema: &Schema{Types: []string{"string"}}}
		if status == 401 {
			r.Description = "invalid_client: the client failed to authenticate."
			r.Headers["WWW-Authenticate"] = &Header{Description: "Basic realm=\"cirqll\"", Required: true, Schema: &Schema{Types: []string{"string"}}}
		} else {
			r.Description = "An OAuth error: invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope."
		}
		b.doc.Components.Responses[name] = r
	}
	return &Response{Ref: "#/components/responses/" + name}
}

var tagDescriptions = map[string]string{
	"oauth":  "The OAuth 2.0 authorization server: authorize pages, tokens, clients, grants, scopes, revocation, introspection and metadata.",
	"system": "Health, readiness, metrics and this documentation.",
	"auth":   "The token's own user: the connection test for integrations.",
}

// patternPath turns a ServeMux pattern path into an OpenAPI path template:
// {rest...} -> {rest}, {$} dropped.
func patternPath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	p = pathVar.ReplaceAllStringFunc(p, func(s string) string {
		if strings.HasSuffix(s, "...}") {
			return s[:len(s)-4] + "}"
		}
		return s
	})
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if p == "" {
		p = "/"
	}
	return p
}

// defaultTag is the resource segment of a path: /api/webhook/{id}/test ->
// webhook, /oauth/token -> oauth.
func defaultTag(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "api" {
		return parts[1]
	}
	if len(parts) >= 1 && parts[0] == "oauth" {
		return "oauth"
	}
	return "system"
}

// deriveID makes an operationId from method and path:
// POST /api/webhook/{id}/test -> postWebhookTest.
func deriveID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "api" || strings.HasPrefix(seg, "{") || strings.HasPrefix(seg, ".") {
			continue
		}
		b.WriteString(typeName(seg))
	}
	return b.String()
}

// ---------------------------------------------------------------- words

func human(name string) string { return strings.ReplaceAll(name, "_", " ") }

func plural(res *schema.Resource) string {
	if res == nil {
		return "records"
	}
	n := human(res.Name)
	switch {
	case res.Name == "activity_log":
		return "activity log entries"
	case strings.HasSuffix(n, "y"):
		return n[:len(n)-1] + "ies"
	case strings.HasSuffix(n, "s"):
		return n + "es"
	}
	return n + "s"
}

func article(res *schema.Resource) string { return withArticle(res.Name) }

func withArticle(name string) string {
	n := human(name)
	if strings.ContainsRune("aeiou", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func nonEmpty(l []string) []string {
	var out []string
	for _, s := range l {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func infoDescription() string {
	return strings.Join([]string{
		"Generated from the resource declarations and the registered routes; never written by hand. A readable version is at /docs.",
		"JSON everywhere (UTF-8). Requests with a body send Content-Type: application/json (form encoding only on /oauth/*); anything else is a 415, bodies over 1 MiB a 413, " +
			"unknown JSON fields a 422, malformed JSON (a key given twice, invalid UTF-8, a body that is not an object) a 400.",
		"Errors are JSON with a message in the request's language (Accept-Language, else the user's locale, else the company setting, else English). " +
			"Every response has X-Request-Id; every /api response X-RateLimit-Limit and X-RateLimit-Remaining.",
		"Every record belongs to one company; another company's record does not exist (404). Money is a decimal string with two places (\"1250.00\"); " +
			"_at fields are RFC 3339 date-times in UTC, _date fields YYYY-MM-DD.",
		"Show, Create and Update return an ETag; Update and Delete honour If-Match (412 when the record changed). " +
			"A Create with Idempotency-Key repeated within 24 h returns the first response.",
		"Rate limit: requests per minute per OAuth client per company (60 by default; a client's rate_limit overrides it), in fixed one-minute windows; " +
			"a refused request gets 429 with Retry-After and X-RateLimit-Reset.",
	}, "\n\n")
}
