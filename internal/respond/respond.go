// Package respond writes JSON responses and errors in the contract's shapes
// and the request's language. Every HTTP-facing package uses it, so an error
// looks the same wherever it comes from.
package respond

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/i18n"
)

type ridKey struct{}

// WithRequestID stores the request id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ridKey{}, id)
}

// RequestID returns the request id of ctx.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

// Lang is the request's language: Accept-Language, else the user's locale,
// else the company setting, else English.
func Lang(r *http.Request) string {
	if l := i18n.FromHeader(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	if p := auth.From(r.Context()); p != nil {
		return i18n.Pick(p.Locale, p.CompanyLocale)
	}
	return "en"
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	Raw(w, status, b)
}

// Raw writes an already encoded JSON body.
func Raw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Body renders err in the contract's shape for lang (without writing it).
func Body(lang string, e *apierr.Error) map[string]any {
	out := map[string]any{"message": i18n.T(lang, e.Msg.Key, e.Msg.Args...)}
	switch {
	case e.Parameter != "":
		out["parameter"] = e.Parameter
		errs := make([]map[string]any, 0, len(e.Positions))
		for _, p := range e.Positions {
			errs = append(errs, map[string]any{"position": p.Position, "message": i18n.T(lang, p.Msg.Key, p.Msg.Args...)})
		}
		out["errors"] = errs
	case e.RequiredScope != "":
		out["required_scope"] = e.RequiredScope
	case e.Fields != nil:
		fields := make(map[string][]string, len(e.Fields))
		first := ""
		n := 0
		for _, f := range e.FieldOrder {
			for _, m := range e.Fields[f] {
				s := i18n.T(lang, m.Key, m.Args...)
				if first == "" {
					first = s
				}
				fields[f] = append(fields[f], s)
				n++
			}
		}
		out["errors"] = fields
		// Laravel's message: the first error, plus how many more.
		switch {
		case n == 2:
			first += " " + i18n.T(lang, "and_one_more_error")
		case n > 2:
			first += " " + i18n.T(lang, "and_more_errors", n-1)
		}
		if first != "" {
			out["message"] = first
		}
	}
	for k, v := range e.Extra {
		out[k] = v
	}
	return out
}

// Error writes err: an *apierr.Error in its shape, anything else as a 500
// with the request id (logged, never shown).
func Error(w http.ResponseWriter, r *http.Request, err error) {
	var e *apierr.Error
	if !errors.As(err, &e) {
		rid := RequestID(r.Context())
		slog.ErrorContext(r.Context(), "internal error", "request_id", rid, "err", err.Error())
		JSON(w, http.StatusInternalServerError, map[string]any{
			"message": i18n.T(Lang(r), "server_error"), "request_id": rid})
		return
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	switch e.Status {
	case http.StatusUnauthorized:
		if w.Header().Get("WWW-Authenticate") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer`)
		}
	case http.StatusForbidden:
		if e.RequiredScope != "" && w.Header().Get("WWW-Authenticate") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+e.RequiredScope+`"`)
		}
	}
	JSON(w, e.Status, Body(Lang(r), e))
}

func init() {
	i18n.Register("en", map[string]string{"and_more_errors": "(and %d more errors)", "and_one_more_error": "(and 1 more error)"})
	i18n.Register("nl", map[string]string{"and_more_errors": "(en nog %d fouten)", "and_one_more_error": "(en nog 1 fout)"})
}
