package webhook_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a receiver for many subscriptions (?sub=N) that counts every
// reception per X-Cirqll-Delivery id.
type counter struct {
	mu      sync.Mutex
	byID    map[string]int       // receptions per delivery id
	first   map[string]time.Time // first reception per delivery id
	pairs   map[string]string    // "sub/customer id" -> delivery id
	bad     []string
	total   atomic.Int64
	secrets map[string]string
	delay   time.Duration
}

func newCounter(t *testing.T) (*counter, *httptest.Server) {
	c := &counter{byID: map[string]int{}, first: map[string]time.Time{}, pairs: map[string]string{}, secrets: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sub := r.URL.Query().Get("sub")
		var p struct {
			Data struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &p)
		id := r.Header.Get("X-Cirqll-Delivery")
		c.mu.Lock()
		if !verify(c.secrets[sub], r.Header.Get("X-Cirqll-Timestamp"), body, r.Header.Get("X-Cirqll-Signature")) {
			c.bad = append(c.bad, "bad signature for sub "+sub)
		}
		key := fmt.Sprintf("%s/%d", sub, p.Data.ID)
		if prev, ok := c.pairs[key]; ok && prev != id {
			c.bad = append(c.bad, fmt.Sprintf("%s delivered under two ids %s and %s", key, prev, id))
		}
		c.pairs[key] = id
		if c.byID[id] == 0 {
			c.first[id] = time.Now()
		}
		c.byID[id]++
		delay := c.delay
		c.mu.Unlock()
		c.total.Add(1)
		if delay > 0 {
			time.Sleep(delay)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return c, srv
}

// stats: distinct (subscription, record) pairs, receptions, repeated ids.
func (c *counter) stats() (pairs, receptions int, repeated map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	repeated = map[string]int{}
	for id, n := range c.byID {
		receptions += n
		if n > 1 {
			repeated[id] = n
		}
	}
	return len(c.pairs), receptions, repeated
}

// TestTwoInstances runs two servers on one PostgreSQL database. While both
// run, a few thousand deliveries are each made exactly once; then one is
// killed (SIGKILL) in the middle of delivering, the other takes its
// subscriptions over when their leases run out, nothing is lost, and the
// only repeats are of attempts in flight at the kill, under the delivery
// id the receiver already saw.
func TestTwoInstances(t *testing.T) {
	if pgAdmin() == "" {
		t.Skip("CIRQLL_TEST_POSTGRES_URL is not set")
	}
	bin := buildServer(t)
	dbURL := pgURL(t)
	id, secret, _ := prepare(t, bin, dbURL)
	a := serve(t, bin, dbURL)
	b := serve(t, bin, dbURL)
	tok := token(t, a.base, id, secret)
	rc, srv := newCounter(t)
	rc.delay = time.Millisecond

	const subs = 4
	for i := 0; i < subs; i++ {
		st, w := call(t, "POST", a.base+"/api/webhook", tok, map[string]any{"url": fmt.Sprintf("%s/hook?sub=%d", srv.URL, i), "events": []string{"customer.created"}})
		if st != 201 {
			t.Fatalf("subscribe: %d %v", st, w)
		}
		rc.mu.Lock()
		rc.secrets[fmt.Sprint(i)] = w["secret"].(string)
		rc.mu.Unlock()
	}
	// create makes n customers with 8 writers; pick chooses the server of
	// the i-th. A request to a server killed meanwhile may or may not have
	// committed: the truth is counted afterwards.
	create := func(n int, pick func(i int) *proc) {
		var wg sync.WaitGroup
		work := make(chan int)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					p := pick(i)
					st, m := call(nopT{}, "POST", p.base+"/api/customer", tok, map[string]any{"name": fmt.Sprintf("C%d", i)})
					if st != 201 && !(st == 0 && p == a) {
						t.Errorf("create via %s: %d %v", p.base, st, m)
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	wait := func(pairs int, limit time.Duration) {
		deadline := time.Now().Add(limit)
		for {
			got, _, _ := rc.stats()
			if got >= pairs {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d deliveries arrived", got, pairs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Phase 1: both instances write and deliver.
	const n1 = 1500
	start := time.Now()
	create(n1, func(i int) *proc { return []*proc{a, b}[i%2] })
	wait(n1*subs, 5*time.Minute)
	time.Sleep(time.Second) // a duplicate would show up now
	pairs, receptions, repeated := rc.stats()
	if pairs != n1*subs || receptions != n1*subs || len(repeated) != 0 {
		t.Fatalf("phase 1: %d deliveries expected, %d distinct, %d received, %d repeated ids", n1*subs, pairs, receptions, len(repeated))
	}
	t.Logf("phase 1: %d events x %d subscriptions = %d deliveries through 2 instances in %v: 0 lost, 0 duplicates",
		n1, subs, pairs, time.Since(start).Round(time.Millisecond))

	// Phase 2: more events; A is killed while deliveries are in flight.
	const n2 = 1000
	rc.mu.Lock()
	rc.delay = 3 * time.Millisecond
	rc.mu.Unlock()
	killedAt := make(chan time.Time, 1)
	var dead atomic.Bool
	go func() {
		base := rc.total.Load()
		for rc.total.Load() < base+int64(n2*subs/3) {
			time.Sleep(2 * time.Millisecond)
		}
		a.kill()
		dead.Store(true)
		killedAt <- time.Now()
	}()
	// Writes go to A (so A is the one fanning out and delivering) until it dies.
	create(n2, func(int) *proc {
		if dead.Load() {
			return b
		}
		return a
	})
	kill := <-killedAt
	st, list := call(t, "GET", b.base+"/api/customer?limit=0", tok, nil)
	if st != 200 {
		t.Fatalf("count: %d %v", st, list)
	}
	committed := int(list["total"].(float64))
	wait(committed*subs, 5*time.Minute)
	time.Sleep(3 * time.Second) // beyond the lease: late repeats show up now
	pairs, receptions, repeated = rc.stats()
	rc.mu.Lock()
	bad := append([]string(nil), rc.bad...)
	for id := range repeated {
		if !rc.first[id].Before(kill) {
			t.Errorf("delivery %s first seen after the kill, yet repeated", id)
		}
	}
	rc.mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("receiver: %v", bad[:min(len(bad), 5)])
	}
	if pairs != committed*subs {
		t.Fatalf("lost deliveries: %d of %d (%d customers committed)", pairs, committed*subs, committed)
	}
	extra := receptions - pairs
	if extra > subs { // at most one attempt in flight per subscription
		t.Fatalf("%d repeats after the kill; at most %d were in flight", extra, subs)
	}
	t.Logf("phase 2: %d more events (%d committed) x %d subscriptions, instance A killed with SIGKILL mid-delivery: 0 lost, %d repeats (all of ids first received before the kill, same X-Cirqll-Delivery)",
		n2, committed-n1, subs, extra)
}

// nopT swallows call's errors: requests to a killed server fail.
type nopT struct{ testing.TB }

func (nopT) Errorf(string, ...any) {}
