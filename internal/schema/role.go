package schema

// BuiltinRoles are created with every company and are read only.
var BuiltinRoles = []string{"company_owner", "company_user", "company_viewer"}

var Role = register(&Resource{
	Name: "role", Table: "roles", Title: "name",
	Desc: "A named set of permissions; every user has one.",
	Fields: []*Field{
		title("name"),
		text("description"),
		{Name: "permissions", Type: StringList, Hidden: true, SpaceList: true, Desc: "Write: the list of permission names. Read with with=permissions."},
		{Name: "builtin", Type: Bool, ReadOnly: true, Desc: "Built-in roles cannot be changed or deleted."},
	},
	Relations: []*Relation{
		many("users", "user", "role_id"),
		{Name: "permissions", Kind: Special},
	},
	Delete: DeleteRules{Block: []string{"users"}},
})

// Permission is the read-only catalogue of permissions, equal to the scope list.
var Permission = register(&Resource{
	Name: "permission", Virtual: true, Scope: "role",
	Ops: []Op{OpIndex}, Actions: []string{},
	Desc: "The permission catalogue (equal to the scope list).",
	Fields: []*Field{
		{Name: "name", Type: String, ReadOnly: true},
		{Name: "description", Type: String, ReadOnly: true},
	},
})
