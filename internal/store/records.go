package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
)

// Scope is the tenant and reach of one request. Every record SQL the store
// runs is built through it, so no caller can forget the company or read a
// record the token's `own` extent hides.
type Scope struct {
	CompanyID int64
	UserID    int64
	// Read is the caller's read extent for a resource (nil: all).
	Read func(res *schema.Resource) schema.Extent
}

// ReadExtent is the caller's read extent of res.
func (s Scope) ReadExtent(res *schema.Resource) schema.Extent {
	if s.Read == nil || res.Name == "address" || res.Name == "company" {
		return schema.All
	}
	return s.Read(res)
}

// Cond is the tenant (and own-extent) condition for res aliased alias; it is
// the query.Scoper of every filter subquery.
func (s Scope) Cond(res *schema.Resource, alias string) (string, []any) {
	if res.Tenant {
		return alias + ".id = ?", []any{s.CompanyID}
	}
	switch s.ReadExtent(res) {
	case schema.All:
		return alias + ".company_id = ?", []any{s.CompanyID}
	case schema.Own:
		if res.Owner != "" {
			return alias + ".company_id = ? AND " + alias + "." + res.Owner + " = ?", []any{s.CompanyID, s.UserID}
		}
	}
	return "1 = 0", nil
}

// Row is one record with normalized Go values: int64 for integers, ids and
// money cents; bool; string for text and dates; time.Time (UTC) for
// date-times; []string for lists; json.RawMessage for JSON; nil for NULL.
type Row struct {
	ID     int64
	Vals   map[string]any
	Embeds map[string]any // relation name -> *Row (or nil), *Page, or a plain slice
	Counts map[string]int64
}

// Page is a list envelope.
type Page struct {
	Rows   []*Row
	Limit  int
	Offset int
	Total  *int64
}

// Columns lists the fields stored as columns of res's table.
func Columns(res *schema.Resource) []*schema.Field {
	out := make([]*schema.Field, 0, len(res.Fields))
	for _, f := range res.Fields {
		if f.Type == schema.Nested || f.NoColumn || f.Type == schema.Password {
			continue
		}
		out = append(out, f)
	}
	return out
}

func selectList(res *schema.Resource, alias string) string {
	var b strings.Builder
	for i, f := range Columns(res) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteByte('.')
		b.WriteString(quoteCol(f.Col()))
	}
	return b.String()
}

// quoteCol quotes column names that are SQL keywords.
func quoteCol(c string) string {
	switch c {
	case "key", "type", "from", "to", "position", "order", "group", "default":
		return `"` + c + `"`
	}
	return c
}

// scanRows reads rows of res selected with selectList (plus extra trailing
// columns scanned into extra).
func (c Conn) scanRows(rows *sql.Rows, res *schema.Resource, extra int) ([]*Row, [][]any, error) {
	defer rows.Close()
	cols := Columns(res)
	var out []*Row
	var extras [][]any
	dest := make([]any, len(cols)+extra)
	raw := make([]any, len(cols)+extra)
	for i := range dest {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		r := &Row{Vals: make(map[string]any, len(cols))}
		for i, f := range cols {
			v, err := normalize(f, raw[i])
			if err != nil {
				return nil, nil, fmt.Errorf("%s.%s: %w", res.Name, f.Name, err)
			}
			r.Vals[f.Name] = v
		}
		r.ID, _ = r.Vals["id"].(int64)
		out = append(out, r)
		if extra > 0 {
			e := make([]any, extra)
			copy(e, raw[len(cols):])
			extras = append(extras, e)
		}
	}
	return out, extras, rows.Err()
}

