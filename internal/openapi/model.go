package openapi

import (
	"bytes"
	"encoding/json"
)

// The OpenAPI 3.1 object model this package emits: only what the document
// uses, in typed structs so the JSON and the /docs page come from the same
// values.

// Document is the OpenAPI object.
type Document struct {
	OpenAPI    string      `json:"openapi"`
	Info       Info        `json:"info"`
	Servers    []Server    `json:"servers,omitempty"`
	Tags       []Tag       `json:"tags,omitempty"`
	Paths      Paths       `json:"paths"`
	Components Components  `json:"components"`
	Security   []SecReq    `json:"security,omitempty"`
	order      []pathEntry // paths in registration order (for /docs)
}

type pathEntry struct {
	path string
	item *PathItem
}

// Info is the info object.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
}

// Server is a server object.
type Server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// Tag groups operations (one per resource).
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Paths maps a path template to its item.
type Paths map[string]*PathItem

// PathItem holds the operations of one path.
type PathItem struct {
	Get    *Operation `json:"get,omitempty"`
	Post   *Operation `json:"post,omitempty"`
	Patch  *Operation `json:"patch,omitempty"`
	Put    *Operation `json:"put,omitempty"`
	Delete *Operation `json:"delete,omitempty"`
}

// op returns the slot of method.
func (p *PathItem) op(method string) **Operation {
	switch method {
	case "GET":
		return &p.Get
	case "POST":
		return &p.Post
	case "PATCH":
		return &p.Patch
	case "PUT":
		return &p.Put
	case "DELETE":
		return &p.Delete
	}
	return nil
}

// Operations lists the item's operations in a fixed method order.
func (p *PathItem) Operations() []*Operation {
	var out []*Operation
	for _, o := range []*Operation{p.Get, p.Post, p.Put, p.Patch, p.Delete} {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// Operation is one method on one path.
type Operation struct {
	OperationID string       `json:"operationId"`
	Tags        []string     `json:"tags,omitempty"`
	Summary     string       `json:"summary,omitempty"`
	Description string       `json:"description,omitempty"`
	Parameters  []*Parameter `json:"parameters,omitempty"`
	RequestBody *RequestBody `json:"requestBody,omitempty"`
	Responses   Responses    `json:"responses"`
	// Security: nil inherits nothing (no document-wide default is set);
	// an empty list means no authentication.
	Security []SecReq `json:"security,omitempty"`
	// XScopes is the scope the operation needs (any one of them), for
	// readers that do not resolve OAuth security requirements.
	XScopes []string `json:"x-required-scopes,omitempty"`

	method, path string
}

// Method is the operation's HTTP method.
func (o *Operation) Method() string { return o.method }

// Path is the operation's path template.
func (o *Operation) Path() string { return o.path }

// Parameter is a path, query or header parameter.
type Parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Style       string  `json:"style,omitempty"`
	Explode     *bool   `json:"explode,omitempty"`
	Schema      *Schema `json:"schema"`
	Example     any     `json:"example,omitempty"`

	ref      string     // set for a reference to a component parameter
	resolved *Parameter // the component it references
}

// Resolve returns the parameter itself or the component it references.
func (p *Parameter) Resolve() *Parameter {
	if p.resolved != nil {
		return p.resolved
	}
	return p
}

// MarshalJSON writes a reference as {"$ref": ...}.
func (p *Parameter) MarshalJSON() ([]byte, error) {
	if p.ref != "" {
		return json.Marshal(map[string]string{"$ref": p.ref})
	}
	type plain Parameter
	return json.Marshal((*plain)(p))
}

// RequestBody is an operation's body.
type RequestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required,omitempty"`
	Content     map[string]MediaType `json:"content"`
}

// MediaType holds the schema of one content type.
type MediaType struct {
	Schema *Schema `json:"schema,omitempty"`
}

// Responses maps a status code ("200") to its response.
type Responses map[string]*Response

// Response is one status of an operation.
type Response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]*Header   `json:"headers,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Header is a response header.
type Header struct {
	Ref         string  `json:"$ref,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *Schema `json:"schema,omitempty"`
}

