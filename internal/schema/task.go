package schema

var Task = register(&Resource{
	Name: "task", Table: "tasks", Owner: "user_id", Events: true, CustomFields: true, Title: "title",
	Desc: "Something to do, optionally for a customer, contact or chance.",
	Fields: []*Field{
		searchable(title("title")),
		text("description"),
		{Name: "user_id", Type: Ref, Ref: "user", Desc: "Assignee; defaults to the caller."},
		ref("customer_id", "customer"),
		ref("contact_id", "contact"),
		ref("chance_id", "chance"),
		datetime("due_at"),
		enum("priority", "normal", "low", "normal", "high"),
		enum("status", "open", "open", "in_progress", "done"),
		{Name: "completed_at", Type: DateTime, Desc: "Set when status becomes done, cleared when it leaves done."},
	},
	Relations: []*Relation{
		many("todos", "todo", "task_id"),
		fieldValues(),
	},
	Delete:      DeleteRules{Cascade: []string{"todos"}},
	Rules:       []Rule{{Kind: StampWhen, Field: "status", Values: []string{"done"}, Target: "completed_at"}},
	ExtraEvents: []EventRule{{Field: "status", Value: "done", Event: "completed"}},
})
