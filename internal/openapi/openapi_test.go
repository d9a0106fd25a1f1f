package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/httpapi"
	"github.com/cirqll/core/internal/openapi"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/webhook"
)

// served fetches /openapi.json from a real server and loads it with
// kin-openapi (which reads and validates OpenAPI 3.1).
type served struct {
	e      *apitest.Env
	raw    []byte
	doc    *openapi3.T
	router routers.Router
}

func serve(t *testing.T) *served {
	t.Helper()
	e := apitest.New(t, dialect.SQLite)
	r := e.Do("GET", "/openapi.json", "", nil).Status(200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &served{e: e, raw: r.Body, doc: doc, router: router}
}

func TestDocumentValidates(t *testing.T) {
	s := serve(t)
	if !s.doc.IsOpenAPI31OrLater() || s.doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", s.doc.OpenAPI)
	}
	// Built once: the same bytes and ETag on every request; If-None-Match works.
	r2 := s.e.Do("GET", "/openapi.json", "", nil).Status(200)
	if !bytes.Equal(r2.Body, s.raw) {
		t.Fatal("the document changed between requests")
	}
	s.e.Do("GET", "/openapi.json", "", nil, "If-None-Match: "+r2.Header.Get("ETag")).Status(304)

	// Every scope is in both flows; every scope an operation names exists.
	scopes := map[string]bool{}
	for _, sc := range schema.Scopes() {
		scopes[sc] = true
	}
	flows := s.doc.Components.SecuritySchemes["oauth2"].Value.Flows
	for _, f := range []*openapi3.OAuthFlow{flows.AuthorizationCode, flows.ClientCredentials} {
		if len(f.Scopes) != len(scopes) {
			t.Errorf("flow has %d scopes, want %d", len(f.Scopes), len(scopes))
		}
		for sc := range scopes {
			if f.Scopes[sc] == "" {
				t.Errorf("scope %s missing or without description", sc)
			}
		}
	}
	ids := map[string]string{}
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s: no operationId", method, path)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s %s", op.OperationID, prev, method, path)
			}
			ids[op.OperationID] = method + " " + path
			if len(op.Tags) == 0 || op.Summary == "" {
				t.Errorf("%s %s: no tag or summary", method, path)
			}
			if op.Security == nil {
				t.Errorf("%s %s: no security requirement", method, path)
			}
			for _, req := range *op.Security {
				for _, sc := range req["oauth2"] {
					if !scopes[sc] {
						t.Errorf("%s %s: unknown scope %s", method, path, sc)
					}
				}
			}
		}
	}
}

