package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/schema"
)

// ErrConflict is returned when an If-Match precondition no longer holds.
var ErrConflict = errors.New("record changed")

// Insert writes a new record of res for the scope's company; vals holds
// column fields only (by field name). created_at/updated_at are set here.
func (c Conn) Insert(ctx context.Context, s Scope, res *schema.Resource, vals map[string]any) (int64, error) {
	q, args := c.insert(s, res, vals)
	return c.InsertSQL(ctx, q, args...)
}

// InsertRow is Insert returning the new record as Get would read it, in the
// same statement (RETURNING): one round trip, and one statement less in
// SQLite's writer, than inserting and reading back.
func (c Conn) InsertRow(ctx context.Context, s Scope, res *schema.Resource, vals map[string]any) (*Row, error) {
	q, args := c.insert(s, res, vals)
	rows, err := c.Query(ctx, q+" RETURNING "+selectList(res, res.Table), args...)
	if err != nil {
		return nil, err
	}
	out, _, err := c.scanRows(rows, res, 0)
	if err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("insert into %s returned %d rows", res.Table, len(out))
	}
	return out[0], nil
}

func (c Conn) insert(s Scope, res *schema.Resource, vals map[string]any) (string, []any) {
	now := Now()
	cols := []string{}
	args := []any{}
	if !res.Tenant {
		cols = append(cols, "company_id")
		args = append(args, s.CompanyID)
	}
	for _, f := range writeColumns(res) {
		v, ok := vals[f.Name]
		if !ok {
			continue
		}
		cols = append(cols, quoteCol(f.Col()))
		args = append(args, Bind(c.db.Dialect, f, v))
	}
	cols = append(cols, "created_at", "updated_at")
	args = append(args, c.db.Dialect.Time(now), c.db.Dialect.Time(now))
	c.db.Touch(s.CompanyID, res.Table)
	return "INSERT INTO " + res.Table + " (" + strings.Join(cols, ", ") + ") VALUES (" + idList(len(cols)) + ")", args
}

