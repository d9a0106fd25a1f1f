package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store"
)

// Job kinds (webhook_jobs.kind) and states (webhook_jobs.state).
const (
	kindEvent  = 0 // a change: ordered per subscription, retried with backoff
	kindPing   = 1 // POST /api/webhook/{id}/test: one attempt, outside the order
	kindManual = 2 // POST .../deliveries/{id}/retry of a finished job: one attempt, outside the order

	statePending   = 0
	stateSucceeded = 1
	stateFailed    = 2
)

// dbTimeout bounds the queue's own statements; they run on a context of
// their own so that a stopping server still records what it delivered.
const dbTimeout = 30 * time.Second

// claimed is a subscription this instance holds the lease of.
type claimed struct {
	sub
	url, secret string
}

// job is one due delivery.
type job struct {
	id, kind, attempts int64
	delivery           string
	runAt              time.Time
	uid, event, res    string
	owner              sql.NullInt64
	body               []byte
}

// dispatchLoop claims due subscriptions while worker slots are free and
// gives each to a turn; it wakes after a local fan-out, when a turn ends,
// and every Poll.
func (s *System) dispatchLoop(ctx context.Context) {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		for !s.stopping.Load() {
			free := s.opt.Workers - int(s.inflight.Load())
			if free <= 0 {
				break
			}
			subs, err := s.claim(ctx, free)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("webhook claim", "err", err.Error())
				}
				break
			}
			s.mu.Lock()
			if s.stopping.Load() {
				s.mu.Unlock()
				for _, w := range subs {
					s.release(w)
				}
				break
			}
			for _, w := range subs {
				s.inflight.Add(1)
				s.turns.Add(1)
				go s.turn(w)
			}
			s.mu.Unlock()
			if len(subs) < free {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.dispatchWake:
		case <-t.C:
		}
	}
}

