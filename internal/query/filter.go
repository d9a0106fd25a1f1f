package query

import (
	"strings"

	"github.com/cirqll/core/internal/schema"
)

// Node is a parsed filter: *And, *Or or *Cond.
type Node interface {
	// Pos is the character offset in the filter value where the node starts.
	Pos() int
	node()
}

// And holds when every item holds.
type And struct {
	Items []Node
	P     int
}

// Or holds when any item holds.
type Or struct {
	Items []Node
	P     int
}

// Op is a normalised filter operator. ne is Eq with Not, notnull is Null
// with Not, contains is Like.
type Op string

const (
	OpEq         Op = "eq"
	OpGt         Op = "gt"
	OpLt         Op = "lt"
	OpGte        Op = "gte"
	OpLte        Op = "lte"
	OpLike       Op = "like" // contains, case-insensitive
	OpStartsWith Op = "starts_with"
	OpEndsWith   Op = "ends_with"
	OpIn         Op = "in"
	OpNull       Op = "null"
)

// CustomRef is a custom field named by field_values.<key>.
type CustomRef struct {
	ID    int64
	Key   string
	Type  string           // one of schema.FieldTypes
	Model *schema.Resource // the resource the value belongs to (end of Path)
}

// Cond is one atom field:op:value.
//
// Values are typed by the field (for Op Null there are none; for In one or
// more; otherwise exactly one):
//   - Int, Ref: int64
//   - Decimal: int64 cents
//   - Bool: bool (bind with Dialect.Bool)
//   - Date: string "YYYY-MM-DD"
//   - DateTime: time.Time in UTC (bind with Dialect.Time)
//   - Enum and string types: string; for Like/StartsWith/EndsWith the raw
//     (unescaped) text to look for
//   - custom fields: the canonical text as stored in field_values.value
//     (numbers "12.5", booleans "true"/"false", dates "YYYY-MM-DD",
//     date-times RFC 3339 UTC "2006-01-02T15:04:05Z").
type Cond struct {
	P      int                // character offset of the atom
	Path   []*schema.Relation // relations crossed, to-one or to-many (at most MaxHops)
	Field  *schema.Field      // nil for a custom field
	Custom *CustomRef         // field_values.<key>
	Op     Op
	Not    bool // ne, notnull and not:<op>: rows where the value is NULL match too (except for Null)
	Values []any
}

func (n *And) Pos() int  { return n.P }
func (n *Or) Pos() int   { return n.P }
func (n *Cond) Pos() int { return n.P }
func (*And) node()       {}
func (*Or) node()        {}
func (*Cond) node()      {}

// operators as written, before normalisation.
var operators = map[string]struct {
	op  Op
	not bool
}{
	"eq": {OpEq, false}, "ne": {OpEq, true}, "gt": {OpGt, false}, "lt": {OpLt, false},
	"gte": {OpGte, false}, "lte": {OpLte, false}, "like": {OpLike, false}, "contains": {OpLike, false},
	"starts_with": {OpStartsWith, false}, "ends_with": {OpEndsWith, false}, "in": {OpIn, false},
	"null": {OpNull, false}, "notnull": {OpNull, true},
}

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	tConn // and / or
	tAtom
)

type token struct {
	kind tokKind
	pos  int    // byte offset
	word string // "and" / "or" for tConn
	cond *Cond  // for tAtom
}

type filterParser struct {
	s     string
	i     int // lexer position (bytes)
	res   *schema.Resource
	acc   Access
	buf   []token // lookahead
	conds int
	depth int
	conn  int // position of the last consumed connector not yet followed by a condition, else -1
}

func parseFilter(res *schema.Resource, s string, acc Access) (Node, error) {
	if strings.Trim(s, " \t") == "" {
		return nil, nil
	}
	if n := len([]rune(s)); n > MaxFilterLen {
		return nil, bad("filter", s, len(string([]rune(s)[:MaxFilterLen])), "q_too_long", MaxFilterLen)
	}
	p := &filterParser{s: s, res: res, acc: acc, conn: -1}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tEOF:
		return n, nil
	case tRParen:
		return nil, p.err(t.pos, "q_unbalanced_close")
	}
	return nil, p.err(t.pos, "q_unexpected")
}

func (p *filterParser) err(pos int, key string, args ...any) error {
	return bad("filter", p.s, pos, key, args...)
}

