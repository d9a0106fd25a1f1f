package query

import "github.com/cirqll/core/internal/dialect"

// SearchTerm returns the trigram search condition that drives a filter on
// SQLite (see DrivenBySearch): the column and the value searched, and
// whether that condition is the whole filter.
func SearchTerm(d dialect.Dialect, n Node) (col, value string, whole, ok bool) {
	if !DrivenBySearch(d, n) {
		return "", "", false, false
	}
	if c, isCond := n.(*Cond); isCond {
		v, _ := c.Values[0].(string)
		return c.Field.Col(), v, true, true
	}
	for _, it := range n.(*And).Items {
		if c, isCond := it.(*Cond); isCond && DrivenBySearch(d, c) {
			v, _ := c.Values[0].(string)
			return c.Field.Col(), v, false, true
		}
	}
	// A nested conjunction drives it: plan as a search, count normally.
	for _, it := range n.(*And).Items {
		if col, v, _, ok := SearchTerm(d, it); ok {
			return col, v, false, true
		}
	}
	return "", "", false, false
}