// claim leases up to n active subscriptions with a due job that no live
// instance holds (SKIP LOCKED on PostgreSQL; SQLite has one writer).
func (s *System) claim(ctx context.Context, n int) ([]*claimed, error) {
	now := time.Now()
	d := s.db.Dialect
	var q string
	if d == dialect.Postgres {
		q = `WITH c AS (SELECT id FROM webhooks WHERE active = TRUE AND next_run_at IS NOT NULL AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY next_run_at LIMIT ? FOR UPDATE SKIP LOCKED)
			UPDATE webhooks w SET lease_owner = ?, lease_until = ? FROM c WHERE w.id = c.id RETURNING w.id, w.company_id, w.url, w.secret`
	} else {
		q = `UPDATE webhooks SET lease_owner = ?4, lease_until = ?5 WHERE id IN (SELECT id FROM webhooks WHERE active = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1
			AND (lease_until IS NULL OR lease_until < ?2) ORDER BY next_run_at LIMIT ?3) RETURNING id, company_id, url, secret`
	}
	rows, err := s.db.Writer().Query(ctx, q, d.Time(now), d.Time(now), n, s.owner, d.Time(now.Add(s.opt.Lease)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*claimed
	for rows.Next() {
		w := &claimed{}
		if err := rows.Scan(&w.id, &w.company, &w.url, &w.secret); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// errLost: another instance took the subscription over (our lease ran out).
var errLost = errors.New("webhook lease lost")

// turn delivers a claimed subscription's due jobs: pings and manual
// redeliveries, then its ordered events one by one until one fails (its
// retry waits; everything after it waits for it) or Turn jobs are done.
func (s *System) turn(w *claimed) {
	defer func() {
		// The dispatcher needs waking when this subscription has more due
		// now, or when it may have left due work for lack of a free slot.
		atCapacity := s.inflight.Load() >= int64(s.opt.Workers)
		due := s.release(w)
		s.inflight.Add(-1)
		s.turns.Done()
		if due || atCapacity {
			poke(s.dispatchWake)
		}
	}()
	done := 0
	for done < s.opt.Turn && !s.winding() {
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		active, err := s.refresh(ctx, w)
		cancel()
		if err != nil {
			s.log.Error("webhook refresh", "webhook_id", w.id, "err", err.Error())
			return
		}
		if !active {
			return // deactivated or deleted meanwhile: its jobs wait
		}
		jobs, full, err := s.dueJobs(w)
		if err != nil {
			s.log.Error("webhook jobs", "webhook_id", w.id, "err", err.Error())
			return
		}
		for _, j := range jobs {
			if s.winding() {
				return
			}
			ok, stop := s.deliver(w, j)
			done++
			if stop {
				return
			}
			if !ok && j.kind == kindEvent {
				full = true // look again: pings may still be due
				break       // the head waits for its retry, and its followers with it
			}
		}
		if !full {
			return // all there was; jobs queued meanwhile are seen by release
		}
	}
}

const (
	jobColumns = "j.id, j.kind, j.attempts, j.delivery_uid, j.run_at, e.uid, e.event, e.resource, e.owner_id, e.payload"
	extraLimit = 10 // due pings and manual redeliveries per look
	eventLimit = 25 // ordered events per look
)

// dueJobs returns what the subscription may deliver now, in order: due
// pings and manual redeliveries, then its oldest pending events from the
// head on (the head only if its retry is due). full: a limit was reached.
func (s *System) dueJobs(w *claimed) ([]*job, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	now := time.Now()
	all, err := scanJobs(s.db.Reader().Query(ctx,
		"SELECT * FROM (SELECT "+jobColumns+" FROM webhook_jobs j JOIN webhook_events e ON e.id = j.event_pk WHERE j.webhook_id = ? AND j.state = 0 AND j.kind <> 0 AND j.run_at <= ? ORDER BY j.id LIMIT "+strconv.Itoa(extraLimit)+") x"+
			" UNION ALL SELECT * FROM (SELECT "+jobColumns+" FROM webhook_jobs j JOIN webhook_events e ON e.id = j.event_pk WHERE j.webhook_id = ? AND j.state = 0 AND j.kind = 0 ORDER BY j.id LIMIT "+strconv.Itoa(eventLimit)+") y",
		w.id, s.db.Dialect.Time(now), w.id))
	if err != nil {
		return nil, false, err
	}
	var extra, ordered []*job
	for _, j := range all {
		if j.kind == kindEvent {
			ordered = append(ordered, j)
		} else {
			extra = append(extra, j)
		}
	}
	sort.Slice(extra, func(a, b int) bool { return extra[a].id < extra[b].id })
	sort.Slice(ordered, func(a, b int) bool { return ordered[a].id < ordered[b].id })
	full := len(extra) == extraLimit || len(ordered) == eventLimit
	if len(ordered) > 0 && ordered[0].runAt.After(now) {
		ordered = nil // the head waits for its retry
	}
	return append(extra, ordered...), full, nil
}

func scanJobs(rows *sql.Rows, err error) ([]*job, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*job
	for rows.Next() {
		j := &job{}
		var at any
		var body string
		if err := rows.Scan(&j.id, &j.kind, &j.attempts, &j.delivery, &at, &j.uid, &j.event, &j.res, &j.owner, &body); err != nil {
			return nil, err
		}
		j.runAt = scanTime(at)
		j.body = []byte(body)
		out = append(out, j)
	}
	return out, rows.Err()
}

// result of one attempt.
type result struct {
	ok       bool
	status   int // 0: no answer
	duration time.Duration
	err      string
	aborted  bool // the server is stopping: nothing to record
}

// deliver makes one attempt of j and records it. ok: it succeeded; stop:
// the turn must end (lease lost, subscription deactivated, stopping).
func (s *System) deliver(w *claimed, j *job) (ok, stop bool) {
	var res result
	counted := j.kind == kindEvent
	if !w.readable(j.res, j.owner) {
		res = result{err: "not delivered: the subscription's scopes and its user's role no longer allow reading " + j.res}
		counted = false
	} else {
		if j.attempts > 0 {
			if err := s.ensurePending(w, j); err != nil {
				s.log.Error("webhook history", "webhook_id", w.id, "err", err.Error())
				return false, true
			}
		}
		res = s.attempt(w, j)
		if res.aborted {
			return false, true
		}
	}
	deactivated, err := s.record(w, j, res, counted)
	if err != nil {
		if !errors.Is(err, errLost) {
			s.log.Error("webhook record", "webhook_id", w.id, "job_id", j.id, "err", err.Error())
		}
		return res.ok, true
	}
	return res.ok, deactivated
}

// ensurePending adds the history entry of a retry before it is attempted
// (the first attempt's entry is made with the job), unless one is there
// from an attempt that never got recorded.
func (s *System) ensurePending(w *claimed, j *job) error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	t := s.db.Dialect.Time(store.Now())
	err := s.db.Tx(ctx, func(tx store.Conn) error {
		if s.sql.lockRow != "" { // serialises with a retry request on the same job
			var id int64
			if err := tx.QueryRow(ctx, s.sql.lockRow, j.id).Scan(&id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE webhook_deliveries SET next_retry_at = NULL WHERE job_id = ? AND next_retry_at IS NOT NULL", j.id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (company_id, webhook_id, job_id, event_id, event, delivery_id, attempt, status, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ? WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE job_id = ? AND status = 'pending')`,
			w.company, w.id, j.id, j.uid, j.event, j.delivery, j.attempts+1, t, t, j.id)
		return err
	})
	s.db.Touch(w.company, "webhook_deliveries")
	return err
}

// Sign is the X-Cirqll-Signature of body sent at unix time ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// attempt POSTs the event once.
func (s *System) attempt(w *claimed, j *job) result {
	ctx, cancel := context.WithTimeout(s.hardCtx, s.opt.Timeout)
	defer cancel()
	ts := time.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(j.body))
	if err != nil {
		return result{err: "bad url: " + err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Cirqll-Webhooks/1.0")
	h.Set("X-Cirqll-Event", j.event)
	h.Set("X-Cirqll-Delivery", j.delivery)
	h.Set("X-Cirqll-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-Cirqll-Signature", Sign(w.secret, ts, j.body))
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		if s.hardCtx.Err() != nil {
			return result{aborted: true}
		}
		return result{duration: time.Since(start), err: clip(err.Error())}
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := result{status: resp.StatusCode, duration: time.Since(start)}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.ok = true
		return r
	}
	r.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.err += " (redirects are not followed)"
	}
	if b := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "")); b != "" {
		r.err += ": " + b
	}
	r.err = clip(r.err)
	return r
}

func clip(s string) string {
	if len(s) <= 500 {
		return s
	}
	s = s[:500]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// delay is the wait before retry number n (1-based), jittered; false when
// the retries are used up.
func (s *System) delay(n int64) (time.Duration, bool) {
	if n < 1 || int(n) > len(s.opt.Backoff) {
		return 0, false
	}
	d := s.opt.Backoff[n-1]
	if s.opt.Jitter > 0 && d > 0 {
		d += time.Duration((rand.Float64()*2 - 1) * s.opt.Jitter * float64(d))
	}
	return d, true
}

// recordOp is one write of the queue's bookkeeping: an attempt's outcome
// or a release.
type recordOp struct {
	company int64
	apply   func(ctx context.Context, tx store.Conn) (deactivated bool, err error) // errLost: this op only
	done    chan recordRes
}

type recordRes struct {
	deactivated bool
	err         error
}

const (
	jobQ   = "UPDATE webhook_jobs SET state = ?, attempts = attempts + 1, run_at = ?, updated_at = ? WHERE id = ?"
	entryQ = "UPDATE webhook_deliveries SET status = ?, response_status = ?, duration_ms = ?, error = ?, next_retry_at = ?, updated_at = ? WHERE job_id = ? AND status = 'pending'"
)

// write applies op: on SQLite through the recorder, which commits the
// bookkeeping of every subscription in flight together (one writer: fewer,
// larger transactions leave it free for the API's writes); on PostgreSQL
// in a transaction of its own.
func (s *System) write(op *recordOp) (bool, error) {
	if s.db.Dialect == dialect.Postgres {
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		var deactivated bool
		err := s.db.Tx(ctx, func(tx store.Conn) error {
			var err error
			deactivated, err = op.apply(ctx, tx)
			return err
		})
		s.db.Touch(op.company, "webhook_deliveries")
		return deactivated, err
	}
	op.done = make(chan recordRes, 1)
	select {
	case s.recordCh <- op:
	case <-s.recCtx.Done(): // stopped without waiting for us: not written
		return false, errLost
	}
	res := <-op.done
	return res.deactivated, res.err
}

// record writes an attempt's outcome, if the lease is still ours: the job
// (done, given up, or its next run), its history entry, and the
// subscription's counters; a 410 or the MaxFailures-th consecutive event
// given up deactivates it. It reports deactivation.
func (s *System) record(w *claimed, j *job, r result, counted bool) (bool, error) {
	hookQ, hookArgs, jobArgs, entryArgs := s.outcome(w, j, r, counted)
	if s.db.Dialect == dialect.Postgres {
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		// The job and its entry change only if the subscription's row (the
		// lease) did: one statement, one round trip, atomic.
		q := "WITH w AS (" + hookQ + "), j AS (" + jobQ + " AND EXISTS (SELECT 1 FROM w)), e AS (" + entryQ + " AND EXISTS (SELECT 1 FROM w)) SELECT active FROM w"
		var active any
		err := s.db.Writer().QueryRow(ctx, q, append(append(hookArgs, jobArgs...), entryArgs...)...).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) {
			return false, errLost
		}
		s.db.Touch(w.company, "webhook_deliveries")
		return err == nil && !truthy(active), err
	}
	return s.write(&recordOp{company: w.company, apply: func(ctx context.Context, tx store.Conn) (bool, error) {
		var active any
		if err := tx.QueryRow(ctx, hookQ, hookArgs...).Scan(&active); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return false, errLost
			}
			return false, err
		}
		if _, err := tx.Exec(ctx, jobQ, jobArgs...); err != nil {
			return false, err
		}
		_, err := tx.Exec(ctx, entryQ, entryArgs...)
		return !truthy(active), err
	}})
}

