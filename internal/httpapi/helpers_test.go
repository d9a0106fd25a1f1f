package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

// p formats a request path: p("/api/customer/%d?with=%s", id, "user").
func p(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// q escapes a query parameter value.
func q(s string) string { return url.QueryEscape(s) }

// obj is a JSON object of a request body or an answer.
type obj = map[string]any

// at walks a decoded JSON value by a dotted path ("errors.name",
// "data.0.id"); missing steps give nil.
func at(v any, path string) any {
	if path == "" {
		return v
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		case []map[string]any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// has reports whether a dotted path names a present key (even if null).
func has(m map[string]any, path string) bool {
	parts := strings.Split(path, ".")
	v := at(m, strings.Join(parts[:len(parts)-1], "."))
	o, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = o[parts[len(parts)-1]]
	return ok
}

// num turns a decoded JSON number (json.Number) into an int64; -1 if it is
// not one.
func num(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return -1
		}
		return n
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	}
	return -1
}

// norm re-encodes v so values decoded with UseNumber and Go literals
// compare equal (1 == json.Number("1")).
func norm(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// same reports whether two JSON values are equal.
func same(a, b any) bool { return reflect.DeepEqual(norm(a), norm(b)) }

// wantEq fails unless got equals want as JSON.
func wantEq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("%s = %s, want %s", what, js(got), js(want))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// errorKeys lists the fields of a 422 body's errors, sorted.
func errorKeys(t testing.TB, r *apitest.Response) []string {
	t.Helper()
	m := r.JSON()
	errs, ok := m["errors"].(map[string]any)
	if !ok {
		t.Fatalf("no errors object in %s", r.Body)
	}
	var keys []string
	for k, v := range errs {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			t.Errorf("errors.%s is not a non-empty list of messages: %s", k, r.Body)
		}
		for _, s := range l {
			if str, ok := s.(string); !ok || str == "" {
				t.Errorf("errors.%s holds a non-string message: %s", k, r.Body)
			}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// want422 asserts a Laravel-shaped 422 naming exactly fields.
func want422(t testing.TB, r *apitest.Response, fields ...string) {
	t.Helper()
	on(t, r)
	r.Status(422)
	m := r.JSON()
	if s, _ := m["message"].(string); s == "" {
		t.Errorf("422 without message: %s", r.Body)
	}
	got := errorKeys(t, r)
	want := append([]string(nil), fields...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("422 fields = %v, want %v: %s", got, want, r.Body)
	}
}

// want400 asserts the query-parameter 400 shape naming param; pos >= 0 also
// checks the first error's position.
func want400(t testing.TB, r *apitest.Response, param string, pos int) {
	t.Helper()
	on(t, r)
	r.Status(400)
	m := r.JSON()
	if s, _ := m["message"].(string); s == "" {
		t.Errorf("400 without message: %s", r.Body)
	}
	if m["parameter"] != param {
		t.Errorf("400 parameter = %v, want %s: %s", m["parameter"], param, r.Body)
	}
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("400 without errors list: %s", r.Body)
	}
	for _, e := range errs {
		if s, _ := at(e, "message").(string); s == "" || num(at(e, "position")) < 0 {
			t.Errorf("400 error without position/message: %s", r.Body)
		}
	}
	if pos >= 0 && num(at(errs[0], "position")) != int64(pos) {
		t.Errorf("400 position = %v, want %d: %s", at(errs[0], "position"), pos, r.Body)
	}
}

// ids lists the ids of a list answer's data, in order.
func ids(r *apitest.Response) []int64 {
	out := []int64{}
	for _, d := range r.Data() {
		out = append(out, num(d["id"]))
	}
	return out
}

// envelope asserts a list envelope's limit, total and offset (total < 0:
// null).
func envelope(t testing.TB, v any, limit, total, offset int64) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an envelope: %s", js(v))
	}
	if _, ok := m["data"].([]any); !ok {
		if _, ok2 := m["data"].([]map[string]any); !ok2 {
			t.Errorf("envelope data is not a list: %s", js(v))
		}
	}
	if len(m) != 4 {
		t.Errorf("envelope has keys other than data/limit/total/offset: %s", js(v))
	}
	if num(m["limit"]) != limit || num(m["offset"]) != offset {
		t.Errorf("envelope limit/offset = %v/%v, want %d/%d", m["limit"], m["offset"], limit, offset)
	}
	if total < 0 {
		if m["total"] != nil {
			t.Errorf("envelope total = %v, want null", m["total"])
		}
	} else if num(m["total"]) != total {
		t.Errorf("envelope total = %v, want %d", m["total"], total)
	}
}

// logs returns the activity log entries of one subject, oldest first.
func logs(t testing.TB, a *apitest.Tenant, subject string, id int64) []map[string]any {
	t.Helper()
	return on(t, a.Do("GET", p("/api/activity_log?filter=subject_type:eq:%s,subject_id:eq:%d&limit=1000", subject, id), a.Token, nil)).Status(200).Data()
}

// count is the total of an Index.
func total(t testing.TB, a *apitest.Tenant, path string) int64 {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return num(on(t, a.Do("GET", path+sep+"limit=0", a.Token, nil)).Status(200).JSON()["total"])
}

// roleID is the id of a role of the tenant by name.
func roleID(t testing.TB, a *apitest.Tenant, name string) int64 {
	t.Helper()
	d := on(t, a.Do("GET", "/api/role?filter=name:eq:"+q(name), a.Token, nil)).Status(200).Data()
	if len(d) != 1 {
		t.Fatalf("role %s: %v", name, d)
	}
	return num(d[0]["id"])
}
