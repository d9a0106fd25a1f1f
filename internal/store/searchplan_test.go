package store

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
)

// TestSearchPlanChoice: the walk is kept until it is measured to cost more
// than the FTS plan is predicted to; then the FTS plan is tried, and the
// cheaper of the two measured plans wins.
func TestSearchPlanChoice(t *testing.T) {
	var p searchPlans
	check := func(what string, wantFTS, wantMeasure bool) {
		t.Helper()
		if fts, measure := p.useFTS("q", 3000); fts != wantFTS || measure != wantMeasure {
			t.Fatalf("%s: fts %v measure %v", what, fts, measure)
		}
	}
	check("an unmeasured query walks and is measured", false, true)
	p.record("q", false, time.Millisecond, 3000) // cheaper than 3000 x 4 µs
	check("a cheap walk stays, unmeasured", false, false)
	p.record("q", false, 50*time.Millisecond, 3000)
	check("a walk dearer than the FTS prediction tries FTS", true, true)
	p.record("q", true, 60*time.Millisecond, 3000)
	check("FTS measured dearer than the walk: back to the walk", false, false)
	p.record("q", true, 5*time.Millisecond, 3000)
	check("FTS measured cheaper: FTS", true, false)
}

// TestSearchPlansAgree: a search returns the same page, in the same order,
// with the same total, whichever plan runs it.
func TestSearchPlansAgree(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	company, user, err := db.CreateCompany(ctx, NewCompany{Name: "Plans", OwnerEmail: "o@plans.test", OwnerPassword: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	// More matches than searchDriveMax for "zzz" (all sorting last) and
	// "cat" (all sorting first), so both plans are in play.
	err = db.Tx(ctx, func(tx Conn) error {
		now := db.Dialect.Time(Now())
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
	s := Scope{CompanyID: company, UserID: user}
	for _, raw := range []string{"filter=name:like:zzz&order_by=name:asc&limit=10&offset=5", "filter=name:like:cat&order_by=name:desc&limit=7",
		"filter=name:like:bee,and,status:eq:lead&limit=5&offset=3", "filter=name:like:0001&limit=5"} {
		v, _ := url.ParseQuery(raw)
		p, err := query.ParseIndex(schema.Customer, v, query.Access{})
		if err != nil {
			t.Fatal(err)
		}
		list := func(fts bool) (ids []int64, total int64) {
			db.plans.m = nil
			if fts { // whatever the key, every walk looks dear and FTS cheap
				first, err := db.Reader().List(ctx, s, schema.Customer, p)
				if err != nil {
					t.Fatal(err)
				}
				_ = first
				if len(db.plans.m) == 0 && raw != "filter=name:like:0001&limit=5" {
					t.Fatalf("%s: no plan learned", raw)
				}
				for _, e := range db.plans.m {
					e.walk, e.fts = time.Hour, time.Nanosecond
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
		ftsIDs, ftsTotal := list(true)
		if fmt.Sprint(walkIDs) != fmt.Sprint(ftsIDs) || walkTotal != ftsTotal || len(walkIDs) == 0 {
			t.Errorf("%s: walk %v (%d), FTS %v (%d)", raw, walkIDs, walkTotal, ftsIDs, ftsTotal)
		}
	}
}