// outcome builds the statements of an attempt's result: the subscription
// row's (checks the lease, returns active), the job's and the entry's args.
func (s *System) outcome(w *claimed, j *job, r result, counted bool) (hookQ string, hookArgs, jobArgs, entryArgs []any) {
	d := s.db.Dialect
	now := store.Now()
	t := d.Time(now)
	state, runAt := int64(stateFailed), now
	var nextRetry any
	status := "failed"
	switch {
	case r.ok:
		state, status = stateSucceeded, "succeeded"
	case r.status == http.StatusGone:
	case j.kind == kindEvent && counted:
		if wait, more := s.delay(j.attempts + 1); more {
			state, runAt = statePending, now.Add(wait)
			nextRetry = d.Time(runAt)
		}
	}
	switch {
	case r.ok:
		hookQ, hookArgs = "UPDATE webhooks SET last_delivery_at = ?, failure_count = 0 WHERE id = ? AND lease_owner = ? RETURNING active", []any{t, w.id, s.owner}
	case r.status == http.StatusGone:
		hookQ = "UPDATE webhooks SET last_delivery_at = ?, active = " + s.sql.false + ", disabled_reason = ?, updated_at = ? WHERE id = ? AND lease_owner = ? RETURNING active"
		hookArgs = []any{t, "The receiver answered 410 Gone.", t, w.id, s.owner}
	case state == stateFailed && counted:
		hookQ = "UPDATE webhooks SET last_delivery_at = ?, failure_count = failure_count + 1, " +
			"active = CASE WHEN failure_count + 1 >= ? THEN " + s.sql.false + " ELSE active END, " +
			"disabled_reason = CASE WHEN failure_count + 1 >= ? THEN ? ELSE disabled_reason END, " +
			"updated_at = CASE WHEN failure_count + 1 >= ? THEN ? ELSE updated_at END " +
			"WHERE id = ? AND lease_owner = ? RETURNING active"
		max := int64(s.opt.MaxFailures)
		hookArgs = []any{t, max, max, fmt.Sprintf("%d consecutive events could not be delivered.", s.opt.MaxFailures), max, t, w.id, s.owner}
	default:
		hookQ, hookArgs = "UPDATE webhooks SET last_delivery_at = ? WHERE id = ? AND lease_owner = ? RETURNING active", []any{t, w.id, s.owner}
	}
	var respStatus, errText any
	if r.status != 0 {
		respStatus = int64(r.status)
	}
	if r.err != "" {
		errText = r.err
	}
	return hookQ, hookArgs, []any{state, d.Time(runAt), t, j.id}, []any{status, respStatus, r.duration.Milliseconds(), errText, nextRetry, t, j.id}
}

