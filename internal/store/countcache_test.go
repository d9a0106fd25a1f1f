package store_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// TestTotalsFollowOtherInstances: a total cached by one instance drops as
// soon as another instance (or, on SQLite, another process) writes the
// table, long before any expiry.
func TestTotalsFollowOtherInstances(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			a, b := storetest.OpenPair(t, d)
			ctx := context.Background()
			company, user, err := a.CreateCompany(ctx, store.NewCompany{Name: "Pair", OwnerEmail: "o@pair.test", OwnerPassword: "a-long-password"})
			if err != nil {
				t.Fatal(err)
			}
			s := store.Scope{CompanyID: company, UserID: user}
			v, _ := url.ParseQuery("filter=status:eq:lead&limit=1")
			p, err := query.ParseIndex(schema.Customer, v, query.Access{})
			if err != nil {
				t.Fatal(err)
			}
			total := func() int64 {
				page, err := a.Reader().List(ctx, s, schema.Customer, p)
				if err != nil {
					t.Fatal(err)
				}
				return *page.Total
			}
			insert := func() {
				err := b.Tx(ctx, func(tx store.Conn) error {
					_, err := tx.Insert(ctx, s, schema.Customer, map[string]any{"name": "X", "type": "company", "status": "lead", "user_id": user})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			insert()
			insert()
			if n := total(); n != 2 { // now cached by a
				t.Fatalf("total %d, want 2", n)
			}
			insert()                                // by b
			deadline := time.Now().Add(time.Second) // well within the 2 s fallback expiry
			for total() != 3 {
				if time.Now().After(deadline) {
					t.Fatalf("instance a still says %d a second after instance b's write", total())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