// Components holds the reusable parts.
type Components struct {
	Schemas         map[string]*Schema         `json:"schemas"`
	Responses       map[string]*Response       `json:"responses,omitempty"`
	Headers         map[string]*Header         `json:"headers,omitempty"`
	Parameters      map[string]*Parameter      `json:"parameters,omitempty"`
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes,omitempty"`
}

// SecurityScheme is an OAuth2 or HTTP scheme.
type SecurityScheme struct {
	Type        string      `json:"type"`
	Description string      `json:"description,omitempty"`
	Scheme      string      `json:"scheme,omitempty"`
	Flows       *OAuthFlows `json:"flows,omitempty"`
}

// OAuthFlows lists the OAuth2 flows.
type OAuthFlows struct {
	AuthorizationCode *OAuthFlow `json:"authorizationCode,omitempty"`
	ClientCredentials *OAuthFlow `json:"clientCredentials,omitempty"`
}

// OAuthFlow is one flow with every scope it may ask for.
type OAuthFlow struct {
	AuthorizationURL string            `json:"authorizationUrl,omitempty"`
	TokenURL         string            `json:"tokenUrl"`
	RefreshURL       string            `json:"refreshUrl,omitempty"`
	Scopes           map[string]string `json:"scopes"`
}

// SecReq is one security requirement: scheme name -> scopes.
type SecReq map[string][]string

// Schema is a JSON Schema 2020-12 object (the OpenAPI 3.1 dialect).
// Types holds one type or several (["string", "null"] for a nullable one).
type Schema struct {
	Ref                  string    `json:"$ref,omitempty"`
	Title                string    `json:"title,omitempty"`
	Description          string    `json:"description,omitempty"`
	Types                []string  `json:"-"`
	Format               string    `json:"format,omitempty"`
	Enum                 []any     `json:"enum,omitempty"`
	Const                any       `json:"const,omitempty"`
	Pattern              string    `json:"pattern,omitempty"`
	MinLength            *int64    `json:"minLength,omitempty"`
	MaxLength            *int64    `json:"maxLength,omitempty"`
	Minimum              *int64    `json:"minimum,omitempty"`
	Maximum              *int64    `json:"maximum,omitempty"`
	Items                *Schema   `json:"items,omitempty"`
	PrefixItems          []*Schema `json:"-"`
	MinItems             *int64    `json:"minItems,omitempty"`
	MaxItems             *int64    `json:"maxItems,omitempty"`
	Properties           Props     `json:"properties,omitempty"`
	Required             []string  `json:"required,omitempty"`
	AdditionalProperties any       `json:"additionalProperties,omitempty"` // bool or *Schema
	AllOf                []*Schema `json:"allOf,omitempty"`
	AnyOf                []*Schema `json:"anyOf,omitempty"`
	OneOf                []*Schema `json:"oneOf,omitempty"`
	ReadOnly             bool      `json:"readOnly,omitempty"`
	WriteOnly            bool      `json:"writeOnly,omitempty"`
	Default              any       `json:"default,omitempty"`
	Examples             []any     `json:"examples,omitempty"`
}

// Prop is one named property; Props keep declaration order in the JSON.
type Prop struct {
	Name   string
	Schema *Schema
}

// Props are an object's properties in order.
type Props []Prop

// Get returns the named property's schema or nil.
func (p Props) Get(name string) *Schema {
	for _, x := range p {
		if x.Name == name {
			return x.Schema
		}
	}
	return nil
}

// MarshalJSON writes the properties as an object, in order.
func (p Props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(x.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes type as a string or an array, and prefixItems.
func (s *Schema) MarshalJSON() ([]byte, error) {
	type plain Schema
	aux := struct {
		Type        any       `json:"type,omitempty"`
		PrefixItems []*Schema `json:"prefixItems,omitempty"`
		*plain
	}{plain: (*plain)(s), PrefixItems: s.PrefixItems}
	switch len(s.Types) {
	case 0:
	case 1:
		aux.Type = s.Types[0]
	default:
		aux.Type = s.Types
	}
	return json.Marshal(aux)
}
