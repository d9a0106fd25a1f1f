package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/seed"
	"github.com/cirqll/core/internal/store/storetest"
)

// BenchmarkAPI measures the budgeted workloads through the real router,
// middleware, bearer check and database (seeded with 5,000 customers x 2
// contacts). Run: go test -run '^$' -bench API -benchmem ./internal/httpapi
func BenchmarkAPI(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d.String(), func(b *testing.B) { benchAPI(b, d) })
	}
}

func benchAPI(b *testing.B, d dialect.Dialect) {
	e := apitest.New(b, d)
	t := e.Company("Bench")
	if _, err := seed.Run(context.Background(), e.DB, t.CompanyID, seed.Options{Customers: 5000, ContactsPer: 2}); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	do := func(b *testing.B, method, path, body string) {
		req, _ := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+t.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	cases := []struct{ name, method, path, body string }{
		{"list", "GET", "/api/customer?order_by=created_at:desc&limit=25&offset=%d", ""},
		{"list_nototal", "GET", "/api/customer?order_by=created_at:desc&limit=25&offset=%d&total=false", ""},
		{"filter_with_contacts", "GET", "/api/customer?filter=name:like:kal&order_by=name:asc&limit=25&with=contacts", ""},
		{"show_with", "GET", "/api/customer/%d?with=user,contacts,field_values", ""},
		{"create", "POST", "/api/customer", `{"name":"Bench BV","type":"company","status":"lead","email":"a@b.nl","address":{"city":"Utrecht"}}`},
		{"update", "PATCH", "/api/customer/%d", `{"status":"prospect"}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					path := c.path
					if strings.Contains(path, "%d") {
						n := 1 + i%4000
						if strings.Contains(path, "offset") {
							n = 25 * (i % 100)
						}
						path = fmt.Sprintf(path, n)
					}
					body := c.body
					if c.method == "PATCH" {
						body = []string{`{"status":"prospect"}`, `{"status":"lead"}`}[i%2]
					}
					do(b, c.method, path, body)
				}
			})
		})
	}
}
