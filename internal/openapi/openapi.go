// Package openapi generates the OpenAPI 3.1 document of the whole API and
// serves it at GET /openapi.json, with a readable page rendered from it at
// GET /docs.
//
// Nothing in the document is written by hand: the resource operations, their
// parameters, request and response schemas, scopes and errors come from the
// declarations in internal/schema and the list of routes the router
// registers (httpapi.API.Routes); the OAuth endpoints are described by the
// Route values in oauth.go, kept equal to oauth.Server.Mount's patterns by a
// test; other packages (webhooks) add their routes with Extra or as extra
// arguments of Mounter.
package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/cirqll/core/internal/httpapi"
)

// Route documents a route that is not one of the resource routes (those
// come from httpapi.API.Routes): OAuth endpoints, webhook deliveries, pages.
type Route struct {
	Method string // GET, POST, PUT, PATCH or DELETE
	Path   string // the ServeMux pattern's path, with {name} wildcards
	// OperationID defaults to one derived from the method and path.
	OperationID string
	// Tag groups the route; default: the path's resource segment
	// (/api/webhook/{id}/test -> webhook).
	Tag                  string
	Summary, Description string
	// API: the route sits behind the /api middleware (bearer token, rate
	// limit headers, 401, 429, body checks with 413 and 415).
	API bool
	// Bearer: needs a bearer token (implied by API); with no Scopes any
	// valid token will do.
	Bearer bool
	// Scopes: the token needs any one of them (a 403 names the first).
	Scopes []string
	// ClientAuth: the OAuth client authenticates itself (HTTP Basic, or
	// client_id and client_secret in the body; public clients send only
	// client_id).
	ClientAuth bool
	// Params are query and header parameters; path parameters are derived
	// from Path (integers, unless listed here with in: path).
	Params []*Parameter
	// Request is a JSON request body (required when set).
	Request *Schema
	// Form is an application/x-www-form-urlencoded body (also accepted as a
	// JSON object of strings): the OAuth endpoints.
	Form *Schema
	// Status is the success status (default 200; 204 when Response is nil
	// and ResponseType is empty).
	Status int
	// Response is the success body.
	Response *Schema
	// ResponseType is the success body's media type (default
	// application/json).
	ResponseType string
	// ResponseHeaders are headers of the success response beyond
	// X-Request-Id and the rate limit headers.
	ResponseHeaders map[string]*Header
	// Errors are the error statuses the route can answer, beyond those
	// implied by API/Bearer/Scopes/ClientAuth (401, 403, 429, 500), in
	// the contract's shapes (404 {message}, 422 Laravel shape, ...).
	Errors []int
	// OAuthErrors: 400 and 401 use the RFC 6749 §5.2 shape
	// {error, error_description, message}.
	OAuthErrors bool
	// HTML: a browser page; errors are HTML pages too.
	HTML bool
	// Extra responses (redirects, HTML variants) by status.
	Responses map[int]*Response
}

var (
	extraMu sync.Mutex
	extras  []Route
	gen     int // bumped by Extra so cached documents are rebuilt
)

// Extra registers routes for every document built from now on (webhook
// deliveries, pages). Safe to call from init or while serving.
func Extra(routes ...Route) {
	extraMu.Lock()
	defer extraMu.Unlock()
	extras = append(extras, routes...)
	gen++
}

func registered() ([]Route, int) {
	extraMu.Lock()
	defer extraMu.Unlock()
	return append([]Route(nil), extras...), gen
}

// Generator builds the document from the router's routes and caches it.
type Generator struct {
	routes func() []httpapi.Route
	extra  []Route

	mu   sync.Mutex
	gen  int
	doc  *Document
	json []byte
	etag string
	html []byte
}

// New returns a generator. routes is called when the document is first
// needed (the API is built after the mounters); extra are more routes to
// document.
func New(routes func() []httpapi.Route, extra ...Route) *Generator {
	return &Generator{routes: routes, extra: extra, gen: -1}
}

// Document returns the (cached) document.
func (g *Generator) Document() *Document {
	d, _, _ := g.get()
	return d
}

// JSON returns the (cached) document as JSON.
func (g *Generator) JSON() []byte {
	_, b, _ := g.get()
	return b
}

func (g *Generator) get() (*Document, []byte, string) {
	ext, n := registered()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.doc == nil || g.gen != n {
		var rs []httpapi.Route
		if g.routes != nil {
			rs = g.routes()
		}
		g.doc = Build(rs, append(append([]Route(nil), g.extra...), ext...)...)
		b, err := json.Marshal(g.doc)
		if err != nil {
			panic("openapi: " + err.Error()) // a bug in the model, caught by the tests
		}
		g.json = b
		sum := sha256.Sum256(b)
		g.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		g.html = nil
		g.gen = n
	}
	return g.doc, g.json, g.etag
}

// docsCSP is the Content-Security-Policy of the /docs page: no script at
// all, styles only from our own stylesheet.
const docsCSP = "default-src 'none'; style-src 'self'"

// ServeJSON answers GET /openapi.json.
func (g *Generator) ServeJSON(w http.ResponseWriter, r *http.Request) {
	_, b, etag := g.get()
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	if match(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// ServeDocs answers GET /docs with the page rendered from the document.
func (g *Generator) ServeDocs(w http.ResponseWriter, r *http.Request) {
	doc, _, etag := g.get()
	g.mu.Lock()
	page := g.html
	if page == nil {
		var buf bytes.Buffer
		if err := renderDocs(&buf, doc); err != nil {
			g.mu.Unlock()
			http.Error(w, "Server Error", http.StatusInternalServerError)
			return
		}
		page = buf.Bytes()
		g.html = page
	}
	g.mu.Unlock()
	h := w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if match(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

func match(inm, etag string) bool {
	for _, t := range splitComma(inm) {
		if t == etag || t == "W/"+etag || t == "*" {
			return true
		}
	}
	return false
}

// Mount registers GET /openapi.json, GET /docs and the page's stylesheet.
func (g *Generator) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /openapi.json", g.ServeJSON)
	mux.HandleFunc("GET /docs", g.ServeDocs)
	mux.Handle("GET "+cssPath, cssHandler())
}

// Mounter mounts the document and the page on the server; routes is
// called lazily (App.API is set after the mounters are built). Extra
// routes given here or through Extra are documented too.
func Mounter(routes func() []httpapi.Route, extra ...Route) httpapi.Mounter {
	g := New(routes, extra...)
	return func(mux *http.ServeMux, _ func(http.Handler) http.Handler) { g.Mount(mux) }
}
