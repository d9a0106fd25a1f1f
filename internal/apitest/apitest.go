// Package apitest runs the real server (router, middleware, OAuth, store)
// on a fresh database of each dialect for HTTP tests, and gives them
// companies, users and tokens obtained through the real token endpoint.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cirqll/core/internal/app"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

func init() {
	// Tests create many users: keep argon2id cheap here (never in production).
	auth.ArgonMemory = 64
	auth.ArgonTime = 1
}

// Env is a running server over a fresh database.
type Env struct {
	T      testing.TB
	DB     *store.DB
	App    *app.App
	Server *httptest.Server
	Cfg    config.Config
	seq    atomic.Int64

	statements atomic.Int64 // of the last request sent with CountHeader
}

// CountHeader on a request makes the harness count the SQL statements that
// request runs; LastStatements reads the figure.
const CountHeader = "X-Apitest-Count-Statements"

// LastStatements is the number of SQL statements the last request sent with
// CountHeader ran (counted through its context, so background work such as
// the webhook fan-out is not included).
func (e *Env) LastStatements() int64 { return e.statements.Load() }

// countingHandler counts the statements of requests that ask for it.
func (e *Env) countingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(CountHeader) == "" {
			h.ServeHTTP(w, r)
			return
		}
		ctx, n := store.CountStatements(r.Context())
		h.ServeHTTP(w, r.WithContext(ctx))
		e.statements.Store(n.Load())
	})
}

// Each runs fn per dialect with a fresh server.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) { fn(t, New(t, d)) })
	}
}

// New starts a server on a fresh database of dialect d. Tests get a rate
// limit high enough not to interfere unless they set their own.
func New(t testing.TB, d dialect.Dialect, opts ...func(*config.Config)) *Env {
	t.Helper()
	db := storetest.Open(t, d)
	cfg := config.Config{Env: "development", RateLimit: 1_000_000}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, db, log)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	e := &Env{T: t, DB: db, App: a, Cfg: cfg}
	srv := httptest.NewServer(e.countingHandler(a.Handler))
	e.Server = srv
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		srv.Close()
		a.Stop(context.Background())
		a.Close()
	})
	return e
}

// Tenant is a company with its owner and an OAuth client.
type Tenant struct {
	e            *Env
	CompanyID    int64
	OwnerID      int64
	ClientID     string
	ClientSecret string
	Token        string // owner's token with every scope
}

// Company creates a company with an owner, a confidential client and an
// all-scopes token for the owner.
func (e *Env) Company(name string) *Tenant {
	e.T.Helper()
	n := e.seq.Add(1)
	email := fmt.Sprintf("owner%d@%s.test", n, strings.ToLower(strings.ReplaceAll(name, " ", "")))
	cid, uid, err := e.DB.CreateCompany(context.Background(), store.NewCompany{Name: name, OwnerName: "Owner " + name, OwnerEmail: email, OwnerPassword: "owner-password-123", Locale: "en"})
	if err != nil {
		e.T.Fatalf("company: %v", err)
	}
	confidential := true
	cname := "test client"
	c, secret, err := e.App.OAuth.CreateClient(context.Background(), cid, uid, oauth.ClientInput{Name: &cname, RedirectURIs: []string{"http://127.0.0.1/cb"}, Confidential: &confidential})
	if err != nil {
		e.T.Fatalf("client: %v", err)
	}
	t := &Tenant{e: e, CompanyID: cid, OwnerID: uid, ClientID: c.ID, ClientSecret: secret}
	t.Token = t.TokenFor(uid, schema.Scopes()...)
	return t
}

// TokenFor gets a client_credentials token acting for user with scopes.
func (t *Tenant) TokenFor(userID int64, scopes ...string) string {
	t.e.T.Helper()
	tok := t.token(url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")}, "user_id": {fmt.Sprint(userID)}})
	if tok.Access == "" {
		t.e.T.Fatal("token: no access_token")
	}
	return tok.Access
}

// User creates a user of the tenant with the named role and returns its id.
func (t *Tenant) User(role string) int64 {
	t.e.T.Helper()
	var roleID int64
	if err := t.e.DB.Reader().QueryRow(context.Background(), "SELECT id FROM roles WHERE company_id = ? AND name = ?", t.CompanyID, role).Scan(&roleID); err != nil {
		t.e.T.Fatalf("role %s: %v", role, err)
	}
	n := t.e.seq.Add(1)
	r := t.Do("POST", "/api/user", t.Token, map[string]any{"name": fmt.Sprintf("User %d", n), "email": fmt.Sprintf("user%d@t%d.test", n, t.CompanyID), "password": "user-password-123", "role_id": roleID})
	r.Status(201)
	return r.ID()
}

// Response is a finished request.
type Response struct {
	T      testing.TB
	Code   int
	Header http.Header
	Body   []byte
	req    string
}

// Do sends a request with a bearer token; body is JSON-encoded unless it is
// a string or []byte (sent as is).
func (t *Tenant) Do(method, path, token string, body any, hdr ...string) *Response {
	return t.e.Do(method, path, token, body, hdr...)
}

// Do sends a request; hdr are "Name: value" pairs.
func (e *Env) Do(method, path, token string, body any, hdr ...string) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{T: e.T, Code: resp.StatusCode, Header: resp.Header, Body: b, req: method + " " + path}
}

// Status fails the test unless the status is want.
func (r *Response) Status(want int) *Response {
	r.T.Helper()
	if r.Code != want {
		r.T.Fatalf("%s: status %d, want %d: %s", r.req, r.Code, want, r.Body)
	}
	return r
}

// JSON decodes the body into a generic map.
func (r *Response) JSON() map[string]any {
	r.T.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		r.T.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.Body)
	}
	return m
}

// ID is the body's "id" as an integer.
func (r *Response) ID() int64 {
	r.T.Helper()
	n, ok := r.JSON()["id"].(json.Number)
	if !ok {
		r.T.Fatalf("%s: no integer id in %s", r.req, r.Body)
	}
	id, _ := n.Int64()
	return id
}

// Data is the "data" array of a list envelope.
func (r *Response) Data() []map[string]any {
	r.T.Helper()
	var env struct {
		Data []map[string]any `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(&env); err != nil {
		r.T.Fatalf("%s: not a list envelope: %s", r.req, r.Body)
	}
	return env.Data
}
