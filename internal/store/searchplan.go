package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// Search plans on SQLite. A `like` search on a trigram-indexed field can
// run two ways with the same result: walk the order's index and test every
// row with LIKE until the page is full (cost: the rows before the page's
// last match), or start from the FTS matches and sort them (cost: every
// match). The FTS match count tells the second cost in advance; the first
// depends on where in the order the matches fall: a term found in every
// fortieth name is cheap to walk to if those names spread over the order,
// and costs a walk over nearly the whole company if they all sort last.
// Neither is knowable from SQLite's statistics, so for common terms (rare
// ones always start from FTS) the store measures the CPU time each plan
// takes (cpuClock; wall time under load mostly measures the wait for a
// core): a query runs the walk first; if the walk cost more than the FTS
// plan is expected to, the next run of the same query tries the FTS plan,
// and from then on the cheaper of the two measured runs wins. Plans only
// decide speed, never results, so they outlive writes and are relearned
// after planTTL.
const (
	planTTL     = time.Minute
	planEntries = 10000
)

type searchPlans struct {
	mu sync.Mutex
	m  map[string]*searchPlan
	// perMatch is what the FTS plan costs per match (EWMA over its runs,
	// nanoseconds); it predicts the FTS plan of a query not yet tried.
	perMatch atomic.Int64
	rareRuns atomic.Int64 // rare-term searches seen (sampleRare)
}

type searchPlan struct {
	walk, fts time.Duration // measured runs (0: not yet)
	at        time.Time
}

// pgTryOther is the walk time on PostgreSQL from which the other plan is
// worth one try.
const pgTryOther = 2 * time.Millisecond

// initialPerMatch is the FTS plan's CPU cost per match before any was
// measured (modernc.org/sqlite on the 2-core development machine: about
// 4 µs).
const initialPerMatch = 4 * time.Microsecond

// useFTS tells whether the query key, whose term has est FTS matches,
// should start from the FTS matches, and whether this run should be
// measured: only while the choice is still being learned, since measuring
// pins the goroutine to its thread (cpuClock), which costs the scheduler.
func (p *searchPlans) useFTS(key string, est int64) (fts, measure bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[key]
	if e == nil || time.Since(e.at) > planTTL || e.walk == 0 {
		return false, true
	}
	if e.fts == 0 {
		// est < 0: no match count (PostgreSQL): try the other plan once
		// when the walk was not trivially cheap.
		if (est >= 0 && e.walk > time.Duration(est)*p.costPerMatch()) || (est < 0 && e.walk > pgTryOther) {
			return true, true // try FTS once
		}
		return false, false // the walk is cheap enough
	}
	return e.fts < e.walk, false
}

// sampleRare tells whether a rare term's FTS run should be measured (to
// learn the cost per match): the first runs, then one in 64.
func (p *searchPlans) sampleRare() bool {
	n := p.rareRuns.Add(1)
	return n <= 64 || n%64 == 0
}

func (p *searchPlans) costPerMatch() time.Duration {
	if n := p.perMatch.Load(); n > 0 {
		return time.Duration(n)
	}
	return initialPerMatch
}

// record notes how long a plan took for key ("": only feed perMatch).
func (p *searchPlans) record(key string, fts bool, took time.Duration, est int64) {
	if fts && est > 0 {
		per := int64(took) / est
		old := p.perMatch.Load()
		if old == 0 {
			old = int64(initialPerMatch)
		}
		p.perMatch.Store(old + (per-old)/8)
	}
	if key == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= planEntries {
		p.m = map[string]*searchPlan{}
	}
	e := p.m[key]
	if e == nil || time.Since(e.at) > planTTL {
		e = &searchPlan{at: time.Now()}
		p.m[key] = e
	}
	if took <= 0 {
		took = 1
	}
	if fts {
		e.fts = took
	} else {
		e.walk = took
	}
}
