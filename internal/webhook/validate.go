package webhook

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"reflect"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/store"
)

// prepare is the webhook resource's write rule beyond its declaration:
// url https only (http to loopback in development mode; internal
// addresses refused in production), events a non-empty list of known
// names or "*", on Create the generated secret, and the binding to a
// token (see bind). Re-activating a subscription clears its failure count
// and disabled reason.
func (s *System) prepare(ctx context.Context, tx store.Conn, c resource.Caller, cur *store.Row, vals map[string]any, v *apierr.Validation) error {
	if raw, ok := vals["url"].(string); ok {
		if key := s.checkURL(raw); key != "" {
			v.Add("url", key, "url")
		}
	}
	if l, ok := vals["events"].([]string); ok {
		if len(l) == 0 {
			v.Add("events", "v_webhook_events_empty", "events")
		}
		seen := map[string]bool{}
		clean := []string{}
		for _, e := range l {
			if !known[e] {
				v.Add("events", "v_webhook_event", e)
				continue
			}
			if !seen[e] {
				seen[e] = true
				clean = append(clean, e)
			}
		}
		vals["events"] = clean
	}
	if cur == nil {
		secret := auth.NewSecret()
		vals["secret"] = secret
		vals["secret_last4"] = secret[len(secret)-4:]
		return bind(ctx, tx, c, vals)
	}
	if a, ok := vals["active"].(bool); ok && a && cur.Vals["active"] != true {
		vals["failure_count"] = int64(0)
		vals["disabled_reason"] = nil
	}
	// Where the events go and which ones are what a token decides about:
	// left bound to the creator, webhook.update.all would let any token
	// point another's subscription (and its read scopes) at itself.
	for _, k := range []string{"url", "events"} {
		if nv, ok := vals[k]; ok && !reflect.DeepEqual(nv, cur.Vals[k]) {
			return bind(ctx, tx, c, vals)
		}
	}
	return nil
}

// bind makes the subscription receive what the caller's token may read
// at delivery time: its user and scopes (with the user's role then), and
// its OAuth grant, which must still be alive then (a revoked or expired
// grant, or a deleted client, ends the subscription). client_id names the
// integration for the company's owner.
func bind(ctx context.Context, tx store.Conn, c resource.Caller, vals map[string]any) error {
	vals["user_id"] = c.P.UserID
	vals["scopes"] = append([]string{}, c.P.Scopes...)
	vals["client_id"], vals["grant_id"] = nil, nil
	if c.P.ClientID != "" {
		vals["client_id"] = c.P.ClientID
	}
	if c.P.TokenID != 0 { // 0: a web session, which has no grant
		var grant int64
		err := tx.QueryRow(ctx, "SELECT grant_id FROM oauth_access_tokens WHERE id = ?", c.P.TokenID).Scan(&grant)
		if errors.Is(err, sql.ErrNoRows) { // its client was deleted since the request was authenticated
			return apierr.New(http.StatusUnauthorized, "unauthenticated")
		} else if err != nil {
			return err
		}
		vals["grant_id"] = grant
	}
	return nil
}

// checkURL returns the validation key of a url the server may not deliver
// to, or "". The declaration already made it an absolute http(s) URL.
// Names are resolved (and checked) on every delivery attempt, not here:
// a DNS lookup has no place inside the write transaction.
func (s *System) checkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "v_url"
	}
	host := u.Hostname()
	if s.dev {
		if u.Scheme == "http" && !loopbackHost(host) {
			return "v_webhook_loopback"
		}
		return ""
	}
	if u.Scheme != "https" {
		return "v_webhook_https"
	}
	if literalBlocked(host) {
		return "v_webhook_address"
	}
	return ""
}

func init() {
	i18n.Register("en", map[string]string{
		"v_webhook_https":        "The %s field must be an https URL.",
		"v_webhook_loopback":     "The %s field may use http only to this machine (localhost, 127.0.0.1, ::1) in development mode; use https.",
		"v_webhook_address":      "The %s field points to a loopback, private, link-local or reserved address.",
		"v_webhook_events_empty": "The %s field needs at least one event name, or \"*\" for all.",
		"v_webhook_event":        "Unknown event: %s.",
		"webhook_inactive":       "The webhook is inactive; set active to true first.",
	})
	i18n.Register("nl", map[string]string{
		"v_webhook_https":        "Het veld %s moet een https-URL zijn.",
		"v_webhook_loopback":     "Het veld %s mag in ontwikkelmodus alleen http naar deze machine gebruiken (localhost, 127.0.0.1, ::1); gebruik https.",
		"v_webhook_address":      "Het veld %s wijst naar een loopback-, privé-, link-local- of gereserveerd adres.",
		"v_webhook_events_empty": "Het veld %s heeft minstens één eventnaam nodig, of \"*\" voor alle.",
		"v_webhook_event":        "Onbekend event: %s.",
		"webhook_inactive":       "De webhook is inactief; zet active eerst op true.",
	})
}
