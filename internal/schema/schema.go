// Package schema holds one declaration per API resource. Routes, validation,
// SQL, query parameters, JSON shape, OpenAPI, scopes and events all derive
// from these declarations; nothing else in the code base names a resource's
// columns.
package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Type is the kind of value a field holds; it decides validation, SQL
// binding, JSON rendering and filter typing.
type Type int

const (
	String     Type = iota // short text, at most 255 characters
	Text                   // long text, at most 65,535 characters
	Int                    // 64-bit integer
	Bool                   // JSON boolean
	Decimal                // exact decimal with two places, JSON string ("1250.00"), stored as integer cents
	Date                   // YYYY-MM-DD
	DateTime               // RFC 3339, stored as UTC text (SQLite) / timestamptz (PostgreSQL)
	Enum                   // one of Field.Enum
	Email                  // e-mail address
	URL                    // absolute http(s) URL
	Country                // ISO 3166-1 alpha-2
	Currency               // ISO 4217
	Locale                 // nl or en
	Timezone               // IANA zone name
	Password               // write only; stored as an argon2id hash
	StringList             // JSON array of strings, stored as JSON text; neither filterable nor sortable
	Ref                    // foreign key to another resource of the same company (integer id)
	JSON                   // read-only JSON value (activity log changes)
	Nested                 // write-only nested object (address); read as <name>_id and with=<name>
)

func (t Type) String() string {
	return [...]string{"string", "text", "integer", "boolean", "decimal", "date", "datetime", "enum",
		"email", "url", "country", "currency", "locale", "timezone", "password", "string_list", "reference",
		"json", "object"}[t]
}

// Field declares one attribute of a resource.
type Field struct {
	Name     string
	Column   string // SQL column; defaults to Name
	Type     Type
	Required bool     // must be present (and not null/empty) on Create
	Nullable bool     // accepts null on write; scalars other than booleans are nullable unless Required
	Enum     []string // allowed values for Enum
	Default  any      // value stored on Create when absent (Go value of the field's kind)
	Ref      string   // for Ref: the resource the id names
	ReadOnly bool     // never writable by clients (server-managed)
	Hidden   bool     // never rendered (password hash)
	Secret   bool     // neither filterable nor sortable nor rendered in full
	Trim     bool     // names and titles: trimmed and may not be empty
	Min, Max *int64   // numeric bounds
	NotNull  bool     // may not be set to null (also implied by Required and Default)
	Unique   bool     // unique per company (or globally for user.email), a duplicate is a 409
	Search   bool     // has a trigram index (pg_trgm / FTS5 trigram) for like/contains
	// NoColumn: written and read through a child table (field options,
	// template items), never a column of the resource's table.
	NoColumn bool
	// SpaceList: a StringList stored space-separated (role permissions, so
	// the bearer check reads them without decoding JSON).
	SpaceList bool
	// Elem: for a StringList, the type every item must have (String when
	// zero): the to and cc lists of an e-mail hold addresses.
	Elem Type
	Desc string // OpenAPI description
}

// Col is the SQL column of the field.
func (f *Field) Col() string {
	if f.Column != "" {
		return f.Column
	}
	return f.Name
}

// Filterable reports whether the field may appear in filter and order_by.
func (f *Field) Filterable() bool {
	switch f.Type {
	case StringList, Password, JSON, Nested:
		return false
	}
	return !f.Secret && !f.Hidden
}

// Writable reports whether a client may send the field.
func (f *Field) Writable() bool { return !f.ReadOnly }

// MayBeNull reports whether a stored value of the field can be NULL: not
// for id and the timestamps, nor where a write may not set null
// (Required, NotNull, a Default, booleans: resource.convert's rule).
// Server-written columns that are never NULL must say NotNull: ordering
// adds NULLS FIRST/LAST on PostgreSQL exactly where this is true, and only
// there do the sort indexes say NULLS FIRST.
func (f *Field) MayBeNull() bool {
	switch f.Name {
	case "id", "created_at", "updated_at":
		return false
	}
	return !(f.Required || f.NotNull || f.Default != nil || f.Type == Bool)
}

// RelKind tells how a relation is embedded by `with`.
type RelKind int

const (
	ToOne   RelKind = iota // embedded object (or null); from a Ref field
	ToMany                 // embedded list envelope of at most 50, first level only
	Special                // plain complete array, allowed at any depth
)

// Relation declares something `with` can load.
type Relation struct {
	Name   string
	Kind   RelKind
	Target string // resource name; empty for special relations without a resource
	// For ToOne: the local Ref field holding the target id (user_id).
	// For ToMany: the column on the target table that points back (customer_id).
	Key string
	// ReadScope overrides which resource's read scope is needed to load it;
	// "-" means any valid token may (company, address).
	ReadScope string
}

