package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/respond"
)

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func validRequestID(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Metrics are the Prometheus collectors of the HTTP layer.
type Metrics struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cirqll_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cirqll_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.Requests, m.Duration)
	return m
}

// observe is the outermost middleware: request id, recovery, access log
// and metrics.
func observe(m *Metrics, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-Id")
		if !validRequestID(rid) {
			rid = newRequestID()
		}
		w.Header().Set("X-Request-Id", rid)
		r = r.WithContext(respond.WithRequestID(r.Context(), rid))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", rid, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					respond.Error(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			if i := strings.IndexByte(route, ' '); i >= 0 {
				route = route[i+1:]
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			if m != nil {
				m.Requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
				m.Duration.WithLabelValues(route, r.Method).Observe(d.Seconds())
			}
			attrs := []any{"request_id", rid, "method", r.Method, "route", route, "path", r.URL.Path,
				"status", status, "duration_ms", float64(d.Microseconds()) / 1000, "bytes", sw.bytes}
			if p := auth.From(r.Context()); p != nil {
				attrs = append(attrs, "company_id", p.CompanyID, "client_id", p.ClientID)
			}
			if status >= 500 {
				log.Error("request", attrs...)
			} else if log.Enabled(r.Context(), slog.LevelInfo) {
				log.Info("request", attrs...)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// Authenticator turns a bearer token into a principal (oauth.Server).
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (*auth.Principal, error)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// apiGuard authenticates, rate-limits and checks bodies of /api requests.
func (a *API) apiGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p *auth.Principal
		var authErr error = apierr.New(http.StatusUnauthorized, "unauthenticated")
		if tok := bearer(r); tok != "" {
			p, authErr = a.auth.Authenticate(r.Context(), tok)
		}
		key, limit := "ip:"+clientIP(r), a.rateLimit
		if authErr == nil {
			key = "api:" + strconv.FormatInt(p.CompanyID, 10) + ":" + p.ClientID
			if p.RateLimit > 0 {
				limit = p.RateLimit
			}
			r = r.WithContext(auth.With(r.Context(), p))
		}
		res, err := a.limiter.Allow(r.Context(), key, limit)
		if err != nil {
			// A limiter outage must not take the API down: allow, and log.
			a.log.Warn("rate limiter unavailable", "err", err.Error())
			res = ratelimit.Result{Allowed: true, Limit: limit, Remaining: limit, Reset: time.Now().Add(ratelimit.Window)}
		}
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(res.Reset.Unix(), 10))
		if !res.Allowed {
			h.Set("Retry-After", strconv.Itoa(res.RetryAfter()))
			respond.Error(w, r, apierr.New(http.StatusTooManyRequests, "too_many_requests"))
			return
		}
		if authErr != nil {
			respond.Error(w, r, authErr)
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
			if err := checkBody(w, r); err != nil {
				respond.Error(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// checkBody enforces JSON content type and the size limit before any work.
func checkBody(w http.ResponseWriter, r *http.Request) error {
	if !hasBody(r) {
		return nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return apierr.New(http.StatusUnsupportedMediaType, "unsupported_media_type")
	}
	// JSON is UTF-8 (RFC 8259); a body declared in another charset would be
	// read wrongly, so it is refused rather than guessed at.
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return apierr.New(http.StatusUnsupportedMediaType, "unsupported_media_type")
	}
	if r.ContentLength > MaxBody {
		return apierr.New(http.StatusRequestEntityTooLarge, "payload_too_large")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	return nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
