package pages

import (
	"errors"
	"fmt"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/i18n"
)

var monthsNL = [...]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}

// formatDate is a date and time as people read it: "2 Mar 2026, 14:05" or
// "2 mrt 2026, 14:05", in loc.
func formatDate(lang string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if lang == "nl" {
		return fmt.Sprintf("%d %s %d, %s", t.Day(), monthsNL[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("2 Jan 2006, 15:04")
}

// formatDay is a date: "2 Mar 2026" or "2 mrt 2026", in loc.
func formatDay(lang string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if lang == "nl" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsNL[t.Month()-1], t.Year())
	}
	return t.Format("2 Jan 2006")
}

// fieldError is one message of the error summary, linking to its field.
type fieldError struct {
	Field, ID, Msg string
}

// formErrors are a form's field errors: per field and in a summary list.
type formErrors struct {
	List    []fieldError
	byField map[string][]string
}

// For returns the messages of one field.
func (f *formErrors) For(field string) []string {
	if f == nil {
		return nil
	}
	return f.byField[field]
}

// Any reports whether there are errors.
func (f *formErrors) Any() bool { return f != nil && len(f.List) > 0 }

// Add adds a message to a field; id is the input the summary links to.
func (f *formErrors) Add(field, id, msg string) {
	if f.byField == nil {
		f.byField = map[string][]string{}
	}
	f.byField[field] = append(f.byField[field], msg)
	f.List = append(f.List, fieldError{Field: field, ID: id, Msg: msg})
}

// fromAPI turns a 422 of the API layer into field errors, translating each
// message with the field's label in place of its API name ("The Name field
// is required." rather than "The name field ..."). ok is false for any
// other error.
func fromAPI(lang string, err error, labels map[string]string, ids map[string]string) (*formErrors, bool) {
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Fields == nil {
		return nil, false
	}
	out := &formErrors{}
	for _, field := range ae.FieldOrder {
		for _, m := range ae.Fields[field] {
			args := make([]any, len(m.Args))
			copy(args, m.Args)
			for i, a := range args {
				if s, ok := a.(string); ok && s == field {
					if l, ok := labels[field]; ok {
						args[i] = l
					}
				}
			}
			id := ids[field]
			if id == "" {
				id = "f-" + field
			}
			out.Add(field, id, i18n.T(lang, m.Key, args...))
		}
	}
	return out, true
}
