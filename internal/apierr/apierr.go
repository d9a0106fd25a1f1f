// Package apierr is the one error type every layer returns for a client
// mistake; internal/httpapi renders it in the spec's shapes and language.
package apierr

import (
	"fmt"
	"net/http"
)

// Msg is a translatable message: a catalogue key with arguments.
type Msg struct {
	Key  string
	Args []any
}

// M builds a Msg.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// Position is a 400 detail: where in a query parameter's value it went wrong.
type Position struct {
	Position int
	Msg      Msg
}

// Error is a client-facing error. Status picks the shape:
// 400 with Parameter and Positions, 403 with RequiredScope, 422 with Fields.
type Error struct {
	Status        int
	Msg           Msg
	Parameter     string
	Positions     []Position
	RequiredScope string
	Fields        map[string][]Msg
	FieldOrder    []string
	Header        http.Header // extra response headers (Retry-After, WWW-Authenticate)
	Extra         map[string]any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, e.Msg.Key)
	if e.Parameter != "" {
		s += " (" + e.Parameter + ")"
	}
	for _, p := range e.Positions {
		s += fmt.Sprintf(" @%d %s%v", p.Position, p.Msg.Key, p.Msg.Args)
	}
	for _, f := range e.FieldOrder {
		s += " " + f + ":"
		for _, m := range e.Fields[f] {
			s += " " + m.Key
		}
	}
	return s
}

// New returns an error with a status and message.
func New(status int, key string, args ...any) *Error {
	return &Error{Status: status, Msg: M(key, args...)}
}

// BadParam is a 400 naming a query parameter and the position in its value.
func BadParam(param string, pos int, key string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: M("invalid_parameter", param), Parameter: param,
		Positions: []Position{{Position: pos, Msg: M(key, args...)}}}
}

// NotFound is the 404 for a record that does not exist for the caller.
func NotFound() *Error { return New(http.StatusNotFound, "not_found") }

// Forbidden is a 403 naming the scope needed.
func Forbidden(scope string) *Error {
	return &Error{Status: http.StatusForbidden, Msg: M("forbidden_scope", scope), RequiredScope: scope}
}

// Conflict is a 409.
func Conflict(key string, args ...any) *Error { return New(http.StatusConflict, key, args...) }

// Validation collects 422 field errors; every failing field at once.
type Validation struct{ e *Error }

// Add records a failing field.
func (v *Validation) Add(field, key string, args ...any) {
	if v.e == nil {
		v.e = &Error{Status: http.StatusUnprocessableEntity, Fields: map[string][]Msg{}}
	}
	if _, ok := v.e.Fields[field]; !ok {
		v.e.FieldOrder = append(v.e.FieldOrder, field)
	}
	v.e.Fields[field] = append(v.e.Fields[field], M(key, args...))
}

// Has reports whether the field already failed.
func (v *Validation) Has(field string) bool { return v.e != nil && v.e.Fields[field] != nil }

// Err returns the 422 or nil when nothing failed. Its message is the first
// field's first message, as Laravel does ("... (and 2 more errors)").
func (v *Validation) Err() *Error {
	if v.e == nil {
		return nil
	}
	v.e.Msg = M("validation_failed")
	return v.e
}

// Invalid is a single-field 422.
func Invalid(field, key string, args ...any) *Error {
	var v Validation
	v.Add(field, key, args...)
	return v.Err()
}
