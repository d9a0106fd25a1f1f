// Package seed fills a company with generated CRM data (customers, contacts,
// tasks, chances) for benchmarks and load tests, in large batches straight
// through the store (the API path is measured by the load generator).
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/store"
)

// Options say how much to generate.
type Options struct {
	Customers   int
	ContactsPer int
	TasksPer    int
	ChancesPer  int
}

var (
	syllables = []string{"ka", "lo", "mi", "ne", "ra", "to", "vu", "sa", "de", "bi", "ro", "an", "el", "jo", "ter", "van", "berg", "dam", "hof", "wijk"}
	suffixes  = []string{"BV", "Holding", "Groep", "& Zn", "Techniek", "Advies", "Bouw", "Media", "Zorg", "Logistiek"}
	firsts    = []string{"Jan", "Piet", "Anna", "Sanne", "Daan", "Emma", "Lars", "Sophie", "Bram", "Lotte", "Noah", "Julia"}
	lasts     = []string{"de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos"}
	statuses  = []string{"lead", "prospect", "customer", "inactive"}
	stages    = []string{"new", "qualified", "proposal", "negotiation", "won", "lost"}
)

func word(r *rand.Rand) string {
	var b strings.Builder
	for i := 0; i < 2+r.IntN(2); i++ {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// Run seeds company and returns the number of rows written.
func Run(ctx context.Context, db *store.DB, company int64, o Options) (int, error) {
	owner, err := db.FirstOwner(ctx, company)
	if err != nil {
		return 0, err
	}
	r := rand.New(rand.NewPCG(uint64(company), 42))
	d := db.Dialect
	total := 0
	const batch = 500
	base := store.Now().Add(-time.Duration(o.Customers) * time.Second)
	for start := 0; start < o.Customers; start += batch {
		n := min(batch, o.Customers-start)
		err := db.Tx(ctx, func(tx store.Conn) error {
			var vals []string
			var args []any
			for i := 0; i < n; i++ {
				k := start + i
				name := word(r) + " " + word(r) + " " + suffixes[r.IntN(len(suffixes))]
				at := d.Time(base.Add(time.Duration(k) * time.Second))
				vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, company, name, "company", statuses[r.IntN(len(statuses))], owner,
					fmt.Sprintf("info%d@%s.nl", k, strings.ToLower(word(r))), fmt.Sprintf("+31 6 %08d", r.IntN(1e8)), at, at)
			}
			rows, err := tx.Query(ctx, "INSERT INTO customers (company_id, name, type, status, user_id, email, phone, created_at, updated_at) VALUES "+strings.Join(vals, ", ")+" RETURNING id", args...)
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			now := d.Time(store.Now())
			insert := func(table, cols string, per int, gen func(cust int64, j int) []any) error {
				if per <= 0 {
					return nil
				}
				var vals []string
				var args []any
				for _, id := range ids {
					for j := 0; j < per; j++ {
						row := gen(id, j)
						row = append([]any{company}, row...)
						row = append(row, now, now)
						vals = append(vals, "("+strings.TrimSuffix(strings.Repeat("?, ", len(row)), ", ")+")")
						args = append(args, row...)
					}
				}
				_, err := tx.Exec(ctx, "INSERT INTO "+table+" (company_id, "+cols+", created_at, updated_at) VALUES "+strings.Join(vals, ", "), args...)
				return err
			}
			if err := insert("contacts", "first_name, last_name, customer_id, user_id, email", o.ContactsPer, func(c int64, j int) []any {
				f := firsts[r.IntN(len(firsts))]
				return []any{f, lasts[r.IntN(len(lasts))], c, owner, fmt.Sprintf("%s.%d.%d@example.nl", strings.ToLower(f), c, j)}
			}); err != nil {
				return err
			}
			if err := insert("tasks", "title, customer_id, user_id, priority, status", o.TasksPer, func(c int64, j int) []any {
				return []any{"Bel " + word(r), c, owner, "normal", "open"}
			}); err != nil {
				return err
			}
			if err := insert("chances", "title, customer_id, user_id, amount, currency, stage", o.ChancesPer, func(c int64, j int) []any {
				return []any{"Deal " + word(r), c, owner, int64(r.IntN(10000000)), "EUR", stages[r.IntN(len(stages))]}
			}); err != nil {
				return err
			}
			total += n * (1 + o.ContactsPer + o.TasksPer + o.ChancesPer)
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	for _, t := range []string{"customers", "contacts", "tasks", "chances"} {
		db.Touch(company, t)
	}
	if db.Dialect == dialect.Postgres {
		// Fresh statistics for the planner. Not on SQLite: with STAT4 data
		// every prepared statement is re-planned per binding.
		_, _ = db.Writer().Exec(ctx, "ANALYZE")
	}
	return total, nil
}
