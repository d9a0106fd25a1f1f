package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// fanoutLock serialises the fan-out of all instances on PostgreSQL (an
// advisory transaction lock), so jobs are made in outbox order.
const fanoutLock = 0x63697271 // "cirq"

// fanoutLoop turns outbox rows into jobs: at once after a local commit,
// else every Poll.
func (s *System) fanoutLoop(ctx context.Context) {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		for {
			n, err := s.fanout(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("webhook fan-out", "err", err.Error())
				}
				break
			}
			if n > 0 {
				poke(s.dispatchWake)
			}
			if n < s.opt.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.fanoutWake:
			// Let the request that committed finish (its answer reads the
			// record back) and let a burst of commits gather into one batch.
			select {
			case <-ctx.Done():
				return
			case <-time.After(fanoutDebounce):
			}
		case <-t.C:
		}
	}
}

// fanoutDebounce is how long the fan-out waits after a local commit.
const fanoutDebounce = 3 * time.Millisecond

// sub is a subscription as the fan-out and the deliverer see it.
type sub struct {
	id, company, user int64
	events            []string
	created           time.Time
	perms             map[string]schema.Extent // "customer.read" -> extent (token scopes x current role)
	revoked           bool                     // its token's grant is over: it may read nothing, and is deactivated
}

// grantLive is true for a subscription whose OAuth grant (the token family
// of the token that created it or last changed its url or events) can
// still be used: not revoked and holding an access or refresh token that
// works, the rule of GET /oauth/tokens. A refresh keeps the grant, so a
// subscription outlives its token's rotation; revoking the grant (DELETE
// /oauth/tokens/{id}, a replayed refresh token), its last token (POST
// /oauth/revoke) or deleting the client (which deletes its grants) ends
// it. A subscription made without a grant (before grants were recorded,
// or through a web session) has grant_id NULL and depends on its user and
// scopes alone. Both ? are now.
const grantLive = `(w.grant_id IS NULL OR EXISTS (SELECT 1 FROM oauth_grants g WHERE g.id = w.grant_id AND ` + oauth.LiveGrant + `))`

// revokedReason is the disabled_reason of a subscription whose grant is over.
const revokedReason = "The OAuth authorization of the token that created this subscription was revoked or has expired, or its client was deleted, so it may read nothing. " +
	"Create a new subscription, or change its url or events with a valid token and set it active."

// readable reports whether the subscription's creator could read a record
// of resource res owned by owner now (token scopes intersected with the
// user's current role, as for a request).
func (w *sub) readable(res string, owner sql.NullInt64) bool {
	if res == schema.Webhook.Name {
		return true // pings describe the subscription itself
	}
	r := schema.Get(res)
	if r == nil {
		return false
	}
	switch w.perms[r.ScopeName()+".read"] {
	case schema.All:
		return true
	case schema.Own:
		return r.Owner != "" && owner.Valid && owner.Int64 == w.user
	}
	return false
}

type outboxRow struct {
	id, company int64
	name, res   string
	owner       sql.NullInt64
	at          time.Time
}

