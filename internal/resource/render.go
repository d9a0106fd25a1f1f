package resource

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// TimeFormat is how date-times are returned: RFC 3339 in UTC.
const TimeFormat = "2006-01-02T15:04:05Z"

// JSONValue is a field's value as the API shows it: money as a two-place
// string, date-times as RFC 3339 UTC.
func JSONValue(f *schema.Field, v any) any {
	if v == nil {
		return nil
	}
	switch f.Type {
	case schema.Decimal:
		return store.FormatCents(v.(int64))
	case schema.DateTime:
		return v.(time.Time).UTC().Format(TimeFormat)
	}
	return v
}

// Renderer writes records as JSON in declaration order.
type Renderer struct {
	buf bytes.Buffer
}

// Plain renders a record's own fields (no embeds) as a map: the shape of
// webhook payloads and activity log snapshots.
func Plain(res *schema.Resource, row *store.Row) map[string]any {
	out := make(map[string]any, len(res.Fields))
	for _, f := range res.Fields {
		if !visible(f) {
			continue
		}
		out[f.Name] = JSONValue(f, row.Vals[f.Name])
	}
	return out
}

func visible(f *schema.Field) bool {
	return !f.Hidden && f.Type != schema.Password && f.Type != schema.Nested && !f.NoColumn
}

// Record renders one record with its embeds.
func Record(res *schema.Resource, row *store.Row, p *query.Params) []byte {
	var r Renderer
	var show *query.ShowNode
	var with []*query.WithNode
	var count []*schema.Relation
	if p != nil {
		show, with, count = p.Show, p.With, p.Count
	}
	r.record(res, row, show, showRels(show), with, count)
	return r.buf.Bytes()
}

// List renders a list envelope.
func List(res *schema.Resource, page *store.Page, p *query.Params) []byte {
	var r Renderer
	r.buf.Grow(256 * (len(page.Rows) + 1))
	r.page(res, page, p.Show, p.With, p.Count)
	return r.buf.Bytes()
}

func (r *Renderer) page(res *schema.Resource, page *store.Page, show *query.ShowNode, with []*query.WithNode, count []*schema.Relation) {
	b := &r.buf
	b.WriteString(`{"data":[`)
	for i, row := range page.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		r.record(res, row, show, showRels(show), with, count)
	}
	b.WriteString(`],"limit":`)
	b.WriteString(strconv.Itoa(page.Limit))
	b.WriteString(`,"total":`)
	if page.Total != nil {
		b.WriteString(strconv.FormatInt(*page.Total, 10))
	} else {
		b.WriteString("null")
	}
	b.WriteString(`,"offset":`)
	b.WriteString(strconv.Itoa(page.Offset))
	b.WriteByte('}')
}

func showRels(show *query.ShowNode) []*query.ShowRel {
	if show == nil {
		return nil
	}
	return show.Rels
}

func (r *Renderer) key(first *bool, k string) {
	if !*first {
		r.buf.WriteByte(',')
	}
	*first = false
	r.buf.WriteByte('"')
	r.buf.WriteString(k)
	r.buf.WriteString(`":`)
}

func (r *Renderer) value(v any) {
	switch x := v.(type) {
	case nil:
		r.buf.WriteString("null")
	case int64:
		r.buf.WriteString(strconv.FormatInt(x, 10))
	case bool:
		r.buf.WriteString(strconv.FormatBool(x))
	case json.RawMessage:
		if len(x) == 0 {
			r.buf.WriteString("null")
		} else {
			r.buf.Write(x)
		}
	default:
		b, err := json.Marshal(x)
		if err != nil {
			r.buf.WriteString("null")
			return
		}
		r.buf.Write(b)
	}
}

// record writes one record: the fields of fields (nil: all of them), the
// relations of with (whole records, as with asks), then the relations of
// showRels that with did not load, then counts. A relation named in both
// with and show is embedded whole, with show's relations below it added.
func (r *Renderer) record(res *schema.Resource, row *store.Row, fields *query.ShowNode, showRels []*query.ShowRel, with []*query.WithNode, count []*schema.Relation) {
	b := &r.buf
	if row == nil {
		b.WriteString("null")
		return
	}
	b.WriteByte('{')
	first := true
	if fields != nil {
		for _, f := range fields.Fields {
			r.key(&first, f.Name)
			r.value(JSONValue(f, row.Vals[f.Name]))
		}
	} else {
		for _, f := range res.Fields {
			if !visible(f) && !(revealable(f) && revealed(row)) {
				continue
			}
			r.key(&first, f.Name)
			r.value(JSONValue(f, row.Vals[f.Name]))
		}
	}
	done := map[string]bool{}
	for _, n := range with {
		done[n.Rel.Name] = true
		r.key(&first, n.Rel.Name)
		var below []*query.ShowRel
		for _, sr := range showRels {
			if sr.Rel.Name == n.Rel.Name {
				below = sr.Node.Rels
			}
		}
		r.embed(n.Target, row.Embeds[n.Rel.Name], nil, below, n.Children)
	}
	for _, sr := range showRels {
		if done[sr.Rel.Name] {
			continue
		}
		r.key(&first, sr.Rel.Name)
		r.embed(schema.Get(sr.Rel.Target), row.Embeds[sr.Rel.Name], sr.Node, sr.Node.Rels, nil)
	}
	for _, rel := range count {
		r.key(&first, rel.Name+"_count")
		r.buf.WriteString(strconv.FormatInt(row.Counts[rel.Name], 10))
	}
	b.WriteByte('}')
}

func (r *Renderer) embed(target *schema.Resource, v any, fields *query.ShowNode, showRels []*query.ShowRel, children []*query.WithNode) {
	switch x := v.(type) {
	case *store.Row:
		r.record(target, x, fields, showRels, children, nil)
	case *store.Page:
		r.page(target, x, fields, children, nil)
	case nil:
		r.buf.WriteString("null")
	default:
		r.value(x)
	}
}