// writeColumns are the columns a write may set: every column field
// (password hashes included) except the ones the store manages.
func writeColumns(res *schema.Resource) []*schema.Field {
	out := make([]*schema.Field, 0, len(res.Fields))
	for _, f := range res.Fields {
		if f.Type == schema.Nested || f.NoColumn || f.Name == "id" || f.Name == "created_at" || f.Name == "updated_at" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// InsertSQL runs an INSERT and returns the new id.
func (c Conn) InsertSQL(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Update changes the given fields of one record of the scope's company,
// bumps updated_at and returns the record as Get would read it. With
// ifUpdatedAt set, the row must still carry that updated_at (If-Match),
// else ErrConflict.
func (c Conn) Update(ctx context.Context, s Scope, res *schema.Resource, id int64, vals map[string]any, ifUpdatedAt *time.Time) (*Row, error) {
	sets := []string{}
	args := []any{}
	for _, f := range writeColumns(res) {
		v, ok := vals[f.Name]
		if !ok {
			continue
		}
		sets = append(sets, quoteCol(f.Col())+" = ?")
		args = append(args, Bind(c.db.Dialect, f, v))
	}
	now := Now()
	sets = append(sets, "updated_at = ?")
	args = append(args, c.db.Dialect.Time(now))
	where := "company_id = ?"
	if res.Tenant {
		where = "id = ?"
	}
	args = append(args, s.CompanyID)
	q := "UPDATE " + res.Table + " SET " + strings.Join(sets, ", ") + " WHERE " + where + " AND id = ?"
	args = append(args, id)
	if ifUpdatedAt != nil {
		q += " AND updated_at = ?"
		args = append(args, c.db.Dialect.Time(*ifUpdatedAt))
	}
	c.db.Touch(s.CompanyID, res.Table)
	// The changed record comes back in the same statement (RETURNING):
	// no second read, and one statement less in SQLite's writer.
	rows, err := c.Query(ctx, q+" RETURNING "+selectList(res, res.Table), args...)
	if err != nil {
		return nil, err
	}
	out, _, err := c.scanRows(rows, res, 0)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrConflict
	}
	return out[0], nil
}

// Deleted names one record removed by a delete (the root or a cascade).
type Deleted struct {
	Res *schema.Resource
	Row *Row
}

// Changed is a record a write changed as a side effect (a delete nulling
// its key, a user's records moving to another user): Before and After,
// so the caller can log and announce it like any update.
type Changed struct {
	Res           *schema.Resource
	Key           string // the field that changed
	Before, After *Row
}

// BlockedError lists the relations that prevent a delete.
type BlockedError struct{ Relations []string }

func (e *BlockedError) Error() string { return "blocked by " + strings.Join(e.Relations, ", ") }

// Effects is what a delete did besides removing its record.
type Effects struct {
	Deleted []Deleted // root first, then cascades
	Changed []Changed // records whose key to a deleted record became null
}

// Delete removes a record of the scope's company applying the declared
// delete rules: blocking relations make it fail with *BlockedError,
// cascaded relations are deleted (recursively, by their own rules), and
// nullified relations lose their key. A cascaded record that keeps another
// parent its own rules require one of (a note on a chance and a customer)
// only loses the key too. It returns every record it removed or changed,
// so the caller can log and announce each.
func (c Conn) Delete(ctx context.Context, s Scope, res *schema.Resource, row *Row, ifUpdatedAt *time.Time) (*Effects, error) {
	fx := &Effects{}
	if err := c.delete(ctx, s, res, row, ifUpdatedAt, fx); err != nil {
		return nil, err
	}
	return fx, nil
}

func (c Conn) delete(ctx context.Context, s Scope, res *schema.Resource, row *Row, ifUpdatedAt *time.Time, fx *Effects) error {
	all := Scope{CompanyID: s.CompanyID, UserID: s.UserID} // rules apply to every dependant, not only readable ones
	var blocked []string
	for _, name := range res.Delete.Block {
		rel := res.Relation(name)
		target := schema.Get(rel.Target)
		var one int
		err := c.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+target.Table+" WHERE company_id = ? AND "+quoteCol(rel.Key)+" = ? LIMIT 1) x", s.CompanyID, row.ID).Scan(&one)
		if err != nil {
			return err
		}
		if one > 0 {
			blocked = append(blocked, name)
		}
	}
	if len(blocked) > 0 {
		return &BlockedError{Relations: blocked}
	}
	fx.Deleted = append(fx.Deleted, Deleted{Res: res, Row: row})
	for _, name := range res.Delete.Cascade {
		rel := res.Relation(name)
		target := schema.Get(rel.Target)
		children, err := c.Dependants(ctx, s, target, rel.Key, row.ID)
		if err != nil {
			return err
		}
		var keep []*Row
		for _, ch := range children {
			if otherParent(target, rel.Key, ch) {
				keep = append(keep, ch)
				continue
			}
			if err := c.delete(ctx, all, target, ch, nil, fx); err != nil {
				return err
			}
		}
		if err := c.nullify(ctx, s, target, rel.Key, keep, fx); err != nil {
			return err
		}
	}
	for _, name := range res.Delete.Nullify {
		rel := res.Relation(name)
		target := schema.Get(rel.Target)
		rows, err := c.Dependants(ctx, s, target, rel.Key, row.ID)
		if err != nil {
			return err
		}
		if err := c.nullify(ctx, s, target, rel.Key, rows, fx); err != nil {
			return err
		}
	}
	if res.CustomFields {
		if _, err := c.Exec(ctx, "DELETE FROM field_values WHERE company_id = ? AND model = ? AND record_id = ?", s.CompanyID, res.Name, row.ID); err != nil {
			return err
		}
	}
	q := "DELETE FROM " + res.Table + " WHERE company_id = ? AND id = ?"
	args := []any{s.CompanyID, row.ID}
	if ifUpdatedAt != nil {
		q += " AND updated_at = ?"
		args = append(args, c.db.Dialect.Time(*ifUpdatedAt))
	}
	c.db.Touch(s.CompanyID, res.Table)
	r, err := c.Exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return ErrConflict
	}
	if addr, ok := row.Vals["address_id"].(int64); ok {
		if _, err := c.Exec(ctx, "DELETE FROM addresses WHERE company_id = ? AND id = ?", s.CompanyID, addr); err != nil {
			return err
		}
	}
	return nil
}

