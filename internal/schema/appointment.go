package schema

var Appointment = register(&Resource{
	Name: "appointment", Table: "appointments", Owner: "user_id", Events: true, CustomFields: true, Title: "title",
	Desc: "A meeting in the calendar.",
	Fields: []*Field{
		title("title"),
		{Name: "starts_at", Type: DateTime, Required: true},
		{Name: "ends_at", Type: DateTime, Required: true, Desc: "Not before starts_at."},
		boolean("all_day", false),
		text("description"),
		str("location"),
		ref("user_id", "user"),
		ref("customer_id", "customer"),
		ref("contact_id", "contact"),
	},
	Relations: []*Relation{fieldValues()},
	Rules:     []Rule{{Kind: NotBefore, Field: "ends_at", Other: "starts_at"}},
})
