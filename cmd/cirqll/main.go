// Command cirqll runs the Cirqll Core server and its administrative
// commands. Every command prints JSON on success (so scripts can use it) and
// a clear message with a non-zero exit status on failure.
//
//	cirqll serve
//	cirqll migrate
//	cirqll company create --name N --owner-email E --owner-password P
//	cirqll client create --company ID --name N --redirect-uri U [--public]
//	cirqll seed --company ID --customers 100000 --contacts 2
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/app"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/oauth"
	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/store"
)

const usage = `usage:
  cirqll serve [--addr :8080] [--database URL]
  cirqll migrate [--database URL]
  cirqll company create --name N --owner-email E --owner-password P
  cirqll client create --company ID --name N --redirect-uri U [--redirect-uri U2] [--public]
  cirqll seed --company ID [--customers 100000] [--contacts 2] [--tasks 1] [--chances 1]

Configuration comes from the environment: CIRQLL_ADDR, CIRQLL_DATABASE_URL,
CIRQLL_REDIS_URL, CIRQLL_ENV, CIRQLL_BASE_URL, CIRQLL_RATE_LIMIT,
CIRQLL_DEBUG_ADDR (optional: the Go profiler on its own listener),
CIRQLL_ACCESS_TOKEN_TTL (default 720h), CIRQLL_REFRESH_TOKEN_TTL (default
2160h), CIRQLL_AUTH_CODE_TTL (default 10m): Go durations such as 720h or 90m.`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cirqll: "+err.Error())
		os.Exit(1)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command given\n" + usage)
	}
	cfg := config.FromEnv()
	cmd := args[0]
	if (cmd == "company" || cmd == "client") && len(args) > 1 {
		cmd += " " + args[1]
		args = args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.DatabaseURL, "database", cfg.DatabaseURL, "database URL")
	switch cmd {
	case "serve":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return serve(ctx, cfg, out)
	case "migrate":
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		db, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if applied == nil {
			applied = []string{}
		}
		return printJSON(out, map[string]any{"database": db.Dialect.String(), "applied": applied})
	case "company create":
		name := fs.String("name", "", "company name")
		email := fs.String("owner-email", "", "owner e-mail")
		password := fs.String("owner-password", "", "owner password")
		ownerName := fs.String("owner-name", "Owner", "owner name")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if strings.TrimSpace(*name) == "" || strings.TrimSpace(*email) == "" || *password == "" {
			return errors.New("company create: --name, --owner-email and --owner-password are required")
		}
		// The same rule as the API's email fields: the owner signs in with it.
		if !resource.ValidEmail(strings.TrimSpace(*email)) {
			return fmt.Errorf("company create: --owner-email %q is not an e-mail address (like name@example.nl)", *email)
		}
		if len(*password) < 12 {
			return errors.New("company create: --owner-password must be at least 12 characters")
		}
		db, err := openMigrated(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		cid, uid, err := db.CreateCompany(ctx, store.NewCompany{Name: strings.TrimSpace(*name), OwnerName: *ownerName, OwnerEmail: *email, OwnerPassword: *password})
		if err != nil {
			return fmt.Errorf("company create: %w", err)
		}
		return printJSON(out, map[string]any{"company_id": cid, "user_id": uid})
	case "client create":
		company := fs.Int64("company", 0, "company id")
		name := fs.String("name", "", "client name")
		public := fs.Bool("public", false, "public client (no secret, PKCE required)")
		var redirects multiFlag
		fs.Var(&redirects, "redirect-uri", "redirect URI (repeatable)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *company <= 0 || strings.TrimSpace(*name) == "" || len(redirects) == 0 {
			return errors.New("client create: --company, --name and --redirect-uri are required")
		}
		db, err := openMigrated(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		owner, err := db.FirstOwner(ctx, *company)
		if err != nil {
			return fmt.Errorf("client create: %w", err)
		}
		confidential := !*public
		srv := oauth.New(db, cfg, nil)
		c, secret, err := srv.CreateClient(ctx, *company, owner, oauth.ClientInput{Name: name, RedirectURIs: redirects, Confidential: &confidential})
		if err != nil {
			return fmt.Errorf("client create: %w", human(err))
		}
		var sec any
		if secret != "" {
			sec = secret
		}
		return printJSON(out, map[string]any{"client_id": c.ID, "client_secret": sec, "name": c.Name, "redirect_uris": c.RedirectURIs, "confidential": c.Confidential})
	case "seed":
		return seedCommand(ctx, cfg, fs, args[1:], out)
	}
	return fmt.Errorf("unknown command %q\n%s", strings.Join(strings.Fields(cmd), " "), usage)
}

// parse parses a command's flags and refuses positional arguments: a
// stray word (or a flag after one, which the flag package would stop at)
// must not be ignored silently.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags are --name value)", fs.Name(), fs.Arg(0))
	}
	return nil
}

// human turns the API's validation error (message keys, as its Error
// method prints them) into the English messages the API would answer.
func human(err error) error {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return err
	}
	var msgs []string
	for _, f := range e.FieldOrder {
		for _, m := range e.Fields[f] {
			msgs = append(msgs, i18n.T("en", m.Key, m.Args...))
		}
	}
	if len(msgs) == 0 {
		msgs = append(msgs, i18n.T("en", e.Msg.Key, e.Msg.Args...))
	}
	return errors.New(strings.Join(msgs, " "))
}

func printJSON(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

func openMigrated(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func serve(ctx context.Context, cfg config.Config, out io.Writer) error {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	if err := cfg.ReadTTLs(); err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// Bind before the first start: credentials printed by a server that
	// then fails to listen are easily missed.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if err := firstStart(ctx, db, out); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		// net/http's own complaints (TLS handshakes, the ';' in filter=x:in:a;b
		// that query.md prescribes) go to the JSON log at debug level.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.DebugAddr != "" {
		if err := serveDebug(cfg.DebugAddr, log); err != nil {
			return err
		}
	}
	log.Info("listening", "addr", ln.Addr().String(), "database", db.Dialect.String(), "env", cfg.Env)
	if err := a.Start(ctx); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	a.Stop(sctx)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// serveDebug serves the Go profiler on its own listener, never on the API's
// address: profiles show internals an API client must not see, so operators
// bind it to loopback (CIRQLL_DEBUG_ADDR=127.0.0.1:6060).
func serveDebug(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (CIRQLL_DEBUG_ADDR): %w", addr, err)
	}
	// Contention shows in the mutex and block profiles only when sampled;
	// the rates are low enough to leave on while profiling is enabled.
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(int(100 * time.Microsecond))
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("debug listener", "addr", ln.Addr().String())
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return nil
}

// firstStart creates a company and its owner on an empty database and
// prints the owner's credentials once.
func firstStart(ctx context.Context, db *store.DB, out io.Writer) error {
	has, err := db.HasCompany(ctx)
	if err != nil || has {
		return err
	}
	email := "owner@cirqll.local"
	password := auth.NewSecret()[:20]
	cid, uid, err := db.CreateCompany(ctx, store.NewCompany{Name: "My Company", OwnerName: "Owner", OwnerEmail: email, OwnerPassword: password})
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	return printJSON(out, map[string]any{"first_start": true, "company_id": cid, "user_id": uid,
		"owner_email": email, "owner_password": password,
		"note": "Sign in with these at /oauth/authorize; the password is shown only now."})
}
