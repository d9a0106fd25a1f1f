package schema

var Todo = register(&Resource{
	Name: "todo", Table: "todos", Owner: "user_id", Events: true, Title: "title",
	Desc: "A checklist item, optionally of a task.",
	Fields: []*Field{
		title("title"),
		boolean("done", false),
		ref("task_id", "task"),
		ref("user_id", "user"),
		datetime("due_at"),
		position(),
	},
})
