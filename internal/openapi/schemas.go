package openapi

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Helpers to build schemas; exported ones serve packages that document their
// own routes with Extra.

func i64p(v int64) *int64 { return &v }

// Ref is a reference to a component schema.
func Ref(name string) *Schema { return &Schema{Ref: "#/components/schemas/" + name} }

// Nullable lets s also be null: a type list with "null" for plain schemas
// (and null in its enum), anyOf [s, null] for references and compositions.
func Nullable(s *Schema) *Schema {
	if s.Ref != "" || len(s.Types) == 0 {
		return &Schema{AnyOf: []*Schema{s, {Types: []string{"null"}}}, Description: s.Description}
	}
	c := *s
	c.Types = append(append([]string(nil), s.Types...), "null")
	if len(c.Enum) > 0 {
		c.Enum = append(append([]any(nil), s.Enum...), nil)
	}
	return &c
}

// Str, Int, Bool, Obj and Arr are the plain shapes.
func Str(desc string) *Schema { return &Schema{Types: []string{"string"}, Description: desc} }

// Int is an integer.
func Int(desc string) *Schema { return &Schema{Types: []string{"integer"}, Description: desc} }

// Bool is a boolean.
func Bool(desc string) *Schema { return &Schema{Types: []string{"boolean"}, Description: desc} }

// Arr is an array of items.
func Arr(items *Schema, desc string) *Schema {
	return &Schema{Types: []string{"array"}, Items: items, Description: desc}
}

// Obj is an object with the given properties; required lists the names
// that are always present.
func Obj(desc string, required []string, props ...Prop) *Schema {
	return &Schema{Types: []string{"object"}, Description: desc, Properties: props, Required: required}
}

// P is a property.
func P(name string, s *Schema) Prop { return Prop{Name: name, Schema: s} }

// RecordRef references the record schema of a resource (as Show returns it).
func RecordRef(res *schema.Resource) *Schema { return Ref(typeName(res.Name)) }

// List is the list envelope {data, limit, total, offset} of items.
func List(items *Schema) *Schema {
	return Obj("A page of records (list envelope).", []string{"data", "limit", "total", "offset"},
		P("data", Arr(items, "The records of this page.")),
		P("limit", &Schema{Types: []string{"integer"}, Minimum: i64p(0), Description: "The page size asked for (limit or per_page; default 100)."}),
		P("total", &Schema{Types: []string{"integer", "null"}, Minimum: i64p(0), Description: "Every matching record, or null with total=false."}),
		P("offset", &Schema{Types: []string{"integer"}, Minimum: i64p(0), Description: "The offset asked for (default 0)."}),
	)
}

// typeName turns a resource name into a schema name: activity_log -> ActivityLog.
func typeName(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == '/' || r == ' ' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Reflect derives a schema from a Go value's type through its json tags:
// structs are objects whose fields without omitempty are required,
// pointers are nullable, slices arrays, maps objects, time.Time (and types
// converted from it) date-times. Use it for bodies that are Go structs.
func Reflect(v any) *Schema { return reflectType(reflect.TypeOf(v), 0) }

var timeType = reflect.TypeOf(time.Time{})

func reflectType(t reflect.Type, depth int) *Schema {
	if depth > 8 {
		return &Schema{}
	}
	if t == nil {
		return &Schema{}
	}
	if t.Kind() != reflect.Pointer && t.ConvertibleTo(timeType) && t.Kind() == reflect.Struct {
		return &Schema{Types: []string{"string"}, Format: "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return Nullable(reflectType(t.Elem(), depth+1))
	case reflect.String:
		return &Schema{Types: []string{"string"}}
	case reflect.Bool:
		return &Schema{Types: []string{"boolean"}}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Types: []string{"integer"}}
	case reflect.Float32, reflect.Float64:
		return &Schema{Types: []string{"number"}}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Types: []string{"string"}, Format: "byte"}
		}
		return &Schema{Types: []string{"array"}, Items: reflectType(t.Elem(), depth+1)}
	case reflect.Map:
		return &Schema{Types: []string{"object"}, AdditionalProperties: reflectType(t.Elem(), depth+1)}
	case reflect.Interface:
		if t == reflect.TypeOf(json.RawMessage{}) {
			return &Schema{}
		}
		return &Schema{Description: "Any JSON value."}
	case reflect.Struct:
		s := &Schema{Types: []string{"object"}}
		reflectFields(s, t, depth)
		return s
	}
	return &Schema{}
}

