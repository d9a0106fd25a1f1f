package oauth

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/web"
)

func parsePages() *template.Template {
	return template.Must(template.ParseFS(web.FS, "templates/*.html"))
}

type hiddenField struct{ Name, Value string }

type scopeLine struct {
	ID, Description string
	Narrowed        string // description of the scope that was asked for, when narrowed
}

// page is the data of the login, consent and error templates.
type page struct {
	Lang   string
	Title  string
	Error  string
	CSRF   string
	Hidden []hiddenField

	ClientName   string
	Email        string
	UserName     string
	UserEmail    string
	Granted      []scopeLine
	Dropped      []scopeLine
	RedirectHost string
	RequestID    string // on a 500 page
}

// T translates for the templates.
func (p *page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

// securePage sets the headers of every HTML page: no framing, a strict CSP
// without inline script, no caching, no referrer. formTarget is an extra
// origin the page's form may end up at (the client's redirect URI, since
// browsers apply form-action to the redirect that answers the POST).
func securePage(w http.ResponseWriter, formTarget string) {
	h := w.Header()
	fa := "'self'"
	if formTarget != "" {
		fa += " " + formTarget
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action "+fa+
		"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Vary", "Accept-Language, Cookie")
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page, formTarget string) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, p); err != nil {
		slog.ErrorContext(r.Context(), "oauth: render page", "page", name, "err", err.Error())
		http.Error(w, "Server Error", http.StatusInternalServerError)
		return
	}
	securePage(w, formTarget)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage answers an authorization request that must not be redirected
// (unknown client, unregistered redirect URI).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, l, msg string) {
	s.render(w, r, status, "error.html", &page{Lang: l, Title: i18n.T(l, "page_error_title"), Error: msg}, "")
}