// TestEveryRouteDocumented: every route of API.Routes(), every pattern
// oauth.Server.Mount registers, and nothing else under /api.
func TestEveryRouteDocumented(t *testing.T) {
	s := serve(t)
	type key struct{ method, path string }
	apiDoc := map[key]bool{}
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			if strings.HasPrefix(path, "/api/") {
				apiDoc[key{method, path}] = true
			}
		}
	}
	routes := s.e.App.API.Routes()
	if len(routes) < 60 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		op := s.doc.Paths.Find(rt.Path)
		if op == nil || op.GetOperation(rt.Method) == nil {
			t.Errorf("route %s %s is not documented", rt.Method, rt.Path)
			continue
		}
		o := op.GetOperation(rt.Method)
		if rt.Resource != nil && rt.Op != "" {
			if o.Tags[0] != rt.Resource.Name {
				t.Errorf("%s %s: tag %v, want %s", rt.Method, rt.Path, o.Tags, rt.Resource.Name)
			}
			// The scope the handler checks is the first alternative.
			want := rt.Resource.ScopeName() + "." + rt.Op.Action() + ".all"
			if rt.Resource.Name == "company" && rt.Op == schema.OpShow {
				want = ""
			}
			got := ""
			if sec := *o.Security; len(sec) > 0 && len(sec[0]["oauth2"]) > 0 {
				got = sec[0]["oauth2"][0]
			}
			if got != want {
				t.Errorf("%s %s: scope %q, want %q", rt.Method, rt.Path, got, want)
			}
		}
		delete(apiDoc, key{rt.Method, rt.Path})
	}
	// The /api routes webhook.System.Mount adds, read from its source and
	// served by the real Mount, are documented too.
	hookPatterns := mountPatterns(t, "webhook", "api.go")
	if len(hookPatterns) < 3 {
		t.Fatalf("only %d patterns found in webhook.System.Mount", len(hookPatterns))
	}
	hooks := http.NewServeMux()
	s.e.App.Webhooks.Mount(hooks, func(h http.Handler) http.Handler { return h })
	for _, p := range hookPatterns {
		method, path, _ := strings.Cut(p, " ")
		if !apiDoc[key{method, path}] {
			t.Errorf("route %s is not documented", p)
		}
		delete(apiDoc, key{method, path})
		req, _ := http.NewRequest(method, "http://x"+pathArgs.Replace(path), nil)
		if _, pat := hooks.Handler(req); pat != p {
			t.Errorf("%s: served by pattern %q", p, pat)
		}
	}
	for k := range apiDoc {
		t.Errorf("%s %s is documented but not routed", k.method, k.path)
	}

	// The OAuth routes, read from oauth.Server.Mount's source...
	patterns := mountPatterns(t, "oauth", "server.go")
	if len(patterns) < 14 {
		t.Fatalf("only %d patterns found in oauth.Server.Mount", len(patterns))
	}
	documented := map[string]bool{}
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			if strings.HasPrefix(path, "/oauth/") || strings.HasPrefix(path, "/.well-known/") {
				documented[method+" "+path] = true
			}
		}
	}
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		if strings.HasSuffix(path, "/") { // static files
			continue
		}
		if !documented[p] {
			t.Errorf("oauth route %s is not documented", p)
		}
		delete(documented, method+" "+path)
	}
	for p := range documented {
		t.Errorf("%s is documented but not in oauth.Server.Mount", p)
	}
	// ...and served by the real Mount: every documented one matches its pattern.
	mux := http.NewServeMux()
	s.e.App.OAuth.Mount(mux)
	for _, r := range openapi.OAuthRoutes() {
		req, _ := http.NewRequest(r.Method, "http://x"+pathArgs.Replace(r.Path), nil)
		if _, pat := mux.Handler(req); pat != r.Method+" "+r.Path {
			t.Errorf("%s %s: served by pattern %q", r.Method, r.Path, pat)
		}
	}
}

// pathArgs fills the wildcards of a route's path.
var pathArgs = strings.NewReplacer("{id}", "1", "{delivery}", "2")

// mountPatterns reads the string patterns of the Mount method in
// internal/<pkg>/<file>.
func mountPatterns(t *testing.T, pkg, file string) []string {
	_, self, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(self), "..", pkg, file)
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Mount" || fn.Recv == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
				return true
			}
			var pat string
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				pat, _ = strconv.Unquote(a.Value)
			case *ast.BinaryExpr: // "GET " + prefix
				if l, ok := a.X.(*ast.BasicLit); ok {
					pat, _ = strconv.Unquote(l.Value)
					pat += "/" // a prefix: treated as static
				}
			}
			if pat != "" {
				out = append(out, pat)
			}
			return true
		})
	}
	return out
}

