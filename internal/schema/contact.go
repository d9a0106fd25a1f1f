package schema

var Contact = register(&Resource{
	Name: "contact", Table: "contacts", Owner: "user_id", Events: true, CustomFields: true, Title: "first_name",
	Desc: "A person at a customer.",
	Fields: append([]*Field{
		searchable(title("first_name")),
		searchable(str("last_name")),
		{Name: "customer_id", Type: Ref, Ref: "customer", Required: true},
		ref("user_id", "user"),
		searchable(email("email")),
		str("phone"),
		str("mobile"),
		str("job_title"),
	}, address()...),
	Relations: []*Relation{
		many("notes", "note", "contact_id"),
		many("tasks", "task", "contact_id"),
		many("appointments", "appointment", "contact_id"),
		many("emails", "email", "contact_id"),
		many("chances", "chance", "contact_id"),
		fieldValues(),
	},
	Delete: DeleteRules{
		Cascade: []string{"notes"},
		Nullify: []string{"tasks", "appointments", "emails", "chances"},
	},
})
