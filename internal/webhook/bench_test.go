package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/store/storetest"
	"github.com/cirqll/core/internal/webhook"
)

// Benchmarks (figures in docs/webhooks.md):
//
//	CIRQLL_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//	  go test ./internal/webhook -run '^$' -bench . -benchtime 2000x
//
// Run with -benchtime 2000x: the Live and Write benchmarks make b.N writes.
//
// BenchmarkDrain: a backlog of events (queued while no instance delivers)
// drained by one instance: events/s and deliveries/s from "start" to the
// last delivery arriving.
// BenchmarkLive: throughput with 8 clients writing as fast as they can and
// one subscription (events/s from the first commit to the last delivery);
// latency with one client writing 50 per second (from a write's answer to
// its last delivery arriving, p50 and p99), for 1 and 10 subscriptions.
// BenchmarkWrite: p50/p90 of one POST /api/customer, one client, with the
// webhook machinery off, on with no subscription, and with 10 listening.

// sink is a receiver that only counts (and notes arrival times by record).
type sink struct {
	n       atomic.Int64
	mu      sync.Mutex
	arrived map[string]time.Time // last arrival per customer name
	count   map[string]int
	srv     *httptest.Server
}

func newSink(b testing.TB, keep bool) *sink {
	s := &sink{}
	if keep {
		s.arrived, s.count = map[string]time.Time{}, map[string]int{}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.arrived != nil {
			body, _ := io.ReadAll(r.Body)
			now := time.Now()
			name := nameOf(body)
			s.mu.Lock()
			s.arrived[name] = now
			s.count[name]++
			s.mu.Unlock()
		} else {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		s.n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(s.srv.Close)
	return s
}

// nameOf finds "name":"..." of the customer in a payload without decoding.
func nameOf(body []byte) string {
	const k = `"name":"`
	for i := 0; i+len(k) < len(body); i++ {
		if string(body[i:i+len(k)]) == k {
			j := i + len(k)
			for e := j; e < len(body); e++ {
				if body[e] == '"' {
					return string(body[j:e])
				}
			}
		}
	}
	return ""
}

func (s *sink) waitN(b testing.TB, n int64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for s.n.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries", s.n.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func hookFor(b testing.TB, a *apitest.Tenant, url string) {
	r := a.Do("POST", "/api/webhook", a.Token, map[string]any{"url": url, "events": []string{"customer.created"}})
	if r.Code != 201 {
		b.Fatalf("subscribe: %d %s", r.Code, r.Body)
	}
}

func BenchmarkDrain(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, subs := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/subs=%d", d, subs), func(b *testing.B) {
				events := b.N
				b.StopTimer()
				b.Setenv("CIRQLL_WEBHOOK_WORKERS", "0")
				e := apitest.New(b, d)
				a := e.Company("Bench")
				s := newSink(b, false)
				for i := 0; i < subs; i++ {
					hookFor(b, a, s.srv.URL)
				}
				writeMany(b, a, events, 8)
				waitFanout(b, e, events*subs)
				sys := webhook.New(config.Config{Env: "development"}, e.DB, &resource.Service{DB: e.DB}, quiet(), devOptions())
				b.StartTimer()
				start := time.Now()
				if err := sys.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				s.waitN(b, int64(events*subs), 5*time.Minute)
				el := time.Since(start)
				b.StopTimer()
				sys.Stop(context.Background())
				b.ReportMetric(float64(events)/el.Seconds(), "events/s")
				b.ReportMetric(float64(events*subs)/el.Seconds(), "deliveries/s")
			})
		}
	}
}

func devOptions() webhook.Options {
	o := webhook.Defaults()
	o.Private = true
	return o
}