func reflectFields(s *Schema, t reflect.Type, depth int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				reflectFields(s, et, depth)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.Properties = append(s.Properties, P(name, reflectType(f.Type, depth+1)))
		if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
			s.Required = append(s.Required, name)
		}
	}
}

// The contract's shapes.

const (
	moneyPattern    = `^\d+(\.\d{1,2})?$`
	moneyOutPattern = `^\d+\.\d{2}$`
)

// maxText is the limit of short (255) or long (65,535) text.
func maxText(f *schema.Field) int64 {
	if f.Type == schema.Text {
		return 65535
	}
	return 255
}

// fieldMode says which schema of a field is wanted.
type fieldMode int

const (
	readMode  fieldMode = iota // response
	writeMode                  // request body
)

// writeNullable is whether a write may send null (resource.convert's rule).
func writeNullable(f *schema.Field) bool {
	return !(f.Required || f.NotNull || f.Default != nil || f.Type == schema.Bool)
}

// readNullable is whether a rendered value may be null.
func readNullable(res *schema.Resource, f *schema.Field) bool {
	switch f.Name {
	case "id", "created_at", "updated_at":
		return false
	}
	if res.Virtual {
		return false
	}
	return writeNullable(f)
}

// fieldSchema is a declared field's schema for reading or writing.
func fieldSchema(res *schema.Resource, f *schema.Field, mode fieldMode) *Schema {
	var s *Schema
	str := func(format string) *Schema {
		return &Schema{Types: []string{"string"}, Format: format, MaxLength: i64p(maxText(f))}
	}
	switch f.Type {
	case schema.String, schema.Text:
		s = str("")
	case schema.Int:
		s = &Schema{Types: []string{"integer"}, Format: "int64", Minimum: f.Min, Maximum: f.Max}
	case schema.Bool:
		s = &Schema{Types: []string{"boolean"}}
	case schema.Decimal:
		s = &Schema{Types: []string{"string"}, Pattern: moneyPattern, Examples: []any{"1250.00"},
			Description: "Money: a decimal with at most two places, as a JSON string; returned with two places."}
		if mode == readMode {
			s.Pattern = moneyOutPattern
		}
	case schema.Date:
		s = &Schema{Types: []string{"string"}, Format: "date", Examples: []any{"2025-03-31"}}
	case schema.DateTime:
		s = &Schema{Types: []string{"string"}, Format: "date-time", Examples: []any{"2025-03-31T14:30:00Z"}}
		if mode == readMode {
			s.Description = "RFC 3339, UTC."
		}
	case schema.Enum:
		s = str("")
		for _, e := range f.Enum {
			s.Enum = append(s.Enum, e)
		}
		s.MaxLength = nil
	case schema.Email:
		s = str("email")
		s.Examples = []any{"info@example.nl"}
	case schema.URL:
		s = str("uri")
		s.Pattern = `^https?://`
		s.Description = "An absolute http(s) URL."
	case schema.Country:
		s = &Schema{Types: []string{"string"}, Pattern: `^[A-Z]{2}$`, Description: "ISO 3166-1 alpha-2 country code.", Examples: []any{"NL"}}
	case schema.Currency:
		s = &Schema{Types: []string{"string"}, Pattern: `^[A-Z]{3}$`, Description: "ISO 4217 currency code.", Examples: []any{"EUR"}}
	case schema.Locale:
		s = &Schema{Types: []string{"string"}, Enum: []any{"nl", "en"}}
	case schema.Timezone:
		s = str("")
		s.Description = "An IANA time zone name."
		s.Examples = []any{"Europe/Amsterdam"}
	case schema.Password:
		s = str("password")
		s.MinLength = i64p(12)
		s.WriteOnly = true
	case schema.StringList:
		s = &Schema{Types: []string{"array"}, Items: &Schema{Types: []string{"string"}, MaxLength: i64p(255)}}
	case schema.Ref:
		s = &Schema{Types: []string{"integer"}, Format: "int64", Minimum: i64p(1)}
		if mode == writeMode {
			s.Description = "The id of " + withArticle(f.Ref) + " of the company (422 when there is none)."
		} else {
			s.Description = "The id of " + withArticle(f.Ref) + "; embed it with with=" + strings.TrimSuffix(f.Name, "_id") + "."
		}
	case schema.JSON:
		s = &Schema{}
	case schema.Nested:
		s = Ref(typeName(f.Ref) + "Write")
	}
	if f.Desc != "" {
		s.Description = join(f.Desc, s.Description)
	}
	special(res, f, &s) // these describe themselves
	if f.Trim && mode == writeMode {
		s.MinLength = i64p(1)
		s.Description = join(s.Description, "Trimmed; may not be empty.")
	}
	if f.Default != nil && mode == writeMode {
		s.Default = f.Default
	}
	if f.ReadOnly || (mode == readMode && !f.Writable()) {
		s.ReadOnly = true
	}
	if f.Unique {
		s.Description = join(s.Description, "Unique: a duplicate is a 409.")
	}
	nullable := writeNullable(f)
	if mode == readMode {
		nullable = readNullable(res, f)
	}
	if nullable && !(mode == writeMode && f.Type == schema.JSON) {
		s = Nullable(s)
	}
	return s
}

