package openapi

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The /docs page: server-rendered HTML from the document, no script, one
// stylesheet of our own (the CSP allows nothing else).

//go:embed templates/docs.html static/docs.css
var assets embed.FS

const cssPath = "/docs/static/docs.css"

var docsTmpl = template.Must(template.New("docs.html").ParseFS(assets, "templates/docs.html"))

func cssHandler() http.Handler {
	css, err := assets.ReadFile("static/docs.css")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/css; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(css)
	})
}

// The page's view of the document.
type docsPage struct {
	Title, Version, Summary string
	Intro                   []string
	CSS                     string
	Groups                  []docsGroup
	Scopes                  []docsScope
	Flows                   []string
	Schemas                 []docsSchema
	Responses               []docsResponse
	Headers                 []docsParam
}

type docsGroup struct {
	Name, Desc string
	Params     []docsParam // with, show and count, shared by its operations
	Ops        []docsOp
}

type docsScope struct{ Name, Desc string }

type docsOp struct {
	ID, Method, Path, Summary string
	MethodClass               string
	Desc                      []string
	Auth                      string
	Scopes                    []string
	Params                    []docsParam
	Body                      []docsBody
	Responses                 []docsResponse
}

type docsParam struct {
	Name, In string
	Type     []typePart
	Required bool
	Desc     string
	Link     string // where the full description is
}

type docsBody struct {
	MediaType string
	Type      []typePart
	Rows      []schemaRow
}

type docsResponse struct {
	Status, Desc string
	Class        string
	Link         string // a shared response, described in its own section
	Common       bool   // has X-Request-Id (and the rate limit headers)
	Headers      []docsParam
	Body         []docsBody
}

// commonHeaders are on every (API) response; the page names them once.
var commonHeaders = map[string]bool{"X-Request-Id": true, "X-RateLimit-Limit": true, "X-RateLimit-Remaining": true, "X-RateLimit-Reset": true}

type docsSchema struct {
	Name, Desc string
	Type       []typePart
	Rows       []schemaRow
}

// typePart is a piece of a type's text, linked to a schema when Link is set.
type typePart struct{ Text, Link string }

type schemaRow struct {
	Indent   int
	Name     string
	Type     []typePart
	Required bool
	Desc     string
}

// Indents gives the template something to range over.
func (r schemaRow) Indents() []struct{} { return make([]struct{}, r.Indent) }

func renderDocs(w io.Writer, doc *Document) error {
	return docsTmpl.Execute(w, buildPage(doc))
}

func buildPage(doc *Document) *docsPage {
	p := &docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Summary: doc.Info.Summary, CSS: cssPath,
		Intro: strings.Split(doc.Info.Description, "\n\n")}
	byTag := map[string]*docsGroup{}
	for _, t := range doc.Tags {
		p.Groups = append(p.Groups, docsGroup{Name: t.Name, Desc: t.Description})
	}
	for i := range p.Groups {
		byTag[p.Groups[i].Name] = &p.Groups[i]
	}
	for _, e := range doc.order {
		for _, op := range e.item.Operations() {
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := byTag[tag]
			if g == nil {
				p.Groups = append(p.Groups, docsGroup{Name: tag})
				g = &p.Groups[len(p.Groups)-1]
				byTag = map[string]*docsGroup{}
				for i := range p.Groups {
					byTag[p.Groups[i].Name] = &p.Groups[i]
				}
			}
			g.Ops = append(g.Ops, opView(doc, op))
		}
	}
	for i := range p.Groups {
		g := &p.Groups[i]
		for _, name := range sortedKeys(doc.Components.Parameters) {
			if tag, _, ok := strings.Cut(name, "."); ok && tag == g.Name {
				pr := doc.Components.Parameters[name]
				g.Params = append(g.Params, docsParam{Name: pr.Name, In: pr.In, Type: paramType(pr), Desc: join(pr.Description, constraints(pr.Schema))})
			}
		}
		sort.SliceStable(g.Params, func(a, b int) bool { return paramOrder(g.Params[a].Name) < paramOrder(g.Params[b].Name) })
	}
	for _, name := range sortedKeys(doc.Components.Headers) {
		h := doc.Components.Headers[name]
		p.Headers = append(p.Headers, docsParam{Name: name, In: "header", Type: typeText(h.Schema), Desc: h.Description})
	}
	if s := doc.Components.SecuritySchemes[oauthScheme]; s != nil && s.Flows != nil {
		for _, k := range sortedKeys(s.Flows.ClientCredentials.Scopes) {
			p.Scopes = append(p.Scopes, docsScope{k, s.Flows.ClientCredentials.Scopes[k]})
		}
		ac := s.Flows.AuthorizationCode
		p.Flows = []string{
			"Authorization code (with PKCE S256): " + ac.AuthorizationURL + ", token " + ac.TokenURL + ", refresh " + ac.RefreshURL + ".",
			"Client credentials (confidential clients): token " + s.Flows.ClientCredentials.TokenURL + ".",
			s.Description,
		}
	}
	for _, name := range sortedKeys(doc.Components.Responses) {
		r := doc.Components.Responses[name]
		rv := responseView(doc, "", r, false)
		rv.Status, rv.Link = name, "response-"+name
		for _, h := range []string{"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if r.Headers[h] != nil {
				c := doc.Components.Headers[h]
				rv.Headers = append(rv.Headers, docsParam{Name: h, In: "header", Type: typeText(c.Schema), Required: c.Required, Desc: c.Description})
			}
		}
		p.Responses = append(p.Responses, rv)
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name]
		v := docsSchema{Name: name, Desc: s.Description, Type: typeText(s)}
		v.Rows = schemaRows(s, 0, 0)
		p.Schemas = append(p.Schemas, v)
	}
	return p
}

