package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/respond"
	"github.com/cirqll/core/internal/store"
)

// Mounter adds routes of another package (OAuth, webhooks, pages, OpenAPI)
// to the mux; guard wraps a handler with the /api middleware.
type Mounter func(mux *http.ServeMux, guard func(http.Handler) http.Handler)

// Options assemble the HTTP server.
type Options struct {
	DB        *store.DB
	Service   *resource.Service
	Auth      Authenticator
	Limiter   ratelimit.Limiter
	RateLimit int
	Logger    *slog.Logger
	Registry  *prometheus.Registry // nil: a fresh one
	Mount     []Mounter
}

// New builds the whole HTTP handler and returns it with the API (whose
// Routes feed the OpenAPI document).
func New(o Options) (http.Handler, *API) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	o.Registry.MustRegister(collectors.NewDBStatsCollector(o.DB.R, "reader"))
	if o.DB.W != o.DB.R {
		o.Registry.MustRegister(collectors.NewDBStatsCollector(o.DB.W, "writer"))
	}
	a := &API{svc: o.Service, auth: o.Auth, limiter: o.Limiter, rateLimit: o.RateLimit, log: o.Logger}
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, a.apiGuard(rt.handler))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.DB.Ping(ctx); err != nil {
			respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{}))
	for _, m := range o.Mount {
		m(mux, a.apiGuard)
	}
	// Unmatched /api paths still carry the rate-limit headers and auth.
	fallback := notFoundOr405(mux)
	mux.Handle("/api/", a.apiGuard(fallback))
	mux.Handle("/", fallback)
	return observe(NewMetrics(o.Registry), o.Logger, mux), a
}