// check sends a request to the real server and validates the request and
// the response against the document (status included), plus a strict walk
// that every property the server sent is documented.
func (s *served) check(t *testing.T, method, path, token string, body any, want int, hdr ...string) map[string]any {
	t.Helper()
	var raw []byte
	if body != nil {
		switch b := body.(type) {
		case string:
			raw = []byte(b)
		default:
			raw, _ = json.Marshal(b)
		}
	}
	var send any
	if body != nil {
		send = raw
	}
	r := s.e.Do(method, path, token, send, hdr...)
	if r.Code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Code, want, r.Body)
	}
	req, _ := http.NewRequest(method, s.e.Server.URL+path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	u, _ := url.Parse(path)
	req.URL.Path = u.Path
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no route in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if want < 300 { // the request is valid by the document too
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match the document: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Code, Header: r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d response does not match the document: %v\n%s", method, path, r.Code, err, r.Body)
	}
	var v any
	if len(r.Body) > 0 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp := route.Operation.Responses.Status(r.Code)
		if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			for _, p := range undocumented(mt.Schema.Value, v, "$", 0) {
				t.Errorf("%s %s: %s is not in the document", method, path, p)
			}
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// undocumented lists the object keys of v that no schema branch names.
func undocumented(s *openapi3.Schema, v any, at string, depth int) []string {
	if s == nil || depth > 12 {
		return nil
	}
	var branches []*openapi3.Schema
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		branches = append(branches, s)
		for _, l := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range l {
				if r.Value != nil {
					collect(r.Value)
				}
			}
		}
	}
	collect(s)
	var out []string
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var found []*openapi3.Schema
			free := false
			for _, b := range branches {
				if p := b.Properties[k]; p != nil && p.Value != nil {
					found = append(found, p.Value)
				} else if b.AdditionalProperties.Schema != nil {
					found = append(found, b.AdditionalProperties.Schema.Value)
				} else if b.AdditionalProperties.Has != nil && *b.AdditionalProperties.Has {
					free = true
				}
			}
			if len(found) == 0 && !free {
				out = append(out, at+"."+k)
			}
			for _, f := range found {
				if miss := undocumented(f, x[k], at+"."+k, depth+1); len(miss) > 0 && len(found) == 1 {
					out = append(out, miss...)
				}
			}
		}
	case []any:
		for _, b := range branches {
			if b.Items != nil && b.Items.Value != nil {
				for i, item := range x {
					out = append(out, undocumented(b.Items.Value, item, fmt.Sprintf("%s[%d]", at, i), depth+1)...)
				}
				break
			}
		}
	}
	return out
}

func id(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }

