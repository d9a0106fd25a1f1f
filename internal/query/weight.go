package query

import (
	"net/url"

	"github.com/cirqll/core/internal/schema"
)

// Weight is the eager-loading weight the with parameter of v asks for on
// res, counted without scope checks or the limit, for the
// X-Eager-Loading-Weight header of an answer that is an error (query.md:
// every response to a request with with carries it). A segment that does
// not resolve ends its path. ok is false without a with parameter.
func Weight(res *schema.Resource, v url.Values) (weight int, ok bool) {
	s, ok := listParam(v, "with")
	if !ok {
		return 0, false
	}
	seen := map[string]bool{}
	for _, it := range splitList(s) {
		cur, path := res, ""
		for depth, seg := range splitPath(it.s, it.pos) {
			if cur == nil {
				break
			}
			rel := cur.Relation(seg.s)
			if rel == nil {
				break
			}
			path += "." + seg.s
			if !seen[path] {
				seen[path] = true
				weight += rel.Points() * (depth + 1)
			}
			cur = nil
			if rel.Target != "" {
				cur = schema.Get(rel.Target)
			}
		}
	}
	return weight, true
}
