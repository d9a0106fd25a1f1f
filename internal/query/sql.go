package query

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
)

// Scoper returns the tenant (and own-extent) condition for a table alias,
// e.g. "u.company_id = ? AND u.user_id = ?" with its args. It is ANDed into
// every subquery over a related table, so a filter never sees another
// company's rows or rows the caller may not read. For the company resource
// (the companies table has no company_id) it must return "<alias>.id = ?".
// An empty cond adds nothing. A nil Scoper adds nothing (tests only).
type Scoper func(res *schema.Resource, alias string) (cond string, args []any)

type compiler struct {
	d    dialect.Dialect
	sc   Scoper
	root string
	n    int
	// noFTS leaves out the FTS match list of SQLite searches: for a common
	// term the store walks an index and stops at the page's end, and
	// materializing thousands of FTS matches per query would cost more.
	noFTS bool
}

// alias returns a fresh alias: the table's first letter and a counter
// (u1, c2, fv3), never equal to the caller's alias.
func (c *compiler) alias(prefix string) string {
	for {
		c.n++
		a := prefix + strconv.Itoa(c.n)
		if a != c.root {
			return a
		}
	}
}

func tableAlias(c *compiler, res *schema.Resource) string {
	p := "r"
	if res.Table != "" {
		if ch := res.Table[0]; ch >= 'a' && ch <= 'z' {
			p = string(ch)
		}
	}
	return c.alias(p)
}

func (c *compiler) scope(res *schema.Resource, alias string) (string, []any) {
	if c.sc == nil {
		return "", nil
	}
	return c.sc(res, alias)
}

// Where compiles a filter into a condition over res aliased as alias, with
// "?" placeholders (Rebind for PostgreSQL). A nil node gives "".
func Where(d dialect.Dialect, res *schema.Resource, alias string, n Node, sc Scoper) (string, []any) {
	if n == nil {
		return "", nil
	}
	c := &compiler{d: d, sc: sc, root: alias}
	return c.node(res, alias, n)
}

// WhereWithoutSearchIndex is Where without the FTS match lists (see
// compiler.noFTS); the LIKE conditions alone decide.
func WhereWithoutSearchIndex(d dialect.Dialect, res *schema.Resource, alias string, n Node, sc Scoper) (string, []any) {
	if n == nil {
		return "", nil
	}
	c := &compiler{d: d, sc: sc, root: alias, noFTS: true}
	return c.node(res, alias, n)
}

func (c *compiler) node(res *schema.Resource, a string, n Node) (string, []any) {
	switch n := n.(type) {
	case *And:
		return c.join(res, a, n.Items, " AND ")
	case *Or:
		return c.join(res, a, n.Items, " OR ")
	case *Cond:
		return c.cond(res, a, n.Path, n)
	}
	return "1=1", nil
}

func (c *compiler) join(res *schema.Resource, a string, items []Node, sep string) (string, []any) {
	parts := make([]string, len(items))
	var args []any
	for i, it := range items {
		s, ar := c.node(res, a, it)
		parts[i] = s
		args = append(args, ar...)
	}
	return "(" + strings.Join(parts, sep) + ")", args
}

func and(conds ...string) string {
	var parts []string
	for _, c := range conds {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return "1=1"
	}
	return strings.Join(parts, " AND ")
}

// backCol is the column on a to-many target pointing back at the holder.
func backCol(target *schema.Resource, rel *schema.Relation) string {
	if f := target.Field(rel.Key); f != nil {
		return f.Col()
	}
	return rel.Key
}

// cond compiles an atom reached through path from cur (aliased a). A to-one
// hop is a semi-join on the foreign key, a to-many hop an EXISTS: "a related
// record exists that matches", each with the Scoper's condition.
func (c *compiler) cond(cur *schema.Resource, a string, path []*schema.Relation, cd *Cond) (string, []any) {
	if len(path) == 0 {
		if cd.Custom != nil {
			return c.custom(a, cd)
		}
		return c.leaf(cur, a, cd)
	}
	rel := path[0]
	target := schema.Get(rel.Target)
	ta := tableAlias(c, target)
	scope, sargs := c.scope(target, ta)
	inner, iargs := c.cond(target, ta, path[1:], cd)
	args := append(append([]any(nil), sargs...), iargs...)
	if rel.Kind == schema.ToMany {
		return "EXISTS (SELECT 1 FROM " + target.Table + " " + ta + " WHERE " +
			and(ta+"."+backCol(target, rel)+" = "+a+".id", scope, inner) + ")", args
	}
	return a + "." + fkField(cur, rel).Col() + " IN (SELECT " + ta + ".id FROM " + target.Table + " " + ta +
		" WHERE " + and(scope, inner) + ")", args
}