// TestResponsesMatchTheDocument drives the real server through every
// resource and checks each answer (and error) against the document.
func TestResponsesMatchTheDocument(t *testing.T) {
	s := serve(t)
	a := s.e.Company("Acme")
	tok := a.Token

	// Custom fields, so field_values have something to hold.
	s.check(t, "POST", "/api/field", tok, map[string]any{"name": "Industry", "model": "customer", "type": "select", "options": []string{"Retail", "Tech"}}, 201)
	s.check(t, "POST", "/api/field", tok, map[string]any{"name": "Employees", "model": "customer", "type": "number"}, 201)
	s.check(t, "GET", "/api/field?with=options", tok, nil, 200)

	origin := s.check(t, "POST", "/api/origin", tok, map[string]any{"name": "Website"}, 201)
	cust := s.check(t, "POST", "/api/customer?with=address,field_values", tok, map[string]any{
		"name": "Foo BV", "status": "prospect", "email": "info@foo.nl", "website": "https://foo.nl", "origin_id": origin["id"],
		"address":      map[string]any{"street": "Main", "house_number": "12a", "postal_code": "1234 AB", "city": "Utrecht"},
		"field_values": map[string]any{"industry": "Retail", "employees": 40},
	}, 201, "Idempotency-Key: k1")
	cid := id(cust)
	complete(t, schema.Customer, cust)
	if cust["address"] == nil || len(cust["field_values"].([]any)) != 2 {
		t.Fatalf("embeds missing: %v", cust)
	}
	contact := s.check(t, "POST", "/api/contact", tok, map[string]any{"first_name": "Jan", "last_name": "Jansen", "customer_id": cust["id"],
		"field_values": []map[string]any{}}, 201)
	chance := s.check(t, "POST", "/api/chance", tok, map[string]any{"title": "Deal", "customer_id": cust["id"], "amount": "1250.5", "probability": 40,
		"expected_close_date": "2025-06-30", "contact_id": contact["id"]}, 201)
	if chance["amount"] != "1250.50" {
		t.Fatalf("amount %v", chance["amount"])
	}
	s.check(t, "PATCH", "/api/chance/"+id(chance), tok, map[string]any{"stage": "won"}, 200)
	asg := s.check(t, "POST", "/api/assignment", tok, map[string]any{"title": "Build", "customer_id": cust["id"], "chance_id": chance["id"], "start_date": "2025-01-01"}, 201)
	s.check(t, "POST", "/api/contract", tok, map[string]any{"title": "SLA", "customer_id": cust["id"], "assignment_id": asg["id"], "amount": "99.00", "signed_at": "2025-01-02T10:00:00+01:00"}, 201)
	task := s.check(t, "POST", "/api/task", tok, map[string]any{"title": "Call", "customer_id": cust["id"], "due_at": "2025-02-01T09:00:00Z", "priority": "high"}, 201)
	complete(t, schema.Task, task)
	complete(t, schema.Chance, chance)
	s.check(t, "PATCH", "/api/task/"+id(task), tok, map[string]any{"status": "done", "description": nil}, 200)
	s.check(t, "POST", "/api/todo", tok, map[string]any{"title": "Prepare", "task_id": task["id"], "done": true}, 201)
	s.check(t, "POST", "/api/appointment", tok, map[string]any{"title": "Meet", "starts_at": "2025-02-01T09:00:00Z", "ends_at": "2025-02-01T10:00:00Z", "customer_id": cust["id"]}, 201)
	s.check(t, "POST", "/api/note", tok, map[string]any{"body": "Nice people", "customer_id": cust["id"], "pinned": true}, 201)
	s.check(t, "POST", "/api/email", tok, map[string]any{"subject": "Hello", "to": []string{"a@b.nl"}, "cc": []string{}, "from": "me@acme.nl", "customer_id": cust["id"], "sent_at": "2025-01-01T00:00:00Z"}, 201)
	tpl := s.check(t, "POST", "/api/template?with=items", tok, map[string]any{"name": "Quote", "type": "quote",
		"items": []map[string]any{{"description": "Hours", "quantity": "10", "unit_price": "85.5", "vat_rate": "21"}}}, 201)
	if items := tpl["items"].([]any); len(items) != 1 || items[0].(map[string]any)["unit_price"] != "85.50" {
		t.Fatalf("items %v", tpl["items"])
	}
	role := s.check(t, "POST", "/api/role?with=permissions", tok, map[string]any{"name": "Sales", "permissions": []string{"customer.read.all", "customer.update.own"}}, 201)
	piet := s.check(t, "POST", "/api/user", tok, map[string]any{"name": "Piet", "email": "piet@acme.nl", "password": "long-enough-pass", "role_id": role["id"], "locale": "en"}, 201)
	s.plain(t, schema.User, s.check(t, "GET", "/api/user/"+id(piet), tok, nil, 200))
	s.plain(t, schema.Customer, s.check(t, "GET", "/api/customer/"+cid, tok, nil, 200))
	if u := s.check(t, "GET", "/api/user/"+id(piet)+"?show=name,company.name", tok, nil, 200); u["company_id"] == nil {
		t.Errorf("show=company.name without company_id: %v", u)
	}

	if schema.Get("webhook") != nil && schema.Get("webhook").Has(schema.OpCreate) {
		hook := s.check(t, "POST", "/api/webhook", tok, map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"customer.created"}}, 201)
		if hook["secret"] == nil {
			t.Errorf("webhook Create answer without its secret: %v", hook)
		}
		s.check(t, "GET", "/api/webhook/"+id(hook)+"?with=deliveries", tok, nil, 200)
		s.check(t, "GET", "/api/webhook", tok, nil, 200)
		s.plain(t, schema.Webhook, s.check(t, "GET", "/api/webhook/"+id(hook), tok, nil, 200))
		ping := s.check(t, "POST", "/api/webhook/"+id(hook)+"/test", tok, nil, 202)
		s.check(t, "GET", "/api/webhook/"+id(hook)+"/deliveries?filter=event:eq:ping&limit=5", tok, nil, 200)
		s.check(t, "POST", "/api/webhook/"+id(hook)+"/deliveries/"+id(ping)+"/retry", tok, nil, 202)
		s.check(t, "POST", "/api/webhook/"+id(hook)+"/deliveries/999999/retry", tok, nil, 404)
	}

	// Reads, with embeds and counts at every kind.
	s.check(t, "GET", "/api/customer/"+cid+"?with=user.company.address,address,contacts,chances.field_values,field_values&count=contacts,notes,chances", tok, nil, 200)
	s.check(t, "GET", "/api/customer?with=contacts,user&count=contacts&filter=name:eq:%22Foo%20BV%22,and,status:in:lead;prospect&order_by=name:desc&limit=10", tok, nil, 200)
	s.check(t, "GET", "/api/customer?with[]=user&show[]=name&show[]=user.name&total=false", tok, nil, 200)
	s.check(t, "GET", "/api/customer?after=0&per_page=5", tok, nil, 200)
	s.check(t, "GET", "/api/contact/"+id(contact)+"?with=customer,address,field_values", tok, nil, 200)
	s.check(t, "GET", "/api/chance?with=customer,contact,origin,assignments,tasks,notes,field_values&count=assignments", tok, nil, 200)
	s.check(t, "GET", "/api/assignment?with=chance,contracts,field_values", tok, nil, 200)
	s.check(t, "GET", "/api/contract?with=assignment,customer,field_values", tok, nil, 200)
	s.check(t, "GET", "/api/task?with=todos,chance,contact,field_values", tok, nil, 200)
	s.check(t, "GET", "/api/todo?with=task,user", tok, nil, 200)
	s.check(t, "GET", "/api/appointment?with=field_values,customer", tok, nil, 200)
	s.check(t, "GET", "/api/note?with=customer,chance,contact", tok, nil, 200)
	s.check(t, "GET", "/api/email?with=customer", tok, nil, 200)
	s.check(t, "GET", "/api/template/"+id(tpl)+"?with=items,user", tok, nil, 200)
	s.check(t, "GET", "/api/role?with=permissions,users&count=users", tok, nil, 200)
	s.check(t, "GET", "/api/user?with=role,company,customers&count=tasks", tok, nil, 200)
	s.check(t, "GET", "/api/origin?with=customers,chances", tok, nil, 200)
	s.check(t, "GET", "/api/field?with=options&order_by=position", tok, nil, 200)
	s.check(t, "GET", "/api/user?show=name,role.name", tok, nil, 200)
	company := s.check(t, "GET", fmt.Sprintf("/api/company/%d?with=address,users", a.CompanyID), tok, nil, 200)
	s.check(t, "PATCH", "/api/company/"+id(company), tok, map[string]any{"website": "https://acme.nl", "address": map[string]any{"city": "Delft", "country": "NL"}}, 200)
	complete(t, schema.Setting, s.check(t, "GET", "/api/setting", tok, nil, 200))
	s.check(t, "PATCH", "/api/setting", tok, map[string]any{"locale": "en", "fiscal_year_start_month": 4}, 200)
	s.check(t, "GET", "/api/permission?limit=5", tok, nil, 200)
	s.check(t, "GET", "/api/auth/me", tok, nil, 200)
	s.check(t, "GET", "/api/user/me", tok, nil, 200)
	logs := s.e.Do("GET", "/api/activity_log?order_by=id:desc&limit=1", tok, nil).Status(200).Data()
	s.check(t, "GET", "/api/activity_log/"+fmt.Sprint(logs[0]["id"])+"?with=user", tok, nil, 200)
	s.check(t, "GET", "/api/activity_log?filter=event:eq:updated", tok, nil, 200)

	// Writes with ETags, deletes and errors in the contract's shapes.
	r := s.e.Do("GET", "/api/note?limit=1", tok, nil).Status(200).Data()
	note := s.e.Do("GET", "/api/note/"+fmt.Sprint(r[0]["id"]), tok, nil).Status(200)
	s.check(t, "PATCH", "/api/note/"+fmt.Sprint(r[0]["id"]), tok, map[string]any{"pinned": false}, 412, "If-Match: \"stale\"")
	s.check(t, "DELETE", "/api/note/"+fmt.Sprint(r[0]["id"]), tok, nil, 204, "If-Match: "+note.Header.Get("ETag"))
	s.check(t, "GET", "/api/customer/999999", tok, nil, 404)
	s.check(t, "GET", "/api/customer?filter=name:zz:1", tok, nil, 400)
	s.check(t, "POST", "/api/customer", tok, map[string]any{"name": "", "bogus": 1, "amount": "x"}, 422)
	s.check(t, "POST", "/api/customer", tok, `{"name": "a", "name": "b"}`, 400)
	s.check(t, "POST", "/api/customer", tok, "name=x", 415, "Content-Type: application/x-www-form-urlencoded")
	// (Each failing write below follows a successful one of the same kind:
	// store.Tx prepares the statements first seen in a transaction in a
	// deferred call that runs before a failed transaction's rollback, which
	// then waits forever for SQLite's single writer connection.)
	other := s.check(t, "POST", "/api/customer", tok, map[string]any{"name": "Other"}, 201)
	s.check(t, "DELETE", "/api/customer/"+id(other), tok, nil, 204)
	s.check(t, "DELETE", "/api/customer/"+cid, tok, nil, 409)
	s.check(t, "GET", "/api/customer", "", nil, 401)
	s.check(t, "GET", "/api/customer", "bad-token", nil, 401)
	readOnly := a.TokenFor(a.OwnerID, "customer.read.all")
	s.check(t, "PATCH", "/api/customer/"+cid, readOnly, map[string]any{"name": "X"}, 403)
	s.check(t, "GET", "/api/task", readOnly, nil, 403)

	// OAuth endpoints.
	s.check(t, "GET", "/oauth/scopes", "", nil, 200)
	s.check(t, "GET", "/.well-known/oauth-authorization-server", "", nil, 200)
	s.check(t, "GET", "/oauth/clients", tok, nil, 200)
	s.check(t, "GET", "/oauth/clients", readOnly, nil, 403)
	cl := s.check(t, "POST", "/oauth/clients", tok, map[string]any{"name": "Zapier", "redirect_uris": []string{"https://zapier.com/cb"}, "rate_limit": 120}, 201)
	s.check(t, "PATCH", "/oauth/clients/"+cl["id"].(string), tok, map[string]any{"rate_limit": nil}, 200)
	s.check(t, "POST", "/oauth/clients", tok, map[string]any{"name": ""}, 422)
	s.check(t, "DELETE", "/oauth/clients/"+cl["id"].(string), tok, nil, 204)
	a.TokenFor(a.OwnerID, "note.read.all")
	grants := s.e.Do("GET", "/oauth/tokens", tok, nil).Status(200)
	var list []map[string]any
	if err := json.Unmarshal(grants.Body, &list); err != nil || len(list) == 0 {
		t.Fatalf("grants: %s", grants.Body)
	}
	s.check(t, "GET", "/oauth/tokens", tok, nil, 200)
	s.check(t, "DELETE", "/oauth/tokens/"+id(list[len(list)-1]), tok, nil, 204) // the note.read.all token's
	s.check(t, "DELETE", "/oauth/tokens/999999", tok, nil, 404)
	s.check(t, "GET", "/healthz", "", nil, 200)
	s.check(t, "GET", "/readyz", "", nil, 200)

	// The token endpoint (form encoded) and introspection.
	for _, c := range []struct {
		path string
		form url.Values
		want int
	}{
		{"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"}}, 200},
		{"/oauth/token", url.Values{"grant_type": {"password"}}, 400},
		{"/oauth/introspect", url.Values{"token": {tok}}, 200},
	} {
		req, _ := http.NewRequest("POST", s.e.Server.URL+c.path, strings.NewReader(c.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
		s.checkRaw(t, req, []byte(c.form.Encode()), c.want)
	}
	req, _ := http.NewRequest("POST", s.e.Server.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("nobody", "wrong")
	s.checkRaw(t, req, []byte("grant_type=client_credentials"), 401)
}

// plain checks that a record rendered without parameters has every
// property its schema lists, except relations and counts (with=, count=)
// and the keys the schema says appear only with show= (a user's
// company_id): the document promises no field a response lacks.
func (s *served) plain(t *testing.T, res *schema.Resource, rec map[string]any) {
	t.Helper()
	sc := s.doc.Components.Schemas[pascal(res.Name)].Value
	optional := map[string]bool{}
	for _, rel := range res.AllRelations() {
		optional[rel.Name], optional[rel.Name+"_count"] = true, true
	}
	for name, p := range sc.Properties {
		if _, ok := rec[name]; ok || optional[name] {
			continue
		}
		if strings.HasPrefix(p.Value.Description, "Only with show=") && strings.Contains(sc.Description, name+" is not a field of its own") {
			continue
		}
		t.Errorf("%s.%s is in the document but not in a plain response: %v", pascal(res.Name), name, rec)
	}
}

// complete checks a record rendered without show has every readable field
// (the document requires only id, since show= narrows the fields).
func complete(t *testing.T, res *schema.Resource, rec map[string]any) {
	t.Helper()
	for _, f := range res.Fields {
		if f.Hidden || f.NoColumn || f.Type == schema.Password || f.Type == schema.Nested {
			continue
		}
		if _, ok := rec[f.Name]; !ok {
			t.Errorf("%s: field %s missing from %v", res.Name, f.Name, rec)
		}
	}
}

// checkRaw validates the response to a prepared request.
func (s *served) checkRaw(t *testing.T, req *http.Request, body []byte, want int) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d response does not match the document: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, b)
	}
}

