package schema

// Address has no route or scope of its own: it is read and written with the
// company, customer or contact that holds it.
var Address = register(&Resource{
	Name: "address", Table: "addresses",
	Ops: []Op{}, Actions: []string{},
	Desc: "A postal address, written nested in its holder.",
	Fields: []*Field{
		str("street"),
		{Name: "house_number", Type: String, Desc: "A string: 12a"},
		str("postal_code"),
		str("city"),
		{Name: "country", Type: Country, Default: "NL"},
	},
	Relations: []*Relation{
		{Name: "company", Kind: ToOne, Target: "company", Key: "company_id", ReadScope: "-"},
	},
})
