package query

import (
	"strings"

	"github.com/cirqll/core/internal/schema"
)

// parseWith builds the eager-loading tree and its weight.
func parseWith(res *schema.Resource, s string, acc Access) ([]*WithNode, int, error) {
	var roots []*WithNode
	seen := map[string]*WithNode{} // dotted path -> node
	weight := 0
	for _, it := range splitList(s) {
		if it.s == "" {
			return nil, 0, bad("with", s, it.pos, "q_empty_item")
		}
		cur := res
		siblings := &roots
		path := ""
		for depth, seg := range splitPath(it.s, it.pos) {
			if cur == nil { // below a special relation
				return nil, 0, bad("with", s, seg.pos, "q_unknown_relation", seg.s)
			}
			rel := cur.Relation(seg.s)
			if rel == nil || (rel.Name == "field_values" && !cur.CustomFields) {
				return nil, 0, bad("with", s, seg.pos, "q_unknown_relation", seg.s)
			}
			if rel.Kind == schema.ToMany && depth > 0 {
				return nil, 0, bad("with", s, seg.pos, "q_nesting", seg.s)
			}
			if !acc.Readable(rel) {
				return nil, 0, bad("with", s, seg.pos, "q_relation_forbidden", seg.s)
			}
			if path != "" {
				path += "."
			}
			path += seg.s
			n := seen[path]
			if n == nil {
				n = &WithNode{Rel: rel}
				if rel.Target != "" {
					n.Target = schema.Get(rel.Target)
				}
				seen[path] = n
				*siblings = append(*siblings, n)
				weight += rel.Points() * (depth + 1)
			}
			cur = n.Target
			siblings = &n.Children
		}
		if weight > MaxWeight {
			return nil, 0, bad("with", s, it.pos, "q_with_weight", weight, MaxWeight)
		}
	}
	return roots, weight, nil
}

// parseShowParam builds the partial shape.
func parseShowParam(res *schema.Resource, s string, acc Access) (*ShowNode, error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, nil
	}
	b := newShowBuilder(res)
	for _, it := range items {
		if it.s == "" {
			return nil, bad("show", s, it.pos, "q_empty_item")
		}
		segs := splitPath(it.s, it.pos)
		node, cur := b, res
		for i, seg := range segs[:len(segs)-1] {
			rel := cur.Relation(seg.s)
			if rel == nil || rel.Kind == schema.Special {
				return nil, bad("show", s, seg.pos, "q_unknown_relation", seg.s)
			}
			if rel.Kind == schema.ToMany {
				return nil, bad("show", s, seg.pos, "q_show_to_many", seg.s)
			}
			if i >= MaxHops {
				return nil, bad("show", s, seg.pos, "q_path_too_long", MaxHops)
			}
			if !acc.Readable(rel) {
				return nil, bad("show", s, seg.pos, "q_relation_forbidden", seg.s)
			}
			node.add(fkField(cur, rel))
			cur = schema.Get(rel.Target)
			node = node.child(rel, cur)
		}
		last := segs[len(segs)-1]
		f := cur.Field(last.s)
		if f == nil || f.Hidden || f.Type == schema.Nested {
			return nil, bad("show", s, last.pos, "q_unknown_field", it.s)
		}
		node.add(f)
	}
	return b.node, nil
}

type showBuilder struct {
	node   *ShowNode
	fields map[string]bool
	rels   map[string]*showBuilder
}

func newShowBuilder(res *schema.Resource) *showBuilder {
	b := &showBuilder{node: &ShowNode{}, fields: map[string]bool{}, rels: map[string]*showBuilder{}}
	b.add(res.IDField())
	return b
}

func (b *showBuilder) add(f *schema.Field) {
	if !b.fields[f.Name] {
		b.fields[f.Name] = true
		b.node.Fields = append(b.node.Fields, f)
	}
}

func (b *showBuilder) child(rel *schema.Relation, target *schema.Resource) *showBuilder {
	c := b.rels[rel.Name]
	if c == nil {
		c = newShowBuilder(target)
		b.rels[rel.Name] = c
		b.node.Rels = append(b.node.Rels, &ShowRel{Rel: rel, Node: c.node})
	}
	return c
}

// parseCount resolves count: to-many relations of res only.
func parseCount(res *schema.Resource, s string, acc Access) ([]*schema.Relation, error) {
	var out []*schema.Relation
	seen := map[string]bool{}
	for _, it := range splitList(s) {
		if it.s == "" {
			return nil, bad("count", s, it.pos, "q_empty_item")
		}
		rel := res.Relation(it.s)
		if rel == nil {
			if strings.Contains(it.s, ".") {
				return nil, bad("count", s, it.pos, "q_count_not_to_many", it.s)
			}
			return nil, bad("count", s, it.pos, "q_unknown_relation", it.s)
		}
		if rel.Kind != schema.ToMany {
			return nil, bad("count", s, it.pos, "q_count_not_to_many", it.s)
		}
		if !acc.Readable(rel) {
			return nil, bad("count", s, it.pos, "q_relation_forbidden", it.s)
		}
		if !seen[rel.Name] {
			seen[rel.Name] = true
			out = append(out, rel)
		}
	}
	return out, nil
}