// normalize turns what a driver scanned into the field's Go value.
func normalize(f *schema.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch f.Type {
	case schema.Int, schema.Ref, schema.Decimal:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case float64:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case schema.Bool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case schema.DateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return nil, err
			}
			return t.UTC(), nil
		}
	case schema.Date:
		switch x := v.(type) {
		case time.Time:
			return x.Format("2006-01-02"), nil
		case string:
			if len(x) > 10 {
				x = x[:10]
			}
			return x, nil
		}
	case schema.StringList:
		s, _ := v.(string)
		if f.SpaceList {
			return strings.Fields(s), nil
		}
		var out []string
		if s != "" {
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	case schema.JSON:
		s, _ := v.(string)
		return json.RawMessage(s), nil
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// Bind turns a field's Go value into what the dialect stores.
func Bind(d dialect.Dialect, f *schema.Field, v any) any {
	if v == nil {
		return nil
	}
	switch f.Type {
	case schema.Bool:
		return d.Bool(v.(bool))
	case schema.DateTime:
		return d.Time(v.(time.Time))
	case schema.StringList:
		l := v.([]string)
		if f.SpaceList {
			return strings.Join(l, " ")
		}
		b, _ := json.Marshal(l)
		return string(b)
	case schema.JSON:
		switch x := v.(type) {
		case json.RawMessage:
			return string(x)
		case string:
			return x
		default:
			b, _ := json.Marshal(x)
			return string(b)
		}
	}
	return v
}

// ErrNotFound is returned for a record that does not exist for the scope.
var ErrNotFound = errors.New("not found")

// List runs an Index: the page of rows (without embeds) and its total.
func (c Conn) List(ctx context.Context, s Scope, res *schema.Resource, p *query.Params) (*Page, error) {
	d := c.db.Dialect
	exact := int64(-1)
	search := false  // a trigram search drives the filter (SQLite)
	planFTS := false // start from the FTS matches instead of walking the order's index
	var plan string  // the search's plan key (searchplan.go), for common terms
	var est int64    // FTS matches of the search term
	if col, val, whole, ok := query.SearchTerm(d, p.Filter); ok {
		var single bool
		var err error
		est, single, err = c.searchEstimate(ctx, s, res, col, val)
		if err != nil {
			return nil, err
		}
		search = true
		planFTS = est <= searchDriveMax // a rare term: rowid lookups from its matches
		// The FTS match count is the exact total when the search is the
		// whole filter, the table holds only this company, the caller may
		// read all of it, and the term is ASCII (FTS and LIKE fold alike).
		if whole && single && isASCII(val) && s.ReadExtent(res) == schema.All {
			exact = est
		}
	}
	// On PostgreSQL the planner makes the same choice for a search: walk
	// the order's index, or take the trigram index's matches and sort them;
	// its estimate for a '%term%' pattern is a guess, so the choice is
	// learned there too (in wall time: the work is the database server's).
	pgSearch := d == dialect.Postgres && p.Limit > 0 && !p.HasAfter && query.HasSearch(p.Filter)
	// build assembles the page query, and the condition the total counts.
	// With fts, SQLite starts from the FTS match list, and PostgreSQL
	// fences the filtered rows off (OFFSET 0) so that the order cannot come
	// from an index walk.
	build := func(fts bool) (from, where string, args []any, q string, qargs []any) {
		from = res.Table + " t"
		compile := query.Where
		if search && fts {
			from += " NOT INDEXED"
		} else if search {
			compile = query.WhereWithoutSearchIndex
		}
		where, args = s.Cond(res, "t")
		if p.Filter != nil {
			w, a := compile(d, res, "t", p.Filter, s.Cond)
			where += " AND (" + w + ")"
			args = append(args, a...)
		}
		// The after= cursor narrows the page, not the total: an export
		// shows its progress against the whole filtered set.
		pageWhere, pageArgs := where, append([]any{}, args...)
		var order string
		var oargs []any
		if p.HasAfter {
			pageWhere += " AND t.id > ?"
			pageArgs = append(pageArgs, p.After)
			order = "t.id ASC"
		} else {
			order, oargs = query.OrderBy(d, res, "t", p.OrderBy, s.Cond)
		}
		q = "SELECT " + selectList(res, "t") + " FROM " + from + " WHERE " + pageWhere + " ORDER BY " + order + " LIMIT ? OFFSET ?"
		if pgSearch && fts {
			q = "SELECT * FROM (SELECT " + selectList(res, "t") + " FROM " + from + " WHERE " + pageWhere + " OFFSET 0) t ORDER BY " + order + " LIMIT ? OFFSET ?"
		}
		qargs = append(append(pageArgs, oargs...), p.Limit, p.Offset)
		return
	}
	from, where, args, q, qargs := build(planFTS)
	measure := search && planFTS && c.db.plans.sampleRare()
	if (search && !planFTS && p.Limit > 0) || pgSearch {
		// A common term: walk the order's index with LIKE and stop at the
		// page's end, unless measurements showed its matches sort late.
		if pgSearch {
			est = -1 // no match count to predict the other plan with
		}
		plan, _ = c.db.counts.key(s.CompanyID, nil, q, qargs)
		var fts bool
		if fts, measure = c.db.plans.useFTS(plan, est); fts {
			planFTS = true
			from, where, args, q, qargs = build(true)
		}
	}
	page := &Page{Limit: p.Limit, Offset: p.Offset, Rows: []*Row{}}
	if p.Limit > 0 {
		var took func() time.Duration
		switch {
		case measure && pgSearch:
			start := time.Now()
			took = func() time.Duration { return time.Since(start) }
		case measure:
			took = cpuClock()
		}
		rows, err := c.Query(ctx, q, qargs...)
		if err == nil {
			page.Rows, _, err = c.scanRows(rows, res, 0)
		}
		if took != nil {
			if d := took(); err == nil && d > 0 {
				c.db.plans.record(plan, planFTS, d, est)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if p.Total {
		// A short page that starts at 0 already knows its total.
		if p.Offset == 0 && !p.HasAfter && len(page.Rows) < p.Limit {
			n := int64(len(page.Rows))
			page.Total = &n
		} else if exact >= 0 {
			page.Total = &exact
		} else {
			n, err := c.count(ctx, s, countTables(res, p.Filter), from, where, args)
			if err != nil {
				return nil, err
			}
			page.Total = &n
		}
	}
	return page, nil
}

func (c Conn) count(ctx context.Context, s Scope, tables []string, from, where string, args []any) (int64, error) {
	return c.cachedCount(ctx, s, tables, "SELECT COUNT(*) FROM "+from+" WHERE "+where, args)
}

// CachedCount runs a COUNT query of company's rows through the count cache:
// it is dropped when any of tables is written (on PostgreSQL by any
// instance).
func (c Conn) CachedCount(ctx context.Context, company int64, tables []string, q string, args ...any) (int64, error) {
	return c.cachedCount(ctx, Scope{CompanyID: company}, tables, q, args)
}

// cachedCount runs a COUNT query through the count cache.
func (c Conn) cachedCount(ctx context.Context, s Scope, tables []string, q string, args []any) (int64, error) {
	key, gen := c.db.counts.key(s.CompanyID, tables, q, args)
	if n, ok := c.db.counts.get(key, gen); ok {
		return n, nil
	}
	var n int64
	if err := c.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, err
	}
	c.db.counts.put(key, gen, n)
	return n, nil
}

// Get reads one record visible to the scope, or ErrNotFound.
func (c Conn) Get(ctx context.Context, s Scope, res *schema.Resource, id int64) (*Row, error) {
	where, args := s.Cond(res, "t")
	return c.one(ctx, res, where+" AND t.id = ?", append(args, id)...)
}

// GetSingleton reads the company's one record of a singleton resource.
func (c Conn) GetSingleton(ctx context.Context, s Scope, res *schema.Resource) (*Row, error) {
	return c.one(ctx, res, "t.company_id = ?", s.CompanyID)
}

// ForUpdate returns the conn with Get and GetSingleton locking the row they
// read until the transaction ends (PostgreSQL's SELECT ... FOR UPDATE), so
// an update or delete decides on the row as it will write it: without it,
// two concurrent updates of one record both read the same updated_at and
// the second failed its compare-and-swap with a 412 nobody asked for. On
// SQLite the one writer already serialises write transactions.
func (c Conn) ForUpdate() Conn {
	c.lock = c.tx != nil && c.db.Dialect == dialect.Postgres
	return c
}

// one reads the single record of res matching where, or ErrNotFound.
func (c Conn) one(ctx context.Context, res *schema.Resource, where string, args ...any) (*Row, error) {
	q := "SELECT " + selectList(res, "t") + " FROM " + res.Table + " t WHERE " + where
	if c.lock {
		q += " FOR UPDATE OF t"
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out, _, err := c.scanRows(rows, res, 0)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out[0], nil
}

// Exists reports whether id names a record of res visible to the scope
// (foreign keys are checked this way: another company's id does not exist).
func (c Conn) Exists(ctx context.Context, s Scope, res *schema.Resource, id int64) (bool, error) {
	where, args := s.Cond(res, "t")
	var one int
	err := c.QueryRow(ctx, "SELECT 1 FROM "+res.Table+" t WHERE "+where+" AND t.id = ?", append(args, id)...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// idList renders n placeholders.
func idList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// searchDriveMax is the FTS match count up to which a search drives the
// query from the FTS table; above it the ordered index walk is cheaper.
const searchDriveMax = 2000

// searchEstimate counts the FTS matches of a term (all companies) and tells
// whether the table holds rows of the scope's company only. Both are cached
// like list totals.
func (c Conn) searchEstimate(ctx context.Context, s Scope, res *schema.Resource, col, val string) (int64, bool, error) {
	fts := res.Table + "_fts"
	match := "{" + col + `} : "` + strings.ReplaceAll(val, `"`, `""`) + `"`
	n, err := c.cachedCount(ctx, s, []string{"*" + res.Table}, "SELECT COUNT(*) FROM "+fts+" WHERE "+fts+" MATCH ?", []any{match})
	if err != nil {
		return 0, false, err
	}
	others, err := c.cachedCount(ctx, s, []string{"*" + res.Table},
		"SELECT COUNT(*) FROM (SELECT 1 FROM "+res.Table+" WHERE company_id < ? UNION ALL SELECT 1 FROM "+res.Table+" WHERE company_id > ? LIMIT 1) x",
		[]any{s.CompanyID, s.CompanyID})
	return n, others == 0, err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