// TestDocsPage: /docs is HTML under a strict CSP, names every resource and
// operation, and its stylesheet is served.
func TestDocsPage(t *testing.T) {
	e := apitest.New(t, dialect.SQLite)
	r := e.Do("GET", "/docs", "", nil).Status(200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
	if csp := r.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; style-src 'self'" {
		t.Fatalf("CSP %q", csp)
	}
	page := string(r.Body)
	for _, bad := range []string{"<script", " style=", "<style", "http://", "https://cdn", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	routed := map[string]bool{}
	for _, rt := range e.App.API.Routes() {
		routed[rt.Resource.Name] = true
	}
	for _, res := range schema.Resources() {
		// Resources without routes (address) are schemas of their holders.
		if routed[res.Name] && !strings.Contains(page, `id="tag-`+res.Name+`"`) {
			t.Errorf("no section for %s", res.Name)
		}
		if !strings.Contains(page, `id="schema-`+pascal(res.Name)+`"`) {
			t.Errorf("no schema for %s", res.Name)
		}
	}
	for _, rt := range e.App.API.Routes() {
		if !strings.Contains(page, "<code class=\"path\">"+rt.Path+"</code>") {
			t.Errorf("no operation %s %s", rt.Method, rt.Path)
		}
	}
	for _, rt := range webhook.Routes() {
		if !strings.Contains(page, "<code class=\"path\">"+rt.Path+"</code>") {
			t.Errorf("no operation %s %s", rt.Method, rt.Path)
		}
	}
	for _, want := range []string{"required_scope", "X-RateLimit-Remaining", "Idempotency-Key", "If-Match", "X-Eager-Loading-Weight",
		"Retry-After", "ETag", "Location", "X-Request-Id", "per_page", "order_by", "filter", "customer.update.all", "customer.read.own", "request_id"} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not mention %s", want)
		}
	}
	link := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no stylesheet")
	}
	css := e.Do("GET", link[1], "", nil).Status(200)
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") || len(css.Body) < 100 {
		t.Fatalf("stylesheet: %q %d bytes", ct, len(css.Body))
	}
	// Every internal link points at an anchor of the page.
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		anchors[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !anchors[m[1]] {
			t.Errorf("broken link #%s", m[1])
		}
	}
}

