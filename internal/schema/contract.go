package schema

var Contract = register(&Resource{
	Name: "contract", Table: "contracts", Owner: "user_id", Events: true, CustomFields: true, Title: "title",
	Desc: "An agreement with a customer.",
	Fields: []*Field{
		searchable(title("title")),
		{Name: "customer_id", Type: Ref, Ref: "customer", Required: true},
		ref("assignment_id", "assignment"),
		money("amount"),
		currency(),
		enum("billing_interval", "monthly", "once", "monthly", "quarterly", "yearly"),
		date("start_date"),
		date("end_date"),
		enum("status", "draft", "draft", "active", "ended", "cancelled"),
		datetime("signed_at"),
		ref("user_id", "user"),
	},
	Relations: []*Relation{fieldValues()},
})