// Dependants reads the records of target whose key is id.
func (c Conn) Dependants(ctx context.Context, s Scope, target *schema.Resource, key string, id int64) ([]*Row, error) {
	rs, err := c.Query(ctx, "SELECT "+selectList(target, "t")+" FROM "+target.Table+" t WHERE t.company_id = ? AND t."+quoteCol(key)+" = ? ORDER BY t.id", s.CompanyID, id)
	if err != nil {
		return nil, err
	}
	rows, _, err := c.scanRows(rs, target, 0)
	return rows, err
}

// otherParent reports whether row still has another of the parents an
// AtLeastOne rule of its resource asks for, once key is gone.
func otherParent(res *schema.Resource, key string, row *Row) bool {
	for _, r := range res.Rules {
		if r.Kind != schema.AtLeastOne || !slices.Contains(r.Fields, key) {
			continue
		}
		for _, f := range r.Fields {
			if f != key && row.Vals[f] != nil {
				return true
			}
		}
	}
	return false
}

// nullify sets key to NULL on rows and records each change.
func (c Conn) nullify(ctx context.Context, s Scope, target *schema.Resource, key string, rows []*Row, fx *Effects) error {
	return c.Reassign(ctx, s, target, key, rows, nil, &fx.Changed)
}

// Reassign sets key to to (nil: NULL) on rows, bumping updated_at, and
// appends each change to changed.
func (c Conn) Reassign(ctx context.Context, s Scope, target *schema.Resource, key string, rows []*Row, to any, changed *[]Changed) error {
	if len(rows) == 0 {
		return nil
	}
	now := Now()
	c.db.Touch(s.CompanyID, target.Table)
	for chunk := range slices.Chunk(rows, 500) { // bound the statement's parameters
		ids := make([]any, len(chunk))
		for i, r := range chunk {
			ids[i] = r.ID
		}
		if _, err := c.Exec(ctx, "UPDATE "+target.Table+" SET "+quoteCol(key)+" = ?, updated_at = ? WHERE company_id = ? AND id IN ("+idList(len(ids))+")",
			append([]any{to, c.db.Dialect.Time(now), s.CompanyID}, ids...)...); err != nil {
			return err
		}
	}
	for _, r := range rows {
		after := &Row{ID: r.ID, Vals: maps.Clone(r.Vals)}
		after.Vals[key] = to
		after.Vals["updated_at"] = now
		*changed = append(*changed, Changed{Res: target, Key: key, Before: r, After: after})
	}
	return nil
}

// Activity is one activity_log entry.
type Activity struct {
	Event       string // created, updated, deleted
	SubjectType string
	SubjectID   int64
	Changes     map[string][2]any
	UserID      int64
	ClientID    string
}

