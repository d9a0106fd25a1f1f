// Package dialect hides the differences between SQLite and PostgreSQL that
// SQL builders need: placeholders, value binding and case-insensitive search.
// Every builder writes "?" placeholders; Rebind turns them into $n.
package dialect

import (
	"strconv"
	"strings"
	"time"
)

// Dialect is SQLite or PostgreSQL.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// TimeLayout is how SQLite stores date-times: fixed width, UTC, so that text
// order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Time binds a date-time value.
func (d Dialect) Time(t time.Time) any {
	if d == Postgres {
		return t.UTC()
	}
	return t.UTC().Format(TimeLayout)
}

// Bool binds a boolean (SQLite stores 0/1).
func (d Dialect) Bool(b bool) any {
	if d == Postgres {
		return b
	}
	if b {
		return int64(1)
	}
	return int64(0)
}

// ILike returns a case-insensitive LIKE of expr against a bound pattern
// using '\' as the escape character.
func (d Dialect) ILike(expr string) string {
	if d == Postgres {
		return expr + ` ILIKE ? ESCAPE '\'`
	}
	return expr + ` LIKE ? ESCAPE '\'`
}

// EscapeLike makes % _ and \ in s match themselves.
func EscapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Rebind turns ? placeholders into $1..$n for PostgreSQL. Question marks
// inside single-quoted literals are left alone.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Quote quotes an identifier (identifiers only ever come from declarations).
func (d Dialect) Quote(ident string) string { return `"` + ident + `"` }
