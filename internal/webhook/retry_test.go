package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store/storetest"
	"github.com/cirqll/core/internal/webhook"
)

// each runs fn per dialect on a server whose retry delays are backoff
// (CIRQLL_WEBHOOK_BACKOFF).
func each(t *testing.T, backoff string, fn func(t *testing.T, e *apitest.Env), opts ...func(*config.Config)) {
	t.Setenv("CIRQLL_WEBHOOK_BACKOFF", backoff)
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) { fn(t, apitest.New(t, d, opts...)) })
	}
}

func history(t *testing.T, a *apitest.Tenant, hook int64) []map[string]any {
	t.Helper()
	return a.Do("GET", path("/api/webhook/%d/deliveries?limit=1000", hook), a.Token, nil).Status(200).Data()
}

// settle waits until the subscription has no pending history entry.
func settle(t *testing.T, a *apitest.Tenant, hook int64) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := history(t, a, hook)
		pending := false
		for _, r := range h {
			if r["status"] == "pending" {
				pending = true
			}
		}
		if !pending {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %v", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func customerIDs(ds []delivery) []int64 {
	var out []int64
	for _, d := range ds {
		if data, ok := d.Payload["data"].(map[string]any); ok {
			out = append(out, num(data["id"]))
		}
	}
	return out
}