// recorderLoop (SQLite) commits the bookkeeping waiting at the time in one
// transaction; an op whose lease is gone is skipped alone.
func (s *System) recorderLoop(ctx context.Context) {
	for {
		var batch []*recordOp
		select {
		case <-ctx.Done():
			return
		case op := <-s.recordCh:
			batch = append(batch, op)
		}
	more:
		for len(batch) < 128 {
			select {
			case op := <-s.recordCh:
				batch = append(batch, op)
			default:
				break more
			}
		}
		res := make([]recordRes, len(batch))
		c, cancel := context.WithTimeout(context.Background(), dbTimeout)
		err := s.db.Tx(c, func(tx store.Conn) error {
			for i, op := range batch {
				deactivated, err := op.apply(c, tx)
				if err != nil && !errors.Is(err, errLost) {
					return err
				}
				res[i] = recordRes{deactivated: deactivated, err: err}
			}
			return nil
		})
		cancel()
		for i, op := range batch {
			if err != nil {
				res[i] = recordRes{err: err}
			}
			s.db.Touch(op.company, "webhook_deliveries")
			op.done <- res[i]
		}
	}
}

// release gives a subscription back with the time its next job is due
// (NULL: nothing pending) and reports whether that is now.
func (s *System) release(w *claimed) (due bool) {
	var err error
	if s.db.Dialect == dialect.Postgres {
		due, err = s.releasePG(w)
	} else {
		_, err = s.write(&recordOp{company: w.company, apply: func(ctx context.Context, tx store.Conn) (bool, error) {
			var next any
			err := tx.QueryRow(ctx, "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL, next_run_at = "+nextRunSQL+" WHERE id = ? AND lease_owner = ? RETURNING next_run_at",
				w.id, w.id, w.id, s.owner).Scan(&next)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil // deleted, or no longer ours
			}
			due = next != nil && !scanTime(next).After(time.Now())
			return false, err
		}})
	}
	if err != nil && !errors.Is(err, errLost) {
		s.log.Error("webhook release", "webhook_id", w.id, "err", err.Error())
	}
	return due
}

