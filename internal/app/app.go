// Package app assembles the server from its parts: store, OAuth server,
// resource service, webhooks and the HTTP layer. The CLI and the end-to-end
// tests build the very same thing through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/httpapi"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/openapi"
	"github.com/cirqll/core/internal/pages"
	"github.com/cirqll/core/internal/ratelimit"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/webhook"
)

// App is an assembled server.
type App struct {
	Cfg     config.Config
	DB      *store.DB
	OAuth   *oauth.Server
	Service *resource.Service
	API     *httpapi.API
	// Webhooks is the delivery machinery; its Mount adds the routes that
	// webhook.Routes documents.
	Webhooks *webhook.System
	Handler  http.Handler
	Log      *slog.Logger
	closers  []func() error
	// Starters run background work (webhook delivery) once serving starts;
	// they stop when ctx ends or Stop is called.
	Starters []func(ctx context.Context) error
	stoppers []func(ctx context.Context)
}

// OnStop registers work to finish on shutdown.
func (a *App) OnStop(f func(ctx context.Context)) { a.stoppers = append(a.stoppers, f) }

// Start runs the background parts.
func (a *App) Start(ctx context.Context) error {
	if err := a.janitor(ctx); err != nil {
		return err
	}
	for _, s := range a.Starters {
		if err := s(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Stop finishes the background parts (graceful shutdown).
func (a *App) Stop(ctx context.Context) {
	for _, s := range a.stoppers {
		s(ctx)
	}
}

// New assembles an app over an open, migrated database.
func New(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	var lim ratelimit.Limiter
	a := &App{Cfg: cfg, DB: db, Log: log}
	if cfg.RedisURL != "" {
		r, err := ratelimit.NewRedis(ctx, cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("redis at CIRQLL_REDIS_URL: %w", err)
		}
		a.closers = append(a.closers, r.Close)
		lim = r
	} else {
		lim = ratelimit.NewMemory()
	}
	a.OAuth = oauth.New(db, cfg, lim)
	a.Service = &resource.Service{DB: db}
	mounts := []httpapi.Mounter{func(mux *http.ServeMux, _ func(http.Handler) http.Handler) { a.OAuth.Mount(mux) }}
	hooks, err := webhook.FromEnv(cfg, db, a.Service, log)
	if err != nil {
		return nil, err
	}
	a.Webhooks = hooks
	a.Service.Events = hooks
	a.Starters = append(a.Starters, hooks.Start)
	a.OnStop(hooks.Stop)
	mounts = append(mounts, hooks.Mount)
	// The document covers the generated routes and the ones mounted above
	// by other packages (OAuth's are built into the openapi package).
	mounts = append(mounts, openapi.Mounter(func() []httpapi.Route { return a.API.Routes() }, webhook.Routes()...))
	mounts = append(mounts, pages.New(a.OAuth, a.Service, cfg).Mount)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db.Dialect == dialect.SQLite {
		batches := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cirqll_sqlite_write_batch_size",
			Help:    "Write transactions committed together by one SQLite commit (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		})
		reg.MustRegister(batches)
		db.OnBatch = func(n int) { batches.Observe(float64(n)) }
	}
	a.Handler, a.API = httpapi.New(httpapi.Options{
		DB: db, Service: a.Service, Auth: a.OAuth, Limiter: lim, RateLimit: cfg.RateLimit,
		Logger: log, Registry: reg, Mount: mounts,
	})
	return a, nil
}

// Close releases what the app opened (not the database).
func (a *App) Close() error {
	for _, c := range a.closers {
		_ = c()
	}
	return nil
}