func TestRetryOrderAndHistory(t *testing.T) {
	each(t, "20ms,20ms,20ms", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		rcv.answer = func(d delivery, n int) int {
			if n < 2 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		}
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		var ids []int64
		for i := 0; i < 5; i++ {
			ids = append(ids, a.Do("POST", "/api/customer", a.Token, map[string]any{"name": path("C%d", i)}).Status(201).ID())
		}
		got := rcv.waitN(7)
		want := append([]int64{ids[0], ids[0]}, ids...)
		if g := customerIDs(got); !equal(g, want) {
			t.Fatalf("delivery order %v, want %v", g, want)
		}
		if got[0].ID != got[1].ID || got[1].ID != got[2].ID || got[2].ID == got[3].ID {
			t.Fatalf("X-Cirqll-Delivery must be the same for the attempts of one event only: %v %v %v %v", got[0].ID, got[1].ID, got[2].ID, got[3].ID)
		}
		h := settle(t, a, hook)
		if len(h) != 7 {
			t.Fatalf("history has %d entries, want 7: %v", len(h), h)
		}
		var first []map[string]any // the first event's attempts, newest first
		for _, r := range h {
			if r["delivery_id"] == got[0].ID {
				first = append(first, r)
			}
		}
		if len(first) != 3 {
			t.Fatalf("first event has %d attempts in the history: %v", len(first), h)
		}
		for i, r := range first {
			attempt := int64(3 - i)
			status, code := "failed", int64(500)
			if attempt == 3 {
				status, code = "succeeded", 204
			}
			if num(r["attempt"]) != attempt || r["status"] != status || num(r["response_status"]) != code || r["next_retry_at"] != nil {
				t.Errorf("entry %v, want attempt %d %s %d", r, attempt, status, code)
			}
			if e, _ := r["error"].(string); status == "failed" && !strings.HasPrefix(e, "HTTP 500") {
				t.Errorf("error %v", r["error"])
			}
		}
		w := a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON()
		if num(w["failure_count"]) != 0 || w["last_delivery_at"] == nil || w["active"] != true {
			t.Fatalf("webhook after success: %v", w)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPendingRetryManualRetryAndPing(t *testing.T) {
	each(t, "1h", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		rcv.answer = func(d delivery, n int) int {
			if n == 0 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created", "customer.updated")
		c1 := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "First"}).Status(201).ID()
		rcv.waitN(1)
		c2 := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Second"}).Status(201).ID()

		// The failed first attempt has its retry ahead; the second event waits behind it.
		var h []map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			h = history(t, a, hook)
			if len(h) == 2 && h[1]["status"] == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("history: %v", h)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if h[1]["next_retry_at"] == nil || num(h[1]["response_status"]) != 503 || h[0]["status"] != "pending" {
			t.Fatalf("history while waiting: %v", h)
		}
		retryAt, _ := time.Parse(time.RFC3339, h[1]["next_retry_at"].(string))
		if retryAt.Before(time.Now().Add(30 * time.Minute)) {
			t.Fatalf("next_retry_at %v is not about an hour ahead", retryAt)
		}

		// A ping is not held up by the waiting event.
		ping := a.Do("POST", path("/api/webhook/%d/test", hook), a.Token, nil).Status(202).JSON()
		if ping["status"] != "pending" || ping["event"] != "ping" {
			t.Fatalf("test answer: %v", ping)
		}
		got := rcv.waitN(2)
		if got[1].Event != "ping" || !got[1].Valid || num(got[1].Payload["data"].(map[string]any)["id"]) != hook {
			t.Fatalf("ping: %+v", got[1])
		}
		if _, leaked := got[1].Payload["data"].(map[string]any)["secret"]; leaked {
			t.Fatalf("ping data has the secret: %s", got[1].Body)
		}

		// Retry now: same delivery id, then the queue behind it moves.
		retry := a.Do("POST", path("/api/webhook/%d/deliveries/%d/retry", hook, num(h[1]["id"])), a.Token, nil).Status(202).JSON()
		if retry["status"] != "pending" || num(retry["attempt"]) != 2 || retry["delivery_id"] != h[1]["delivery_id"] {
			t.Fatalf("retry answer: %v", retry)
		}
		got = rcv.waitN(4)
		if got[2].ID != got[0].ID || !equal(customerIDs([]delivery{got[0], got[2], got[3]}), []int64{c1, c1, c2}) {
			t.Fatalf("after retry: %v", customerIDs(got))
		}
		h = settle(t, a, hook)
		for _, r := range h {
			if r["next_retry_at"] != nil {
				t.Errorf("a retry that ran still shows next_retry_at: %v", r)
			}
		}

		// Redeliver a succeeded delivery: once more, same id, outside the order.
		var done map[string]any
		for _, r := range h {
			if r["event"] == "customer.created" && r["status"] == "succeeded" && r["delivery_id"] == got[3].ID {
				done = r
			}
		}
		again := a.Do("POST", path("/api/webhook/%d/deliveries/%d/retry", hook, num(done["id"])), a.Token, nil).Status(202).JSON()
		if num(again["attempt"]) != 2 {
			t.Fatalf("redeliver answer: %v", again)
		}
		got = rcv.waitN(5)
		if got[4].ID != got[3].ID {
			t.Fatalf("redelivery has another id: %s vs %s", got[4].ID, got[3].ID)
		}
		a.Do("POST", path("/api/webhook/%d/deliveries/%d/retry", hook, 999999), a.Token, nil).Status(404)
		b := e.Company("Other")
		b.Do("POST", path("/api/webhook/%d/deliveries/%d/retry", hook, num(done["id"])), b.Token, nil).Status(404)
	})
}

func TestGiveUpDeactivate(t *testing.T) {
	each(t, "none", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		rcv.answer = func(delivery, int) int { return http.StatusBadGateway }
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		for i := 0; i < 21; i++ {
			a.Do("POST", "/api/customer", a.Token, map[string]any{"name": path("C%d", i)}).Status(201)
		}
		rcv.waitN(20)
		var w map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			w = a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON()
			if w["active"] == false || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if w["active"] != false || num(w["failure_count"]) != 20 || !strings.Contains(w["disabled_reason"].(string), "20") {
			t.Fatalf("after 20 failed events: %v", w)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(rcv.all()); n != 20 {
			t.Fatalf("an inactive subscription got deliveries: %d", n)
		}
		// The 21st event waits if it was queued before the subscription went
		// inactive (fanned out together with the others), else it was never
		// queued for it.
		h := history(t, a, hook)
		held := len(h) == 21
		if (len(h) != 20 && len(h) != 21) || (held && h[0]["status"] != "pending") {
			t.Fatalf("history of the inactive subscription: %v", h)
		}
		// re-activating clears the counters; new events flow again
		rcv.mu.Lock()
		rcv.answer = nil
		rcv.mu.Unlock()
		w = a.Do("PATCH", path("/api/webhook/%d", hook), a.Token, map[string]any{"active": true}).Status(200).JSON()
		if w["active"] != true || num(w["failure_count"]) != 0 || w["disabled_reason"] != nil {
			t.Fatalf("re-activated: %v", w)
		}
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Back"}).Status(201)
		want := []string{"Back"}
		if held {
			want = []string{"C20", "Back"}
		}
		got := rcv.waitN(20 + len(want))
		for i, name := range want {
			if got[20+i].Payload["data"].(map[string]any)["name"] != name {
				t.Fatalf("after re-activation, delivery %d: %s, want %s", 20+i, got[20+i].Body, name)
			}
		}
	})
}

func TestGoneDeactivatesAtOnce(t *testing.T) {
	each(t, "1h", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		rcv.answer = func(delivery, int) int { return http.StatusGone }
		hook, _ := subscribe(t, a, a.Token, rcv, "*")
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "One"}).Status(201)
		rcv.waitN(1)
		h := settle(t, a, hook)
		if len(h) != 1 || h[0]["status"] != "failed" || num(h[0]["response_status"]) != 410 || h[0]["next_retry_at"] != nil {
			t.Fatalf("history: %v", h)
		}
		w := a.Do("GET", path("/api/webhook/%d", hook), a.Token, nil).Status(200).JSON()
		if w["active"] != false || !strings.Contains(w["disabled_reason"].(string), "410") {
			t.Fatalf("after 410: %v", w)
		}
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Two"}).Status(201)
		a.Do("POST", path("/api/webhook/%d/test", hook), a.Token, nil).Status(409)
		time.Sleep(200 * time.Millisecond)
		if n := len(rcv.all()); n != 1 {
			t.Fatalf("deliveries after 410: %d", n)
		}
	})
}

