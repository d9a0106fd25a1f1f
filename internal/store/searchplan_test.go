package store

import (
	"testing"
	"time"
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
