package resource

import (
	"context"
	"reflect"
	"strings"

	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// eventPrevious is the "previous" of an updated event: the old values of
// what changed. Columns come from pw.previous; what lives outside the row
// comes from the activity log's field-by-field changes ("address.city",
// "field_values.tier"), since a receiver sees neither in data (only
// address_id): a changed nested address is the whole old address (its
// writable fields; null if there was none) and changed custom field values
// are {key: old value}. address_id is there when the write replaced or
// removed the address (writeAddress sets it after validation).
func (s *Service) eventPrevious(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, row *store.Row, pw *pending) (map[string]any, error) {
	prev := make(map[string]any, len(pw.previous)+2)
	for k, v := range pw.previous {
		prev[k] = v
	}
	addr, values := map[string]any{}, map[string]any{}
	for k, ch := range pw.changed {
		if name, ok := strings.CutPrefix(k, "address."); ok {
			addr[name] = ch[0]
		} else if key, ok := strings.CutPrefix(k, "field_values."); ok {
			values[key] = ch[0]
		}
	}
	if len(values) > 0 {
		prev["field_values"] = values
	}
	if len(addr) == 0 || pw.current == nil {
		return prev, nil
	}
	oldID, newID := pw.current.Vals["address_id"], row.Vals["address_id"]
	if f := res.Field("address_id"); f != nil && !reflect.DeepEqual(oldID, newID) {
		prev["address_id"] = JSONValue(f, oldID)
	}
	if oldID == nil {
		prev["address"] = nil // there was none
		return prev, nil
	}
	// Updated in place: the fields the change left alone are as they are
	// now. Removed (address: null): every field that was set is a change.
	now := map[string]any{}
	if id, ok := newID.(int64); ok && id == oldID {
		a, err := tx.Get(ctx, store.Scope{CompanyID: c.Scope.CompanyID}, schema.Address, id)
		if err != nil {
			return nil, err
		}
		now = Plain(schema.Address, a)
	}
	old := map[string]any{}
	for _, f := range schema.Address.Fields {
		if f.ReadOnly {
			continue
		}
		if v, ok := addr[f.Name]; ok {
			old[f.Name] = v
		} else {
			old[f.Name] = now[f.Name]
		}
	}
	prev["address"] = old
	return prev, nil
}
