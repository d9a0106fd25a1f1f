package openapi

import "github.com/cirqll/core/internal/oauth"

// OAuthRoutes describes what oauth.Server.Mount registers (a test keeps the
// two equal). The bodies of exported types are reflected from the oauth
// package; the rest follows oauth.md.
func OAuthRoutes() []Route {
	q := func(name, desc string, required bool, s *Schema) *Parameter {
		return &Parameter{Name: name, In: "query", Description: desc, Required: required, Schema: s}
	}
	str := func(desc string) *Schema { return Str(desc) }
	enum := func(desc string, values ...any) *Schema {
		return &Schema{Types: []string{"string"}, Enum: values, Description: desc}
	}
	html := func(desc string) *Response {
		return &Response{Description: desc, Content: map[string]MediaType{"text/html": {Schema: Str("")}}}
	}
	redirect := func(desc string) *Response {
		return &Response{Description: desc, Headers: map[string]*Header{
			"Location": {Required: true, Description: "Where the browser goes next.", Schema: &Schema{Types: []string{"string"}, Format: "uri-reference"}},
		}}
	}
	authzParams := []*Parameter{
		q("client_id", "The client's id.", true, str("")),
		q("redirect_uri", "Exactly one of the client's registered redirect URIs.", true, &Schema{Types: []string{"string"}, Format: "uri"}),
		q("response_type", "Only code.", true, enum("", "code")),
		q("scope", "Space-separated scopes (see the oauth2 security scheme). Scopes the user's role does not grant are narrowed (x.all to x.own) or dropped, and the consent page says so.", false, str("")),
		q("state", "Recommended: returned unchanged with the code or error.", false, str("")),
		q("code_challenge", "PKCE (RFC 7636): base64url(SHA-256(code_verifier)). Required for public clients.", false, str("")),
		q("code_challenge_method", "Only S256.", false, enum("", "S256")),
		q("response_mode", "Only query.", false, enum("", "query")),
		q("nonce", "Accepted and ignored.", false, str("")),
	}
	tokenForm := Obj("Token request (application/x-www-form-urlencoded; a JSON object of strings is accepted too). "+
		"Client authentication: HTTP Basic, or client_id and client_secret here; a public client sends only client_id and must use PKCE.",
		[]string{"grant_type"},
		P("grant_type", enum("", "authorization_code", "refresh_token", "client_credentials")),
		P("code", str("authorization_code: the code from the redirect (single use, 10 minutes).")),
		P("redirect_uri", str("authorization_code: the redirect_uri that was authorized.")),
		P("code_verifier", str("authorization_code: the PKCE verifier, when a challenge was sent.")),
		P("refresh_token", str("refresh_token: the refresh token (rotated: each use returns a new one; reusing a retired one revokes the whole family).")),
		P("scope", str("refresh_token: narrow (never widen) the scopes; client_credentials: the scopes wanted, space separated.")),
		P("user_id", &Schema{Types: []string{"string", "integer"}, Description: "client_credentials: a user of the client's company the token acts for (default the client's owner). Alias userId."}),
		P("client_id", str("The client's id, when not using HTTP Basic.")),
		P("client_secret", str("The client's secret, when not using HTTP Basic (confidential clients).")),
	)
	refreshForm := Obj("Refresh request: grant_type may be omitted.", []string{"refresh_token"},
		P("grant_type", enum("", "refresh_token")),
		P("refresh_token", str("The refresh token; a new one is returned and this one retired.")),
		P("scope", str("Narrow (never widen) the scopes, space separated.")),
		P("client_id", str("The client's id, when not using HTTP Basic.")),
		P("client_secret", str("The client's secret, when not using HTTP Basic.")),
	)
	tokenResp := Obj("The tokens (Cache-Control: no-store).", []string{"token_type", "access_token", "expires_in", "created_at", "scope"},
		P("token_type", enum("", "Bearer")),
		P("access_token", str("Send as Authorization: Bearer <access_token>.")),
		P("refresh_token", str("Absent for client_credentials.")),
		P("expires_in", &Schema{Types: []string{"integer"}, Description: "Seconds the access token lives (30 days by default)."}),
		P("created_at", &Schema{Types: []string{"integer"}, Description: "Unix seconds."}),
		P("scope", str("The granted scopes, space separated (they may differ from the requested ones).")),
	)
	noStore := map[string]*Header{"Cache-Control": {Description: "no-store", Required: true, Schema: &Schema{Types: []string{"string"}, Const: "no-store"}}}
	tokenTypeHint := enum("access_token or refresh_token: which to look up first.", "access_token", "refresh_token")

	client := Reflect(oauth.Client{})
	client.Description = "An OAuth client of the company; never its secret."
	if p := client.Properties.Get("id"); p != nil {
		p.Description = "The OAuth client_id."
	}
	clientWrite := func(create bool) *Schema {
		s := Obj("", nil,
			P("name", &Schema{Types: []string{"string"}, MinLength: i64p(1), MaxLength: i64p(255)}),
			P("redirect_uris", &Schema{Types: []string{"array"}, MinItems: i64p(1), MaxItems: i64p(20),
				Items:       &Schema{Types: []string{"string"}, Format: "uri"},
				Description: "https URIs, http on a loopback host, or a native app's private-use scheme (com.example.app:/callback); no fragments."}),
		)
		if create {
			s.Description = "A new client."
			s.Required = []string{"name", "redirect_uris"}
			s.Properties = append(s.Properties, P("confidential", &Schema{Types: []string{"boolean"}, Default: true,
				Description: "false for a public client (no secret, PKCE required)."}))
		} else {
			s.Description = "The fields to change."
		}
		s.Properties = append(s.Properties, P("rate_limit", &Schema{Types: []string{"integer", "null"}, Minimum: i64p(1), Maximum: i64p(1_000_000),
			Description: "Requests per minute for this client (overrides the server default); null restores the default."}))
		s.AdditionalProperties = false
		return s
	}
	created := &Schema{Description: "The new client with its plain secret, shown only this once.", AllOf: []*Schema{client,
		Obj("", []string{"secret"}, P("secret", &Schema{Types: []string{"string", "null"}, Description: "null for a public client."}))}}
	grant := Reflect(oauth.Grant{})
	grant.Description = "An active authorization of the calling user (a token family)."

	const manage = "client.manage.all"
	return []Route{
		{Method: "GET", Path: "/oauth/authorize", OperationID: "authorizePage", Tag: "oauth", HTML: true,
			Summary: "Authorization page",
			Description: "Sends the user through login (email and password) and consent (Authorize / Cancel). Authorize redirects to " +
				"redirect_uri?code=...&state=..., Cancel to redirect_uri?error=access_denied&state=.... An unknown client_id or a redirect_uri " +
				"that is not registered shows an error page and never redirects; other errors redirect with error= (RFC 6749 §4.1.2.1).",
			Params: authzParams, ResponseType: "text/html", Response: Str("The login page, or the consent page when signed in."),
			Responses: map[int]*Response{
				302: redirect("An error redirect to redirect_uri (error=invalid_request, invalid_scope, ...)."),
				400: html("Error page: unknown client, redirect_uri not registered, a parameter given twice."),
				500: html("Error page."),
			}},
		{Method: "POST", Path: "/oauth/authorize", OperationID: "authorizeSubmit", Tag: "oauth", HTML: true,
			Summary: "Login or consent form",
			Description: "The pages' forms post here: the login form (email, password) or the consent form (decision=approve or deny), " +
				"each with the CSRF token and the authorization request's parameters as hidden fields.",
			Form: Obj("", []string{"csrf_token"},
				P("csrf_token", str("From the page's hidden field.")),
				P("email", str("Login form.")), P("password", &Schema{Types: []string{"string"}, Format: "password", Description: "Login form."}),
				P("decision", enum("Consent form.", "approve", "deny")),
				P("client_id", str("")), P("redirect_uri", str("")), P("response_type", str("")), P("scope", str("")),
				P("state", str("")), P("code_challenge", str("")), P("code_challenge_method", str("")),
			),
			ResponseType: "text/html", Response: Str("The login page again with a message (wrong credentials)."),
			Responses: map[int]*Response{
				302: redirect("Consent given or refused: to redirect_uri with code (or error=access_denied) and state."),
				303: redirect("Signed in: back to the authorization page."),
				400: html("Error page: a bad form."),
				403: html("The form expired (CSRF): the page again with a message."),
				429: html("Too many failed logins for this account or address: the page with a message."),
				500: html("Error page."),
			}},
		{Method: "POST", Path: "/oauth/token", OperationID: "token", Tag: "oauth", ClientAuth: true, OAuthErrors: true,
			Summary:     "Get tokens",
			Description: "Exchanges an authorization code, a refresh token, or the client's own credentials (client_credentials, confidential clients only, no refresh token) for tokens.",
			Form:        tokenForm, Response: tokenResp, ResponseHeaders: noStore, Errors: []int{400, 401, 413, 415, 429}},
		{Method: "POST", Path: "/oauth/token/refresh", OperationID: "tokenRefresh", Tag: "oauth", ClientAuth: true, OAuthErrors: true,
			Summary:     "Refresh tokens",
			Description: "The refresh_token exchange of POST /oauth/token, with grant_type optional. Each refresh returns a new refresh token and retires the old one.",
			Form:        refreshForm, Response: tokenResp, ResponseHeaders: noStore, Errors: []int{400, 401, 413, 415, 429}},
		{Method: "GET", Path: "/oauth/clients", OperationID: "listClients", Tag: "oauth", Bearer: true, Scopes: []string{manage},
			Summary: "List the company's clients", Response: Arr(client, "")},
		{Method: "POST", Path: "/oauth/clients", OperationID: "createClient", Tag: "oauth", Bearer: true, Scopes: []string{manage},
			Summary: "Create a client", Status: 201, Request: clientWrite(true), Response: created, Errors: []int{400, 413, 415, 422}},
		{Method: "PATCH", Path: "/oauth/clients/{id}", OperationID: "updateClient", Tag: "oauth", Bearer: true, Scopes: []string{manage},
			Summary: "Update a client", Params: []*Parameter{{Name: "id", In: "path", Required: true, Description: "The client_id.", Schema: Str("")}},
			Request: clientWrite(false), Response: client, Errors: []int{400, 404, 413, 415, 422}},
		{Method: "DELETE", Path: "/oauth/clients/{id}", OperationID: "deleteClient", Tag: "oauth", Bearer: true, Scopes: []string{manage},
			Summary: "Delete a client", Description: "Deletes the client and revokes all its tokens at once.",
			Params: []*Parameter{{Name: "id", In: "path", Required: true, Description: "The client_id.", Schema: Str("")}}, Errors: []int{404}},
		{Method: "GET", Path: "/oauth/tokens", OperationID: "listGrants", Tag: "oauth", Bearer: true,
			Summary: "List the calling user's active grants", Response: Arr(grant, "")},
		{Method: "DELETE", Path: "/oauth/tokens/{id}", OperationID: "revokeGrant", Tag: "oauth", Bearer: true,
			Summary: "Revoke a grant", Description: "Revokes the grant and every token of it.", Errors: []int{404}},
		{Method: "GET", Path: "/oauth/scopes", OperationID: "listScopes", Tag: "oauth",
			Summary:         "Every scope with its description",
			Response:        Arr(Obj("", []string{"id", "description"}, P("id", str("")), P("description", str("In the request's language."))), ""),
			ResponseHeaders: map[string]*Header{"Vary": {Schema: Str("Accept-Language")}}},
		{Method: "POST", Path: "/oauth/revoke", OperationID: "revokeToken", Tag: "oauth", ClientAuth: true, OAuthErrors: true,
			Summary:     "Revoke a token (RFC 7009)",
			Description: "Answers 200 even for an unknown token. A refresh token takes its whole family with it, an access token only itself.",
			Form: Obj("", []string{"token"}, P("token", str("")), P("token_type_hint", tokenTypeHint),
				P("client_id", str("")), P("client_secret", str(""))),
			Status: 200, ResponseType: "text/plain", Response: &Schema{Types: []string{"string"}, MaxLength: i64p(0), Description: "Empty."},
			ResponseHeaders: noStore, Errors: []int{400, 401, 413, 415}},
		{Method: "POST", Path: "/oauth/introspect", OperationID: "introspectToken", Tag: "oauth", ClientAuth: true, OAuthErrors: true,
			Summary:     "Introspect a token (RFC 7662)",
			Description: "For confidential clients, about their own tokens; anything else is {\"active\": false}.",
			Form: Obj("", []string{"token"}, P("token", str("")), P("token_type_hint", tokenTypeHint),
				P("client_id", str("")), P("client_secret", str(""))),
			Response: Obj("", []string{"active"},
				P("active", Bool("")), P("scope", str("Space separated.")), P("client_id", str("")), P("username", str("The user's email.")),
				P("sub", str("The user's id.")), P("exp", Int("Unix seconds.")), P("iat", Int("Unix seconds.")),
				P("token_type", enum("", "Bearer", "refresh_token"))),
			ResponseHeaders: noStore, Errors: []int{400, 401, 413, 415}},
		{Method: "GET", Path: "/.well-known/oauth-authorization-server", OperationID: "authorizationServerMetadata", Tag: "oauth",
			Summary:     "Authorization server metadata (RFC 8414)",
			Description: "The issuer and endpoint URLs use CIRQLL_BASE_URL when set, else the scheme and Host of the request.",
			Response: Obj("", []string{"issuer", "authorization_endpoint", "token_endpoint", "scopes_supported", "response_types_supported", "grant_types_supported", "code_challenge_methods_supported"},
				P("issuer", &Schema{Types: []string{"string"}, Format: "uri"}),
				P("authorization_endpoint", &Schema{Types: []string{"string"}, Format: "uri"}),
				P("token_endpoint", &Schema{Types: []string{"string"}, Format: "uri"}),
				P("revocation_endpoint", &Schema{Types: []string{"string"}, Format: "uri"}),
				P("introspection_endpoint", &Schema{Types: []string{"string"}, Format: "uri"}),
				P("scopes_supported", Arr(Str(""), "")),
				P("response_types_supported", Arr(Str(""), "")),
				P("response_modes_supported", Arr(Str(""), "")),
				P("grant_types_supported", Arr(Str(""), "")),
				P("code_challenge_methods_supported", Arr(Str(""), "")),
				P("token_endpoint_auth_methods_supported", Arr(Str(""), "")),
				P("revocation_endpoint_auth_methods_supported", Arr(Str(""), "")),
				P("introspection_endpoint_auth_methods_supported", Arr(Str(""), "")),
				P("ui_locales_supported", Arr(Str(""), "")))},
	}
}

