package query

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/schema"
)

// Limits of the query language (query.md).
const (
	MaxWeight      = 16         // eager loading weight
	MaxFilterLen   = 4000       // characters of filter
	MaxConditions  = 200        // atoms in one filter
	MaxDepth       = 32         // nesting of parentheses in filter
	MaxOrderFields = 8          // order_by fields
	MaxOffset      = 10_000_000 // offset
	MaxLimit       = 1000       // limit / per_page
	DefaultLimit   = 100        // limit when absent
	MaxHops        = 8          // relations crossed by one dotted path of filter, order_by or show
)

// Access tells the parser what the caller may see.
type Access struct {
	// CanRead reports whether the caller may read records of res (any
	// extent). Used for with, count, dotted filter/show/order_by: a relation
	// whose target the caller may not read is a 400. Nil: everything is
	// readable.
	CanRead func(res *schema.Resource) bool
	// CustomField looks up a custom field of the caller's company for
	// filter=field_values.<key>:op:value. typ is one of schema.FieldTypes.
	// ok=false (or a nil func) -> 400 unknown field.
	CustomField func(model, key string) (id int64, typ string, ok bool)
}

// Readable reports whether the caller may load or traverse rel: relations
// with ReadScope "-" (company), relations to address and special relations
// are readable whenever their holder is; others need CanRead on the target
// (or on the ReadScope resource when one is named).
func (a Access) Readable(rel *schema.Relation) bool {
	if rel.Kind == schema.Special || rel.ReadScope == "-" || rel.Target == "address" {
		return true
	}
	name := rel.Target
	if rel.ReadScope != "" {
		name = rel.ReadScope
	}
	t := schema.Get(name)
	if t == nil {
		return false
	}
	if a.CanRead == nil {
		return true
	}
	return a.CanRead(t)
}

// Params is a parsed query string.
type Params struct {
	With     []*WithNode        // tree of relations to eager-load, in request order, deduped
	Weight   int                // eager loading weight (0 when no with)
	HasWith  bool               // with was given (the X-Eager-Loading-Weight header is then sent)
	Show     *ShowNode          // nil: all fields
	Count    []*schema.Relation // to-many relations of the resource to count
	Filter   Node               // nil when absent
	OrderBy  []Order            // as given (without the id tie-break)
	Offset   int                // default 0
	Limit    int                // default 100
	Total    bool               // default true; total=false -> false
	After    int64              // keyset: records with id > After, in id order
	HasAfter bool
}

// WithNode is one relation to eager-load and what to load below it.
type WithNode struct {
	Rel      *schema.Relation
	Target   *schema.Resource // nil for special relations
	Children []*WithNode
}

// ShowNode is the partial shape asked for by show.
type ShowNode struct {
	// Fields in request order; always starts with id, and includes the
	// foreign key of every dotted relation (user_id for user.name).
	Fields []*schema.Field
	Rels   []*ShowRel
}

// Has reports whether the node lists the named field.
func (n *ShowNode) Has(name string) bool {
	for _, f := range n.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// ShowRel is a to-one relation whose fields are shown.
type ShowRel struct {
	Rel  *schema.Relation
	Node *ShowNode
}

// Order is one order_by field.
type Order struct {
	Path  []*schema.Relation // to-one hops
	Field *schema.Field
	Desc  bool
}

// CompanyIDField stands for the company_id column where a relation's key is
// not a declared field (user.company): show=company.name on users includes
// it in ShowNode.Fields.
var CompanyIDField = &schema.Field{Name: "company_id", Type: schema.Ref, Ref: "company", ReadOnly: true}

// ParseIndex parses every query parameter of an Index request.
func ParseIndex(res *schema.Resource, v url.Values, acc Access) (*Params, error) {
	p, err := parseShape(res, v, acc)
	if err != nil {
		return nil, err
	}
	if s, ok := listParam(v, "filter"); ok {
		if err := checkChars("filter", s); err != nil {
			return nil, err
		}
		n, err := parseFilter(res, s, acc)
		if err != nil {
			return nil, err
		}
		p.Filter = n
	}
	if s, ok := listParam(v, "order_by"); ok {
		if err := checkChars("order_by", s); err != nil {
			return nil, err
		}
		o, err := parseOrderBy(res, s, acc)
		if err != nil {
			return nil, err
		}
		p.OrderBy = o
	}
	for _, name := range []string{"offset", "limit", "per_page", "total", "after"} {
		// limit[]=2 would otherwise be an unknown parameter, silently
		// giving the default limit.
		if len(v[name+"[]"]) > 0 || len(indexed(v, name)) > 0 {
			return nil, apierr.BadParam(name, 0, "q_scalar_list", name)
		}
	}
	if s, ok := scalarParam(v, "offset"); ok {
		n, err := intParam("offset", s, 0, MaxOffset)
		if err != nil {
			return nil, err
		}
		p.Offset = int(n)
	}
	if s, ok := scalarParam(v, "limit"); ok {
		n, err := intParam("limit", s, 0, MaxLimit)
		if err != nil {
			return nil, err
		}
		p.Limit = int(n)
	} else if s, ok := scalarParam(v, "per_page"); ok {
		n, err := intParam("per_page", s, 0, MaxLimit)
		if err != nil {
			return nil, err
		}
		p.Limit = int(n)
	}
	if s, ok := scalarParam(v, "total"); ok {
		switch strings.ToLower(s) {
		case "true", "1":
			p.Total = true
		case "false", "0":
			p.Total = false
		default:
			return nil, apierr.BadParam("total", 0, "q_boolean")
		}
	}
	if s, ok := scalarParam(v, "after"); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, apierr.BadParam("after", 0, "q_integer")
		}
		if n < 0 {
			return nil, apierr.BadParam("after", 0, "q_non_negative")
		}
		if len(p.OrderBy) > 0 {
			return nil, apierr.BadParam("after", 0, "q_after_combined", "order_by")
		}
		if s, ok := scalarParam(v, "offset"); ok && s != "" {
			return nil, apierr.BadParam("after", 0, "q_after_combined", "offset")
		}
		p.After, p.HasAfter = n, true
	}
	return p, nil
}