func (c *compiler) bind(v any) any {
	switch v := v.(type) {
	case bool:
		return c.d.Bool(v)
	case time.Time:
		return c.d.Time(v)
	}
	return v
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func likePattern(op Op, v string) string {
	e := dialect.EscapeLike(v)
	switch op {
	case OpStartsWith:
		return e + "%"
	case OpEndsWith:
		return "%" + e
	}
	return "%" + e + "%"
}

func cmpOp(op Op) string {
	switch op {
	case OpGt:
		return " > ?"
	case OpLt:
		return " < ?"
	case OpGte:
		return " >= ?"
	case OpLte:
		return " <= ?"
	}
	return " = ?"
}

// leaf compiles a condition on a column of cur (aliased a).
func (c *compiler) leaf(cur *schema.Resource, a string, cd *Cond) (string, []any) {
	col := a + "." + cd.Field.Col()
	if cd.Op == OpNull {
		if cd.Not {
			return col + " IS NOT NULL", nil
		}
		return col + " IS NULL", nil
	}
	var s string
	var args []any
	switch cd.Op {
	case OpIn:
		s = col + " IN (" + placeholders(len(cd.Values)) + ")"
		for _, v := range cd.Values {
			args = append(args, c.bind(v))
		}
	case OpLike, OpStartsWith, OpEndsWith:
		v, _ := cd.Values[0].(string)
		var pat string
		s, pat = c.d.ILikeText(col, likePattern(cd.Op, v))
		args = []any{pat}
		if !cd.Not && !c.noFTS && cd.Op == OpLike && c.d == dialect.SQLite && cd.Field.Search && utf8.RuneCountInString(v) >= 3 {
			fts := cur.Table + "_fts"
			s = "(" + a + ".id IN (SELECT rowid FROM " + fts + " WHERE " + fts + " MATCH ?) AND " + s + ")"
			args = []any{"{" + cd.Field.Col() + `} : "` + strings.ReplaceAll(v, `"`, `""`) + `"`, args[0]}
		}
	default:
		s = col + cmpOp(cd.Op)
		args = []any{c.bind(cd.Values[0])}
	}
	if cd.Not {
		return "(" + col + " IS NULL OR NOT (" + s + "))", args
	}
	return s, args
}

// custom compiles field_values.<key>: an EXISTS over the value row of the
// record; under not (and for ne) a NOT EXISTS of a matching row, so records
// without a value match too; null is NOT EXISTS of any value row.
func (c *compiler) custom(a string, cd *Cond) (string, []any) {
	fv := c.alias("fv")
	base := "SELECT 1 FROM field_values " + fv + " WHERE " + fv + ".company_id = " + a + ".company_id AND " +
		fv + ".field_id = ? AND " + fv + ".record_id = " + a + ".id"
	args := []any{cd.Custom.ID}
	if cd.Op == OpNull {
		if cd.Not {
			return "EXISTS (" + base + ")", args
		}
		return "NOT EXISTS (" + base + ")", args
	}
	cmp, cargs := c.customCmp(fv+".value", cd)
	s := "EXISTS (" + base + " AND " + cmp + ")"
	if cd.Not {
		s = "NOT " + s
	}
	return s, append(args, cargs...)
}

func (c *compiler) numExpr(col string) string {
	if c.d == dialect.Postgres {
		return "CASE WHEN " + col + " ~ '^[+-]{0,1}[0-9]+([.][0-9]+){0,1}$' THEN CAST(" + col + " AS NUMERIC) END"
	}
	return "CAST(" + col + " AS REAL)"
}

func (c *compiler) numParam() string {
	if c.d == dialect.Postgres {
		return "CAST(? AS NUMERIC)"
	}
	return "CAST(? AS REAL)"
}

func (c *compiler) customCmp(col string, cd *Cond) (string, []any) {
	var args []any
	for _, v := range cd.Values {
		args = append(args, v)
	}
	switch cd.Op {
	case OpLike, OpStartsWith, OpEndsWith:
		v, _ := cd.Values[0].(string)
		s, pat := c.d.ILikeText(col, likePattern(cd.Op, v))
		return s, []any{pat}
	}
	switch cd.Custom.Type {
	case "number", "decimal":
		lhs := "(" + c.numExpr(col) + ")"
		if cd.Op == OpIn {
			ps := make([]string, len(args))
			for i := range ps {
				ps[i] = c.numParam()
			}
			return lhs + " IN (" + strings.Join(ps, ", ") + ")", args
		}
		return lhs + strings.Replace(cmpOp(cd.Op), "?", c.numParam(), 1), args
	case "multiselect":
		// value is a JSON array of labels: match the quoted label
		parts := make([]string, len(args))
		pats := make([]any, len(args))
		for i, v := range args {
			j, _ := json.Marshal(v)
			parts[i] = c.d.ILike(col)
			pats[i] = "%" + dialect.EscapeLike(string(j)) + "%"
		}
		if len(parts) == 1 {
			return parts[0], pats
		}
		return "(" + strings.Join(parts, " OR ") + ")", pats
	}
	if cd.Op == OpIn {
		return col + " IN (" + placeholders(len(args)) + ")", args
	}
	return col + cmpOp(cd.Op), args
}

// OrderBy compiles order_by into an ORDER BY list (without the keywords):
// "t.created_at DESC, t.id DESC". The id tie-break takes the direction of
// the last field and is left out when the last field is id itself; with no
// orders it is "t.id ASC". A dotted to-one field is a correlated scalar
// subquery with the Scoper's condition at every hop.
//
// NULL is the smallest value on both dialects (first in ASC, last in DESC),
// SQLite's own order. PostgreSQL sorts NULL as the largest, so there a
// column that may hold NULL, and every dotted field (a missing or hidden
// related record is NULL), gets NULLS FIRST/LAST; its sort index says
// NULLS FIRST (migration 00005), which a DESC order scans backwards.
// SQLite gets no NULLS clause: it already sorts so, and the clause can
// keep it from walking the index.
func OrderBy(d dialect.Dialect, res *schema.Resource, alias string, orders []Order, sc Scoper) (string, []any) {
	c := &compiler{d: d, sc: sc, root: alias}
	var parts []string
	var args []any
	dir := func(desc bool) string {
		if desc {
			return " DESC"
		}
		return " ASC"
	}
	for _, o := range orders {
		e, a := c.scalar(res, alias, o.Path, o.Field)
		e += dir(o.Desc)
		if d == dialect.Postgres && (len(o.Path) > 0 || o.Field.MayBeNull()) {
			if o.Desc {
				e += " NULLS LAST"
			} else {
				e += " NULLS FIRST"
			}
		}
		parts = append(parts, e)
		args = append(args, a...)
	}
	if len(orders) == 0 {
		return alias + ".id ASC", nil
	}
	last := orders[len(orders)-1]
	if len(last.Path) > 0 || last.Field.Name != "id" {
		parts = append(parts, alias+".id"+dir(last.Desc))
	}
	return strings.Join(parts, ", "), args
}

func (c *compiler) scalar(cur *schema.Resource, a string, path []*schema.Relation, f *schema.Field) (string, []any) {
	if len(path) == 0 {
		return a + "." + f.Col(), nil
	}
	rel := path[0]
	target := schema.Get(rel.Target)
	ta := tableAlias(c, target)
	inner, iargs := c.scalar(target, ta, path[1:], f)
	scope, sargs := c.scope(target, ta)
	return "(SELECT " + inner + " FROM " + target.Table + " " + ta + " WHERE " +
		and(ta+".id = "+a+"."+fkField(cur, rel).Col(), scope) + ")", append(iargs, sargs...)
}