// Points is the relation's weight per depth (query.md).
func (r *Relation) Points() int {
	if r.Kind == ToMany {
		return 3
	}
	return 1
}

// Extent of a permission.
type Extent int

const (
	None Extent = iota
	Own
	All
)

func (e Extent) String() string { return [...]string{"none", "own", "all"}[e] }

// Op is one of the five CRUD operations.
type Op string

const (
	OpIndex  Op = "index"
	OpShow   Op = "show"
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Action is the scope action an operation needs.
func (o Op) Action() string {
	switch o {
	case OpIndex, OpShow:
		return "read"
	}
	return string(o)
}

// DeleteRules decide what happens to dependants when a record is deleted.
type DeleteRules struct {
	Cascade []string // to-many relations whose records are deleted too
	Nullify []string // to-many relations whose key is set to null
	Block   []string // to-many relations that block the delete (409 naming them)
}

// Resource is the single declaration of an API resource.
type Resource struct {
	Name   string // singular API name: "customer"
	Table  string // SQL table
	Fields []*Field
	// Relations beyond those derived from Ref fields (to-many and special).
	Relations []*Relation
	// Ops the API offers; nil means all five.
	Ops []Op
	// Owner is the column that makes a record "own" for the extent `own`
	// (user_id; id for users). Empty: the own extent grants nothing on it.
	Owner string
	// Scope names whose permissions guard the resource (defaults to Name).
	Scope string
	// Actions and extents that exist as permissions; nil means
	// read/create/update/delete x all/own.
	Actions []string
	Extents []Extent
	// Events lists whether created/updated/deleted webhook events exist.
	Events bool
	// CustomFields: the model can carry field_values.
	CustomFields bool
	// Tenant: the table is the company itself (its id is the tenant id).
	Tenant bool
	// Singleton: one record per company, addressed without an id (setting).
	Singleton bool
	// Virtual: no table; served from the declarations (permission).
	Virtual bool
	Delete  DeleteRules
	Rules   []Rule
	// ExtraEvents beyond created/updated/deleted.
	ExtraEvents []EventRule
	// Title is the field shown as the record's label (name, title, subject).
	Title string
	Desc  string

	fieldIdx map[string]*Field
	relIdx   map[string]*Relation
}

// Field returns the named field or nil.
func (r *Resource) Field(name string) *Field { return r.fieldIdx[name] }

// Relation returns the named relation or nil.
func (r *Resource) Relation(name string) *Relation { return r.relIdx[name] }

// AllRelations in declaration order: to-one from Ref fields, then declared ones.
func (r *Resource) AllRelations() []*Relation {
	out := make([]*Relation, 0, len(r.relIdx))
	for _, f := range r.Fields {
		if rel := r.relIdx[strings.TrimSuffix(f.Name, "_id")]; rel != nil && rel.Kind == ToOne && rel.Key == f.Name {
			out = append(out, rel)
		}
	}
	out = append(out, r.Relations...)
	return out
}

// Has reports whether the resource offers the operation.
func (r *Resource) Has(op Op) bool {
	if r.Ops == nil {
		return true
	}
	for _, o := range r.Ops {
		if o == op {
			return true
		}
	}
	return false
}

// ScopeName is the resource part of its scopes.
func (r *Resource) ScopeName() string {
	if r.Scope != "" {
		return r.Scope
	}
	return r.Name
}

// Permissions lists the scope names the resource defines.
func (r *Resource) Permissions() []string {
	actions := r.Actions
	if actions == nil {
		actions = []string{"read", "create", "update", "delete"}
	}
	extents := r.Extents
	if extents == nil {
		extents = []Extent{All, Own}
	}
	var out []string
	for _, a := range actions {
		for _, e := range extents {
			out = append(out, r.ScopeName()+"."+a+"."+e.String())
		}
	}
	return out
}

// RuleKind is a declarative write rule the generic resource layer enforces.
type RuleKind int

const (
	// StampWhen sets Target to now when Field takes one of Values, and clears
	// it when Field leaves them (completed_at, closed_at).
	StampWhen RuleKind = iota
	// NotBefore: Field may not be earlier than Other (ends_at >= starts_at).
	NotBefore
	// AtLeastOne: at least one of Fields must be set (a note needs a parent).
	AtLeastOne
)

// Rule is one declarative rule.
type Rule struct {
	Kind   RuleKind
	Field  string
	Values []string
	Target string
	Other  string
	Fields []string
}

// EventRule emits an extra webhook event "<resource>.<Event>" when Field
// changes to Value (chance.won, chance.lost, task.completed).
type EventRule struct {
	Field, Value, Event string
}

// Registry holds every resource by name.
type Registry struct {
	byName map[string]*Resource
	order  []*Resource
}

var reg = &Registry{byName: map[string]*Resource{}}

// register adds a declaration; called from each resource file's var block.
func register(r *Resource) *Resource {
	if _, dup := reg.byName[r.Name]; dup {
		panic("schema: duplicate resource " + r.Name)
	}
	reg.byName[r.Name] = r
	reg.order = append(reg.order, r)
	return r
}

// IDField is the field that identifies a record: id, or for the virtual
// permission catalogue its first field (name).
func (r *Resource) IDField() *Field {
	if f := r.fieldIdx["id"]; f != nil {
		return f
	}
	return r.Fields[0]
}

// Get returns the named resource or nil.
func Get(name string) *Resource { return reg.byName[name] }

// Resources returns every resource in a stable (alphabetical) order.
func Resources() []*Resource {
	out := append([]*Resource(nil), reg.order...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// common fields every record has.
func common() []*Field {
	return []*Field{
		{Name: "id", Type: Int, ReadOnly: true},
		{Name: "created_at", Type: DateTime, ReadOnly: true},
		{Name: "updated_at", Type: DateTime, ReadOnly: true},
	}
}

func init() {
	// Index fields and derive to-one relations from Ref fields once every
	// resource file's var block has run (package vars initialise before init).
	for _, r := range reg.order {
		if !r.Virtual { // the permission catalogue has no id or timestamps: name is its identity
			r.Fields = append(common()[:1], append(r.Fields, common()[1:]...)...)
		}
		r.fieldIdx = map[string]*Field{}
		r.relIdx = map[string]*Relation{}
		for _, f := range r.Fields {
			if _, dup := r.fieldIdx[f.Name]; dup {
				panic(fmt.Sprintf("schema: %s.%s declared twice", r.Name, f.Name))
			}
			r.fieldIdx[f.Name] = f
			if f.Type == Ref {
				name := strings.TrimSuffix(f.Name, "_id")
				r.relIdx[name] = &Relation{Name: name, Kind: ToOne, Target: f.Ref, Key: f.Name}
			}
		}
		for _, rel := range r.Relations {
			r.relIdx[rel.Name] = rel
		}
	}
	for _, r := range reg.order {
		for _, rel := range r.relIdx {
			if rel.Target != "" && reg.byName[rel.Target] == nil {
				panic(fmt.Sprintf("schema: %s.%s targets unknown resource %s", r.Name, rel.Name, rel.Target))
			}
		}
	}
}

// Scopes is the full permission catalogue (= the scope list), sorted.
func Scopes() []string {
	seen := map[string]bool{"client.manage.all": true}
	out := []string{"client.manage.all"}
	for _, r := range reg.order {
		if r.Actions != nil && len(r.Actions) == 0 {
			continue
		}
		for _, p := range r.Permissions() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// helpers for concise declarations

func i64(v int64) *int64 { return &v }

func str(name string) *Field      { return &Field{Name: name, Type: String} }
func title(name string) *Field    { return &Field{Name: name, Type: String, Required: true, Trim: true} }
func text(name string) *Field     { return &Field{Name: name, Type: Text} }
func email(name string) *Field    { return &Field{Name: name, Type: Email} }
func url(name string) *Field      { return &Field{Name: name, Type: URL} }
func money(name string) *Field    { return &Field{Name: name, Type: Decimal, Min: i64(0)} }
func date(name string) *Field     { return &Field{Name: name, Type: Date} }
func datetime(name string) *Field { return &Field{Name: name, Type: DateTime} }
func boolean(name string, def bool) *Field {
	return &Field{Name: name, Type: Bool, Default: def}
}
func enum(name string, def string, values ...string) *Field {
	f := &Field{Name: name, Type: Enum, Enum: values}
	if def != "" {
		f.Default = def
	}
	return f
}
func ref(name, target string) *Field { return &Field{Name: name, Type: Ref, Ref: target} }
func currency() *Field               { return &Field{Name: "currency", Type: Currency, Default: "EUR"} }
func position() *Field               { return &Field{Name: "position", Type: Int, Min: i64(0), Default: int64(0)} }
func address() []*Field {
	return []*Field{
		{Name: "address", Type: Nested, Ref: "address"},
		{Name: "address_id", Type: Ref, Ref: "address", ReadOnly: true},
	}
}
func many(name, target, key string) *Relation {
	return &Relation{Name: name, Kind: ToMany, Target: target, Key: key}
}
func fieldValues() *Relation { return &Relation{Name: "field_values", Kind: Special, Target: ""} }

// CustomFieldModels are the models a field may be defined for.
var CustomFieldModels = []string{"customer", "contact", "task", "appointment", "chance", "assignment", "contract"}

// searchable marks a field as trigram indexed.
func searchable(f *Field) *Field { f.Search = true; return f }
