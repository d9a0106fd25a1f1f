package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
)

// NestedLimit is how many records a to-many envelope embeds (ordered by id).
const NestedLimit = 50

// Load eager-loads the with tree into rows: one query per relation per
// level, whatever the number of rows (never one per row).
func (c Conn) Load(ctx context.Context, s Scope, res *schema.Resource, rows []*Row, nodes []*query.WithNode) error {
	if len(rows) == 0 {
		return nil
	}
	for _, n := range nodes {
		var children []*Row
		var err error
		switch n.Rel.Kind {
		case schema.ToOne:
			children, err = c.loadToOne(ctx, s, res, rows, n.Rel, n.Target)
		case schema.ToMany:
			children, err = c.loadToMany(ctx, s, res, rows, n.Rel, n.Target)
		case schema.Special:
			err = c.loadSpecial(ctx, s, res, rows, n.Rel)
		}
		if err != nil {
			return err
		}
		if len(n.Children) > 0 && n.Target != nil {
			if err := c.Load(ctx, s, n.Target, children, n.Children); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadShow loads the relations a dotted `show` names (to-one only).
func (c Conn) LoadShow(ctx context.Context, s Scope, res *schema.Resource, rows []*Row, node *query.ShowNode) error {
	if node == nil || len(rows) == 0 {
		return nil
	}
	for _, sr := range node.Rels {
		target := schema.Get(sr.Rel.Target)
		children, loaded := embedded(rows, sr.Rel.Name)
		if !loaded {
			var err error
			if children, err = c.loadToOne(ctx, s, res, rows, sr.Rel, target); err != nil {
				return err
			}
		}
		if err := c.LoadShow(ctx, s, target, children, sr.Node); err != nil {
			return err
		}
	}
	return nil
}

// embedded returns the rows that with already embedded under name (a
// relation named in both with and show is loaded once, by with, and show's
// relations below it load on those rows).
func embedded(rows []*Row, name string) ([]*Row, bool) {
	var out []*Row
	seen := map[*Row]bool{}
	for _, r := range rows {
		v, ok := r.Embeds[name]
		if !ok {
			return nil, false
		}
		if e, ok := v.(*Row); ok && e != nil && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, true
}

func setEmbed(r *Row, name string, v any) {
	if r.Embeds == nil {
		r.Embeds = map[string]any{}
	}
	r.Embeds[name] = v
}

func (c Conn) loadToOne(ctx context.Context, s Scope, res *schema.Resource, rows []*Row, rel *schema.Relation, target *schema.Resource) ([]*Row, error) {
	keyOf := func(r *Row) (int64, bool) {
		if rel.Key == "company_id" {
			// Not a declared field (user.company): set it so that
			// show=company.name can include the key as query.md says.
			r.Vals["company_id"] = s.CompanyID
			return s.CompanyID, true
		}
		v, ok := r.Vals[rel.Key].(int64)
		return v, ok
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, r := range rows {
		if id, ok := keyOf(r); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	byID := map[int64]*Row{}
	if len(ids) > 0 {
		where, args := s.Cond(target, "t")
		q := "SELECT " + selectList(target, "t") + " FROM " + target.Table + " t WHERE " + where + " AND t.id IN (" + idList(len(ids)) + ")"
		rs, err := c.Query(ctx, q, append(args, int64Args(ids)...)...)
		if err != nil {
			return nil, err
		}
		got, _, err := c.scanRows(rs, target, 0)
		if err != nil {
			return nil, err
		}
		for _, g := range got {
			byID[g.ID] = g
		}
	}
	var children []*Row
	for _, r := range rows {
		var child *Row
		if id, ok := keyOf(r); ok {
			child = byID[id]
		}
		if child != nil {
			// A row shared by several parents is loaded once; nested loads
			// fill it once for all of them.
			setEmbed(r, rel.Name, child)
		} else {
			setEmbed(r, rel.Name, (*Row)(nil))
		}
	}
	for _, g := range byID {
		children = append(children, g)
	}
	sort.Slice(children, func(i, j int) bool { return children[i].ID < children[j].ID })
	return children, nil
}

func (c Conn) loadToMany(ctx context.Context, s Scope, res *schema.Resource, rows []*Row, rel *schema.Relation, target *schema.Resource) ([]*Row, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	where, args := s.Cond(target, "t")
	key := quoteCol(rel.Key)
	if len(ids) == 1 {
		return c.loadToManyOne(ctx, rows, rel, target, where, args, key)
	}
	// Totals first (an index-only GROUP BY), then the children of every
	// parent with at most NestedLimit of them in one plain query; only
	// parents with more (rare) need the window query that cuts at the limit.
	counts := make(map[int64]int64, len(ids))
	rs, err := c.Query(ctx, "SELECT t."+key+", COUNT(*) FROM "+target.Table+" t WHERE "+where+" AND t."+key+" IN ("+idList(len(ids))+") GROUP BY t."+key, append(append([]any{}, args...), int64Args(ids)...)...)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var id, n int64
		if err := rs.Scan(&id, &n); err != nil {
			rs.Close()
			return nil, err
		}
		counts[id] = n
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	var small, big []int64
	for id, n := range counts {
		if n > NestedLimit {
			big = append(big, id)
		} else {
			small = append(small, id)
		}
	}
	sort.Slice(small, func(i, j int) bool { return small[i] < small[j] })
	sort.Slice(big, func(i, j int) bool { return big[i] < big[j] })
	var got []*Row
	var parents []int64
	if len(small) > 0 {
		q := "SELECT " + selectList(target, "t") + ", t." + key + " FROM " + target.Table + " t WHERE " + where + " AND t." + key + " IN (" + idList(len(small)) + ") ORDER BY t." + key + ", t.id"
		rs, err := c.Query(ctx, q, append(append([]any{}, args...), int64Args(small)...)...)
		if err != nil {
			return nil, err
		}
		rows, extras, err := c.scanRows(rs, target, 1)
		if err != nil {
			return nil, err
		}
		got = append(got, rows...)
		for _, e := range extras {
			parents = append(parents, ToInt64(e[0]))
		}
	}
	if len(big) > 0 {
		q := "SELECT * FROM (SELECT " + selectList(target, "t") + ", t." + key + " AS parent_key_, " +
			"ROW_NUMBER() OVER (PARTITION BY t." + key + " ORDER BY t.id) AS rn_ FROM " + target.Table + " t WHERE " + where +
			" AND t." + key + " IN (" + idList(len(big)) + ")) x WHERE rn_ <= " + strconv.Itoa(NestedLimit) + " ORDER BY parent_key_, id"
		rs, err := c.Query(ctx, q, append(append([]any{}, args...), int64Args(big)...)...)
		if err != nil {
			return nil, err
		}
		rows, extras, err := c.scanRows(rs, target, 2)
		if err != nil {
			return nil, err
		}
		got = append(got, rows...)
		for _, e := range extras {
			parents = append(parents, ToInt64(e[0]))
		}
	}
	pages := make(map[int64]*Page, len(rows))
	for i, g := range got {
		parent := parents[i]
		p := pages[parent]
		if p == nil {
			total := counts[parent]
			p = &Page{Limit: NestedLimit, Total: &total}
			pages[parent] = p
		}
		p.Rows = append(p.Rows, g)
	}
	for _, r := range rows {
		p := pages[r.ID]
		if p == nil {
			zero := int64(0)
			p = &Page{Limit: NestedLimit, Total: &zero, Rows: []*Row{}}
		}
		setEmbed(r, rel.Name, p)
	}
	return got, nil
}

// loadToManyOne is the one-parent case (Show): a plain indexed range scan,
// cheaper than the window functions; the total needs a COUNT only when the
// envelope is full.
func (c Conn) loadToManyOne(ctx context.Context, rows []*Row, rel *schema.Relation, target *schema.Resource, where string, args []any, key string) ([]*Row, error) {
	parent := rows[0].ID
	q := "SELECT " + selectList(target, "t") + " FROM " + target.Table + " t WHERE " + where + " AND t." + key + " = ? ORDER BY t.id LIMIT " + strconv.Itoa(NestedLimit)
	rs, err := c.Query(ctx, q, append(args, parent)...)
	if err != nil {
		return nil, err
	}
	got, _, err := c.scanRows(rs, target, 0)
	if err != nil {
		return nil, err
	}
	total := int64(len(got))
	if total == NestedLimit {
		if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM "+target.Table+" t WHERE "+where+" AND t."+key+" = ?", append(args, parent)...).Scan(&total); err != nil {
			return nil, err
		}
	}
	if got == nil {
		got = []*Row{}
	}
	for _, r := range rows {
		setEmbed(r, rel.Name, &Page{Limit: NestedLimit, Total: &total, Rows: got})
	}
	return got, nil
}

// ToInt64 reads an integer column scanned into an any (the drivers give
// int64; the other forms just in case).
func ToInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case float64:
		return int64(x)
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// FieldValue is one custom field value of a record.
type FieldValue struct {
	FieldID int64  `json:"field_id"`
	Key     string `json:"key"`
	Value   any    `json:"value"`
}

// FieldOption is one option of a select field.
type FieldOption struct {
	ID       int64  `json:"id"`
	Label    string `json:"label"`
	Position int64  `json:"position"`
}

// TemplateItem is one line of a template; decimals as two-place strings.
type TemplateItem struct {
	ID          int64  `json:"id"`
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unit_price"`
	VatRate     string `json:"vat_rate"`
	Position    int64  `json:"position"`
}

func (c Conn) loadSpecial(ctx context.Context, s Scope, res *schema.Resource, rows []*Row, rel *schema.Relation) error {
	ids := make([]int64, 0, len(rows))
	byID := make(map[int64][]*Row, len(rows))
	for _, r := range rows {
		if _, dup := byID[r.ID]; !dup {
			ids = append(ids, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	switch rel.Name {
	case "permissions":
		for _, r := range rows {
			l, _ := r.Vals["permissions"].([]string)
			if l == nil {
				l = []string{}
			}
			setEmbed(r, "permissions", l)
		}
		return nil
	case "field_values":
		vals := make(map[int64][]FieldValue, len(rows))
		q := "SELECT fv.record_id, fv.field_id, f." + quoteCol("key") + ", f." + quoteCol("type") + ", fv.value FROM field_values fv JOIN fields f ON f.id = fv.field_id " +
			"WHERE fv.company_id = ? AND fv.model = ? AND fv.record_id IN (" + idList(len(ids)) + ") ORDER BY fv.record_id, f." + quoteCol("position") + ", f.id"
		rs, err := c.Query(ctx, q, append([]any{s.CompanyID, res.Name}, int64Args(ids)...)...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var rid, fid int64
			var key, typ, raw string
			if err := rs.Scan(&rid, &fid, &key, &typ, &raw); err != nil {
				return err
			}
			vals[rid] = append(vals[rid], FieldValue{FieldID: fid, Key: key, Value: DecodeFieldValue(typ, raw)})
		}
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range rows {
			l := vals[r.ID]
			if l == nil {
				l = []FieldValue{}
			}
			setEmbed(r, "field_values", l)
		}
	case "options":
		opts := map[int64][]FieldOption{}
		rs, err := c.Query(ctx, "SELECT field_id, id, label, "+quoteCol("position")+" FROM field_options WHERE company_id = ? AND field_id IN ("+idList(len(ids))+") ORDER BY field_id, "+quoteCol("position")+", id",
			append([]any{s.CompanyID}, int64Args(ids)...)...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var fid int64
			var o FieldOption
			if err := rs.Scan(&fid, &o.ID, &o.Label, &o.Position); err != nil {
				return err
			}
			opts[fid] = append(opts[fid], o)
		}
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range rows {
			l := opts[r.ID]
			if l == nil {
				l = []FieldOption{}
			}
			setEmbed(r, "options", l)
		}
	case "items":
		items := map[int64][]TemplateItem{}
		rs, err := c.Query(ctx, "SELECT template_id, id, description, quantity, unit_price, vat_rate, "+quoteCol("position")+" FROM template_items WHERE company_id = ? AND template_id IN ("+idList(len(ids))+") ORDER BY template_id, "+quoteCol("position")+", id",
			append([]any{s.CompanyID}, int64Args(ids)...)...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var tid, q, p, v int64
			var it TemplateItem
			if err := rs.Scan(&tid, &it.ID, &it.Description, &q, &p, &v, &it.Position); err != nil {
				return err
			}
			it.Quantity, it.UnitPrice, it.VatRate = FormatCents(q), FormatCents(p), FormatCents(v)
			items[tid] = append(items[tid], it)
		}
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range rows {
			l := items[r.ID]
			if l == nil {
				l = []TemplateItem{}
			}
			setEmbed(r, "items", l)
		}
	default:
		return fmt.Errorf("unknown special relation %s", rel.Name)
	}
	return nil
}

// FormatCents renders an integer of hundredths as "12.50".
func FormatCents(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Count adds <relation>_count for each to-many relation to every row, one
// GROUP BY query per relation for the whole page.
func (c Conn) Count(ctx context.Context, s Scope, rows []*Row, rels []*schema.Relation) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	for _, rel := range rels {
		target := schema.Get(rel.Target)
		where, args := s.Cond(target, "t")
		key := quoteCol(rel.Key)
		q := "SELECT t." + key + ", COUNT(*) FROM " + target.Table + " t WHERE " + where + " AND t." + key + " IN (" + idList(len(ids)) + ") GROUP BY t." + key
		rs, err := c.Query(ctx, q, append(args, int64Args(ids)...)...)
		if err != nil {
			return err
		}
		counts := map[int64]int64{}
		for rs.Next() {
			var id, n int64
			if err := rs.Scan(&id, &n); err != nil {
				rs.Close()
				return err
			}
			counts[id] = n
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range rows {
			if r.Counts == nil {
				r.Counts = map[string]int64{}
			}
			r.Counts[rel.Name] = counts[r.ID]
		}
	}
	return nil
}
