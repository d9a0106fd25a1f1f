package webhook

import (
	"context"
	"net/url"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/store"
)

// prepare is the webhook resource's write rule beyond its declaration:
// url https only (http to loopback in development mode; internal
// addresses refused in production), events a non-empty list of known
// names or "*", and on Create the generated secret and the creating
// token's user and scopes. Re-activating a subscription clears its failure
// count and disabled reason.
func (s *System) prepare(_ context.Context, _ store.Conn, c resource.Caller, cur *store.Row, vals map[string]any, v *apierr.Validation) error {
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
		vals["user_id"] = c.P.UserID
		scopes := append([]string{}, c.P.Scopes...)
		vals["scopes"] = scopes
		return nil
	}
	if a, ok := vals["active"].(bool); ok && a && cur.Vals["active"] != true {
		vals["failure_count"] = int64(0)
		vals["disabled_reason"] = nil
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
