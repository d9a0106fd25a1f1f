package query

import (
	"strings"

	"github.com/cirqll/core/internal/schema"
)

// parseOrderBy parses field[:asc|desc] items; dotted paths through to-one
// relations only.
func parseOrderBy(res *schema.Resource, s string, acc Access) ([]Order, error) {
	var out []Order
	for _, it := range splitList(s) {
		if it.s == "" {
			return nil, bad("order_by", s, it.pos, "q_empty_item")
		}
		if len(out) >= MaxOrderFields {
			return nil, bad("order_by", s, it.pos, "q_too_many_orders", MaxOrderFields)
		}
		path, dir, hasDir := strings.Cut(it.s, ":")
		path = strings.TrimRight(path, " \t")
		rels, f, _, err := resolvePath(res, s, path, it.pos, acc, pathRules{param: "order_by"})
		if err != nil {
			return nil, err
		}
		o := Order{Path: rels, Field: f}
		if hasDir {
			dirPos := it.pos + len(it.s) - len(dir)
			d := strings.Trim(dir, " \t")
			switch strings.ToLower(d) {
			case "asc":
			case "desc":
				o.Desc = true
			default:
				return nil, bad("order_by", s, dirPos, "q_bad_direction", d)
			}
		}
		out = append(out, o)
	}
	return out, nil
}
