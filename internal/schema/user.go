package schema

var User = register(&Resource{
	Name: "user", Table: "users", Owner: "id", Events: true, Title: "name",
	Desc: "A person who signs in to the company's CRM.",
	Fields: []*Field{
		title("name"),
		{Name: "email", Type: Email, Required: true, Unique: true, Desc: "Unique across the system."},
		{Name: "password", Column: "password_hash", Type: Password, Hidden: true, NotNull: true, Desc: "Write only, at least 12 characters; cannot be cleared."},
		{Name: "role_id", Type: Ref, Ref: "role", NotNull: true, Desc: "Defaults to the company_user role."},
		str("phone"),
		{Name: "locale", Type: Locale, Desc: "nl or en; null (the default) follows the company setting's locale."},
		{Name: "timezone", Type: Timezone, Default: "Europe/Amsterdam"},
		boolean("active", true),
	},
	Relations: []*Relation{
		{Name: "company", Kind: ToOne, Target: "company", Key: "company_id", ReadScope: "-"},
		many("customers", "customer", "user_id"),
		many("tasks", "task", "user_id"),
		many("appointments", "appointment", "user_id"),
	},
})
