package schema

var Origin = register(&Resource{
	Name: "origin", Table: "origins", Title: "name",
	Desc:   "A lead source.",
	Fields: []*Field{title("name")},
	Relations: []*Relation{
		many("customers", "customer", "origin_id"),
		many("chances", "chance", "origin_id"),
	},
	Delete: DeleteRules{Nullify: []string{"customers", "chances"}},
})
