package app

import (
	"context"
	"time"

	"github.com/cirqll/core/internal/store"
)

// janitorEvery is how often expired rows are pruned.
const janitorEvery = time.Hour

// janitor prunes what expires: OAuth codes, tokens, sessions and login
// throttles (oauth.Prune) and idempotency keys older than 24 h. Running it
// on several instances at once is harmless (plain deletes).
func (a *App) janitor(ctx context.Context) error {
	go func() {
		t := time.NewTicker(janitorEvery)
		defer t.Stop()
		for {
			a.prune(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

func (a *App) prune(ctx context.Context) {
	if n, err := a.OAuth.Prune(ctx); err != nil && ctx.Err() == nil {
		a.Log.Warn("prune oauth", "err", err.Error())
	} else if n > 0 {
		a.Log.Info("pruned oauth rows", "rows", n)
	}
	cutoff := a.DB.Dialect.Time(store.Now().Add(-24 * time.Hour))
	if _, err := a.DB.Writer().Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", cutoff); err != nil && ctx.Err() == nil {
		a.Log.Warn("prune idempotency keys", "err", err.Error())
	}
}
