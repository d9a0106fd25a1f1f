package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

func TestBlocked(t *testing.T) {
	for ip, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "172.31.255.255": true,
		"192.168.0.10": true, "169.254.169.254": true, "169.254.0.1": true, "fe80::1": true, "fc00::1": true, "fd00:ec2::254": true,
		"0.0.0.0": true, "::": true, "100.64.0.1": true, "100.100.100.200": true, "224.0.0.1": true, "255.255.255.255": true,
		"::ffff:127.0.0.1": true, "::ffff:10.1.1.1": true, "64:ff9b::a9fe:a9fe": true, "198.18.0.1": true, "240.0.0.1": true,
		"8.8.8.8": false, "1.1.1.1": false, "172.32.0.1": false, "203.0.113.7": false, "2606:4700::1111": false, "64:ff9b::808:808": false,
	} {
		if got := Blocked(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Blocked(%s) = %v, want %v", ip, got, want)
		}
	}
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST.": true, "a.localhost": true, "127.0.0.1": true,
		"[::1]": true, "example.com": false, "8.8.8.8": false} {
		if got := literalBlocked(host); got != want {
			t.Errorf("literalBlocked(%s) = %v, want %v", host, got, want)
		}
	}
}

// TestClientGuard: outside development mode every connection's address is
// checked, whatever name led to it; redirects are never followed.
func TestClientGuard(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	opt := Defaults()
	opt.Timeout = 5 * time.Second
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := newClient(opt).Post(u, "application/json", strings.NewReader("{}"))
		if err == nil || !errors.Is(err, errBlocked) {
			t.Fatalf("production client reached %s: %v", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("guarded client reached the server")
	}
	opt.Private = true
	resp, err := newClient(opt).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Fatalf("redirect followed: %d, %d hits", resp.StatusCode, hits)
	}
}

func TestSignAndDelay(t *testing.T) {
	// the example of docs/webhooks.md (openssl dgst -sha256 -hmac whsec)
	if got := Sign("whsec", 1700000000, []byte(`{"id":"evt_1"}`)); got != "sha256=e7e846cdb96220c3674ade89e534304fc91f6f15064facee1e7a7096f5f57f62" {
		t.Fatalf("sign: %s", got)
	}
	s := &System{opt: Defaults()}
	for n, base := range s.opt.Backoff {
		d, ok := s.delay(int64(n + 1))
		if !ok || d < time.Duration(float64(base)*0.8) || d > time.Duration(float64(base)*1.2) {
			t.Errorf("delay %d = %v (base %v)", n+1, d, base)
		}
	}
	if _, ok := s.delay(int64(len(s.opt.Backoff) + 1)); ok {
		t.Error("a retry beyond the schedule")
	}
}

// TestOutboxCommitsWithTheChange: an event exists exactly when the
// transaction that emitted it committed (and the company has an active
// subscription to deliver it to).
func TestOutboxCommitsWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cid, uid, err := db.CreateCompany(ctx, store.NewCompany{Name: "Outbox", OwnerEmail: "o@outbox.test", OwnerPassword: "outbox-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		s := New(config.Config{Env: "development"}, db, &resource.Service{DB: db}, nil, Defaults())
		ev := resource.Event{CompanyID: cid, Name: "customer.created", Resource: schema.Customer, RecordID: 7,
			Data: map[string]any{"id": int64(7), "name": "X", "user_id": uid}, UserID: uid}
		count := func() (n int) {
			if err := db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM webhook_events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Without an active subscription there is nobody to tell: no event.
		if err := db.Tx(ctx, func(tx store.Conn) error { return s.Emit(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Fatalf("a company without subscriptions got %d events", n)
		}
		now := db.Dialect.Time(store.Now())
		if _, err := db.Writer().Exec(ctx, "INSERT INTO webhooks (company_id, url, events, secret, active, created_at, updated_at) VALUES (?, 'https://example.com/hook', '[\"*\"]', 'secret', ?, ?, ?)",
			cid, db.Dialect.Bool(true), now, now); err != nil {
			t.Fatal(err)
		}
		db.Touch(cid, "webhooks") // as every write through the API does
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx store.Conn) error {
			if err := s.Emit(ctx, tx, ev); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Fatalf("a rolled-back change left %d events", n)
		}
		if err := db.Tx(ctx, func(tx store.Conn) error { return s.Emit(ctx, tx, ev) }); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Fatalf("a committed change left %d events", n)
		}
		var body string
		var owner int64
		if err := db.Reader().QueryRow(ctx, "SELECT payload, owner_id FROM webhook_events").Scan(&body, &owner); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(body, `{"id":"evt_`) || !strings.Contains(body, `"data":{"id":7,"name":"X","user_id":`) || strings.Contains(body, "previous") || owner != uid {
			t.Fatalf("payload %s owner %d", body, owner)
		}
	})
}

func TestEventNames(t *testing.T) {
	names := strings.Join(EventNames(), " ")
	for _, r := range []string{"customer", "contact", "task", "todo", "appointment", "chance", "assignment", "contract", "email", "note", "user"} {
		for _, a := range []string{"created", "updated", "deleted"} {
			if !strings.Contains(names, r+"."+a) {
				t.Errorf("missing %s.%s", r, a)
			}
		}
	}
	for _, n := range []string{"chance.won", "chance.lost", "task.completed", "ping"} {
		if !known[n] {
			t.Errorf("missing %s", n)
		}
	}
	if known["webhook.created"] || known["role.created"] {
		t.Error("events of resources without events")
	}
}