func opView(doc *Document, op *Operation) docsOp {
	v := docsOp{ID: op.OperationID, Method: op.Method(), Path: op.Path(), Summary: op.Summary, Scopes: op.XScopes,
		MethodClass: "m-" + strings.ToLower(op.Method())}
	if op.Description != "" {
		v.Desc = strings.Split(op.Description, "\n\n")
	}
	v.Auth = authText(op)
	for _, pr := range op.Parameters {
		if tag, ok := sharedParam(pr); ok {
			r := pr.Resolve()
			v.Params = append(v.Params, docsParam{Name: r.Name, In: r.In, Type: paramType(r), Required: r.Required,
				Desc: firstSentence(r.Description), Link: "#params-" + tag})
			continue
		}
		pr = pr.Resolve()
		v.Params = append(v.Params, docsParam{Name: pr.Name, In: pr.In, Type: paramType(pr), Required: pr.Required, Desc: join(pr.Description, constraints(pr.Schema))})
	}
	if op.RequestBody != nil {
		v.Body = bodies(op.RequestBody.Content)
		for i, mt := range sortedKeys(op.RequestBody.Content) { // a body's fields are shown in place
			if s := op.RequestBody.Content[mt].Schema; s != nil && s.Ref != "" {
				v.Body[i].Rows = schemaRows(doc.Components.Schemas[refName(s.Ref)], 0, 0)
			}
		}
	}
	for _, code := range sortedKeys(op.Responses) {
		r := op.Responses[code]
		if r.Ref != "" {
			name := strings.TrimPrefix(r.Ref, "#/components/responses/")
			rv := responseView(doc, code, doc.Components.Responses[name], true)
			rv.Link = "#response-" + name
			v.Responses = append(v.Responses, rv)
			continue
		}
		v.Responses = append(v.Responses, responseView(doc, code, r, false))
	}
	return v
}

// responseView shows a response; brief leaves out the headers and the
// body's rows (a shared response links to its full description).
func responseView(doc *Document, code string, r *Response, brief bool) docsResponse {
	if r == nil {
		r = &Response{}
	}
	rv := docsResponse{Status: code, Desc: r.Description}
	if code != "" {
		rv.Class = "s" + code[:1]
	}
	if t := http.StatusText(atoi(code)); t != "" {
		rv.Status = code + " " + t
	}
	for _, name := range sortedKeys(r.Headers) {
		if commonHeaders[name] {
			rv.Common = true
			continue
		}
		h := r.Headers[name]
		if h.Ref != "" {
			if c := doc.Components.Headers[strings.TrimPrefix(h.Ref, "#/components/headers/")]; c != nil {
				h = c
			}
		}
		if brief {
			continue
		}
		d := docsParam{Name: name, In: "header", Type: typeText(h.Schema), Required: h.Required, Desc: h.Description}
		if r.Headers[name].Ref != "" {
			d.Desc, d.Link = "", "#header-"+name
		}
		rv.Headers = append(rv.Headers, d)
	}
	rv.Body = bodies(r.Content)
	if brief {
		for i := range rv.Body {
			rv.Body[i].Rows = nil
		}
	}
	return rv
}

