package oauth

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store/storetest"
)

func TestValidRedirectURI(t *testing.T) {
	for uri, want := range map[string]bool{
		"https://app.example.com/cb":      true,
		"https://app.example.com/cb?x=1":  true,
		"http://localhost:8080/cb":        true,
		"http://127.0.0.1/cb":             true,
		"http://[::1]:3000/cb":            true,
		"com.example.app:/oauth2redirect": true,
		"http://example.com/cb":           false,
		"https://app.example.com/cb#frag": false,
		"https://user:pw@example.com/cb":  false,
		"/relative":                       false,
		"javascript:alert(1)":             false,
		"data:text/html,hi":               false,
		"file:///etc/passwd":              false,
		"":                                false,
		"https:///nohost":                 false,
	} {
		if got := validRedirectURI(uri); got != want {
			t.Errorf("validRedirectURI(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestNarrow(t *testing.T) {
	role := []string{"customer.read.own", "contact.read.all", "task.update.own"}
	got, changes := narrow([]string{"customer.read.all", "contact.read.all", "contact.read.own", "task.delete.all", "customer.read.own", "task.update.own"}, role)
	want := []string{"customer.read.own", "contact.read.all", "contact.read.own", "task.update.own"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("granted %v, want %v", got, want)
	}
	wantChanges := []scopeChange{{"customer.read.all", "customer.read.own"}, {"task.delete.all", ""}}
	if !reflect.DeepEqual(changes, wantChanges) {
		t.Fatalf("changes %v", changes)
	}
	if !within([]string{"customer.read.own"}, []string{"customer.read.all"}) || within([]string{"customer.read.all"}, []string{"customer.read.own"}) {
		t.Fatal("within: all covers own, not the other way round")
	}
}

// Every scope has an English and a Dutch description of its own.
func TestScopeDescriptions(t *testing.T) {
	seen := map[string]string{}
	for _, sc := range schema.Scopes() {
		en, nl := i18n.T("en", "scope."+sc), i18n.T("nl", "scope."+sc)
		if en == "scope."+sc || nl == "scope."+sc || en == nl || en == "" {
			t.Errorf("%s: en %q nl %q", sc, en, nl)
		}
		if prev, dup := seen[en]; dup {
			t.Errorf("%s and %s share the description %q", sc, prev, en)
		}
		seen[en] = sc
	}
	if d := ScopeDescription("en", "customer.read.all"); d != "Read all customers" {
		t.Fatal(d)
	}
	if d := ScopeDescription("nl", "customer.read.own"); d != "Eigen klanten lezen" {
		t.Fatal(d)
	}
}

func TestCheckVerifier(t *testing.T) {
	v := strings.Repeat("a", 43)
	ch := sql.NullString{String: "Oez1fQK7ob7RnuO_k6HYWqSrvYnvd4JGQ5qx2gy2tL8", Valid: true} // not S256(v)
	if checkVerifier(ch, v) == nil {
		t.Fatal("wrong verifier accepted")
	}
	if checkVerifier(sql.NullString{}, v) == nil {
		t.Fatal("verifier without challenge accepted (downgrade)")
	}
	if checkVerifier(sql.NullString{}, "") != nil {
		t.Fatal("no PKCE refused")
	}
}

func TestParams(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"grant_type":"client_credentials","user_id":5}`: true,
		`{"a":"1","a":"2"}`: false,
		`["x"]`:             false,
		`{"a":{"b":1}}`:     false,
		`{"a":"1"} x`:       false,
	} {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		p, err := params(r)
		if (err == nil) != ok {
			t.Errorf("%s: %v", body, err)
		}
		if ok && p["user_id"] != "5" {
			t.Errorf("user_id %q", p["user_id"])
		}
	}
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("scope=a&scope=b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := params(r); err == nil {
		t.Error("a form parameter given twice accepted")
	}
	r = httptest.NewRequest("POST", "/oauth/token", strings.NewReader("x"))
	r.Header.Set("Content-Type", "text/plain")
	if _, err := params(r); err == nil || err.(*oauthError).Status != 415 {
		t.Errorf("text/plain: %v", err)
	}
}

func benchEnv(b *testing.B) *env {
	db := storetest.Open(b, dialect.SQLite)
	return newEnvCfg(b, db, config.Config{RateLimit: 1 << 30})
}

// BenchmarkAuthenticate is the bearer check every API request makes.
func BenchmarkAuthenticate(b *testing.B) {
	e := benchEnv(b)
	c, secret := e.client(e.company, e.owner, true)
	tr, _ := e.ccToken(c, secret, 0, "customer.read.all customer.update.own contact.read.all")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.srv.Authenticate(ctx, tr.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenClientCredentials is a client_credentials token request
// through HTTP (Basic auth, rate limit, one write transaction).
func BenchmarkTokenClientCredentials(b *testing.B) {
	e := benchEnv(b)
	c, secret := e.client(e.company, e.owner, true)
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all contact.read.all"}}.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("POST", e.ts.URL+"/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.ID, secret)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
