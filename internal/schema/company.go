package schema

// Company is the tenant: Show and Update of the caller's own company only.
var Company = register(&Resource{
	Name: "company", Table: "companies", Tenant: true, Title: "name",
	Ops:     []Op{OpShow, OpUpdate},
	Actions: []string{"read", "update"}, Extents: []Extent{All},
	Desc: "The caller's own company.",
	Fields: append([]*Field{
		title("name"),
		str("coc_number"),
		str("vat_number"),
		email("email"),
		str("phone"),
		url("website"),
	}, address()...),
	Relations: []*Relation{many("users", "user", "company_id")},
})