// peek returns the k-th token ahead (0-based) without consuming it.
func (p *filterParser) peek(k int) (token, error) {
	for len(p.buf) <= k {
		t, err := p.lex()
		if err != nil {
			return token{}, err
		}
		p.buf = append(p.buf, t)
	}
	return p.buf[k], nil
}

func (p *filterParser) next() (token, error) {
	t, err := p.peek(0)
	if err != nil {
		return t, err
	}
	p.buf = p.buf[1:]
	return t, nil
}

// parseOr: and (, or , and)*
func (p *filterParser) parseOr() (Node, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	items := []Node{first}
	for {
		t0, err := p.peek(0)
		if err != nil {
			return nil, err
		}
		if t0.kind != tComma {
			break
		}
		t1, err := p.peek(1)
		if err != nil {
			return nil, err
		}
		if t1.kind != tConn || t1.word != "or" {
			break
		}
		p.next()
		p.next()
		p.conn = t1.pos
		t2, err := p.next()
		if err != nil {
			return nil, err
		}
		if t2.kind != tComma {
			return nil, p.err(t1.pos, "q_dangling_connector", "or")
		}
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
	}
	if len(items) == 1 {
		return first, nil
	}
	return &Or{Items: items, P: first.Pos()}, nil
}

// parseAnd: primary ((, and)? , primary)*
func (p *filterParser) parseAnd() (Node, error) {
	first, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	items := []Node{first}
	for {
		t0, err := p.peek(0)
		if err != nil {
			return nil, err
		}
		if t0.kind != tComma {
			break
		}
		t1, err := p.peek(1)
		if err != nil {
			return nil, err
		}
		if t1.kind == tConn && t1.word == "or" {
			break
		}
		p.next() // the comma
		if t1.kind == tConn {
			p.next()
			p.conn = t1.pos
			t2, err := p.next()
			if err != nil {
				return nil, err
			}
			if t2.kind != tComma {
				return nil, p.err(t1.pos, "q_dangling_connector", "and")
			}
		}
		n, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
	}
	if len(items) == 1 {
		return first, nil
	}
	return &And{Items: items, P: first.Pos()}, nil
}

func (p *filterParser) parsePrimary() (Node, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tAtom:
		p.conn = -1
		p.conds++
		if p.conds > MaxConditions {
			return nil, p.err(t.pos, "q_too_many_conditions", MaxConditions)
		}
		return t.cond, nil
	case tLParen:
		p.conn = -1
		p.depth++
		if p.depth > MaxDepth {
			return nil, p.err(t.pos, "q_too_deep", MaxDepth)
		}
		if t1, err := p.peek(0); err != nil {
			return nil, err
		} else if t1.kind == tRParen {
			return nil, p.err(t.pos, "q_empty_group")
		}
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		c, err := p.next()
		if err != nil {
			return nil, err
		}
		switch c.kind {
		case tRParen:
		case tEOF:
			return nil, p.err(t.pos, "q_unbalanced_open")
		default:
			return nil, p.err(c.pos, "q_unexpected")
		}
		p.depth--
		if a, ok := n.(*And); ok {
			a.P = t.pos
		}
		return n, nil
	case tConn:
		if p.conn >= 0 {
			return nil, p.err(p.conn, "q_dangling_connector", p.s[p.conn:p.conn+len(connWord(p.s, p.conn))])
		}
		return nil, p.err(t.pos, "q_dangling_connector", p.s[t.pos:t.pos+len(t.word)])
	}
	// end, comma or closing parenthesis where a condition should be
	if p.conn >= 0 {
		return nil, p.err(p.conn, "q_dangling_connector", p.s[p.conn:p.conn+len(connWord(p.s, p.conn))])
	}
	if t.kind == tRParen && p.depth == 0 {
		return nil, p.err(t.pos, "q_unbalanced_close")
	}
	return nil, p.err(t.pos, "q_expected_condition")
}

