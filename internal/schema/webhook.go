package schema

// Webhook is a subscription: events of the company are POSTed, signed, to
// its url (webhooks.md). The secret is generated on Create and returned in
// full only in that answer; the creating token's scopes, user and grant
// decide at delivery time which events it may receive (a change of url or
// events binds it to the editing token instead).
var Webhook = register(&Resource{
	Name: "webhook", Table: "webhooks", Title: "url",
	Extents: []Extent{All},
	Desc:    "A webhook subscription: signed deliveries of the company's events to a URL (also Zapier REST hooks).",
	Fields: []*Field{
		{Name: "url", Type: URL, Required: true, Desc: "Where events are POSTed: https (http only to loopback in development mode)."},
		{Name: "events", Type: StringList, Required: true, Desc: "Event names (customer.created, chance.won, ping, ...) or \"*\" for all; at least one."},
		text("description"),
		boolean("active", true),
		{Name: "secret", Type: String, Hidden: true, Secret: true, ReadOnly: true,
			Desc: "HMAC-SHA256 signing key, generated; returned in full only by Create."},
		{Name: "secret_last4", Type: String, ReadOnly: true, Desc: "The last four characters of the secret."},
		{Name: "failure_count", Type: Int, ReadOnly: true, Default: int64(0), Desc: "Consecutive events given up on; reset by any successful delivery."},
		{Name: "last_delivery_at", Type: DateTime, ReadOnly: true, Desc: "When the last delivery attempt finished."},
		{Name: "disabled_reason", Type: String, ReadOnly: true, Desc: "Why the server set the subscription inactive (410 Gone, too many failures, the authorization of its token ended)."},
		{Name: "user_id", Type: Ref, Ref: "user", ReadOnly: true, Desc: "The user whose token created the subscription (or last changed its url or events)."},
		{Name: "client_id", Type: String, ReadOnly: true,
			Desc: "The OAuth client_id of the integration whose token created the subscription (or last changed its url or events)."},
		{Name: "scopes", Type: StringList, Hidden: true, ReadOnly: true, SpaceList: true,
			Desc: "The creating token's scopes; with the user's current role they decide what the subscription receives."},
		{Name: "grant_id", Type: Int, Hidden: true, ReadOnly: true,
			Desc: "The OAuth grant (token family) of that token: when it is revoked or expires, the subscription is set inactive."},
	},
	Relations: []*Relation{
		many("deliveries", "webhook_delivery", "webhook_id"),
	},
})

// WebhookDelivery is one delivery attempt of an event to a subscription
// (read through /api/webhook/{id}/deliveries and with=deliveries; no routes
// or scopes of its own: webhook.read.all reads it).
var WebhookDelivery = register(&Resource{
	Name: "webhook_delivery", Table: "webhook_deliveries", Scope: "webhook",
	Ops: []Op{}, Actions: []string{},
	Desc: "One delivery attempt of an event to a webhook subscription.",
	Fields: []*Field{
		{Name: "webhook_id", Type: Ref, Ref: "webhook", ReadOnly: true, NotNull: true},
		{Name: "event_id", Type: String, ReadOnly: true, NotNull: true, Desc: "The event's id (the payload's id)."},
		{Name: "event", Type: String, ReadOnly: true, NotNull: true, Desc: "The event name."},
		{Name: "delivery_id", Type: String, ReadOnly: true, NotNull: true, Desc: "The X-Cirqll-Delivery header: the same for every attempt of one event to one subscription."},
		{Name: "attempt", Type: Int, ReadOnly: true, NotNull: true},
		{Name: "status", Type: Enum, Enum: []string{"pending", "succeeded", "failed"}, ReadOnly: true, NotNull: true,
			Desc: "pending: not yet attempted; failed with next_retry_at: a retry is ahead."},
		{Name: "response_status", Type: Int, ReadOnly: true, Desc: "The receiver's HTTP status, null without an answer."},
		{Name: "duration_ms", Type: Int, ReadOnly: true},
		{Name: "error", Type: Text, ReadOnly: true},
		{Name: "next_retry_at", Type: DateTime, ReadOnly: true},
	},
})
