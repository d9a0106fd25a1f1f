package webhook_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cirqll/core/internal/apitest"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/openapi"
	"github.com/cirqll/core/internal/webhook"
)

// TestRoutesDocument: the descriptions of the extra routes make a valid
// OpenAPI document with the API's own routes.
func TestRoutesDocument(t *testing.T) {
	e := apitest.New(t, dialect.SQLite)
	b, err := json.Marshal(openapi.Build(e.App.API.Routes(), webhook.Routes()...))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range webhook.Routes() {
		if p := doc.Paths.Find(r.Path); p == nil || p.GetOperation(r.Method) == nil {
			t.Errorf("%s %s missing", r.Method, r.Path)
		}
	}
}
