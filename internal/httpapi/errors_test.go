package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/store/storetest"
)

func wantMessage(t testing.TB, r *apitest.Response, status int, msg string) {
	t.Helper()
	on(t, r).Status(status)
	if got := r.JSON()["message"]; got != msg {
		t.Errorf("%d message = %v, want %q", status, got, msg)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Errors")
		cpath := p("/api/customer/%d", f.customer)

		t.Run("401", func(t *testing.T) {
			for _, auth := range []string{"", "Authorization: Bearer nope", "Authorization: Basic Zm9vOmJhcg==", "Authorization: Bearer " + f.a.Token + "x", "Authorization: " + f.a.Token} {
				var hdr []string
				if auth != "" {
					hdr = []string{auth}
				}
				r := on(t, e.Do("GET", "/api/customer", "", nil, hdr...))
				wantMessage(t, r, 401, "Unauthenticated.")
				if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", h)
				}
				if r.Header.Get("X-RateLimit-Limit") == "" {
					t.Errorf("401 without rate-limit headers")
				}
			}
			// a write without a token is refused before its body is looked at
			wantMessage(t, on(t, e.Do("POST", "/api/customer", "", "not json")), 401, "Unauthenticated.")
			wantMessage(t, on(t, e.Do("GET", "/api/nothing", "", nil)), 401, "Unauthenticated.")
		})

		t.Run("404", func(t *testing.T) {
			for _, path := range []string{"/api/customer/999999", "/api/customer/abc", "/api/customer/0", "/api/customer/-1", "/api/customer/1.5", "/api/nothing", "/api/customer/1/contacts"} {
				wantMessage(t, f.do(t, "GET", path, nil), 404, "Not found.")
			}
			wantMessage(t, f.do(t, "PATCH", "/api/customer/999999", obj{"name": "x"}), 404, "Not found.")
			wantMessage(t, f.do(t, "DELETE", "/api/customer/999999", nil), 404, "Not found.")
			r := f.do(t, "PUT", cpath, obj{"name": "x"})
			wantMessage(t, r, 405, "Method not allowed.")
			if allow := r.Header.Get("Allow"); !strings.Contains(allow, "PATCH") || !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
				t.Errorf("Allow = %q", allow)
			}
		})

		t.Run("415 and 413", func(t *testing.T) {
			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"} {
				wantMessage(t, f.do(t, "POST", "/api/customer", `{"name":"x"}`, "Content-Type: "+ct), 415, "Requests with a body must send Content-Type: application/json.")
				f.do(t, "PATCH", cpath, `{"name":"x"}`, "Content-Type: "+ct).Status(415)
			}
			f.do(t, "POST", "/api/customer", `{"name":"Charset BV"}`, "Content-Type: application/json; charset=utf-8").Status(201)
			big := `{"name":"big","coc_number":"` + strings.Repeat("x", 1<<20) + `"}`
			f.do(t, "POST", "/api/customer", big).Status(413)
			f.do(t, "PATCH", cpath, big).Status(413)
			// chunked, without a Content-Length
			req, _ := http.NewRequest("POST", e.Server.URL+"/api/customer", io.MultiReader(strings.NewReader(big)))
			req.Header.Set("Authorization", "Bearer "+f.a.Token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Errorf("chunked 1 MiB body: %d, want 413", resp.StatusCode)
			}
			if n := total(t, f.a, "/api/customer?filter=name:eq:big"); n != 0 {
				t.Errorf("a refused body created a record")
			}
		})

		t.Run("400 malformed JSON", func(t *testing.T) {
			for _, body := range []string{
				`{"name":`, `{"name":"a","name":"b"}`, `{"name":"x","address":{"city":"a","city":"b"}}`,
				"{\"name\":\"\xff\xfe\"}", `[]`, `[{"name":"x"}]`, `"name"`, `null`, `1`, `true`, `{"name":"x"} {}`, `{"name":"x"}x`, `{name:"x"}`, `{"name":'x'}`,
			} {
				r := f.do(t, "POST", "/api/customer", body)
				if r.Code != 400 {
					t.Errorf("POST %q: %d, want 400: %s", body, r.Code, r.Body)
					continue
				}
				if s, _ := r.JSON()["message"].(string); s == "" {
					t.Errorf("400 without message: %s", r.Body)
				}
				f.do(t, "PATCH", cpath, body).Status(400)
			}
			if n := total(t, f.a, "/api/customer"); n != 2 {
				t.Errorf("customers = %d after malformed bodies", n)
			}
		})

		t.Run("ETag and If-Match", func(t *testing.T) {
			id := f.create(t, "customer", obj{"name": "Versioned"})
			path := p("/api/customer/%d", id)
			etag := f.do(t, "GET", path, nil).Status(200).Header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, `W/"`) {
				t.Fatalf("ETag = %q", etag)
			}
			r := f.do(t, "PATCH", path, obj{"name": "V2"}, "If-Match: "+etag).Status(200)
			etag2 := r.Header.Get("ETag")
			if etag2 == etag || etag2 != f.do(t, "GET", path, nil).Header.Get("ETag") {
				t.Errorf("ETag after update %q (before %q)", etag2, etag)
			}
			wantMessage(t, f.do(t, "PATCH", path, obj{"name": "V3"}, "If-Match: "+etag), 412, "The record was changed since the given ETag.")
			f.do(t, "DELETE", path, nil, "If-Match: "+etag).Status(412)
			wantEq(t, "after 412", f.do(t, "GET", path, nil).Status(200).JSON()["name"], "V2")
			f.do(t, "PATCH", path, obj{"name": "V3"}, "If-Match: *").Status(200)
			etag3 := f.do(t, "GET", path, nil).Header.Get("ETag")
			f.do(t, "PATCH", path, obj{"name": "V4"}, `If-Match: "nope", W/`+etag3).Status(412) // If-Match compares strongly
			f.do(t, "PATCH", path, obj{"name": "V4"}, `If-Match: "nope", `+etag3).Status(200)
			f.do(t, "DELETE", path, nil, "If-Match: "+etag3).Status(412)
			f.do(t, "DELETE", path, nil, "If-Match: "+f.do(t, "GET", path, nil).Header.Get("ETag")).Status(204)
		})

		t.Run("language", func(t *testing.T) {
			wantMessage(t, f.do(t, "GET", "/api/customer/999999", nil, "Accept-Language: nl"), 404, "Niet gevonden.")
			wantMessage(t, f.do(t, "GET", "/api/customer/999999", nil, "Accept-Language: nl-BE,nl;q=0.9,en;q=0.5"), 404, "Niet gevonden.")
			wantMessage(t, f.do(t, "GET", "/api/customer/999999", nil, "Accept-Language: de"), 404, "Not found.")
			r := f.do(t, "POST", "/api/customer", obj{"email": "x"}, "Accept-Language: nl")
			want422(t, r, "name", "email")
			if s := at(r.JSON(), "errors.name.0").(string); !strings.Contains(s, "verplicht") {
				t.Errorf("Dutch validation message: %s", r.Body)
			}
			want400(t, f.do(t, "GET", "/api/customer?with=bogus", nil, "Accept-Language: nl"), "with", 0)
			if s := at(f.do(t, "GET", "/api/customer?with=bogus", nil, "Accept-Language: nl").JSON(), "errors.0.message").(string); !strings.Contains(s, "Onbekende") {
				t.Errorf("Dutch 400 message: %s", s)
			}
			// without the header: the user's locale, else the company setting
			tok := f.a.TokenFor(f.user, "customer.read.all")
			wantMessage(t, on(t, f.a.Do("GET", "/api/customer/999999", tok, nil)), 404, "Not found.") // company: en
			f.do(t, "PATCH", "/api/setting", obj{"locale": "nl"}).Status(200)
			wantMessage(t, on(t, f.a.Do("GET", "/api/customer/999999", tok, nil)), 404, "Niet gevonden.")
			f.do(t, "PATCH", p("/api/user/%d", f.user), obj{"locale": "en"}).Status(200)
			wantMessage(t, on(t, f.a.Do("GET", "/api/customer/999999", tok, nil)), 404, "Not found.")
			f.do(t, "PATCH", p("/api/user/%d", f.user), obj{"locale": "nl"}).Status(200)
			wantMessage(t, on(t, f.a.Do("GET", "/api/customer/999999", tok, nil)), 404, "Niet gevonden.")
			wantMessage(t, on(t, f.a.Do("GET", "/api/customer/999999", tok, nil, "Accept-Language: en")), 404, "Not found.")
			f.do(t, "PATCH", "/api/setting", obj{"locale": "en"}).Status(200)
		})

		t.Run("rate-limit headers everywhere", func(t *testing.T) {
			for _, r := range []*apitest.Response{
				f.do(t, "GET", "/api/customer", nil), f.do(t, "GET", "/api/customer/999999", nil), f.do(t, "PUT", cpath, obj{}),
				f.do(t, "POST", "/api/customer", obj{}), f.do(t, "POST", "/api/origin", obj{"name": "o"}), f.do(t, "GET", "/api/customer?with=x", nil),
				f.do(t, "GET", "/api/setting", nil), f.do(t, "GET", "/api/permission", nil), f.do(t, "GET", "/api/auth/me", nil),
			} {
				if r.Header.Get("X-RateLimit-Limit") == "" || r.Header.Get("X-RateLimit-Remaining") == "" {
					t.Errorf("a %d without rate-limit headers", r.Code)
				}
			}
		})

		t.Run("request id", func(t *testing.T) {
			r := f.do(t, "GET", "/api/customer", nil, "X-Request-Id: abc.DEF_123-x")
			if r.Header.Get("X-Request-Id") != "abc.DEF_123-x" {
				t.Errorf("valid request id not echoed: %q", r.Header.Get("X-Request-Id"))
			}
			for _, bad := range []string{"has space", "semi;colon", strings.Repeat("a", 129), "ünï"} {
				got := f.do(t, "GET", "/api/customer", nil, "X-Request-Id: "+bad).Header.Get("X-Request-Id")
				if got == "" || got == bad || !validID(got) {
					t.Errorf("invalid request id %q answered with %q", bad, got)
				}
			}
			max := strings.Repeat("a", 128)
			if got := f.do(t, "GET", "/api/customer", nil, "X-Request-Id: "+max).Header.Get("X-Request-Id"); got != max {
				t.Errorf("128 characters not echoed")
			}
			for _, r := range []*apitest.Response{f.do(t, "GET", "/api/customer/999999", nil), on(t, e.Do("GET", "/api/customer", "", nil)), on(t, e.Do("GET", "/healthz", "", nil)), on(t, e.Do("GET", "/nothing", "", nil))} {
				if !validID(r.Header.Get("X-Request-Id")) {
					t.Errorf("no request id on a %d", r.Code)
				}
			}
		})
	})
}

