package oauth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/store"
)

// Client is an OAuth client as the API shows it (never its secret).
type Client struct {
	PK           int64    `json:"-"`
	ID           string   `json:"id"` // the OAuth client_id
	CompanyID    int64    `json:"-"`
	UserID       int64    `json:"-"` // owner; client_credentials acts as this user by default
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
	Confidential bool     `json:"confidential"`
	RateLimit    *int     `json:"rate_limit"`
	CreatedAt    RFC3339  `json:"created_at"`
	UpdatedAt    RFC3339  `json:"-"`
	secretHash   string
}

// RFC3339 renders a time as RFC 3339 in UTC with seconds.
type RFC3339 time.Time

// MarshalJSON implements json.Marshaler.
func (t RFC3339) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

func (c *Client) hasRedirect(uri string) bool {
	for _, u := range c.RedirectURIs {
		if u == uri {
			return true
		}
	}
	return false
}

// ClientInput is what creating or updating a client takes. On update a nil
// field is left unchanged; RateLimit is only applied with SetRateLimit (nil
// then clears it).
type ClientInput struct {
	Name         *string
	RedirectURIs []string // nil: unchanged
	Confidential *bool    // create only; default true
	RateLimit    *int
	SetRateLimit bool
}

const (
	maxRedirectURIs = 20
	maxRateLimit    = 1_000_000
)

// validate adds the input's field errors to v (422, Laravel shape).
func (in *ClientInput) validate(create bool, v *apierr.Validation) {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
	}
	switch {
	case in.Name == nil && create, in.Name != nil && *in.Name == "":
		if !v.Has("name") {
			v.Add("name", "v_required", "name")
		}
	case in.Name != nil && !storable(*in.Name): // NUL or invalid UTF-8 (a form): not text
		v.Add("name", "v_string", "name")
	case in.Name != nil && utf8.RuneCountInString(*in.Name) > 255:
		v.Add("name", "v_max_length", "name", 255)
	}
	switch {
	case in.RedirectURIs == nil && create, in.RedirectURIs != nil && len(in.RedirectURIs) == 0:
		if !v.Has("redirect_uris") {
			v.Add("redirect_uris", "v_required", "redirect_uris")
		}
	case len(in.RedirectURIs) > maxRedirectURIs:
		v.Add("redirect_uris", "v_max_items", "redirect_uris", maxRedirectURIs)
	default:
		for _, u := range in.RedirectURIs {
			if !validRedirectURI(u) {
				v.Add("redirect_uris", "v_redirect_uri", "redirect_uris", u)
			}
		}
	}
	if in.SetRateLimit && in.RateLimit != nil {
		if *in.RateLimit < 1 {
			v.Add("rate_limit", "v_min", "rate_limit", 1)
		} else if *in.RateLimit > maxRateLimit {
			v.Add("rate_limit", "v_max", "rate_limit", maxRateLimit)
		}
	}
}

// validRedirectURI: an absolute URI without fragment (RFC 6749 §3.1.2)
// that is https, http on a loopback host (RFC 8252 §7.3), or a
// private-use scheme of a native app in reverse-domain form (RFC 8252
// §7.1, such as com.example.app:/callback).
func validRedirectURI(s string) bool {
	if s == "" || len(s) > 2000 || !storable(s) || strings.ContainsAny(s, " \t\r\n#") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	default:
		return strings.Contains(u.Scheme, ".") && u.Host == "" && u.Path != ""
	}
}

const clientCols = `id, client_id, company_id, user_id, name, redirect_uris, confidential, rate_limit, secret_hash, created_at, updated_at`

func scanClient(sc interface{ Scan(...any) error }) (*Client, error) {
	var c Client
	var uris string
	var conf any
	var rl sql.NullInt64
	var secret sql.NullString
	var created, updated ts
	if err := sc.Scan(&c.PK, &c.ID, &c.CompanyID, &c.UserID, &c.Name, &uris, &conf, &rl, &secret, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(uris), &c.RedirectURIs); err != nil {
		return nil, err
	}
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{}
	}
	c.Confidential = truthy(conf)
	if rl.Valid {
		n := int(rl.Int64)
		c.RateLimit = &n
	}
	c.secretHash = secret.String
	c.CreatedAt, c.UpdatedAt = RFC3339(created.T), RFC3339(updated.T)
	return &c, nil
}