func TestRedirectNotFollowed(t *testing.T) {
	each(t, "none", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		target := newReceiver(t)
		rcv := newReceiver(t)
		rcv.redirect = target.URL()
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "One"}).Status(201)
		var h []map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			h = history(t, a, hook)
			if len(h) == 1 && h[0]["status"] != "pending" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("history: %v", h)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if h[0]["status"] != "failed" || num(h[0]["response_status"]) != 307 {
			t.Fatalf("redirect: %v", h)
		}
		if n := len(target.all()); n != 0 {
			t.Fatalf("redirect was followed")
		}
	})
}

// TestSSRFAtDeliveryTime: in production mode a subscription whose address
// turns internal (DNS rebinding; here the row is changed directly) is
// refused on the attempt.
func TestSSRFAtDeliveryTime(t *testing.T) {
	each(t, "none", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		hook := a.Do("POST", "/api/webhook", a.Token, map[string]any{"url": "https://203.0.113.7/hook", "events": []string{"*"}}).Status(201).ID()
		if _, err := e.DB.Writer().Exec(context.Background(), "UPDATE webhooks SET url = ? WHERE id = ?", rcv.URL(), hook); err != nil {
			t.Fatal(err)
		}
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "One"}).Status(201)
		h := settle(t, a, hook)
		for len(h) == 0 {
			time.Sleep(20 * time.Millisecond)
			h = settle(t, a, hook)
		}
		if h[0]["status"] != "failed" || h[0]["response_status"] != nil || !strings.Contains(h[0]["error"].(string), "refused") {
			t.Fatalf("history: %v", h)
		}
		if n := len(rcv.all()); n != 0 {
			t.Fatalf("internal address reached: %d", n)
		}
	}, func(c *config.Config) { c.Env = "production" })
}

// TestScopesAtDeliveryTime: a subscription receives only what its creating
// token's scopes, intersected with the user's current role, could read.
func TestScopesAtDeliveryTime(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) { testScopes(t, d) })
	}
}

func testScopes(t *testing.T, d dialect.Dialect) {
	e := apitest.New(t, d)
	a := e.Company("Acme")
	other := a.User("company_user")

	// customers only, all of them
	r1 := newReceiver(t)
	subscribe(t, a, a.TokenFor(a.OwnerID, "webhook.create.all", "webhook.read.all", "customer.read.all"), r1, "*")
	// own customers only
	r2 := newReceiver(t)
	subscribe(t, a, a.TokenFor(a.OwnerID, "webhook.create.all", "webhook.read.all", "customer.read.own"), r2, "customer.created")
	// a custom role that loses customer.read.all later
	role := a.Do("POST", "/api/role", a.Token, map[string]any{"name": "Integrations", "permissions": []string{"webhook.create.all", "webhook.read.all", "customer.read.all"}}).Status(201).ID()
	integ := a.Do("POST", "/api/user", a.Token, map[string]any{"name": "Zapier", "email": "zap@acme.test", "password": "zapier-password-1", "role_id": role}).Status(201).ID()
	r3 := newReceiver(t)
	subscribe(t, a, a.TokenFor(integ, "webhook.create.all", "webhook.read.all", "customer.read.all"), r3, "customer.created")

	mine := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Mine"}).Status(201).ID()
	a.Do("POST", "/api/contact", a.Token, map[string]any{"first_name": "Jan", "customer_id": mine}).Status(201)
	theirs := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Theirs", "user_id": other}).Status(201).ID()

	got1 := r1.waitN(2)
	got2 := r2.waitN(1)
	r3.waitN(2)
	a.Do("PATCH", path("/api/role/%d", role), a.Token, map[string]any{"permissions": []string{"webhook.create.all", "webhook.read.all"}}).Status(200)
	last := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "After the role change"}).Status(201).ID()
	got1 = r1.waitN(3)
	time.Sleep(300 * time.Millisecond)
	got1, got2, got3 := r1.all(), r2.all(), r3.all()
	if ev := events(got1); len(got1) != 3 || strings.Join(ev, ",") != "customer.created,customer.created,customer.created" {
		t.Errorf("customer scope got %v (no contact events)", ev)
	}
	if ids := customerIDs(got2); !equal(ids, []int64{mine, last}) {
		t.Errorf("own scope got customers %v, want %v (not %d)", ids, []int64{mine, last}, theirs)
	}
	if ids := customerIDs(got3); !equal(ids, []int64{mine, theirs}) {
		t.Errorf("after the role lost customer.read.all: %v", ids)
	}
}

