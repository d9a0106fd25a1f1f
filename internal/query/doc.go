// Package query parses and compiles the query language of query.md for one
// resource: with, show, count, filter, order_by, offset/limit/per_page,
// total and after.
//
// Parsing (ParseIndex, ParseShow) turns url.Values into a typed Params value
// and reports every malformed parameter as an *apierr.Error with status 400
// (apierr.BadParam) that names the parameter and the 0-based character
// (rune, not byte) offset of the offending token in that parameter's value,
// with a "q_" message key registered in English and Dutch (messages.go).
//
// Decisions the callers rely on:
//
//   - List parameters (with, show, count, order_by, filter) join every value
//     of name, name[] and name[<n>] with commas, in that order (the indexed
//     form, sent by PHP's http_build_query and JavaScript's qs, in index
//     order); positions are those of the joined value. An entirely blank
//     value is treated as absent (with= still sets HasWith, weight 0); an
//     empty item inside a list is a 400. Blanks around list items are
//     ignored.
//   - Scalar parameters (offset, limit, per_page, total, after) use their
//     last value, as PHP/Laravel do; in array form (limit[]=2, limit[0]=2)
//     they are a 400 on the parameter. limit wins over per_page. total
//     accepts true/false/1/0. after cannot be combined with a non-empty
//     order_by or offset (400 on "after").
//   - Invalid UTF-8 and NUL characters in a list parameter are a 400.
//   - filter: an unquoted value runs to the next comma or closing
//     parenthesis and may contain colons (created_at:gt:2024-01-01T10:00:00Z
//     works unquoted). Operators are case-insensitive. Values of typed
//     fields are trimmed of blanks before parsing; string values are not.
//     For in, an empty item is typed like any value ("" for strings, a 400
//     for numbers and enums).
//   - Date-time values: YYYY-MM-DD (midnight UTC), or
//     YYYY-MM-DDThh:mm[:ss[.fraction]] with Z, +hh:mm, +hhmm, +hh or no
//     offset (UTC); T and Z in either case.
//   - Dotted paths of filter, order_by and show cross at most MaxHops (8)
//     relations; with is bounded by its weight instead.
//   - A dotted filter path means "a related record exists that matches"
//     for to-one hops as well as to-many ones (Laravel's whereHas): to-one
//     compiles to "t.fk IN (SELECT x.id FROM ... WHERE <scope> AND <cond>)",
//     to-many to "EXISTS (SELECT 1 FROM ... WHERE x.back = t.id AND <scope>
//     AND <cond>)". So user.name:ne:Bob matches customers whose user is not
//     named Bob (or has no name), not customers without a user. Each atom is
//     its own existence test.
//   - ne, not:<op> include rows where the column is NULL:
//     "(col IS NULL OR NOT (...))"; not:null is IS NOT NULL.
//   - Custom fields (field_values.<key>, also through relations, e.g.
//     contacts.field_values.hobby) compile to EXISTS over field_values with
//     fv.company_id = t.company_id AND fv.field_id = ? AND fv.record_id =
//     t.id (the model column is not used: a field id belongs to one model);
//     ne and not:<op> compile to NOT EXISTS of a matching row, null to NOT
//     EXISTS of any row. Values are compared as the canonical text: numbers
//     and decimals numerically, dates as YYYY-MM-DD text, date-times as
//     RFC 3339 UTC text without fractions ("2006-01-02T15:04:05Z"),
//     booleans "true"/"false", multiselect (a JSON array) by matching the
//     JSON-quoted label inside the array text.
//   - On SQLite, like/contains on a Search field with a value of at least 3
//     characters also requires t.id IN (SELECT rowid FROM <table>_fts WHERE
//     <table>_fts MATCH '{col} : "value"'), so every table with Search
//     fields needs that FTS5 trigram table.
//   - order_by through to-one relations is a correlated scalar subquery; a
//     related record that is missing or out of scope sorts as NULL. NULL is
//     the smallest value on both dialects (first in ASC, last in DESC, as
//     SQLite and MySQL sort): PostgreSQL gets NULLS FIRST/LAST where a NULL
//     can occur (Field.MayBeNull, every dotted field), SQLite no clause.
//     The id tie-break takes the direction of the last order_by field.
package query