// clientByID reads a client by its public client_id.
func (s *Server) clientByID(ctx context.Context, clientID string) (*Client, error) {
	if clientID == "" || len(clientID) > 128 || !storable(clientID) {
		return nil, sql.ErrNoRows
	}
	return scanClient(s.db.Reader().QueryRow(ctx, `SELECT `+clientCols+` FROM oauth_clients WHERE client_id = ?`, clientID))
}

// CreateClient registers a client of companyID owned by userID. secret is
// the plain secret, returned only here ("" for public clients); only its
// hash is kept. Invalid input is a 422 *apierr.Error.
func (s *Server) CreateClient(ctx context.Context, companyID, userID int64, in ClientInput) (Client, string, error) {
	var v apierr.Validation
	in.validate(true, &v)
	if err := v.Err(); err != nil {
		return Client{}, "", err
	}
	conf := in.Confidential == nil || *in.Confidential
	now := s.now()
	c := Client{ID: auth.NewID(), CompanyID: companyID, UserID: userID, Name: *in.Name, RedirectURIs: in.RedirectURIs,
		Confidential: conf, CreatedAt: RFC3339(now), UpdatedAt: RFC3339(now)}
	if in.SetRateLimit {
		c.RateLimit = in.RateLimit
	}
	var secret string
	var secretHash any
	if conf {
		secret = auth.NewSecret()
		secretHash = auth.Hash(secret)
	}
	uris, _ := json.Marshal(c.RedirectURIs)
	var err error
	c.PK, err = insertID(ctx, s.db.Writer(), `INSERT INTO oauth_clients (company_id, user_id, client_id, secret_hash, name, redirect_uris, confidential, rate_limit, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, companyID, userID, c.ID, secretHash, c.Name, string(uris), s.b(conf), intOrNil(c.RateLimit), s.t(now), s.t(now))
	if err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// ListClients returns the company's clients, oldest first.
func (s *Server) ListClients(ctx context.Context, companyID int64) ([]Client, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT `+clientCols+` FROM oauth_clients WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// UpdateClient changes a client of the company: 404 when it is another
// company's or missing, 422 on invalid input.
func (s *Server) UpdateClient(ctx context.Context, companyID int64, clientID string, in ClientInput) (Client, error) {
	var v apierr.Validation
	in.validate(false, &v)
	if in.Confidential != nil {
		v.Add("confidential", "v_readonly", "confidential")
	}
	if err := v.Err(); err != nil {
		return Client{}, err
	}
	if !storable(clientID) {
		return Client{}, apierr.NotFound()
	}
	var out *Client
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		c, err := scanClient(tx.QueryRow(ctx, `SELECT `+clientCols+` FROM oauth_clients WHERE client_id = ? AND company_id = ?`, clientID, companyID))
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.NotFound()
		} else if err != nil {
			return err
		}
		if in.Name != nil {
			c.Name = *in.Name
		}
		if in.RedirectURIs != nil {
			c.RedirectURIs = in.RedirectURIs
		}
		if in.SetRateLimit {
			c.RateLimit = in.RateLimit
		}
		now := s.now()
		c.UpdatedAt = RFC3339(now)
		uris, _ := json.Marshal(c.RedirectURIs)
		if _, err := tx.Exec(ctx, `UPDATE oauth_clients SET name = ?, redirect_uris = ?, rate_limit = ?, updated_at = ? WHERE id = ?`,
			c.Name, string(uris), intOrNil(c.RateLimit), s.t(now), c.PK); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return Client{}, err
	}
	return *out, nil
}

// DeleteClient deletes a client of the company with its codes, grants and
// tokens (which stop working at once). 404 when not the company's.
func (s *Server) DeleteClient(ctx context.Context, companyID int64, clientID string) error {
	if !storable(clientID) {
		return apierr.NotFound()
	}
	return s.db.Tx(ctx, func(tx store.Conn) error {
		var pk int64
		err := tx.QueryRow(ctx, `SELECT id FROM oauth_clients WHERE client_id = ? AND company_id = ?`, clientID, companyID).Scan(&pk)
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.NotFound()
		} else if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM oauth_refresh_tokens WHERE client_pk = ?`,
			`DELETE FROM oauth_access_tokens WHERE client_pk = ?`,
			`DELETE FROM oauth_codes WHERE client_pk = ?`,
			`DELETE FROM oauth_grants WHERE client_pk = ?`,
			`DELETE FROM oauth_clients WHERE id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, pk); err != nil {
				return err
			}
		}
		return nil
	})
}

// principal authenticates the request's bearer token for the management
// endpoints and puts the principal in the request's context (language).
func (s *Server) principal(w http.ResponseWriter, r *http.Request) (*auth.Principal, *http.Request, bool) {
	p, err := s.Authenticate(r.Context(), s.BearerFrom(r))
	if err != nil {
		respond.Error(w, r, err)
		return nil, r, false
	}
	return p, r.WithContext(auth.With(r.Context(), p)), true
}

func (s *Server) manager(w http.ResponseWriter, r *http.Request) (*auth.Principal, *http.Request, bool) {
	p, r, ok := s.principal(w, r)
	if ok && !p.CanManageClients() {
		respond.Error(w, r, apierr.Forbidden("client.manage.all"))
		return nil, r, false
	}
	return p, r, ok
}

func (s *Server) handleListClients(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.manager(w, r)
	if !ok {
		return
	}
	list, err := s.ListClients(r.Context(), p.CompanyID)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, list)
}

type createdClient struct {
	Client
	Secret *string `json:"secret"`
}

func (s *Server) handleCreateClient(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.manager(w, r)
	if !ok {
		return
	}
	in, err := readClientInput(r, true)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	c, secret, err := s.CreateClient(r.Context(), p.CompanyID, p.UserID, in)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	out := createdClient{Client: c}
	if secret != "" {
		out.Secret = &secret
	}
	noStore(w)
	respond.JSON(w, http.StatusCreated, out)
}

func (s *Server) handleUpdateClient(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.manager(w, r)
	if !ok {
		return
	}
	in, err := readClientInput(r, false)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	c, err := s.UpdateClient(r.Context(), p.CompanyID, r.PathValue("id"), in)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) handleDeleteClient(w http.ResponseWriter, r *http.Request) {
	p, r, ok := s.manager(w, r)
	if !ok {
		return
	}
	if err := s.DeleteClient(r.Context(), p.CompanyID, r.PathValue("id")); err != nil {
		respond.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readClientInput decodes a JSON object body: 415 for another media type,
// 413 over 1 MiB, 400 when malformed (resource.DecodeBody, as on /api:
// duplicate keys, invalid UTF-8, not an object), 422 for unknown fields and
// wrong types, all fields at once.
func readClientInput(r *http.Request, create bool) (ClientInput, error) {
	var in ClientInput
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return in, apierr.New(http.StatusUnsupportedMediaType, "unsupported_media_type")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return in, apierr.New(http.StatusRequestEntityTooLarge, "payload_too_large")
		}
		return in, apierr.New(http.StatusBadRequest, "malformed_json", "unreadable body")
	}
	obj, err := resource.DecodeBody(body)
	if err != nil {
		return in, err
	}
	var v apierr.Validation
	for _, k := range sortedKeys(obj.Raw) {
		raw := obj.Raw[k]
		isNull := string(raw) == "null"
		switch k {
		case "name":
			var sv string
			if isNull || json.Unmarshal(raw, &sv) != nil {
				v.Add(k, "v_string", k)
				continue
			}
			in.Name = &sv
		case "redirect_uris":
			var list []string
			if isNull || json.Unmarshal(raw, &list) != nil {
				v.Add(k, "v_array", k)
				continue
			}
			if list == nil {
				list = []string{}
			}
			in.RedirectURIs = list
		case "confidential":
			if !create {
				v.Add(k, "v_readonly", k)
				continue
			}
			var b bool
			if isNull || json.Unmarshal(raw, &b) != nil {
				v.Add(k, "v_boolean", k)
				continue
			}
			in.Confidential = &b
		case "rate_limit":
			in.SetRateLimit = true
			if isNull {
				continue
			}
			var n int
			if json.Unmarshal(raw, &n) != nil {
				v.Add(k, "v_integer", k)
				continue
			}
			in.RateLimit = &n
		case "id", "created_at", "secret":
			v.Add(k, "v_readonly", k)
		default:
			v.Add(k, "v_unknown", k)
		}
	}
	in.validate(create, &v)
	if err := v.Err(); err != nil {
		return in, err
	}
	return in, nil
}

// sortedKeys gives fields in a fixed order so 422s list them stably.
func sortedKeys(m map[string]json.RawMessage) []string {
	order := []string{"name", "redirect_uris", "confidential", "rate_limit"}
	var out []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