func pascal(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(s, "_") {
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// TestExtraRoutes: routes registered by other packages are documented.
func TestExtraRoutes(t *testing.T) {
	extra := openapi.Route{Method: "POST", Path: "/api/webhook/{id}/test", API: true, Scopes: []string{"customer.update.all"},
		Summary: "Send a ping", Status: 202, Response: openapi.Obj("", []string{"id"}, openapi.P("id", openapi.Str(""))), Errors: []int{404}}
	list := openapi.Route{Method: "GET", Path: "/api/webhook/{id}/deliveries", API: true, Scopes: []string{"customer.read.all"},
		Summary: "Deliveries", Params: openapi.PageParams(), Response: openapi.List(openapi.Reflect(struct {
			ID     int64   `json:"id"`
			Error  *string `json:"error"`
			Status string  `json:"status"`
		}{}))}
	t.Cleanup(openapi.ResetExtra)
	g := openapi.New(func() []httpapi.Route { return nil }, extra, list)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(g.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths.Find("/api/webhook/{id}/test").GetOperation("POST")
	if op == nil || op.Tags[0] != "webhook" || op.Responses.Status(202) == nil || op.Responses.Status(404) == nil || op.Responses.Status(401) == nil {
		t.Fatalf("extra route: %+v", op)
	}
	if op := doc.Paths.Find("/api/webhook/{id}/deliveries").GetOperation("GET"); op == nil || op.Parameters.GetByInAndName("query", "limit") == nil {
		t.Fatal("deliveries route")
	}
	// Extra after the first build: the cached document is rebuilt.
	openapi.Extra(openapi.Route{Method: "POST", Path: "/api/webhook/{id}/deliveries/{delivery}/retry", API: true, Scopes: []string{"customer.update.all"}, Status: 202})
	if !bytes.Contains(g.JSON(), []byte(`"/api/webhook/{id}/deliveries/{delivery}/retry"`)) {
		t.Fatal("Extra route missing after registration")
	}
}

// TestValidationHasTeeth: the checks above would catch a wrong body.
func TestValidationHasTeeth(t *testing.T) {
	s := serve(t)
	req, _ := http.NewRequest("GET", s.e.Server.URL+"/api/chance/1", nil)
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	good := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"abc"}, "Etag": {`"1"`},
		"X-Ratelimit-Limit": {"60"}, "X-Ratelimit-Remaining": {"59"}, "X-Ratelimit-Reset": {"1700000000"}}
	ok := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: 200, Header: good}
	ok.SetBodyBytes([]byte(`{"id": 1, "amount": "12.50", "stage": "won", "title": "x", "customer_id": 1, "created_at": "2025-01-01T00:00:00Z"}`))
	if err := openapi3filter.ValidateResponse(context.Background(), ok); err != nil {
		t.Fatalf("a good body fails: %v", err)
	}
	for _, bad := range []string{
		`{"id": 1, "amount": "12.5"}`,      // money has two places
		`{"id": 1, "stage": "maybe"}`,      // enum
		`{"id": 1, "created_at": "today"}`, // date-time
		`{"id": 1, "customer_id": "1"}`,    // integer
		`{"id": 1, "title": null}`,         // required on write: never null
		`{"amount": "1.00"}`,               // id is always there
	} {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: 200, Header: good}
		out.SetBodyBytes([]byte(bad))
		if err := openapi3filter.ValidateResponse(context.Background(), out); err == nil {
			t.Errorf("%s passed", bad)
		} else {
			t.Logf("%s: %.200s", bad, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	var v any
	_ = json.Unmarshal([]byte(`{"id": 1, "bogus": 2, "customer": {"id": 1, "nope": 3}}`), &v)
	sch := route.Operation.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if got := undocumented(sch, v, "$", 0); strings.Join(got, " ") != "$.bogus $.customer.nope" {
		t.Errorf("undocumented: %v", got)
	}
}
