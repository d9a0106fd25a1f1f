package schema

var EmailMessage = register(&Resource{
	Name: "email", Table: "emails", Owner: "user_id", Events: true, Title: "subject",
	Desc: "An e-mail sent to or received from a customer.",
	Fields: []*Field{
		title("subject"),
		enum("direction", "outbound", "inbound", "outbound"),
		{Name: "from", Column: "from_address", Type: Email},
		{Name: "to", Column: "to_addresses", Type: StringList, Elem: Email},
		{Name: "cc", Column: "cc_addresses", Type: StringList, Elem: Email},
		text("body"),
		datetime("sent_at"),
		ref("customer_id", "customer"),
		ref("contact_id", "contact"),
		ref("user_id", "user"),
	},
})
