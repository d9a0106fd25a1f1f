package dialect

import (
	"database/sql/driver"
	"strings"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// Fold is an SQL function on SQLite that lowers every letter: SQLite's own
// lower() and LIKE fold ASCII only, so "élan" would not find "Élan".
// Registered here, with the driver, so every SQLite connection has it.
const Fold = "cirqll_fold"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(Fold, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch x := args[0].(type) {
		case string:
			return strings.ToLower(x), nil
		case []byte:
			return strings.ToLower(string(x)), nil
		}
		return args[0], nil
	})
}

// ILikeText is a case-insensitive LIKE of expr against pattern (escaped
// with EscapeLike) for letters of any script: it returns the condition and
// the pattern to bind. On SQLite a pattern with non-ASCII characters
// compares both sides lowered by Fold; an ASCII pattern keeps the plain
// LIKE, which folds ASCII and can use the indexes.
func (d Dialect) ILikeText(expr, pattern string) (string, string) {
	if d == SQLite && !ascii(pattern) {
		return Fold + "(" + expr + `) LIKE ? ESCAPE '\'`, strings.ToLower(pattern)
	}
	return d.ILike(expr), pattern
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
