package httpapi_test

import (
	"testing"

	"github.com/cirqll/core/internal/apitest"
)

// A server error on /oauth carries the request id of the observe
// middleware in its body, as the API's 500s do.
func TestOAuthServerErrorRequestID(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		if _, err := e.DB.Writer().Exec(t.Context(), `ALTER TABLE oauth_clients RENAME TO oauth_clients_gone`); err != nil {
			t.Fatal(err)
		}
		r := e.Do("POST", "/oauth/token", "", `{"grant_type":"client_credentials","client_id":"x","client_secret":"y"}`, "X-Request-Id: oauth-500")
		body := on(t, r).Status(500).JSON()
		if body["request_id"] != "oauth-500" || r.Header.Get("X-Request-Id") != "oauth-500" || body["message"] != "Server Error" {
			t.Fatalf("500: %v %v", r.Header, body)
		}
	})
}
