package schema

var Customer = register(&Resource{
	Name: "customer", Table: "customers", Owner: "user_id", Events: true, CustomFields: true, Title: "name",
	Desc: "A company or person the business sells to.",
	Fields: append([]*Field{
		searchable(title("name")),
		enum("type", "company", "company", "person"),
		enum("status", "lead", "lead", "prospect", "customer", "inactive"),
		{Name: "user_id", Type: Ref, Ref: "user", Desc: "Account manager; defaults to the caller."},
		ref("origin_id", "origin"),
		str("coc_number"),
		str("vat_number"),
		searchable(email("email")),
		str("phone"),
		url("website"),
	}, address()...),
	Relations: []*Relation{
		many("contacts", "contact", "customer_id"),
		many("tasks", "task", "customer_id"),
		many("appointments", "appointment", "customer_id"),
		many("chances", "chance", "customer_id"),
		many("assignments", "assignment", "customer_id"),
		many("contracts", "contract", "customer_id"),
		many("emails", "email", "customer_id"),
		many("notes", "note", "customer_id"),
		fieldValues(),
	},
	Delete: DeleteRules{
		// Notes first: a note on the customer and one of its contacts goes
		// with the customer rather than first losing its contact_id.
		Cascade: []string{"notes", "contacts"},
		Nullify: []string{"tasks", "appointments", "emails"},
		Block:   []string{"chances", "assignments", "contracts"},
	},
})