// fanout makes the jobs of one batch of outbox rows in one transaction:
// one job and one pending history entry per event and active subscription
// of the event's company that names it and may read it; rows nobody gets
// are deleted, the others marked dispatched. It returns the rows handled.
func (s *System) fanout(ctx context.Context) (int, error) {
	var n int
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		if s.db.Dialect == dialect.Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(fanoutLock)); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "SELECT id, company_id, event, resource, owner_id, occurred_at FROM webhook_events WHERE dispatched = 0 ORDER BY id LIMIT ?", s.opt.Batch)
		if err != nil {
			return err
		}
		var evs []outboxRow
		companies := map[int64]bool{}
		for rows.Next() {
			var e outboxRow
			var at any
			if err := rows.Scan(&e.id, &e.company, &e.name, &e.res, &e.owner, &at); err != nil {
				rows.Close()
				return err
			}
			e.at = scanTime(at)
			evs = append(evs, e)
			companies[e.company] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(evs)
		if n == 0 {
			return nil
		}
		subs, err := s.subscriptions(ctx, tx, companies)
		if err != nil {
			return err
		}
		if err := s.deactivateRevoked(ctx, tx, subs); err != nil {
			return err
		}
		var jobs [][4]any
		var matched, unmatched []int64
		hooks := map[int64]bool{}
		for _, e := range evs {
			got := false
			for _, w := range subs[e.company] {
				if e.at.Before(w.created) || !wants(w.events, e.name) || !w.readable(e.res, e.owner) {
					continue
				}
				jobs = append(jobs, [4]any{e.company, w.id, e.id, "dlv_" + randID(16)})
				hooks[w.id] = true
				got = true
			}
			if got {
				matched = append(matched, e.id)
			} else {
				unmatched = append(unmatched, e.id)
			}
		}
		now := store.Now()
		t := s.db.Dialect.Time(now)
		if len(jobs) > 0 {
			b, _ := json.Marshal(jobs)
			if _, err := tx.Exec(ctx, s.sql.insertJobs(), t, t, t, string(b)); err != nil {
				return fmt.Errorf("insert jobs: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (company_id, webhook_id, job_id, event_id, event, delivery_id, attempt, status, created_at, updated_at)
				SELECT j.company_id, j.webhook_id, j.id, e.uid, e.event, j.delivery_uid, 1, 'pending', ?, ? FROM webhook_jobs j JOIN webhook_events e ON e.id = j.event_pk
				WHERE j.event_pk IN `+s.sql.ids+` ORDER BY j.id`, t, t, s.sql.idList(matched)); err != nil {
				return fmt.Errorf("insert deliveries: %w", err)
			}
			ids := make([]int64, 0, len(hooks))
			for id := range hooks {
				ids = append(ids, id)
			}
			if _, err := tx.Exec(ctx, "UPDATE webhooks SET "+dueSet+" WHERE id IN "+s.sql.ids, t, t, s.sql.idList(ids)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE webhook_events SET dispatched = 1 WHERE id IN "+s.sql.ids, s.sql.idList(matched)); err != nil {
				return err
			}
		}
		if len(unmatched) > 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM webhook_events WHERE id IN "+s.sql.ids, s.sql.idList(unmatched)); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// insertJobs inserts the jobs of a JSON array of [company, webhook, event,
// delivery uid] in array order (so ids follow the outbox order).
func (q sqlText) insertJobs() string {
	const head = "INSERT INTO webhook_jobs (company_id, webhook_id, event_pk, delivery_uid, kind, state, attempts, run_at, created_at, updated_at) "
	if q.d == dialect.Postgres {
		return head + "SELECT (v->>0)::bigint, (v->>1)::bigint, (v->>2)::bigint, v->>3, 0, 0, 0, ?, ?, ? FROM jsonb_array_elements(CAST(? AS jsonb)) WITH ORDINALITY AS x(v, n) ORDER BY n"
	}
	return head + "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), 0, 0, 0, ?, ?, ? FROM json_each(?) ORDER BY key"
}

// subscriptions loads the active subscriptions of the companies with their
// creator's effective permissions (none when the user is gone or inactive).
func (s *System) subscriptions(ctx context.Context, tx store.Conn, companies map[int64]bool) (map[int64][]*sub, error) {
	ids := make([]int64, 0, len(companies))
	for id := range companies {
		ids = append(ids, id)
	}
	now := s.db.Dialect.Time(time.Now())
	rows, err := tx.Query(ctx, `SELECT w.id, w.company_id, w.events, w.scopes, w.user_id, w.created_at, u.active, r.permissions, `+grantLive+`
		FROM webhooks w LEFT JOIN users u ON u.id = w.user_id AND u.company_id = w.company_id LEFT JOIN roles r ON r.id = u.role_id AND r.company_id = w.company_id
		WHERE w.active = `+s.sql.true+` AND w.company_id IN `+s.sql.ids+` ORDER BY w.id`, now, now, s.sql.idList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]*sub{}
	for rows.Next() {
		w := &sub{}
		var events, scopes string
		var user sql.NullInt64
		var created, active, live any
		var perms sql.NullString
		if err := rows.Scan(&w.id, &w.company, &events, &scopes, &user, &created, &active, &perms, &live); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(events), &w.events)
		w.created = scanTime(created)
		w.setPerms(user, active, scopes, perms, live)
		out[w.company] = append(out[w.company], w)
	}
	return out, rows.Err()
}

// setPerms sets what the subscription may read now: its token's scopes
// intersected with its user's current role; nothing when the user is gone
// or inactive, or the grant is over (revoked).
func (w *sub) setPerms(user sql.NullInt64, userActive any, scopes string, perms sql.NullString, live any) {
	w.user = user.Int64
	w.revoked = !truthy(live)
	w.perms = nil
	if user.Valid && truthy(userActive) && !w.revoked {
		w.perms, _ = auth.Effective(strings.Fields(scopes), strings.Fields(perms.String))
	}
}

// deactivateRevoked sets the subscriptions whose grant is over inactive
// (fan-out: they get no jobs, since they may read nothing) and leaves
// them out of subs.
func (s *System) deactivateRevoked(ctx context.Context, tx store.Conn, subs map[int64][]*sub) error {
	var ids []int64
	for company, list := range subs {
		kept := list[:0]
		for _, w := range list {
			if w.revoked {
				ids = append(ids, w.id)
				s.db.Touch(company, "webhooks") // list totals filtered by active
			} else {
				kept = append(kept, w)
			}
		}
		subs[company] = kept
	}
	if len(ids) == 0 {
		return nil
	}
	t := s.db.Dialect.Time(store.Now())
	_, err := tx.Exec(ctx, "UPDATE webhooks SET active = "+s.sql.false+", disabled_reason = ?, updated_at = ? WHERE id IN "+s.sql.ids+" AND active = "+s.sql.true,
		revokedReason, t, s.sql.idList(ids))
	return err
}

// refresh reloads a claimed subscription at delivery time: its url and
// whether it is still active (a PATCH takes effect within a turn), and its
// creator's effective permissions (a role change does too). One whose
// grant is over is set inactive here, so jobs queued before (and pings)
// are not sent either.
func (s *System) refresh(ctx context.Context, w *claimed) (active bool, err error) {
	var scopes string
	var user sql.NullInt64
	var hookActive, userActive, live any
	var perms sql.NullString
	now := s.db.Dialect.Time(time.Now())
	err = s.db.Reader().QueryRow(ctx, `SELECT w.url, w.active, w.scopes, w.user_id, u.active, r.permissions, `+grantLive+`
		FROM webhooks w LEFT JOIN users u ON u.id = w.user_id AND u.company_id = w.company_id LEFT JOIN roles r ON r.id = u.role_id AND r.company_id = w.company_id
		WHERE w.id = ?`, now, now, w.id).Scan(&w.url, &hookActive, &scopes, &user, &userActive, &perms, &live)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // deleted
	}
	if err != nil {
		return false, err
	}
	w.setPerms(user, userActive, scopes, perms, live)
	if w.revoked && truthy(hookActive) {
		_, err := s.write(&recordOp{company: w.company, apply: func(ctx context.Context, tx store.Conn) (bool, error) {
			return true, s.deactivateRevoked(ctx, tx, map[int64][]*sub{w.company: {&w.sub}})
		}})
		if errors.Is(err, errLost) {
			err = nil // stopping: the next look deactivates it
		}
		return false, err
	}
	return truthy(hookActive), nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	}
	return false
}

// scanTime reads a date-time column of either dialect.
func scanTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		t, _ := time.Parse(time.RFC3339Nano, x)
		return t.UTC()
	case []byte:
		t, _ := time.Parse(time.RFC3339Nano, string(x))
		return t.UTC()
	}
	return time.Time{}
}
