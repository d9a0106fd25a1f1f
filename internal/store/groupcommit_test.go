package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store"
	"github.com/cirqll/core/internal/store/storetest"
)

// TestConcurrentTransactions: many concurrent write transactions (on
// SQLite they share group commits) each commit whole or not at all: a
// callback that fails after writing leaves nothing behind and takes
// nothing of the others with it, a panic reaches its own caller only, and a
// caller whose context has ended before its turn writes nothing.
func TestConcurrentTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := db.Dialect.Time(store.Now())
		company, err := db.Writer().InsertSQL(ctx, "INSERT INTO companies (name, created_at, updated_at) VALUES (?, ?, ?)", "Acme", now, now)
		if err != nil {
			t.Fatal(err)
		}
		insert := func(tx store.Conn, name string) error {
			_, err := tx.Exec(ctx, "INSERT INTO origins (company_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", company, name, now, now)
			return err
		}
		errBoom := errors.New("boom")
		cancelled, cancel := context.WithCancel(ctx)

		const n = 120
		var wg sync.WaitGroup
		results := make([]error, n)
		panics := make([]any, n)
		// On SQLite the others queue up behind a held transaction (and run
		// as two batches of 64 and 55); the contexts of some end meanwhile.
		holdWriter(t, db, n-1, cancel)
		if db.Dialect != dialect.SQLite {
			cancel()
		}
		for i := 1; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				c := ctx
				if i%10 == 7 {
					c = cancelled
				}
				results[i] = db.Tx(c, func(tx store.Conn) error {
					if err := insert(tx, fmt.Sprintf("o%03d-a", i)); err != nil {
						return err
					}
					switch i % 10 {
					case 3: // fails after writing
						return errBoom
					case 5: // panics after writing
						panic(fmt.Sprintf("panic %d", i))
					}
					return insert(tx, fmt.Sprintf("o%03d-b", i))
				})
			}(i)
		}
		wg.Wait()

		var want []string
		for i := 1; i < n; i++ {
			switch i % 10 {
			case 3:
				if !errors.Is(results[i], errBoom) || panics[i] != nil {
					t.Errorf("%d: err %v, panic %v; want boom", i, results[i], panics[i])
				}
			case 5:
				if p := fmt.Sprint(panics[i]); !strings.Contains(p, fmt.Sprintf("panic %d", i)) {
					t.Errorf("%d: panic %v, want panic %d", i, panics[i], i)
				}
			case 7:
				if !errors.Is(results[i], context.Canceled) {
					t.Errorf("%d: err %v, want context.Canceled", i, results[i])
				}
			default:
				if results[i] != nil || panics[i] != nil {
					t.Errorf("%d: err %v, panic %v", i, results[i], panics[i])
				}
				want = append(want, fmt.Sprintf("o%03d-a", i), fmt.Sprintf("o%03d-b", i))
			}
		}
		rows, err := db.Reader().Query(ctx, "SELECT name FROM origins WHERE company_id = ? ORDER BY name", company)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("committed rows:\n got %v\nwant %v", got, want)
		}
	})
}

// TestTransactionSeesEarlierCommits: a transaction that runs after another
// committed (same batch or not) sees its rows, so a unique value taken by
// the first is a conflict for the second, and only the second fails.
func TestTransactionSeesEarlierCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := db.Dialect.Time(store.Now())
		const n = 40
		var wg sync.WaitGroup
		errs := make([]error, n)
		holdWriter(t, db, n, func() {})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = db.Tx(ctx, func(tx store.Conn) error {
					// Every transaction takes the same user e-mail (unique across the system).
					cid, err := tx.InsertSQL(ctx, "INSERT INTO companies (name, created_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("c%d", i), now, now)
					if err != nil {
						return err
					}
					rid, err := tx.InsertSQL(ctx, "INSERT INTO roles (company_id, name, description, permissions, builtin, created_at, updated_at) VALUES (?, 'r', '', '', ?, ?, ?)",
						cid, db.Dialect.Bool(false), now, now)
					if err != nil {
						return err
					}
					_, err = tx.Exec(ctx, "INSERT INTO users (company_id, name, email, password_hash, role_id, locale, timezone, active, created_at, updated_at) VALUES (?, 'U', 'same@example.com', 'x', ?, 'en', 'UTC', ?, ?, ?)",
						cid, rid, db.Dialect.Bool(true), now, now)
					return err
				})
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !store.IsUnique(err):
				t.Errorf("unexpected error: %v", err)
			}
		}
		var companies int64
		if err := db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM companies").Scan(&companies); err != nil {
			t.Fatal(err)
		}
		if ok != 1 || companies != 1 {
			t.Fatalf("%d transactions succeeded and %d companies exist; want 1 and 1 (the failing ones wrote a company before their conflict)", ok, companies)
		}
	})
}

// holdWriter keeps, on SQLite, a write transaction open until n others are
// queued behind it, so they run as batches, and then calls then.
func holdWriter(t *testing.T, db *store.DB, n int, then func()) {
	if db.Dialect != dialect.SQLite {
		return
	}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Tx(context.Background(), func(store.Conn) error {
			close(started)
			deadline := time.Now().Add(30 * time.Second)
			for store.Queued(db) < n {
				if time.Now().After(deadline) {
					return fmt.Errorf("only %d transactions queued", store.Queued(db))
				}
				time.Sleep(time.Millisecond)
			}
			then()
			return nil
		})
	}()
	<-started
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestSearchIndexAfterBatches: rows inserted, renamed and deleted by
// concurrent (batched) transactions are in the SQLite FTS index exactly as
// they are in their table once the transactions return.
func TestSearchIndexAfterBatches(t *testing.T) {
	db := storetest.Open(t, dialect.SQLite)
	ctx := context.Background()
	now := db.Dialect.Time(store.Now())
	company, err := db.Writer().InsertSQL(ctx, "INSERT INTO companies (name, created_at, updated_at) VALUES (?, ?, ?)", "Acme", now, now)
	if err != nil {
		t.Fatal(err)
	}
	holdWriter(t, db, 60, func() {})
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := db.Tx(ctx, func(tx store.Conn) error {
				id, err := tx.InsertSQL(ctx, "INSERT INTO customers (company_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", company, fmt.Sprintf("Batchname %d", i), now, now)
				if err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					_, err = tx.Exec(ctx, "UPDATE customers SET name = ? WHERE id = ?", fmt.Sprintf("Renamed %d", i), id)
				case 2:
					_, err = tx.Exec(ctx, "DELETE FROM customers WHERE id = ?", id)
				case 3:
					return errors.New("fails after writing: the batch reruns without it")
				}
				return err
			})
			if err != nil && i%4 != 3 {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	for term, want := range map[string]int{"batchname": 15, "renamed": 15} {
		var n int
		if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM customers_fts WHERE customers_fts MATCH ?`, `{name} : "`+term+`"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("FTS finds %d for %q, want %d", n, term, want)
		}
	}
	if _, err := db.Writer().Exec(ctx, `INSERT INTO customers_fts (customers_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("FTS index out of step with customers: %v", err)
	}
}