// nextRunSQL is when a subscription's next job is due (NULL: none): the
// earliest of its pending pings and manual redeliveries and its ordered
// head. Arguments: the webhook id twice.
const nextRunSQL = "(SELECT MIN(t) FROM (SELECT MIN(run_at) AS t FROM webhook_jobs WHERE webhook_id = ? AND state = 0 AND kind <> 0" +
	" UNION ALL SELECT run_at FROM (SELECT run_at FROM webhook_jobs WHERE webhook_id = ? AND state = 0 AND kind = 0 ORDER BY id LIMIT 1) h) x)"

// releasePG is release in two statements. Whatever queues jobs (fan-out,
// ping, retry) also writes the subscription's row (dueSet) before it
// commits. If it wrote the row first, the first statement waits for its
// commit and may then overwrite the due time from an older snapshot; the
// second statement, with a snapshot taken after, makes the subscription
// due again when something is due now. If the release wrote first, the
// queuing transaction sees NULL and sets the time itself.
func (s *System) releasePG(w *claimed) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	r := s.db.Writer()
	var next any
	err := r.QueryRow(ctx, "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL, next_run_at = "+nextRunSQL+" WHERE id = ? AND lease_owner = ? RETURNING next_run_at",
		w.id, w.id, w.id, s.owner).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // deleted, or no longer ours
	}
	if err != nil {
		return false, err
	}
	now := time.Now()
	if next != nil && !scanTime(next).After(now) {
		return true, nil // due now anyway
	}
	t := s.db.Dialect.Time(now)
	res, err := r.Exec(ctx, "UPDATE webhooks SET next_run_at = ? WHERE id = ? AND (next_run_at IS NULL OR next_run_at > ?) AND "+nextRunSQL+" <= ?",
		t, w.id, t, w.id, w.id, t)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// heartbeatLoop extends the leases this instance holds.