// sharedParam reports a reference to a resource's shared parameter
// (components.parameters["customer.with"]) and the resource.
func sharedParam(p *Parameter) (string, bool) {
	name := strings.TrimPrefix(p.ref, "#/components/parameters/")
	if p.ref == "" || !strings.Contains(name, ".") {
		return "", false
	}
	tag, _, _ := strings.Cut(name, ".")
	return tag, true
}

func paramOrder(name string) int {
	return map[string]int{"with": 0, "with[]": 1, "show": 2, "show[]": 3, "count": 4, "count[]": 5}[name]
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func authText(op *Operation) string {
	if len(op.Security) == 0 {
		return ""
	}
	var parts []string
	anon := false
	for _, req := range op.Security {
		if len(req) == 0 {
			anon = true
			continue
		}
		for _, name := range sortedKeys(req) {
			switch {
			case name == oauthScheme && len(req[name]) == 0:
				parts = append(parts, "a bearer token")
			case name == oauthScheme:
				parts = append(parts, "a bearer token with "+strings.Join(req[name], " and "))
			case name == clientScheme:
				parts = append(parts, "client authentication (HTTP Basic or client_id/client_secret in the body)")
			default:
				parts = append(parts, name)
			}
		}
	}
	switch {
	case len(parts) == 0:
		return "No authentication."
	case anon:
		return "Optional: " + strings.Join(parts, ", or ") + "."
	}
	return "Needs " + strings.Join(parts, ", or ") + "."
}

func bodies(content map[string]MediaType) []docsBody {
	var out []docsBody
	for _, mt := range sortedKeys(content) {
		s := content[mt].Schema
		b := docsBody{MediaType: mt}
		if s != nil {
			b.Type = typeText(s)
			if s.Ref == "" {
				b.Rows = schemaRows(s, 0, 0)
			}
		}
		out = append(out, b)
	}
	return out
}

func paramType(p *Parameter) []typePart {
	t := typeText(p.Schema)
	if p.Schema != nil && p.Explode != nil && !*p.Explode && p.Schema.Items != nil {
		t = append([]typePart{{Text: "comma-separated "}}, t...)
	}
	return t
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/components/schemas/") }

// typeText renders a schema's type: "string (date-time) | null", "array of
// Contact", links for references.
func typeText(s *Schema) []typePart {
	if s == nil {
		return []typePart{{Text: "any"}}
	}
	if s.Ref != "" {
		n := refName(s.Ref)
		return []typePart{{Text: n, Link: "#schema-" + n}}
	}
	alt := func(list []*Schema, sep string) []typePart {
		var out []typePart
		for i, x := range list {
			if i > 0 {
				out = append(out, typePart{Text: sep})
			}
			out = append(out, typeText(x)...)
		}
		return out
	}
	switch {
	case len(s.AllOf) > 0:
		return alt(s.AllOf, " + ")
	case len(s.AnyOf) > 0:
		return alt(s.AnyOf, " | ")
	case len(s.OneOf) > 0:
		return append([]typePart{{Text: "one of: "}}, alt(s.OneOf, " | ")...)
	}
	if len(s.Types) == 0 {
		return []typePart{{Text: "any"}}
	}
	var out []typePart
	for i, t := range s.Types {
		if i > 0 {
			out = append(out, typePart{Text: " | "})
		}
		switch {
		case t == "array" && s.Items != nil:
			out = append(out, typePart{Text: "array of "})
			out = append(out, typeText(s.Items)...)
		case t == "array" && len(s.PrefixItems) > 0:
			out = append(out, typePart{Text: fmt.Sprintf("array [%d items]", len(s.PrefixItems))})
		case t == "object" && s.AdditionalProperties != nil && len(s.Properties) == 0:
			if ap, ok := s.AdditionalProperties.(*Schema); ok {
				out = append(out, typePart{Text: "object of "})
				out = append(out, typeText(ap)...)
			} else {
				out = append(out, typePart{Text: "object"})
			}
		default:
			out = append(out, typePart{Text: t})
		}
		if s.Format != "" && t != "null" && t != "array" {
			out = append(out, typePart{Text: " (" + s.Format + ")"})
		}
	}
	return out
}

// constraints describes a schema's restrictions in words.
func constraints(s *Schema) string {
	if s == nil {
		return ""
	}
	var out []string
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			if e == nil {
				vals = append(vals, "null")
			} else {
				vals = append(vals, fmt.Sprint(e))
			}
		}
		out = append(out, "One of: "+strings.Join(vals, ", ")+".")
	}
	if s.Items != nil && len(s.Items.Enum) > 0 && len(s.Items.Enum) <= 30 {
		out = append(out, "Items: "+strings.TrimPrefix(constraints(&Schema{Enum: s.Items.Enum}), "One of: "))
	}
	if s.Const != nil {
		out = append(out, fmt.Sprintf("Always %v.", s.Const))
	}
	if s.Pattern != "" {
		out = append(out, "Pattern "+s.Pattern+".")
	}
	if s.MinLength != nil && s.MaxLength != nil {
		out = append(out, fmt.Sprintf("%d to %d characters.", *s.MinLength, *s.MaxLength))
	} else if s.MaxLength != nil {
		out = append(out, fmt.Sprintf("At most %d characters.", *s.MaxLength))
	} else if s.MinLength != nil {
		out = append(out, fmt.Sprintf("At least %d characters.", *s.MinLength))
	}
	if s.Minimum != nil && s.Maximum != nil {
		out = append(out, fmt.Sprintf("From %d to %d.", *s.Minimum, *s.Maximum))
	} else if s.Minimum != nil {
		out = append(out, fmt.Sprintf("At least %d.", *s.Minimum))
	} else if s.Maximum != nil {
		out = append(out, fmt.Sprintf("At most %d.", *s.Maximum))
	}
	if s.MinItems != nil && s.MaxItems != nil && *s.MinItems == *s.MaxItems {
		out = append(out, fmt.Sprintf("Exactly %d items.", *s.MinItems))
	} else {
		if s.MinItems != nil {
			out = append(out, fmt.Sprintf("At least %d items.", *s.MinItems))
		}
		if s.MaxItems != nil {
			out = append(out, fmt.Sprintf("At most %d items.", *s.MaxItems))
		}
	}
	if s.Default != nil {
		out = append(out, fmt.Sprintf("Default %v.", s.Default))
	}
	if s.ReadOnly {
		out = append(out, "Read only.")
	}
	if s.WriteOnly {
		out = append(out, "Write only.")
	}
	if len(s.Examples) > 0 {
		out = append(out, fmt.Sprintf("Example: %v.", s.Examples[0]))
	}
	if s.AdditionalProperties == false {
		out = append(out, "No other properties.")
	}
	return strings.Join(out, " ")
}