// SystemRoutes are the server's own routes outside /api and /oauth.
func SystemRoutes() []Route {
	status := func(v string) *Schema {
		return Obj("", []string{"status"}, P("status", &Schema{Types: []string{"string"}, Enum: []any{v}}))
	}
	return []Route{
		{Method: "GET", Path: "/healthz", OperationID: "healthz", Tag: "system", Summary: "The process is up", Response: status("ok")},
		{Method: "GET", Path: "/readyz", OperationID: "readyz", Tag: "system", Summary: "The database is reachable", Response: status("ok"),
			Responses: map[int]*Response{503: {Description: "The database is not reachable.", Content: map[string]MediaType{"application/json": {Schema: status("unavailable")}}}}},
		{Method: "GET", Path: "/metrics", OperationID: "metrics", Tag: "system", Summary: "Prometheus metrics",
			ResponseType: "text/plain", Response: Str("Prometheus text exposition format.")},
		{Method: "GET", Path: "/openapi.json", OperationID: "openapi", Tag: "system", Summary: "This OpenAPI 3.1 document",
			Response: &Schema{Types: []string{"object"}, Description: "The OpenAPI document."}},
		{Method: "GET", Path: "/docs", OperationID: "docs", Tag: "system", Summary: "This document as a readable page",
			ResponseType: "text/html", Response: Str("")},
	}
}
