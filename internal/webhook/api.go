package webhook

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Mount adds the routes beyond the webhook resource's generic CRUD:
// delivery history, retry of one delivery, and a test ping. guard is the
// /api middleware (authentication, rate limit, body checks).
func (s *System) Mount(mux *http.ServeMux, guard func(http.Handler) http.Handler) {
	mux.Handle("GET /api/webhook/{id}/deliveries", guard(http.HandlerFunc(s.handleDeliveries)))
	mux.Handle("POST /api/webhook/{id}/deliveries/{delivery}/retry", guard(http.HandlerFunc(s.handleRetry)))
	mux.Handle("POST /api/webhook/{id}/test", guard(http.HandlerFunc(s.handleTest)))
}

// webhookOf checks the operation's scope and returns the caller's webhook
// named by the path (404 for another company's).
func (s *System) webhookOf(r *http.Request, op schema.Op) (resource.Caller, *store.Row, error) {
	c := resource.NewCaller(auth.From(r.Context()))
	if _, err := c.Need(schema.Webhook, op); err != nil {
		return c, nil, err
	}
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return c, nil, apierr.NotFound()
	}
	row, err := s.svc.Show(r.Context(), c, schema.Webhook, id, nil)
	return c, row, err
}

// handleDeliveries is GET /api/webhook/{id}/deliveries: the attempts,
// newest first, as a list envelope; every Index parameter works
// (filter=status:eq:failed, limit, offset, with=webhook).
func (s *System) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	c, hook, err := s.webhookOf(r, schema.OpIndex)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	res := schema.WebhookDelivery
	p, err := query.ParseIndex(res, r.URL.Query(), s.svc.Access(r.Context(), c))
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	own := &query.Cond{Field: res.Field("webhook_id"), Op: query.OpEq, Values: []any{hook.ID}}
	if p.Filter == nil {
		p.Filter = own
	} else {
		p.Filter = &query.And{Items: []query.Node{own, p.Filter}}
	}
	if len(p.OrderBy) == 0 && !p.HasAfter {
		p.OrderBy = []query.Order{{Field: res.Field("id"), Desc: true}}
	}
	page, err := s.svc.List(r.Context(), c, res, p)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	if p.HasWith {
		w.Header().Set("X-Eager-Loading-Weight", strconv.Itoa(p.Weight))
	}
	respond.Raw(w, http.StatusOK, resource.List(res, page, p))
}

// handleTest is POST /api/webhook/{id}/test: queue a ping (202 with its
// pending delivery).
func (s *System) handleTest(w http.ResponseWriter, r *http.Request) {
	c, hook, err := s.webhookOf(r, schema.OpUpdate)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	if hook.Vals["active"] != true {
		respond.Error(w, r, apierr.Conflict("webhook_inactive"))
		return
	}
	entry, err := s.Ping(r.Context(), c.Scope, hook)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	writeEntry(w, entry)
}

// handleRetry is POST /api/webhook/{id}/deliveries/{delivery}/retry: the
// event of that delivery is attempted again now, with the same
// X-Cirqll-Delivery id (202 with the pending delivery). A delivery still
// waiting for a retry is moved forward; a finished one (succeeded or
// given up) is sent once more, outside the subscription's event order.
func (s *System) handleRetry(w http.ResponseWriter, r *http.Request) {
	c, hook, err := s.webhookOf(r, schema.OpUpdate)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	did, ok := store.ParseID(r.PathValue("delivery"))
	if !ok {
		respond.Error(w, r, apierr.NotFound())
		return
	}
	if hook.Vals["active"] != true {
		respond.Error(w, r, apierr.Conflict("webhook_inactive"))
		return
	}
	entry, err := s.Retry(r.Context(), c.Scope, hook.ID, did)
	if err != nil {
		respond.Error(w, r, err)
		return
	}
	writeEntry(w, entry)
}

// writeEntry answers 202 with a queued delivery as its transaction wrote
// it: read back after the commit, a fast receiver could already have made
// it "succeeded".
func writeEntry(w http.ResponseWriter, row *store.Row) {
	w.Header().Set("Location", "/api/webhook/"+strconv.FormatInt(row.Vals["webhook_id"].(int64), 10)+"/deliveries")
	respond.Raw(w, http.StatusAccepted, resource.Record(schema.WebhookDelivery, row, nil))
}