// LogActivity writes an activity_log entry in the caller's transaction.
func (c Conn) LogActivity(ctx context.Context, s Scope, a Activity) error {
	b, err := json.Marshal(a.Changes)
	if err != nil {
		return err
	}
	var user any
	if a.UserID != 0 {
		user = a.UserID
	}
	now := c.db.Dialect.Time(Now())
	c.db.Touch(s.CompanyID, "activity_logs")
	_, err = c.Exec(ctx, "INSERT INTO activity_logs (company_id, event, subject_type, subject_id, changes, user_id, client_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.CompanyID, a.Event, a.SubjectType, a.SubjectID, string(b), user, a.ClientID, now, now)
	return err
}

// SetFieldValues replaces the given custom field values of a record; a nil
// value removes it. Values are canonical text (see EncodeFieldValue).
func (c Conn) SetFieldValues(ctx context.Context, s Scope, model string, recordID int64, vals map[int64]*string) error {
	ids := make([]int64, 0, len(vals))
	for id := range vals {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	now := c.db.Dialect.Time(Now())
	c.db.Touch(s.CompanyID, "field_values")
	for _, fid := range ids {
		if _, err := c.Exec(ctx, "DELETE FROM field_values WHERE company_id = ? AND field_id = ? AND record_id = ?", s.CompanyID, fid, recordID); err != nil {
			return err
		}
		if v := vals[fid]; v != nil {
			if _, err := c.Exec(ctx, "INSERT INTO field_values (company_id, field_id, model, record_id, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				s.CompanyID, fid, model, recordID, *v, now, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// FieldDef is a custom field definition.
type FieldDef struct {
	ID       int64
	Key      string
	Type     string
	Required bool
	Options  []string
}

// FieldDefs returns the company's custom fields for a model, with options.
func (c Conn) FieldDefs(ctx context.Context, s Scope, model string) ([]FieldDef, error) {
	rs, err := c.Query(ctx, "SELECT f.id, f."+quoteCol("key")+", f."+quoteCol("type")+", f.required FROM fields f WHERE f.company_id = ? AND f.model = ? ORDER BY f."+quoteCol("position")+", f.id", s.CompanyID, model)
	if err != nil {
		return nil, err
	}
	var defs []FieldDef
	idx := map[int64]int{}
	for rs.Next() {
		var d FieldDef
		var req any
		if err := rs.Scan(&d.ID, &d.Key, &d.Type, &req); err != nil {
			rs.Close()
			return nil, err
		}
		d.Required = ToInt64(req) != 0 || req == true
		idx[d.ID] = len(defs)
		defs = append(defs, d)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, nil
	}
	ors, err := c.Query(ctx, "SELECT o.field_id, o.label FROM field_options o JOIN fields f ON f.id = o.field_id WHERE o.company_id = ? AND f.model = ? ORDER BY o."+quoteCol("position")+", o.id", s.CompanyID, model)
	if err != nil {
		return nil, err
	}
	defer ors.Close()
	for ors.Next() {
		var fid int64
		var label string
		if err := ors.Scan(&fid, &label); err != nil {
			return nil, err
		}
		if i, ok := idx[fid]; ok {
			defs[i].Options = append(defs[i].Options, label)
		}
	}
	return defs, ors.Err()
}

// ReplaceChildren replaces the rows of a child table (field_options,
// template_items) that belong to parent.
func (c Conn) ReplaceChildren(ctx context.Context, s Scope, table, parentCol string, parent int64, cols []string, rows [][]any) error {
	if _, err := c.Exec(ctx, "DELETE FROM "+table+" WHERE company_id = ? AND "+parentCol+" = ?", s.CompanyID, parent); err != nil {
		return err
	}
	now := c.db.Dialect.Time(Now())
	qcols := make([]string, len(cols))
	for i, col := range cols {
		qcols[i] = quoteCol(col)
	}
	q := "INSERT INTO " + table + " (company_id, " + parentCol + ", " + strings.Join(qcols, ", ") + ", created_at, updated_at) VALUES (" + idList(len(cols)+4) + ")"
	for _, r := range rows {
		args := append([]any{s.CompanyID, parent}, r...)
		args = append(args, now, now)
		if _, err := c.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// Children reads the child rows of parent (cols in order, by position then
// id): what ReplaceChildren would replace.
func (c Conn) Children(ctx context.Context, s Scope, table, parentCol string, parent int64, cols []string) ([][]any, error) {
	qcols := make([]string, len(cols))
	for i, col := range cols {
		qcols[i] = quoteCol(col)
	}
	rs, err := c.Query(ctx, "SELECT "+strings.Join(qcols, ", ")+" FROM "+table+" WHERE company_id = ? AND "+parentCol+" = ? ORDER BY "+quoteCol("position")+", id", s.CompanyID, parent)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range row {
			if b, ok := v.([]byte); ok {
				row[i] = string(b)
			}
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// DecodeFieldValue turns a stored custom field value into its JSON value.
func DecodeFieldValue(typ, raw string) any {
	switch typ {
	case "number":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return raw // stored under another type; show it rather than break the list
		}
		return json.Number(raw)
	case "boolean":
		return raw == "true"
	case "multiselect":
		var l []string
		if json.Unmarshal([]byte(raw), &l) != nil || l == nil {
			l = []string{}
		}
		return l
	}
	return raw
}

// ParseID parses a path id; ok=false for anything that is not a positive integer.
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
