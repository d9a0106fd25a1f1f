package schema

var ActivityLog = register(&Resource{
	Name: "activity_log", Table: "activity_logs", Owner: "user_id",
	Ops:     []Op{OpIndex, OpShow},
	Actions: []string{"read"},
	Desc:    "Every Create, Update and Delete, written in the same transaction as the change. Never edited.",
	Fields: []*Field{
		{Name: "event", Type: Enum, Enum: []string{"created", "updated", "deleted"}, ReadOnly: true, NotNull: true},
		{Name: "subject_type", Type: String, ReadOnly: true, NotNull: true},
		{Name: "subject_id", Type: Int, ReadOnly: true, NotNull: true},
		{Name: "changes", Type: JSON, ReadOnly: true, Desc: "field: [old, new]"},
		{Name: "user_id", Type: Ref, Ref: "user", ReadOnly: true},
		{Name: "client_id", Type: String, ReadOnly: true, Desc: "The OAuth client_id that made the change."},
	},
})