// Ping queues a ping event to one subscription and returns its pending
// delivery.
func (s *System) Ping(ctx context.Context, scope store.Scope, hook *store.Row) (*store.Row, error) {
	company := scope.CompanyID
	var row *store.Row
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		now := store.Now()
		t := s.db.Dialect.Time(now)
		uid := "evt_" + randID(16)
		body := payload(uid, Ping, now, company, schema.Webhook, resource.Plain(schema.Webhook, hook), nil, false)
		ev, err := tx.InsertSQL(ctx, "INSERT INTO webhook_events (company_id, webhook_id, uid, event, resource, record_id, payload, occurred_at, dispatched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
			company, hook.ID, uid, Ping, schema.Webhook.Name, hook.ID, string(body), t)
		if err != nil {
			return err
		}
		dlv := "dlv_" + randID(16)
		jid, err := tx.InsertSQL(ctx, "INSERT INTO webhook_jobs (company_id, webhook_id, event_pk, delivery_uid, kind, state, attempts, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)",
			company, hook.ID, ev, dlv, kindPing, t, t, t)
		if err != nil {
			return err
		}
		entry, err := tx.InsertSQL(ctx, "INSERT INTO webhook_deliveries (company_id, webhook_id, job_id, event_id, event, delivery_id, attempt, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 'pending', ?, ?)",
			company, hook.ID, jid, uid, Ping, dlv, t, t)
		if err != nil {
			return err
		}
		if err := s.markDue(ctx, tx, hook.ID, now); err != nil {
			return err
		}
		row, err = tx.Get(ctx, scope, schema.WebhookDelivery, entry)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.db.Touch(company, "webhook_deliveries")
	poke(s.dispatchWake)
	return row, nil
}

// Retry queues another attempt of the job of delivery did (see
// handleRetry) and returns the pending delivery.
func (s *System) Retry(ctx context.Context, scope store.Scope, hook, did int64) (*store.Row, error) {
	company := scope.CompanyID
	var row *store.Row
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		var entry int64
		var jid int64
		err := tx.QueryRow(ctx, "SELECT job_id FROM webhook_deliveries WHERE id = ? AND webhook_id = ? AND company_id = ?", did, hook, company).Scan(&jid)
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.NotFound()
		} else if err != nil {
			return err
		}
		lock := "SELECT j.state, j.attempts, j.delivery_uid, e.uid, e.event FROM webhook_jobs j JOIN webhook_events e ON e.id = j.event_pk WHERE j.id = ?"
		if s.sql.lockRow != "" {
			lock += " FOR UPDATE OF j"
		}
		var state, attempts int64
		var dlv, uid, event string
		if err := tx.QueryRow(ctx, lock, jid).Scan(&state, &attempts, &dlv, &uid, &event); err != nil {
			return err
		}
		now := store.Now()
		t := s.db.Dialect.Time(now)
		err = tx.QueryRow(ctx, "SELECT id FROM webhook_deliveries WHERE job_id = ? AND status = 'pending' ORDER BY id DESC LIMIT 1", jid).Scan(&entry)
		switch {
		case err == nil:
			// not yet attempted (or being attempted): it goes as soon as it may
		case !errors.Is(err, sql.ErrNoRows):
			return err
		default:
			q := "UPDATE webhook_jobs SET run_at = ?, updated_at = ? WHERE id = ?"
			if state != statePending {
				q = "UPDATE webhook_jobs SET state = 0, kind = " + strconv.Itoa(kindManual) + ", run_at = ?, updated_at = ? WHERE id = ?"
			}
			if _, err := tx.Exec(ctx, q, t, t, jid); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET next_retry_at = NULL WHERE job_id = ? AND next_retry_at IS NOT NULL", jid); err != nil {
				return err
			}
			entry, err = tx.InsertSQL(ctx, "INSERT INTO webhook_deliveries (company_id, webhook_id, job_id, event_id, event, delivery_id, attempt, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
				company, hook, jid, uid, event, dlv, attempts+1, t, t)
			if err != nil {
				return err
			}
		}
		if err := s.markDue(ctx, tx, hook, now); err != nil {
			return err
		}
		row, err = tx.Get(ctx, scope, schema.WebhookDelivery, entry)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.db.Touch(company, "webhook_deliveries")
	poke(s.dispatchWake)
	return row, nil
}

// markDue makes a subscription claimable from at on (ping, retry).
func (s *System) markDue(ctx context.Context, tx store.Conn, hook int64, at time.Time) error {
	t := s.db.Dialect.Time(at)
	_, err := tx.Exec(ctx, "UPDATE webhooks SET "+dueSet+" WHERE id = ?", t, t, hook)
	return err
}

// dueSet moves next_run_at forward to the bound time (twice). It writes
// the row even when the time stays: the row lock is what orders a
// transaction that queues jobs with a concurrent release on PostgreSQL
// (the release either runs first, and this sees its NULL, or waits for
// this commit, and then its second statement sees the jobs).
const dueSet = "next_run_at = CASE WHEN next_run_at IS NULL OR next_run_at > ? THEN ? ELSE next_run_at END"