func connWord(s string, pos int) string {
	if len(s) >= pos+3 && strings.EqualFold(s[pos:pos+3], "and") {
		return "and"
	}
	return "or"
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// lex reads the next token.
func (p *filterParser) lex() (token, error) {
	for p.i < len(p.s) && isBlank(p.s[p.i]) {
		p.i++
	}
	if p.i >= len(p.s) {
		return token{kind: tEOF, pos: len(p.s)}, nil
	}
	start := p.i
	switch p.s[start] {
	case '(':
		p.i++
		return token{kind: tLParen, pos: start}, nil
	case ')':
		p.i++
		return token{kind: tRParen, pos: start}, nil
	case ',':
		p.i++
		return token{kind: tComma, pos: start}, nil
	}
	for _, w := range []string{"and", "or"} {
		if len(p.s)-start >= len(w) && strings.EqualFold(p.s[start:start+len(w)], w) {
			j := start + len(w)
			for j < len(p.s) && isBlank(p.s[j]) {
				j++
			}
			if j == len(p.s) || p.s[j] == ',' || p.s[j] == ')' {
				p.i = j
				return token{kind: tConn, pos: start, word: w}, nil
			}
		}
	}
	c, err := p.lexAtom()
	if err != nil {
		return token{}, err
	}
	return token{kind: tAtom, pos: start, cond: c}, nil
}

// lexAtom reads field:op[:value] starting at p.i.
func (p *filterParser) lexAtom() (*Cond, error) {
	s := p.s
	start := p.i
	j := start
	for j < len(s) && s[j] != ':' && s[j] != ',' && s[j] != ')' && s[j] != '(' {
		j++
	}
	if j == len(s) || s[j] != ':' {
		return nil, p.err(start, "q_missing_operator", s[start:j])
	}
	cond := &Cond{P: runePos(s, start)}
	if err := p.resolveField(cond, s[start:j], start); err != nil {
		return nil, err
	}
	// operator, possibly prefixed by not
	opPos := j + 1
	opName, k := readOp(s, opPos)
	spec, known := operators[strings.ToLower(opName)]
	if strings.EqualFold(opName, "not") {
		if k >= len(s) || s[k] != ':' {
			return nil, p.err(k, "q_missing_operator", s[start:k])
		}
		opPos = k + 1
		opName, k = readOp(s, opPos)
		spec, known = operators[strings.ToLower(opName)]
		spec.not = !spec.not
	}
	if !known {
		if opName == "" {
			return nil, p.err(opPos, "q_missing_operator", s[start:opPos])
		}
		return nil, p.err(opPos, "q_unknown_operator", opName)
	}
	cond.Op, cond.Not = spec.op, spec.not
	if !opAllowed(cond, spec.op) {
		return nil, p.err(opPos, "q_operator_not_allowed", strings.ToLower(opName), fieldName(cond))
	}
	// value
	if k >= len(s) || s[k] != ':' {
		p.i = k
		if cond.Op == OpNull {
			return cond, nil
		}
		return nil, p.err(k, "q_missing_value", strings.ToLower(opName))
	}
	valPos := k + 1
	val, quoted, end, err := p.readValue(valPos)
	if err != nil {
		return nil, err
	}
	p.i = end
	if cond.Op == OpNull {
		return cond, nil
	}
	if err := p.typeValues(cond, val, valPos, quoted); err != nil {
		return nil, err
	}
	return cond, nil
}

// readOp reads an operator name up to ':' ',' ')' or the end.
func readOp(s string, i int) (string, int) {
	j := i
	for j < len(s) && s[j] != ':' && s[j] != ',' && s[j] != ')' {
		j++
	}
	return s[i:j], j
}

// readValue reads a quoted or unquoted value starting at i and returns its
// text and the offset where the atom ends.
func (p *filterParser) readValue(i int) (string, bool, int, error) {
	s := p.s
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		j := i + 1
		for {
			if j >= len(s) {
				return "", true, 0, p.err(i, "q_unterminated_quote")
			}
			c := s[j]
			if c == '"' {
				j++
				break
			}
			if c == '\\' {
				if j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				return "", true, 0, p.err(j, "q_bad_escape")
			}
			b.WriteByte(c)
			j++
		}
		k := j
		for k < len(s) && isBlank(s[k]) {
			k++
		}
		if k < len(s) && s[k] != ',' && s[k] != ')' {
			return "", true, 0, p.err(k, "q_unexpected")
		}
		return b.String(), true, j, nil
	}
	j := i
	for j < len(s) && s[j] != ',' && s[j] != ')' {
		j++
	}
	return s[i:j], false, j, nil
}

// resolveField resolves a (dotted) field path of the filter.
func (p *filterParser) resolveField(c *Cond, path string, pos int) error {
	rels, f, custom, err := resolvePath(p.res, p.s, path, pos, p.acc, pathRules{param: "filter", toMany: true, custom: true})
	if err != nil {
		return err
	}
	c.Path, c.Field, c.Custom = rels, f, custom
	return nil
}