func (s *System) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(s.opt.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.inflight.Load() == 0 {
			continue
		}
		c, cancel := context.WithTimeout(ctx, dbTimeout)
		_, err := s.db.Writer().Exec(c, "UPDATE webhooks SET lease_until = ? WHERE lease_owner = ?", s.db.Dialect.Time(time.Now().Add(s.opt.Lease)), s.owner)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhook heartbeat", "err", err.Error())
		}
	}
}

// cleanupLoop deletes finished events (with their jobs and history) older
// than Retention every 10 minutes, and every 15 s sweeps for subscriptions
// with due work that nobody will claim (a safety net: the queue's own
// bookkeeping should never leave one behind).
func (s *System) cleanupLoop(ctx context.Context) {
	sweep := time.NewTicker(15 * time.Second)
	defer sweep.Stop()
	last := time.Time{}
	for {
		if time.Since(last) >= 10*time.Minute {
			last = time.Now()
			for {
				n, err := s.Cleanup(ctx, time.Now().Add(-s.opt.Retention))
				if err != nil {
					if ctx.Err() == nil {
						s.log.Error("webhook clean-up", "err", err.Error())
					}
					break
				}
				if n < 1000 {
					break
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
		}
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("webhook sweep", "err", err.Error())
		} else if n > 0 {
			s.log.Warn("webhook sweep found subscriptions with due work and no due time", "count", n)
			poke(s.dispatchWake)
		}
	}
}

// Sweep makes due every unclaimed active subscription that has a job due
// now but no due time at or before now, and returns how many it changed.
func (s *System) Sweep(ctx context.Context) (int64, error) {
	now := s.db.Dialect.Time(time.Now())
	r, err := s.db.Writer().Exec(ctx, "UPDATE webhooks SET next_run_at = ? WHERE active = "+s.sql.true+" AND lease_owner IS NULL AND (next_run_at IS NULL OR next_run_at > ?) AND "+
		strings.ReplaceAll(nextRunSQL, "webhook_id = ?", "webhook_id = webhooks.id")+" <= ?", now, now, now)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// Cleanup deletes up to 1000 events that occurred before cutoff and have no
// pending job, with their jobs and delivery history.
func (s *System) Cleanup(ctx context.Context, cutoff time.Time) (int64, error) {
	r, err := s.db.Writer().Exec(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e WHERE e.occurred_at < ? AND e.dispatched = 1
		AND NOT EXISTS (SELECT 1 FROM webhook_jobs j WHERE j.event_pk = e.id AND j.state = 0) LIMIT 1000)`, s.db.Dialect.Time(cutoff))
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
