package schema

var Template = register(&Resource{
	Name: "template", Table: "templates", Owner: "user_id", Title: "name",
	Desc: "A reusable e-mail, quote or document text, with quote items.",
	Fields: []*Field{
		title("name"),
		enum("type", "email", "email", "quote", "document"),
		str("subject"),
		text("body"),
		ref("user_id", "user"),
		{Name: "items", Type: JSON, Hidden: true, NoColumn: true, Desc: "Write: list of {description, quantity, unit_price, vat_rate, position}. Read with with=items."},
	},
	Relations: []*Relation{{Name: "items", Kind: Special}},
})
