package webhook

import (
	"github.com/cirqll/core/internal/openapi"
	"github.com/cirqll/core/internal/schema"
)

// Routes describes the routes Mount adds, for the OpenAPI document
// (app.New hands them to openapi.Mounter; openapi's
// TestEveryRouteDocumented checks them against Mount's patterns).
func Routes() []openapi.Route {
	entry := openapi.RecordRef(schema.WebhookDelivery)
	q := func(name, desc string) *openapi.Parameter {
		return &openapi.Parameter{Name: name, In: "query", Description: desc, Schema: openapi.Str("")}
	}
	params := append(openapi.PageParams(),
		q("filter", "Filter the attempts like any Index (spec query.md), e.g. status:eq:failed."),
		q("order_by", "Order like any Index; default id:desc (newest first)."),
		q("total", "false skips the count."),
	)
	return []openapi.Route{
		{Method: "GET", Path: "/api/webhook/{id}/deliveries", Tag: "webhook", API: true, Scopes: []string{"webhook.read.all"},
			Summary:     "Delivery history of a subscription",
			Description: "One entry per attempt, newest first: status pending (not yet attempted), succeeded or failed (next_retry_at set when a retry is ahead). Kept 30 days.",
			Params:      params, Response: openapi.Ref("WebhookDeliveryList"), Errors: []int{400, 404}},
		{Method: "POST", Path: "/api/webhook/{id}/deliveries/{delivery}/retry", Tag: "webhook", API: true, Scopes: []string{"webhook.update.all"},
			Summary: "Send a delivery's event again now",
			Description: "Same X-Cirqll-Delivery id. A delivery waiting for its retry is moved forward; a finished one (succeeded or given up) is sent once more, " +
				"outside the subscription's event order. Answers the pending attempt; 409 when the subscription is inactive.",
			Status: 202, Response: entry, Errors: []int{404, 409}},
		{Method: "POST", Path: "/api/webhook/{id}/test", Tag: "webhook", API: true, Scopes: []string{"webhook.update.all"},
			Summary:     "Send a ping event",
			Description: "Queues a ping whose data is the subscription (without its secret), outside the event order. Answers the pending attempt; 409 when the subscription is inactive.",
			Status:      202, Response: entry, Errors: []int{404, 409}},
	}
}
