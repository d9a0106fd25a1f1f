package apitest

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Tokens is a token endpoint answer of the authorization code or refresh
// grant.
type Tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

// ownerPassword is the password Company gives every owner.
const ownerPassword = "owner-password-123"

var (
	reForm  = regexp.MustCompile(`(?is)<form\b[^>]*\baction\s*=\s*"([^"]*)"`)
	reInput = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	reAttr  = regexp.MustCompile(`(?is)([a-z-]+)\s*=\s*"([^"]*)"`)
)

// Authorize runs the authorization code flow through the real login and
// consent pages as the tenant's owner and returns the tokens: a grant
// with a refresh token, as an integration such as Zapier holds one.
func (t *Tenant) Authorize(scopes ...string) Tokens {
	t.e.T.Helper()
	var email string
	if err := t.e.DB.Reader().QueryRow(context.Background(), "SELECT email FROM users WHERE id = ?", t.OwnerID).Scan(&email); err != nil {
		t.e.T.Fatalf("owner: %v", err)
	}
	const callback = "http://127.0.0.1/cb"
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := t.e.Server.URL + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {t.ClientID},
		"redirect_uri": {callback}, "scope": {strings.Join(scopes, " ")}, "state": {"s"}}.Encode()
	var form url.Values // the page's form to post to next, nil: GET next
	for range 10 {
		var resp *http.Response
		var err error
		if form == nil {
			resp, err = c.Get(next)
		} else {
			resp, err = c.PostForm(next, form)
		}
		if err != nil {
			t.e.T.Fatalf("authorize: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 {
			u, _ := resp.Request.URL.Parse(loc)
			if strings.HasPrefix(u.String(), callback) {
				return t.token(url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {callback}})
			}
			next, form = u.String(), nil
			continue
		}
		page := string(body)
		if resp.StatusCode != http.StatusOK {
			t.e.T.Fatalf("authorize: %d: %s", resp.StatusCode, page)
		}
		form = url.Values{}
		for _, in := range reInput.FindAllStringSubmatch(page, -1) {
			a := map[string]string{}
			for _, m := range reAttr.FindAllStringSubmatch(in[1], -1) {
				a[strings.ToLower(m[1])] = html.UnescapeString(m[2])
			}
			if a["type"] == "hidden" {
				form.Set(a["name"], a["value"])
			}
		}
		if strings.Contains(page, `name="password"`) {
			form.Set("email", email)
			form.Set("password", ownerPassword)
		} else {
			form.Set("decision", "approve")
		}
		next = resp.Request.URL.String() // a form without action posts to its page
		if m := reForm.FindStringSubmatch(page); m != nil && m[1] != "" {
			u, _ := resp.Request.URL.Parse(html.UnescapeString(m[1]))
			next = u.String()
		}
	}
	t.e.T.Fatal("authorize: no redirect to the callback")
	return Tokens{}
}

// Refresh exchanges a refresh token; ok is false when the token endpoint
// refuses it (a retired token: the family is revoked).
func (t *Tenant) Refresh(refresh string) (Tokens, bool) {
	t.e.T.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	code, tok := t.post(form)
	return tok, code == http.StatusOK
}

func (t *Tenant) token(form url.Values) Tokens {
	t.e.T.Helper()
	code, tok := t.post(form)
	if code != http.StatusOK {
		t.e.T.Fatalf("token: %d", code)
	}
	return tok
}

func (t *Tenant) post(form url.Values) (int, Tokens) {
	t.e.T.Helper()
	req, _ := http.NewRequest("POST", t.e.Server.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(t.ClientID), url.QueryEscape(t.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.e.T.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var tok Tokens
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	return resp.StatusCode, tok
}
