package schema

var Chance = register(&Resource{
	Name: "chance", Table: "chances", Owner: "user_id", Events: true, CustomFields: true, Title: "title",
	Desc: "A sales opportunity.",
	Fields: []*Field{
		searchable(title("title")),
		{Name: "customer_id", Type: Ref, Ref: "customer", Required: true},
		money("amount"),
		currency(),
		{Name: "probability", Type: Int, Min: i64(0), Max: i64(100)},
		enum("stage", "new", "new", "qualified", "proposal", "negotiation", "won", "lost"),
		date("expected_close_date"),
		{Name: "closed_at", Type: DateTime, Desc: "Set when the stage becomes won or lost."},
		ref("user_id", "user"),
		ref("contact_id", "contact"),
		ref("origin_id", "origin"),
	},
	Relations: []*Relation{
		many("assignments", "assignment", "chance_id"),
		many("tasks", "task", "chance_id"),
		many("notes", "note", "chance_id"),
		fieldValues(),
	},
	Delete:      DeleteRules{Nullify: []string{"assignments", "tasks"}, Cascade: []string{"notes"}},
	Rules:       []Rule{{Kind: StampWhen, Field: "stage", Values: []string{"won", "lost"}, Target: "closed_at"}},
	ExtraEvents: []EventRule{{Field: "stage", Value: "won", Event: "won"}, {Field: "stage", Value: "lost", Event: "lost"}},
})
