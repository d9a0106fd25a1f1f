package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cirqll/core/internal/config"
	"github.com/cirqll/core/internal/seed"
)

// seedCommand fills a company with generated CRM data for benchmarks.
func seedCommand(ctx context.Context, cfg config.Config, fs *flag.FlagSet, args []string, out io.Writer) error {
	company := fs.Int64("company", 0, "company id")
	o := seed.Options{}
	fs.IntVar(&o.Customers, "customers", 100000, "customers")
	fs.IntVar(&o.ContactsPer, "contacts", 2, "contacts per customer")
	fs.IntVar(&o.TasksPer, "tasks", 1, "tasks per customer")
	fs.IntVar(&o.ChancesPer, "chances", 1, "chances per customer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *company <= 0 {
		return errors.New("seed: --company is required")
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	n, err := seed.Run(ctx, db, *company, o)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return printJSON(out, map[string]any{"company_id": *company, "rows": n, "seconds": time.Since(start).Seconds()})
}
