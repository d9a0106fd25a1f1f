package schema

var Assignment = register(&Resource{
	Name: "assignment", Table: "assignments", Owner: "user_id", Events: true, CustomFields: true, Title: "title",
	Desc: "Work ordered by a customer.",
	Fields: []*Field{
		searchable(title("title")),
		{Name: "customer_id", Type: Ref, Ref: "customer", Required: true},
		ref("chance_id", "chance"),
		text("description"),
		money("amount"),
		currency(),
		enum("status", "open", "open", "in_progress", "completed", "cancelled"),
		date("start_date"),
		date("end_date"),
		ref("user_id", "user"),
	},
	Relations: []*Relation{
		many("contracts", "contract", "assignment_id"),
		fieldValues(),
	},
	Delete: DeleteRules{Nullify: []string{"contracts"}},
})