// ParseShow parses the parameters of a Show (and Create/Update) request:
// with, show and count; every other parameter is ignored.
func ParseShow(res *schema.Resource, v url.Values, acc Access) (*Params, error) {
	return parseShape(res, v, acc)
}

func parseShape(res *schema.Resource, v url.Values, acc Access) (*Params, error) {
	p := &Params{Limit: DefaultLimit, Total: true}
	if s, ok := listParam(v, "with"); ok {
		p.HasWith = true
		if err := checkChars("with", s); err != nil {
			return nil, err
		}
		nodes, w, err := parseWith(res, s, acc)
		if err != nil {
			return nil, err
		}
		p.With, p.Weight = nodes, w
	}
	if s, ok := listParam(v, "show"); ok {
		if err := checkChars("show", s); err != nil {
			return nil, err
		}
		n, err := parseShowParam(res, s, acc)
		if err != nil {
			return nil, err
		}
		p.Show = n
	}
	if s, ok := listParam(v, "count"); ok {
		if err := checkChars("count", s); err != nil {
			return nil, err
		}
		c, err := parseCount(res, s, acc)
		if err != nil {
			return nil, err
		}
		p.Count = c
	}
	return p, nil
}

// listParam joins every value of name, name[] and name[<n>] with commas
// (in that order), so positions are those of the comma-joined value.
func listParam(v url.Values, name string) (string, bool) {
	all := append(append([]string(nil), v[name]...), v[name+"[]"]...)
	all = append(all, indexed(v, name)...)
	if len(all) == 0 {
		return "", false
	}
	return strings.Join(all, ","), true
}

// indexed returns the values of name[0], name[1], ... in index order: the
// array form PHP's http_build_query and JavaScript's qs send.
func indexed(v url.Values, name string) []string {
	type entry struct {
		key, idx string
		vals     []string
	}
	var found []entry
	for k, vals := range v {
		idx, ok := strings.CutPrefix(k, name+"[")
		if !ok {
			continue
		}
		if idx, ok = strings.CutSuffix(idx, "]"); ok && allDigits(idx) {
			found = append(found, entry{k, strings.TrimLeft(idx, "0"), vals})
		}
	}
	// Compare indexes as numbers of any length (shorter is smaller once
	// leading zeros are gone), then by key, for a stable order.
	slices.SortFunc(found, func(a, b entry) int {
		return cmp.Or(cmp.Compare(len(a.idx), len(b.idx)), strings.Compare(a.idx, b.idx), strings.Compare(a.key, b.key))
	})
	var out []string
	for _, e := range found {
		out = append(out, e.vals...)
	}
	return out
}

// scalarParam returns the last value of a scalar parameter, as PHP and
// Laravel do for a repeated one.
func scalarParam(v url.Values, name string) (string, bool) {
	vals := v[name]
	if len(vals) == 0 {
		return "", false
	}
	return vals[len(vals)-1], true
}

func intParam(name, s string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, apierr.BadParam(name, 0, "q_range", lo, hi)
		}
		return 0, apierr.BadParam(name, 0, "q_integer")
	}
	if n < lo || n > hi {
		return 0, apierr.BadParam(name, 0, "q_range", lo, hi)
	}
	return n, nil
}

// checkChars rejects invalid UTF-8 and NUL characters, which no field can
// hold and PostgreSQL would refuse as text.
func checkChars(param, s string) error {
	for i, r := range s {
		if r == 0 || (r == utf8.RuneError && !validAt(s, i)) {
			return bad(param, s, i, "q_invalid_character")
		}
	}
	return nil
}

func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3 // a literal U+FFFD is three bytes; an invalid byte decodes with size 1
}

// bad builds the 400 for param with the byte offset converted to characters.
func bad(param, s string, bytePos int, key string, args ...any) *apierr.Error {
	return apierr.BadParam(param, runePos(s, bytePos), key, args...)
}

func runePos(s string, b int) int {
	if b > len(s) {
		b = len(s)
	}
	if b < 0 {
		b = 0
	}
	return utf8.RuneCountInString(s[:b])
}

// item is one element of a comma-separated list, trimmed of blanks, with
// its byte offset in the joined value.
type item struct {
	s   string
	pos int
}

// splitList splits a list parameter; an entirely blank value is no items.
func splitList(s string) []item {
	if strings.Trim(s, " \t") == "" {
		return nil
	}
	var out []item
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		raw := s[start:i]
		left := strings.TrimLeft(raw, " \t")
		out = append(out, item{s: strings.TrimRight(left, " \t"), pos: start + len(raw) - len(left)})
		start = i + 1
	}
	return out
}

// segment is one dotted part of a path with its byte offset.
type segment struct {
	s   string
	pos int
}

func splitPath(s string, pos int) []segment {
	parts := strings.Split(s, ".")
	out := make([]segment, len(parts))
	for i, p := range parts {
		out[i] = segment{p, pos}
		pos += len(p) + 1
	}
	return out
}

// fkField is the field holding a to-one relation's key on its holder.
func fkField(holder *schema.Resource, rel *schema.Relation) *schema.Field {
	if f := holder.Field(rel.Key); f != nil {
		return f
	}
	if rel.Key == "company_id" {
		return CompanyIDField
	}
	return &schema.Field{Name: rel.Key, Type: schema.Ref, Ref: rel.Target, ReadOnly: true}
}