// special gives the few fields whose value is not a plain column their
// real shape (the writes resource.Service handles by resource name).
func special(res *schema.Resource, f *schema.Field, s **Schema) {
	switch {
	case res.Name == "role" && f.Name == "permissions":
		scopes := []any{}
		for _, sc := range schema.Scopes() {
			scopes = append(scopes, sc)
		}
		*s = &Schema{Types: []string{"array"}, Items: &Schema{Types: []string{"string"}, Enum: scopes},
			Description: "Permission names (the scope list, GET /api/permission) the role grants; replaces the existing ones. Read back with with=permissions."}
	case res.Name == "field" && f.Name == "options":
		*s = &Schema{Types: []string{"array"}, Items: &Schema{Types: []string{"string"}, MinLength: i64p(1), MaxLength: i64p(255)},
			Description: "Option labels of a select or multiselect field, in order; replaces the existing options. Read back with with=options."}
	case res.Name == "template" && f.Name == "items":
		*s = &Schema{Types: []string{"array"}, Items: Ref("TemplateItemWrite"),
			Description: "Quote lines; replaces the existing items. Read back with with=items."}
	case res.Name == "activity_log" && f.Name == "changes":
		*s = &Schema{Types: []string{"object"}, Description: "What changed: field name -> [old value, new value] (custom fields as field_values.<key>).",
			AdditionalProperties: &Schema{Types: []string{"array"}, PrefixItems: []*Schema{{Description: "old"}, {Description: "new"}}, MinItems: i64p(2), MaxItems: i64p(2)}}
	}
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	if !strings.HasSuffix(a, ".") {
		a += "."
	}
	return a + " " + b
}

// visible reports whether a field is rendered in responses (resource.visible).
func visible(f *schema.Field) bool {
	return !f.Hidden && f.Type != schema.Password && f.Type != schema.Nested && !f.NoColumn
}

// specialShape is the embedded shape of a special relation: the Go types the
// store embeds.
func specialShape(name string) *Schema {
	switch name {
	case "field_values":
		return Arr(Ref("FieldValue"), "Custom field values (plain, complete array).")
	case "options":
		return Arr(Ref("FieldOption"), "The field's options in order (plain, complete array).")
	case "items":
		return Arr(Ref("TemplateItem"), "The template's items in order (plain, complete array).")
	case "permissions":
		return Arr(Str(""), "The role's permission names (plain, complete array).")
	}
	return &Schema{}
}

