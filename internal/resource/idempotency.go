package resource

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Stored is a Create's answer as an Idempotency-Key replays it.
type Stored struct {
	Body     []byte
	Location string
	ETag     string
}

const (
	idemTTL = 24 * time.Hour
	// An in-flight key older than this belongs to a request that died.
	idemAbandoned = time.Minute
)

// Idempotent runs a Create once per (company, client, user, key) within 24 h: a
// repeat with the same body gets the first answer, with another body a 422,
// and while the first is still running a 409. The key row is claimed before
// the work starts, so concurrent duplicates create one record.
func (s *Service) Idempotent(ctx context.Context, c Caller, res *schema.Resource, key, hash string, run func() (Stored, error)) (Stored, bool, error) {
	if len(key) > 255 {
		return Stored{}, false, apierr.Invalid("Idempotency-Key", "v_max_length", "Idempotency-Key", 255)
	}
	w := s.DB.Writer()
	d := s.DB.Dialect
	for attempt := 0; ; attempt++ {
		_, err := w.InsertSQL(ctx, "INSERT INTO idempotency_keys (company_id, client_id, user_id, idem_key, request_hash, status, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
			c.Scope.CompanyID, c.P.ClientID, c.P.UserID, key, hash, d.Time(store.Now()))
		if err == nil {
			break
		}
		if !store.IsUnique(err) || attempt > 2 {
			return Stored{}, false, err
		}
		var status int
		var gotHash string
		var body, loc, etag sql.NullString
		var created any
		err = w.QueryRow(ctx, "SELECT request_hash, status, response_body, response_location, response_etag, created_at FROM idempotency_keys WHERE company_id = ? AND client_id = ? AND user_id = ? AND idem_key = ?",
			c.Scope.CompanyID, c.P.ClientID, c.P.UserID, key).Scan(&gotHash, &status, &body, &loc, &etag, &created)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released meanwhile: claim it
		}
		if err != nil {
			return Stored{}, false, err
		}
		at := parseTime(created)
		age := time.Since(at)
		if age > idemTTL || (status == 0 && age > idemAbandoned) {
			if _, err := w.Exec(ctx, "DELETE FROM idempotency_keys WHERE company_id = ? AND client_id = ? AND user_id = ? AND idem_key = ? AND created_at = ?",
				c.Scope.CompanyID, c.P.ClientID, c.P.UserID, key, d.Time(at)); err != nil {
				return Stored{}, false, err
			}
			continue
		}
		if gotHash != hash {
			return Stored{}, false, apierr.Invalid("Idempotency-Key", "idempotency_mismatch") // the Laravel 422 shape
		}
		if status == 0 {
			return Stored{}, false, apierr.Conflict("idempotency_in_flight")
		}
		return Stored{Body: []byte(body.String), Location: loc.String, ETag: etag.String}, true, nil
	}
	out, err := run()
	if err != nil {
		// A failed request does not consume its key.
		_, _ = w.Exec(context.WithoutCancel(ctx), "DELETE FROM idempotency_keys WHERE company_id = ? AND client_id = ? AND user_id = ? AND idem_key = ?", c.Scope.CompanyID, c.P.ClientID, c.P.UserID, key)
		return Stored{}, false, err
	}
	_, err = w.Exec(context.WithoutCancel(ctx), "UPDATE idempotency_keys SET status = 201, response_body = ?, response_location = ?, response_etag = ? WHERE company_id = ? AND client_id = ? AND user_id = ? AND idem_key = ?",
		string(out.Body), out.Location, out.ETag, c.Scope.CompanyID, c.P.ClientID, c.P.UserID, key)
	return out, false, err
}

func parseTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		t, _ := time.Parse(time.RFC3339Nano, x)
		return t
	case []byte:
		t, _ := time.Parse(time.RFC3339Nano, string(x))
		return t
	}
	return time.Time{}
}

// Decorate loads with/show/count for a record a write returns.
func (s *Service) Decorate(ctx context.Context, c Caller, res *schema.Resource, row *store.Row, p *query.Params) error {
	return s.decorate(ctx, s.DB.Reader(), c, res, []*store.Row{row}, p)
}
