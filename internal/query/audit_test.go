package query

import (
	"strings"
	"testing"

	"github.com/cirqll/core/internal/schema"
)

// Dotted paths of filter, order_by and show cross at most MaxHops (8)
// relations.
func TestPathCap(t *testing.T) {
	cust := schema.Get("customer")
	// address.company.address... is a cycle of to-one relations
	eight := strings.Repeat("address.company.", 4) + "name"
	nine := strings.Repeat("address.company.", 4) + "address.city"
	for _, param := range []string{"filter", "order_by", "show"} {
		suffix := ""
		if param == "filter" {
			suffix = ":notnull:"
		}
		if _, err := ParseIndex(cust, vals(param, eight+suffix), full); err != nil {
			t.Errorf("%s with 8 relations: %v", param, err)
		}
		_, err := ParseIndex(cust, vals(param, nine+suffix), full)
		wantErr(t, err, param, 64, "q_path_too_long") // at the 9th relation
	}
	// through to-many relations too
	if _, err := ParseIndex(cust, vals("filter", strings.Repeat("contacts.customer.", 4)+"name:eq:x"), full); err != nil {
		t.Errorf("8 relations: %v", err)
	}
	_, err := ParseIndex(cust, vals("filter", strings.Repeat("contacts.customer.", 4)+"user.name:eq:x"), full)
	wantErr(t, err, "filter", 72, "q_path_too_long")
}