func validID(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Idem")
		body := obj{"name": "Once BV"}
		first := f.do(t, "POST", "/api/customer", body, "Idempotency-Key: k-1").Status(201)
		again := f.do(t, "POST", "/api/customer", body, "Idempotency-Key: k-1").Status(201)
		if !bytes.Equal(first.Body, again.Body) || first.Header.Get("Location") != again.Header.Get("Location") {
			t.Errorf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		if n := total(t, f.a, "/api/customer?filter="+q("name:eq:Once BV")); n != 1 {
			t.Errorf("%d records for one key", n)
		}
		if n := len(logs(t, f.a, "customer", first.ID())); n != 1 {
			t.Errorf("%d log entries for one key", n)
		}
		want422(t, f.do(t, "POST", "/api/customer", obj{"name": "Other body"}, "Idempotency-Key: k-1"), "Idempotency-Key")
		f.do(t, "POST", "/api/customer", body, "Idempotency-Key: k-2").Status(201)
		if n := total(t, f.a, "/api/customer?filter="+q("name:eq:Once BV")); n != 2 {
			t.Errorf("another key: %d records", n)
		}
		// a failed create does not use up its key
		want422(t, f.do(t, "POST", "/api/customer", obj{"name": ""}, "Idempotency-Key: k-3"), "name")
		f.do(t, "POST", "/api/customer", obj{"name": "Fixed"}, "Idempotency-Key: k-3").Status(201)
		// another client's key is its own
		tok := f.a.TokenFor(f.a.OwnerID, "customer.create.all", "customer.read.all")
		on(t, f.a.Do("POST", "/api/contact", tok, obj{"first_name": "x", "customer_id": f.customer}, "Idempotency-Key: k-1")).Status(403)

		// concurrent duplicates create exactly one record
		var wg sync.WaitGroup
		codes := make([]int, 8)
		bodies := make([][]byte, 8)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequest("POST", e.Server.URL+"/api/customer", strings.NewReader(`{"name":"Racing BV"}`))
				req.Header.Set("Authorization", "Bearer "+f.a.Token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "race")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				codes[i] = resp.StatusCode
				bodies[i], _ = io.ReadAll(resp.Body)
			}(i)
		}
		wg.Wait()
		var created []byte
		for i, c := range codes {
			switch c {
			case 201:
				if created != nil && !bytes.Equal(created, bodies[i]) {
					t.Errorf("two different 201 answers for one key:\n%s\n%s", created, bodies[i])
				}
				created = bodies[i]
			case 409:
			default:
				t.Errorf("concurrent duplicate answered %d: %s", c, bodies[i])
			}
		}
		if created == nil {
			t.Errorf("no request of the race succeeded: %v", codes)
		}
		if n := total(t, f.a, "/api/customer?filter="+q("name:eq:Racing BV")); n != 1 {
			t.Errorf("concurrent duplicates created %d records (%v)", n, codes)
		}
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			e := apitest.New(t, d, func(c *config.Config) { c.RateLimit = 3 })
			a := e.Company("Limited")
			for i := 0; i < 3; i++ {
				r := on(t, a.Do("GET", "/api/customer", a.Token, nil)).Status(200)
				if r.Header.Get("X-RateLimit-Limit") != "3" || r.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
					t.Errorf("request %d: limit %q remaining %q", i, r.Header.Get("X-RateLimit-Limit"), r.Header.Get("X-RateLimit-Remaining"))
				}
			}
			r := on(t, a.Do("POST", "/api/customer", a.Token, obj{"name": "Refused"}))
			wantMessage(t, r, 429, "Too Many Requests")
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 60 {
				t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
			if r.Header.Get("X-RateLimit-Reset") == "" || r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("X-RateLimit-Limit") != "3" {
				t.Errorf("429 headers: %v", r.Header)
			}
			var n int
			if err := e.DB.Reader().QueryRow(t.Context(), "SELECT COUNT(*) FROM customers WHERE name = 'Refused'").Scan(&n); err != nil || n != 0 {
				t.Errorf("a refused request was processed: %d %v", n, err)
			}
			// another company's client has its own counter
			b := e.Company("Free")
			on(t, b.Do("GET", "/api/customer", b.Token, nil)).Status(200)
		})
	}
}
