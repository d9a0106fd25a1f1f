package query

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/schema"
)

// typeValues parses the raw value of an atom into typed Values.
func (p *filterParser) typeValues(c *Cond, raw string, pos int, quoted bool) error {
	if c.Op != OpIn {
		v, key, args := typeValue(c, raw)
		if key != "" {
			return p.err(pos, key, args...)
		}
		c.Values = []any{v}
		return nil
	}
	if strings.Trim(raw, " \t") == "" {
		return p.err(pos, "q_empty_list")
	}
	off := 0
	for _, part := range strings.Split(raw, ";") {
		v, key, args := typeValue(c, part)
		if key != "" {
			at := pos
			if !quoted {
				at = pos + off
			}
			return p.err(at, key, args...)
		}
		c.Values = append(c.Values, v)
		off += len(part) + 1
	}
	return nil
}

// typeValue types one value; key != "" names the error.
func typeValue(c *Cond, raw string) (any, string, []any) {
	pattern := c.Op == OpLike || c.Op == OpStartsWith || c.Op == OpEndsWith
	if c.Custom != nil {
		if pattern {
			return raw, "", nil
		}
		v, ok := customValue(c.Custom.Type, raw)
		if !ok {
			return nil, customValueKeys[c.Custom.Type], []any{raw}
		}
		return v, "", nil
	}
	f := c.Field
	t := strings.TrimSpace(raw)
	switch f.Type {
	case schema.Int, schema.Ref:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, valueKeys[f.Type], []any{raw}
		}
		return n, "", nil
	case schema.Decimal:
		n, ok := parseCents(t)
		if !ok {
			return nil, valueKeys[f.Type], []any{raw}
		}
		return n, "", nil
	case schema.Bool:
		b, ok := parseBool(t)
		if !ok {
			return nil, valueKeys[f.Type], []any{raw}
		}
		return b, "", nil
	case schema.Date:
		d, err := time.Parse("2006-01-02", t)
		if err != nil || d.Year() < 1 { // PostgreSQL has no year 0
			return nil, valueKeys[f.Type], []any{raw}
		}
		return d.Format("2006-01-02"), "", nil
	case schema.DateTime:
		tm, ok := parseDateTime(t)
		if !ok {
			return nil, valueKeys[f.Type], []any{raw}
		}
		return tm, "", nil
	case schema.Enum:
		if pattern {
			return raw, "", nil
		}
		for _, e := range f.Enum {
			if e == t {
				return t, "", nil
			}
		}
		return nil, "q_enum_value", []any{raw, strings.Join(f.Enum, ", ")}
	}
	return raw, "", nil
}

// valueKeys name the 400 for a value a field of the type cannot take: one
// message per type, in words an integrator knows (not our type names).
var valueKeys = map[schema.Type]string{
	schema.Int:      "q_bad_integer",
	schema.Ref:      "q_bad_id",
	schema.Decimal:  "q_bad_money",
	schema.Bool:     "q_bad_boolean",
	schema.Date:     "q_bad_date",
	schema.DateTime: "q_bad_datetime",
}

// customValueKeys are valueKeys for the custom field types that can fail.
var customValueKeys = map[string]string{
	"number":   "q_bad_number",
	"decimal":  "q_bad_number",
	"boolean":  "q_bad_boolean",
	"date":     "q_bad_date",
	"datetime": "q_bad_datetime",
}

// customValue canonicalises a custom field value the way field_values.value
// stores it.
func customValue(typ, raw string) (string, bool) {
	t := strings.TrimSpace(raw)
	switch typ {
	case "number", "decimal":
		if !isNumber(t) {
			return "", false
		}
		return strings.TrimPrefix(t, "+"), true
	case "date":
		d, err := time.Parse("2006-01-02", t)
		if err != nil {
			return "", false
		}
		return d.Format("2006-01-02"), true
	case "datetime":
		tm, ok := parseDateTime(t)
		if !ok {
			return "", false
		}
		return tm.Format(time.RFC3339), true
	case "boolean":
		b, ok := parseBool(t)
		if !ok {
			return "", false
		}
		return strconv.FormatBool(b), true
	}
	return raw, true
}

// isNumber accepts [+-]digits[.digits].
func isNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return false
	}
	return len(intPart) <= 30 && len(frac) <= 30
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCents parses "12", "12.5", "-12.50" (at most two decimals) into cents.
func parseCents(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && (!allDigits(frac) || len(frac) > 2)) {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	units, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || units > (math.MaxInt64-99)/100 {
		return 0, false
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	n := units*100 + cents
	if neg {
		n = -n
	}
	return n, true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// dateTimeLayouts are the ISO 8601 date-times integrators send: minutes
// with or without seconds (a fraction may follow the seconds), and an
// offset as Z, +01:00, +0100 or +01, or none (UTC).
var dateTimeLayouts = func() []string {
	var out []string
	for _, clock := range []string{"15:04:05", "15:04"} {
		for _, zone := range []string{"Z07:00", "Z0700", "Z07", ""} {
			out = append(out, "2006-01-02T"+clock+zone)
		}
	}
	return out
}()

// parseDateTime accepts a date-time of dateTimeLayouts, T and Z in either
// case (RFC 3339 allows lower case), or YYYY-MM-DD (midnight UTC). Years
// outside 1-9999 in UTC are refused: PostgreSQL and the fixed-width SQLite
// text cannot hold them.
func parseDateTime(s string) (time.Time, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, t.Year() >= 1
	}
	s = strings.ToUpper(s)
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			u := t.UTC()
			return u, u.Year() >= 1 && u.Year() <= 9999
		}
	}
	return time.Time{}, false
}
