package query

import (
	"unicode/utf8"

	"github.com/cirqll/core/internal/dialect"
)

// DrivenBySearch reports whether a filter, on SQLite, has a trigram search
// condition on the resource itself in its top-level conjunction. The store
// then reads the table NOT INDEXED, so SQLite starts from the FTS matches
// (rowid lookups) instead of walking the whole company through an index and
// probing the match list for every row.
func DrivenBySearch(d dialect.Dialect, n Node) bool {
	return d == dialect.SQLite && HasSearch(n)
}

// HasSearch reports whether a filter's top-level conjunction has a like
// (contains) condition on a trigram-indexed field of the resource itself,
// with a term of at least three characters (a trigram index can serve it).
func HasSearch(n Node) bool {
	switch x := n.(type) {
	case *Cond:
		if len(x.Path) > 0 || x.Custom != nil || x.Not || x.Op != OpLike || x.Field == nil || !x.Field.Search || len(x.Values) == 0 {
			return false
		}
		v, _ := x.Values[0].(string)
		return utf8.RuneCountInString(v) >= 3
	case *And:
		for _, it := range x.Items {
			if HasSearch(it) {
				return true
			}
		}
	}
	return false
}
