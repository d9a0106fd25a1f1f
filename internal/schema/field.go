package schema

// FieldTypes are the types a custom field may have.
var FieldTypes = []string{"text", "textarea", "number", "decimal", "date", "datetime", "boolean",
	"select", "multiselect", "email", "phone", "url"}

var CustomField = register(&Resource{
	Name: "field", Table: "fields", Title: "name",
	Desc: "A custom field defined for one model; its values are field_values.",
	Fields: []*Field{
		title("name"),
		{Name: "model", Type: Enum, Enum: CustomFieldModels, Required: true},
		{Name: "type", Type: Enum, Enum: FieldTypes, Required: true},
		{Name: "key", Type: String, NotNull: true, Desc: "Derived from name when absent; unique per model."},
		boolean("required", false),
		position(),
		{Name: "options", Type: StringList, Hidden: true, NoColumn: true, Desc: "Write: list of labels. Read with with=options."},
	},
	Relations: []*Relation{{Name: "options", Kind: Special}},
})