// sharedSchemas are the components every document has: special relation
// shapes, nested writes and the error bodies.
func sharedSchemas() map[string]*Schema {
	fv := Reflect(store.FieldValue{})
	fv.Description = "A custom field value of a record."
	if p := fv.Properties.Get("value"); p != nil {
		p.Description = "Typed by the field: string, number, boolean, decimal string, date, date-time or an array of option labels (multiselect)."
	}
	opt := Reflect(store.FieldOption{})
	opt.Description = "An option of a select or multiselect field."
	item := Reflect(store.TemplateItem{})
	item.Description = "A quote line of a template; decimals are strings with two places."
	for _, k := range []string{"quantity", "unit_price", "vat_rate"} {
		if p := item.Properties.Get(k); p != nil {
			p.Pattern = `^-?\d+\.\d{2}$`
		}
	}
	dec := &Schema{Types: []string{"string"}, Pattern: moneyPattern, Examples: []any{"1.50"},
		Description: "A decimal with at most two places, as a JSON string (a number is a 422)."}
	itemWrite := Obj("A template item to write.", nil,
		P("description", &Schema{Types: []string{"string"}, MaxLength: i64p(65535)}),
		P("quantity", dec), P("unit_price", dec), P("vat_rate", dec),
		P("position", &Schema{Types: []string{"integer"}, Minimum: i64p(0), Description: "Default: its index in the list."}),
	)
	itemWrite.AdditionalProperties = false

	fvItem := Obj("One custom field value, naming the field by field_id or key.", nil,
		P("field_id", &Schema{Types: []string{"integer"}, Minimum: i64p(1)}),
		P("key", Str("")),
		P("value", &Schema{Description: "The value (typed by the field); null removes it."}),
	)
	fvWrite := &Schema{
		Description: "Custom field values: an object by field key ({\"industry\": \"Retail\"}) or an array " +
			"([{\"field_id\": 3, \"value\": \"Retail\"}]). Values are validated against the field's type and options; " +
			"a required field must be present on Create; null removes a value.",
		OneOf: []*Schema{
			{Types: []string{"object"}, AdditionalProperties: &Schema{Description: "The value for this field key."}, Description: "By field key."},
			Arr(fvItem, "By field id (or key)."),
			{Types: []string{"null"}},
		},
	}

	msg := func(ex string) *Schema {
		s := Str("Human-readable, in the request's language.")
		s.Examples = []any{ex}
		return s
	}
	out := map[string]*Schema{
		"FieldValue":        fv,
		"FieldOption":       opt,
		"TemplateItem":      item,
		"TemplateItemWrite": itemWrite,
		"FieldValuesWrite":  fvWrite,
		"Error":             Obj("An error.", []string{"message"}, P("message", msg("Not found."))),
		"BadRequestError": Obj("A bad query parameter (or malformed JSON body, then only message).", []string{"message"},
			P("message", msg("The filter parameter is invalid.")),
			P("parameter", Str("The query parameter at fault.")),
			P("errors", Arr(Obj("", []string{"position", "message"},
				P("position", &Schema{Types: []string{"integer"}, Minimum: i64p(0), Description: "0-based character offset in the parameter's value."}),
				P("message", Str("")),
			), "What is wrong, and where."))),
		"ForbiddenError": Obj("The token lacks a scope.", []string{"message", "required_scope"},
			P("message", msg("This action needs the customer.update.all scope.")),
			P("required_scope", &Schema{Types: []string{"string"}, Examples: []any{"customer.update.all"}})),
		"ValidationError": Obj("Validation failed (Laravel shape), every failing field at once.", []string{"message", "errors"},
			P("message", msg("The name field is required.")),
			P("errors", &Schema{Types: []string{"object"}, AdditionalProperties: Arr(Str(""), ""),
				Description: "Field name (dotted for nested values: address.country, field_values.industry, items.0.quantity) -> messages."})),
		"ConflictError": Obj("A conflict.", []string{"message"},
			P("message", msg("The customer has chances, assignments and contracts.")),
			P("blocked_by", Arr(Str(""), "The relations (or resources) that block a delete."))),
		"ServerError": Obj("An unexpected error; never a stack trace or SQL.", []string{"message", "request_id"},
			P("message", msg("Server Error")),
			P("request_id", Str("The X-Request-Id of the request, to quote in support requests."))),
		"OAuthError": Obj("An OAuth error (RFC 6749 §5.2) with a translated message.", []string{"error", "message"},
			P("error", &Schema{Types: []string{"string"}, Enum: []any{"invalid_request", "invalid_client", "invalid_grant",
				"unauthorized_client", "unsupported_grant_type", "invalid_scope", "server_error"}}),
			P("error_description", Str("For developers, in English.")),
			P("message", msg("The authorization grant is invalid."))),
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
