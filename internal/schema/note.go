package schema

var Note = register(&Resource{
	Name: "note", Table: "notes", Owner: "user_id", Events: true, Title: "body",
	Desc:  "A note on a customer, contact or chance (at least one of them).",
	Rules: []Rule{{Kind: AtLeastOne, Fields: []string{"customer_id", "contact_id", "chance_id"}}},
	Fields: []*Field{
		{Name: "body", Type: Text, Required: true, Trim: true},
		boolean("pinned", false),
		ref("user_id", "user"),
		ref("customer_id", "customer"),
		ref("contact_id", "contact"),
		ref("chance_id", "chance"),
	},
})
