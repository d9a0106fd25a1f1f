// Command cirqll-load is the project's own load generator: it runs the
// budgeted workloads of the resources issue against a running server with
// a bearer token, at a fixed concurrency over keep-alive connections, and
// prints req/s and latency percentiles per workload (medians over -reps).
//
//	cirqll-load -url http://127.0.0.1:8080 -token T -max-id 100000 [-c 16] [-d 10s] [-reps 3]
//
// scripts/loadtest.sh builds, seeds and starts a server and runs this.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type workload struct {
	name string
	desc string
	make func(r *rand.Rand) (method, path, body string)
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server URL")
	token := flag.String("token", "", "bearer token")
	maxID := flag.Int("max-id", 100000, "customer ids are 1..max-id")
	conc := flag.Int("c", 16, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration per run")
	warm := flag.Duration("warmup", 2*time.Second, "warm-up per run")
	reps := flag.Int("reps", 3, "runs per workload (medians reported)")
	only := flag.String("only", "", "comma-separated workload names")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "cirqll-load: -token is required")
		os.Exit(2)
	}
	letters := "abcdefghijklmnoprstuvw"
	syll := []string{"kal", "ter", "van", "ber", "dam", "hof", "ank", "ros", "elj", "ika"}
	wls := []workload{
		{"list", "GET /api/customer?order_by=created_at:desc&limit=50&offset=50*(0..99)", func(r *rand.Rand) (string, string, string) {
			return "GET", fmt.Sprintf("/api/customer?order_by=created_at:desc&limit=50&offset=%d", 50*r.IntN(100)), ""
		}},
		{"filter", "GET /api/customer?filter=name:like:<3 letters>&with=contacts&order_by=name:asc&limit=25", func(r *rand.Rand) (string, string, string) {
			s := syll[r.IntN(len(syll))]
			if r.IntN(2) == 0 {
				s = string([]byte{letters[r.IntN(len(letters))], letters[r.IntN(len(letters))], letters[r.IntN(len(letters))]})
			}
			return "GET", "/api/customer?filter=name:like:" + s + "&with=contacts&order_by=name:asc&limit=25", ""
		}},
		{"show", "GET /api/customer/{id}?with=user,contacts,field_values", func(r *rand.Rand) (string, string, string) {
			return "GET", fmt.Sprintf("/api/customer/%d?with=user,contacts,field_values", 1+r.IntN(*maxID)), ""
		}},
		{"create", "POST /api/customer (6 fields + address)", func(r *rand.Rand) (string, string, string) {
			n := r.IntN(1 << 30)
			return "POST", "/api/customer", fmt.Sprintf(`{"name":"Load %d BV","type":"company","status":"lead","email":"load%d@example.nl","phone":"+31 6 %08d","website":"https://example.nl","address":{"street":"Kerkstraat","house_number":"%d","postal_code":"1234 AB","city":"Utrecht","country":"NL"}}`, n, n, n%100000000, 1+n%200)
		}},
		{"update", "PATCH /api/customer/{id} {status}", func(r *rand.Rand) (string, string, string) {
			st := []string{"lead", "prospect", "customer", "inactive"}[r.IntN(4)]
			return "PATCH", fmt.Sprintf("/api/customer/%d", 1+r.IntN(*maxID)), `{"status":"` + st + `"}`
		}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc}, Timeout: 30 * time.Second}
	fmt.Printf("%-8s %8s %8s %8s %8s %8s  %s\n", "workload", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "request")
	results := map[string]any{}
	for _, w := range wls {
		if *only != "" && !strings.Contains(","+*only+",", ","+w.name+",") {
			continue
		}
		var rps, p50, p90, p99 []float64
		var errs int64
		for i := 0; i < *reps; i++ {
			run(client, *base, *token, w, *conc, *warm, nil)
			s := run(client, *base, *token, w, *conc, *dur, &errs)
			rps, p50, p90, p99 = append(rps, s.rps), append(p50, s.p50), append(p90, s.p90), append(p99, s.p99)
		}
		fmt.Printf("%-8s %8.0f %8.2f %8.2f %8.2f %8d  %s\n", w.name, median(rps), median(p50), median(p90), median(p99), errs, w.desc)
		results[w.name] = map[string]float64{"rps": median(rps), "p50_ms": median(p50), "p90_ms": median(p90), "p99_ms": median(p99), "errors": float64(errs)}
	}
	if out := os.Getenv("LOAD_JSON"); out != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		_ = os.WriteFile(out, b, 0o644)
	}
}

type stats struct{ rps, p50, p90, p99 float64 }

func run(client *http.Client, base, token string, w workload, conc int, d time.Duration, errs *int64) stats {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				m, p, b := w.make(r)
				req, _ := http.NewRequest(m, base+p, bytes.NewReader([]byte(b)))
				req.Header.Set("Authorization", "Bearer "+token)
				if b != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
					bad.Add(1)
				}
				local = append(local, time.Since(t0))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(uint64(i))
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	if errs != nil {
		*errs += bad.Load()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	return stats{rps: float64(n.Load()) / el, p50: pct(.5), p90: pct(.9), p99: pct(.99)}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