// TestStopFinishesInFlight: Stop waits for an attempt in flight and records
// it; past its deadline it aborts the attempt and leaves it pending (for
// another instance or the next start, under the same delivery id).
func TestStopFinishesInFlight(t *testing.T) {
	each(t, "1h", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		started, release := make(chan struct{}), make(chan struct{})
		rcv.answer = func(d delivery, n int) int {
			if n == 0 {
				close(started)
				<-release
			}
			return http.StatusOK
		}
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "In flight"}).Status(201)
		<-started
		stopped := make(chan struct{})
		go func() {
			e.App.Stop(context.Background())
			close(stopped)
		}()
		select {
		case <-stopped:
			t.Fatal("Stop returned while an attempt was in flight")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		<-stopped
		h := history(t, a, hook)
		if len(h) != 1 || h[0]["status"] != "succeeded" {
			t.Fatalf("after Stop: %v", h)
		}
		// Stopped: changes still commit their events, nothing is sent.
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "After stop"}).Status(201)
		time.Sleep(300 * time.Millisecond)
		if n := len(rcv.all()); n != 1 {
			t.Fatalf("a stopped instance delivered: %d", n)
		}
	})
}

func TestStopDeadlineAborts(t *testing.T) {
	each(t, "1h", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		started, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		rcv.answer = func(d delivery, n int) int {
			if n == 0 {
				close(started)
				<-release
			}
			return http.StatusOK
		}
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "Stuck"}).Status(201)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		e.App.Stop(ctx)
		h := history(t, a, hook)
		if len(h) != 1 || h[0]["status"] != "pending" {
			t.Fatalf("an aborted attempt must stay pending: %v", h)
		}
	})
}

// TestNoLostWakeups: back-to-back writes with ten subscriptions, so jobs
// are queued while the subscriptions' turns end; every delivery must
// arrive (a release overwriting a concurrent fan-out's due time would
// strand jobs until the next change).
func TestNoLostWakeups(t *testing.T) {
	if testing.Short() {
		t.Skip("stress")
	}
	each(t, "", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rc, srv := newCounter(t)
		for i := 0; i < 10; i++ {
			r := a.Do("POST", "/api/webhook", a.Token, map[string]any{"url": path("%s/hook?sub=%d", srv.URL, i), "events": []string{"customer.created"}}).Status(201).JSON()
			rc.mu.Lock()
			rc.secrets[path("%d", i)] = r["secret"].(string)
			rc.mu.Unlock()
		}
		const n = 200
		for i := 0; i < n; i++ {
			a.Do("POST", "/api/customer", a.Token, map[string]any{"name": path("C%d", i)}).Status(201)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			pairs, _, _ := rc.stats()
			if pairs == n*10 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d deliveries arrived", pairs, n*10)
			}
			time.Sleep(20 * time.Millisecond)
		}
		_, receptions, repeated := rc.stats()
		if receptions != n*10 || len(repeated) > 0 || len(rc.bad) > 0 {
			t.Fatalf("%d receptions, %d repeated ids, %v", receptions, len(repeated), rc.bad)
		}
	})
}

func TestSweep(t *testing.T) {
	each(t, "", func(t *testing.T, e *apitest.Env) {
		a := e.Company("Acme")
		rcv := newReceiver(t)
		hook, _ := subscribe(t, a, a.Token, rcv, "customer.created")
		sys := e.App.Service.Events.(*webhook.System)
		ctx := context.Background()
		if n, err := sys.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep of an idle subscription: %d %v", n, err)
		}
		// a job whose subscription lost its due time (the bug the sweep is for)
		ev, err := e.DB.Writer().InsertSQL(ctx, "INSERT INTO webhook_events (company_id, uid, event, resource, record_id, payload, occurred_at, dispatched) VALUES (?, 'evt_x', 'customer.created', 'customer', 1, '{\"data\":{\"id\":1}}', ?, 1)",
			a.CompanyID, e.DB.Dialect.Time(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Writer().Exec(ctx, "INSERT INTO webhook_jobs (company_id, webhook_id, event_pk, delivery_uid, kind, state, attempts, run_at, created_at, updated_at) VALUES (?, ?, ?, 'dlv_x', 0, 0, 0, ?, ?, ?)",
			a.CompanyID, hook, ev, e.DB.Dialect.Time(time.Now()), e.DB.Dialect.Time(time.Now()), e.DB.Dialect.Time(time.Now())); err != nil {
			t.Fatal(err)
		}
		if n, err := sys.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if d := rcv.waitN(1); d[0].ID != "dlv_x" {
			t.Fatalf("swept job: %+v", d[0])
		}
	})
}
