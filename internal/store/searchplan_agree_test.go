package store_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// TestSearchPlansAgree: a search returns the same page, in the same order,
// with the same total, whichever plan runs it (SQLite: the ordered walk or
// the FTS matches; PostgreSQL: the planner's choice or the fenced sort).
func TestSearchPlansAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		company, user, err := db.CreateCompany(ctx, store.NewCompany{Name: "Plans", OwnerEmail: "o@plans.test", OwnerPassword: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		// More matches than searchDriveMax for "zzz" (all sorting last) and
		// "cat" (all sorting first), so both plans are in play.
		err = db.Tx(ctx, func(tx store.Conn) error {
			now := db.Dialect.Time(store.Now())
			for i := 0; i < 5000; i++ {
				name := fmt.Sprintf("A%04d Cat", i)
				if i%2 == 0 {
					name = fmt.Sprintf("Zzz%04d Bee", i)
				}
				if _, err := tx.Exec(ctx, "INSERT INTO customers (company_id, name, type, status, user_id, created_at, updated_at) VALUES (?, ?, 'company', 'lead', ?, ?, ?)",
					company, name, user, now, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := store.Scope{CompanyID: company, UserID: user}
		for _, raw := range []string{"filter=name:like:zzz&order_by=name:asc&limit=10&offset=5", "filter=name:like:cat&order_by=name:desc&limit=7",
			"filter=name:like:bee,and,status:eq:lead&limit=5&offset=3", "filter=name:like:0001&order_by=created_at:desc&limit=5"} {
			v, _ := url.ParseQuery(raw)
			p, err := query.ParseIndex(schema.Customer, v, query.Access{})
			if err != nil {
				t.Fatal(err)
			}
			list := func(other bool) (ids []int64, total int64) {
				store.ForgetPlans(db)
				if other {
					if _, err := db.Reader().List(ctx, s, schema.Customer, p); err != nil {
						t.Fatal(err)
					}
					if n := store.PreferOtherPlans(db); n == 0 && strings.HasPrefix(raw, "filter=name:like:zzz") {
						t.Fatalf("%s: no plan was learned", raw)
					}
				}
				page, err := db.Reader().List(ctx, s, schema.Customer, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Rows {
					ids = append(ids, r.ID)
				}
				return ids, *page.Total
			}
			walkIDs, walkTotal := list(false)
			otherIDs, otherTotal := list(true)
			if fmt.Sprint(walkIDs) != fmt.Sprint(otherIDs) || walkTotal != otherTotal || len(walkIDs) == 0 {
				t.Errorf("%s: one plan %v (%d), the other %v (%d)", raw, walkIDs, walkTotal, otherIDs, otherTotal)
			}
		}
	})
}