type pathRules struct {
	param  string
	toMany bool // to-many hops allowed (filter)
	custom bool // field_values.<key> allowed (filter)
}

// resolvePath walks a dotted path from res: relations, then a field (or
// field_values.<key>). s is the whole parameter value, pos the byte offset
// of path in it.
func resolvePath(res *schema.Resource, s, path string, pos int, acc Access, r pathRules) ([]*schema.Relation, *schema.Field, *CustomRef, error) {
	segs := splitPath(path, pos)
	cur := res
	var rels []*schema.Relation
	for i, seg := range segs[:len(segs)-1] {
		rel := cur.Relation(seg.s)
		if rel == nil {
			return nil, nil, nil, bad(r.param, s, seg.pos, "q_unknown_field", path)
		}
		if rel.Kind == schema.Special {
			if rel.Name == "field_values" && r.custom && cur.CustomFields && i == len(segs)-2 {
				if !acc.Readable(rel) {
					return nil, nil, nil, bad(r.param, s, seg.pos, "q_relation_forbidden", seg.s)
				}
				key := segs[i+1]
				if acc.CustomField == nil {
					return nil, nil, nil, bad(r.param, s, key.pos, "q_unknown_custom_field", key.s)
				}
				id, typ, ok := acc.CustomField(cur.Name, key.s)
				if !ok {
					return nil, nil, nil, bad(r.param, s, key.pos, "q_unknown_custom_field", key.s)
				}
				return rels, nil, &CustomRef{ID: id, Key: key.s, Type: typ, Model: cur}, nil
			}
			return nil, nil, nil, bad(r.param, s, seg.pos, "q_unknown_field", path)
		}
		if rel.Kind == schema.ToMany && !r.toMany {
			key := "q_order_to_many"
			if r.param == "show" {
				key = "q_show_to_many"
			}
			return nil, nil, nil, bad(r.param, s, seg.pos, key, seg.s)
		}
		if len(rels) >= MaxHops {
			return nil, nil, nil, bad(r.param, s, seg.pos, "q_path_too_long", MaxHops)
		}
		if !acc.Readable(rel) {
			return nil, nil, nil, bad(r.param, s, seg.pos, "q_relation_forbidden", seg.s)
		}
		rels = append(rels, rel)
		cur = schema.Get(rel.Target)
	}
	last := segs[len(segs)-1]
	f := cur.Field(last.s)
	if f == nil || f.Hidden {
		return nil, nil, nil, bad(r.param, s, last.pos, "q_unknown_field", path)
	}
	if !f.Filterable() {
		key := "q_not_filterable"
		if r.param == "order_by" {
			key = "q_not_sortable"
		}
		return nil, nil, nil, bad(r.param, s, last.pos, key, path)
	}
	return rels, f, nil, nil
}

func fieldName(c *Cond) string {
	if c.Custom != nil {
		return "field_values." + c.Custom.Key
	}
	return c.Field.Name
}

// stringTypes may use like, contains, starts_with and ends_with.
func isStringType(t schema.Type) bool {
	switch t {
	case schema.String, schema.Text, schema.Email, schema.URL, schema.Enum,
		schema.Country, schema.Currency, schema.Locale, schema.Timezone:
		return true
	}
	return false
}

// opAllowed reports whether op applies to the condition's field.
func opAllowed(c *Cond, op Op) bool {
	if c.Custom != nil {
		switch op {
		case OpEq, OpIn, OpNull:
			return true
		case OpGt, OpLt, OpGte, OpLte:
			switch c.Custom.Type {
			case "boolean", "multiselect":
				return false
			}
			return true
		case OpLike:
			switch c.Custom.Type {
			case "number", "decimal", "date", "datetime", "boolean":
				return false
			}
			return true
		case OpStartsWith, OpEndsWith:
			switch c.Custom.Type {
			case "number", "decimal", "date", "datetime", "boolean", "multiselect":
				return false
			}
			return true
		}
		return false
	}
	switch op {
	case OpLike, OpStartsWith, OpEndsWith:
		return isStringType(c.Field.Type)
	case OpGt, OpLt, OpGte, OpLte:
		return c.Field.Type != schema.Bool
	}
	return true
}