// schemaRows lists an object's properties (and those of inline objects
// below them); references are linked, not expanded.
func schemaRows(s *Schema, indent, depth int) []schemaRow {
	if s == nil || depth > 6 {
		return nil
	}
	var out []schemaRow
	for _, part := range s.AllOf {
		if part.Ref == "" {
			out = append(out, schemaRows(part, indent, depth+1)...)
		}
	}
	for _, part := range append(append([]*Schema(nil), s.AnyOf...), s.OneOf...) {
		if part.Ref == "" && (len(part.Properties) > 0 || part.Items != nil) {
			out = append(out, schemaRows(part, indent, depth+1)...)
		}
	}
	if s.Items != nil && s.Items.Ref == "" && len(s.Properties) == 0 {
		out = append(out, schemaRows(s.Items, indent, depth+1)...)
	}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	for _, p := range s.Properties {
		desc := join(p.Schema.Description, constraints(p.Schema))
		if p.Schema.Ref == "" && len(p.Schema.AnyOf) > 0 {
			for _, a := range p.Schema.AnyOf {
				desc = join(desc, constraints(a))
			}
		}
		out = append(out, schemaRow{Indent: indent, Name: p.Name, Type: typeText(p.Schema), Required: req[p.Name], Desc: desc})
		child := p.Schema
		if child.Ref == "" {
			if child.Items != nil && child.Items.Ref == "" {
				child = child.Items
			}
			if len(child.Properties) > 0 || len(child.AllOf) > 0 {
				out = append(out, schemaRows(child, indent+1, depth+1)...)
			}
		}
	}
	return out
}