// waitFanout waits until the outbox has become n pending deliveries.
func waitFanout(b testing.TB, e *apitest.Env, n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var got int
		if err := e.DB.Reader().QueryRow(context.Background(), "SELECT COUNT(*) FROM webhook_jobs WHERE state = 0").Scan(&got); err != nil {
			b.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("fan-out: %d of %d jobs", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeMany creates n customers with c concurrent clients and returns when
// each was answered (committed), with the answer time per name.
func writeMany(b testing.TB, a *apitest.Tenant, n, c int) map[string]time.Time {
	var mu sync.Mutex
	done := map[string]time.Time{}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("Customer %d", i)
				r := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": name})
				if r.Code != 201 {
					b.Errorf("create: %d %s", r.Code, r.Body)
				}
				mu.Lock()
				done[name] = time.Now()
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return done
}

func BenchmarkLive(b *testing.B) {
	for _, d := range storetest.Dialects() {
		// Throughput: 8 clients write as fast as they can; one subscription.
		b.Run(d.String()+"/throughput", func(b *testing.B) {
			e := apitest.New(b, d)
			a := e.Company("Bench")
			s := newSink(b, false)
			hookFor(b, a, s.srv.URL)
			b.ResetTimer()
			start := time.Now()
			writeMany(b, a, b.N, 8)
			s.waitN(b, int64(b.N), 5*time.Minute)
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
		})
		// Latency: one client writes 50 per second; from each write's answer
		// to its last delivery arriving.
		for _, subs := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/latency/subs=%d", d, subs), func(b *testing.B) {
				e := apitest.New(b, d)
				a := e.Company("Bench")
				s := newSink(b, true)
				for i := 0; i < subs; i++ {
					hookFor(b, a, s.srv.URL)
				}
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				answered := make(map[string]time.Time, b.N)
				b.ResetTimer()
				for i := range b.N {
					<-tick.C
					name := fmt.Sprintf("L%d", i)
					r := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": name})
					answered[name] = time.Now()
					if r.Code != 201 {
						b.Fatalf("create: %d", r.Code)
					}
				}
				s.waitN(b, int64(b.N*subs), 5*time.Minute)
				b.StopTimer()
				var lat []time.Duration
				s.mu.Lock()
				for name, at := range answered {
					lat = append(lat, s.arrived[name].Sub(at))
				}
				s.mu.Unlock()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-commit-to-receiver-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-commit-to-receiver-ms")
			})
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, pace := range []int{0, 50} {
			for _, mode := range []string{"off", "0-subs", "10-subs"} {
				name := fmt.Sprintf("%s/back-to-back/%s", d, mode)
				if pace > 0 {
					name = fmt.Sprintf("%s/%d-per-s/%s", d, pace, mode)
				}
				b.Run(name, func(b *testing.B) { benchWrite(b, d, mode, pace) })
			}
		}
	}
}

// benchWrite: b.N creates by one client, back to back (pace 0) or pace
// per second; p50/p90 of their latency.
func benchWrite(b *testing.B, d dialect.Dialect, mode string, pace int) {
	e := apitest.New(b, d)
	a := e.Company("Bench")
	if mode == "off" {
		e.App.Service.Events = nil // no outbox at all: the baseline
	}
	var s *sink
	if mode == "10-subs" {
		s = newSink(b, false)
		for i := 0; i < 10; i++ {
			hookFor(b, a, s.srv.URL)
		}
	}
	for i := 0; i < 100; i++ { // warm up
		a.Do("POST", "/api/customer", a.Token, map[string]any{"name": "warm"})
	}
	var tick *time.Ticker
	if pace > 0 {
		tick = time.NewTicker(time.Second / time.Duration(pace))
		defer tick.Stop()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if tick != nil {
			<-tick.C
		}
		t0 := time.Now()
		r := a.Do("POST", "/api/customer", a.Token, map[string]any{"name": fmt.Sprintf("C%d", i)})
		lat = append(lat, time.Since(t0))
		if r.Code != 201 {
			b.Fatalf("create: %d", r.Code)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	if s != nil {
		s.waitN(b, int64(10*(b.N+100)), 5*time.Minute) // every delivery made
	}
}
