// Package resource is the generic CRUD of every declared resource: access
// checks, validation against the declaration, and writes that commit
// together with their activity log entry and webhook events.
package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/query"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Event is a change announced to webhooks, written to the outbox in the
// transaction of the change.
type Event struct {
	CompanyID int64
	Name      string // customer.created, chance.won, ...
	Resource  *schema.Resource
	RecordID  int64
	Data      map[string]any // the record as Show renders it (plain)
	Previous  map[string]any // changed fields' old values, on updated
	UserID    int64
	ClientID  string
}

// EventSink writes events in the caller's transaction (the outbox).
type EventSink interface {
	Emit(ctx context.Context, tx store.Conn, ev Event) error
}

// Service runs CRUD for every resource.
type Service struct {
	DB     *store.DB
	Events EventSink // nil: no webhooks

	prepare map[string]PrepareFunc // per resource name, see OnPrepare
}

// Caller is the principal of a request with its store scope.
type Caller struct {
	P     *auth.Principal
	Scope store.Scope
}

// NewCaller derives the store scope from a principal.
func NewCaller(p *auth.Principal) Caller {
	return Caller{P: p, Scope: store.Scope{CompanyID: p.CompanyID, UserID: p.UserID,
		Read: func(res *schema.Resource) schema.Extent { return p.Extent(res.ScopeName(), "read") }}}
}

// CanRead reports whether the caller may read res at all.
func (c Caller) CanRead(res *schema.Resource) bool {
	if res.Name == "company" || res.Name == "address" {
		return true
	}
	e := c.P.Extent(res.ScopeName(), "read")
	return e == schema.All || (e == schema.Own && res.Owner != "")
}

// Need checks the scope an operation needs and returns the caller's extent.
func (c Caller) Need(res *schema.Resource, op schema.Op) (schema.Extent, error) {
	action := op.Action()
	if res.Name == "company" && action == "read" {
		return schema.All, nil
	}
	e := c.P.Extent(res.ScopeName(), action)
	if e == schema.Own && (res.Owner == "" || (op == schema.OpCreate && res.Owner != "user_id")) {
		// Nothing of it is anyone's own, or a new record can't be (a new
		// user is never the caller: user.create.own creates nothing).
		e = schema.None
	}
	if e == schema.None {
		return e, apierr.Forbidden(res.ScopeName() + "." + action + ".all")
	}
	return e, nil
}

// Access builds the query package's view of the caller.
func (s *Service) Access(ctx context.Context, c Caller) query.Access {
	return query.Access{
		CanRead: c.CanRead,
		CustomField: func(model, key string) (int64, string, bool) {
			defs, err := s.DB.Reader().FieldDefs(ctx, c.Scope, model)
			if err != nil {
				return 0, "", false
			}
			for _, d := range defs {
				if d.Key == key {
					return d.ID, d.Type, true
				}
			}
			return 0, "", false
		},
	}
}

// List runs an Index.
func (s *Service) List(ctx context.Context, c Caller, res *schema.Resource, p *query.Params) (*store.Page, error) {
	if _, err := c.Need(res, schema.OpIndex); err != nil {
		return nil, err
	}
	conn := s.DB.Reader()
	page, err := conn.List(ctx, c.Scope, res, p)
	if err != nil {
		return nil, err
	}
	return page, s.decorate(ctx, conn, c, res, page.Rows, p)
}

func (s *Service) decorate(ctx context.Context, conn store.Conn, c Caller, res *schema.Resource, rows []*store.Row, p *query.Params) error {
	if p == nil {
		return nil
	}
	if err := conn.Load(ctx, c.Scope, res, rows, p.With); err != nil {
		return err
	}
	if err := conn.LoadShow(ctx, c.Scope, res, rows, p.Show); err != nil {
		return err
	}
	return conn.Count(ctx, c.Scope, rows, p.Count)
}

// Show reads one record.
func (s *Service) Show(ctx context.Context, c Caller, res *schema.Resource, id int64, p *query.Params) (*store.Row, error) {
	if _, err := c.Need(res, schema.OpShow); err != nil {
		return nil, err
	}
	conn := s.DB.Reader()
	row, err := s.get(ctx, conn, c, res, id)
	if err != nil {
		return nil, err
	}
	return row, s.decorate(ctx, conn, c, res, []*store.Row{row}, p)
}

func (s *Service) get(ctx context.Context, conn store.Conn, c Caller, res *schema.Resource, id int64) (*store.Row, error) {
	var row *store.Row
	var err error
	switch {
	case res.Singleton:
		row, err = conn.GetSingleton(ctx, c.Scope, res)
	case res.Tenant && id != c.Scope.CompanyID:
		err = store.ErrNotFound
	default:
		row, err = conn.Get(ctx, c.Scope, res, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.NotFound()
	}
	return row, err
}

// ETag of a record: changes whenever it is updated.
func ETag(row *store.Row) string {
	t, _ := row.Vals["updated_at"].(time.Time)
	return `"` + strconv.FormatInt(row.ID, 10) + "-" + strconv.FormatInt(t.UnixMicro(), 36) + `"`
}

// matches reports whether an If-Match header accepts the record.
func matches(ifMatch string, row *store.Row) bool {
	if ifMatch == "" || strings.TrimSpace(ifMatch) == "*" {
		return true
	}
	want := ETag(row)
	for _, t := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(t) == want { // strong comparison: a W/ tag never matches (RFC 9110 §13.1.1)
			return true
		}
	}
	return false
}

// NotModified reports whether an If-None-Match header names the record's
// current ETag (weak comparison, RFC 9110 §13.1.2), so a Show may answer 304.
func NotModified(ifNoneMatch string, row *store.Row) bool {
	if ifNoneMatch == "" {
		return false
	}
	if strings.TrimSpace(ifNoneMatch) == "*" {
		return true
	}
	want := ETag(row)
	for _, t := range strings.Split(ifNoneMatch, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}

// WriteOpts are the HTTP details of a write.
type WriteOpts struct {
	IfMatch    string
	TransferTo string // user delete
}

// pending is a validated write.
type pending struct {
	vals        map[string]any    // column fields
	address     map[string]any    // nested address fields, nil if not sent
	addressNull bool              // address: null
	fieldValues map[int64]*string // custom field values by field id
	children    []childWrite      // options / items
	changed     map[string][2]any // for the activity log (JSON values)
	previous    map[string]any    // old values of changed fields
	current     *store.Row        // before the update
	addrCurrent map[string]any    // not used for logs
	fieldDefs   map[int64]store.FieldDef
}

type childWrite struct {
	table, parentCol string
	cols             []string
	rows             [][]any
	logAs            func(row []any) any // one row as the activity log shows it
}

// Create validates and inserts a record, its log entry and events in one
// transaction and returns it as Show would.
func (s *Service) Create(ctx context.Context, c Caller, res *schema.Resource, body *Body) (*store.Row, error) {
	ext, err := c.Need(res, schema.OpCreate)
	if err != nil {
		return nil, err
	}
	var created *store.Row
	err = s.tx(ctx, func(tx store.Conn) error {
		pw, err := s.validate(ctx, tx, c, res, body, nil, ext)
		if err != nil {
			return err
		}
		if pw.address != nil {
			aid, err := tx.Insert(ctx, c.Scope, schema.Address, newAddress(pw.address))
			if err != nil {
				return err
			}
			pw.vals["address_id"] = aid
		}
		created, err = tx.InsertRow(ctx, c.Scope, res, pw.vals)
		if err != nil {
			return s.writeErr(res, err)
		}
		if err := s.afterWrite(ctx, tx, c, res, created.ID, pw); err != nil {
			return err
		}
		return s.log(ctx, tx, c, res, "created", created, pw)
	})
	if err != nil {
		return nil, err
	}
	// The row read in the transaction is what committed; reading it again
	// would queue behind other writers for SQLite's one writer connection.
	reveal(res, created)
	return created, nil
}

// Update validates and applies a partial change.
func (s *Service) Update(ctx context.Context, c Caller, res *schema.Resource, id int64, body *Body, o WriteOpts) (*store.Row, error) {
	ext, err := c.Need(res, schema.OpUpdate)
	if err != nil {
		return nil, err
	}
	if res.Singleton {
		id = 0
	}
	var result *store.Row
	err = s.tx(ctx, func(tx store.Conn) error {
		cur, err := s.get(ctx, tx.ForUpdate(), c, res, id)
		if err != nil {
			return err
		}
		id = cur.ID
		if err := ownCheck(c, res, cur, ext, "update"); err != nil {
			return err
		}
		if !matches(o.IfMatch, cur) {
			return apierr.New(http.StatusPreconditionFailed, "precondition_failed")
		}
		if res.Name == "role" && cur.Vals["builtin"] == true {
			return apierr.Conflict("builtin_role")
		}
		pw, err := s.validate(ctx, tx, c, res, body, cur, ext)
		if err != nil {
			return err
		}
		if len(pw.changed) == 0 {
			// Nothing changed: nothing is written (updated_at and the ETag
			// stay), so no log entry and no event either.
			result = cur
			return nil
		}
		if pw.address != nil || pw.addressNull {
			if err := s.writeAddress(ctx, tx, c, cur, pw); err != nil {
				return err
			}
		}
		ts := cur.Vals["updated_at"].(time.Time)
		if result, err = tx.Update(ctx, c.Scope, res, id, pw.vals, &ts); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apierr.New(http.StatusPreconditionFailed, "precondition_failed")
			}
			return s.writeErr(res, err)
		}
		if err := s.afterWrite(ctx, tx, c, res, id, pw); err != nil {
			return err
		}
		return s.log(ctx, tx, c, res, "updated", result, pw)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

func (s *Service) writeAddress(ctx context.Context, tx store.Conn, c Caller, cur *store.Row, pw *pending) error {
	aid, has := cur.Vals["address_id"].(int64)
	switch {
	case pw.addressNull:
		if has {
			pw.vals["address_id"] = nil
			_, err := tx.Exec(ctx, "DELETE FROM addresses WHERE company_id = ? AND id = ?", c.Scope.CompanyID, aid)
			return err
		}
	case has:
		_, err := tx.Update(ctx, c.Scope, schema.Address, aid, pw.address, nil)
		return err
	default:
		id, err := tx.Insert(ctx, c.Scope, schema.Address, newAddress(pw.address))
		if err != nil {
			return err
		}
		pw.vals["address_id"] = id
	}
	return nil
}

func ownCheck(c Caller, res *schema.Resource, row *store.Row, ext schema.Extent, action string) error {
	if ext != schema.Own {
		return nil
	}
	owner, _ := row.Vals[res.Owner].(int64)
	if owner != c.Scope.UserID {
		return apierr.Forbidden(res.ScopeName() + "." + action + ".all")
	}
	return nil
}

// Delete removes a record by its declared rules.
func (s *Service) Delete(ctx context.Context, c Caller, res *schema.Resource, id int64, o WriteOpts) error {
	ext, err := c.Need(res, schema.OpDelete)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx store.Conn) error {
		cur, err := s.get(ctx, tx.ForUpdate(), c, res, id)
		if err != nil {
			return err
		}
		if err := ownCheck(c, res, cur, ext, "delete"); err != nil {
			return err
		}
		if !matches(o.IfMatch, cur) {
			return apierr.New(http.StatusPreconditionFailed, "precondition_failed")
		}
		switch res.Name {
		case "role":
			if cur.Vals["builtin"] == true {
				return apierr.Conflict("builtin_role")
			}
		case "user":
			if err := s.transferOwnership(ctx, tx, c, cur, o.TransferTo); err != nil {
				return err
			}
		}
		ts := cur.Vals["updated_at"].(time.Time)
		fx, err := tx.Delete(ctx, c.Scope, res, cur, &ts)
		var blocked *store.BlockedError
		switch {
		case errors.As(err, &blocked):
			e := apierr.Conflict("delete_blocked", strings.Join(blocked.Relations, ", "))
			e.Extra = map[string]any{"blocked_by": blocked.Relations}
			return e
		case errors.Is(err, store.ErrConflict):
			return apierr.New(http.StatusPreconditionFailed, "precondition_failed")
		case err != nil:
			return err
		}
		for _, d := range fx.Deleted {
			changes := map[string][2]any{}
			for k, v := range Plain(d.Res, d.Row) {
				if v != nil && k != "id" && k != "created_at" && k != "updated_at" {
					changes[k] = [2]any{v, nil}
				}
			}
			if err := s.log(ctx, tx, c, d.Res, "deleted", d.Row, &pending{changed: changes}); err != nil {
				return err
			}
		}
		return s.logChanged(ctx, tx, c, fx.Changed)
	})
}

// logChanged writes the activity log entry and the updated event of each
// record a write changed as a side effect (a key nulled by a delete, an
// owner moved by transfer_to): they are changes like any other.
func (s *Service) logChanged(ctx context.Context, tx store.Conn, c Caller, changed []store.Changed) error {
	for _, ch := range changed {
		f := ch.Res.Field(ch.Key)
		old := JSONValue(f, ch.Before.Vals[f.Name])
		pw := &pending{current: ch.Before,
			changed:  map[string][2]any{f.Name: {old, JSONValue(f, ch.After.Vals[f.Name])}},
			previous: map[string]any{f.Name: old}}
		if err := s.log(ctx, tx, c, ch.Res, "updated", ch.After, pw); err != nil {
			return err
		}
	}
	return nil
}

// transferOwnership refuses deleting a user who owns records unless
// transfer_to names another user of the company, to whom they move.
func (s *Service) transferOwnership(ctx context.Context, tx store.Conn, c Caller, user *store.Row, transferTo string) error {
	var owning []string
	var target int64
	if transferTo != "" {
		t, ok := store.ParseID(transferTo)
		if !ok || t == user.ID {
			return apierr.Invalid("transfer_to", "v_exists", "transfer_to")
		}
		if ok, err := tx.Exists(ctx, c.Scope, schema.User, t); err != nil {
			return err
		} else if !ok {
			return apierr.Invalid("transfer_to", "v_exists", "transfer_to")
		}
		target = t
	}
	var moved []store.Changed
	for _, r := range schema.Resources() {
		f := r.Field("user_id")
		if f == nil || r.Virtual || r.Name == "activity_log" {
			continue
		}
		if target != 0 {
			rows, err := tx.Dependants(ctx, c.Scope, r, "user_id", user.ID)
			if err != nil {
				return err
			}
			if err := tx.Reassign(ctx, c.Scope, r, "user_id", rows, target, &moved); err != nil {
				return err
			}
			continue
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+r.Table+" WHERE company_id = ? AND user_id = ? LIMIT 1) x", c.Scope.CompanyID, user.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			owning = append(owning, r.Name)
		}
	}
	if target != 0 {
		if err := s.logChanged(ctx, tx, c, moved); err != nil {
			return err
		}
		// Activity log entries keep naming who did what.
		_, err := tx.Exec(ctx, "UPDATE activity_logs SET user_id = NULL WHERE company_id = ? AND user_id = ?", c.Scope.CompanyID, user.ID)
		return err
	}
	if len(owning) > 0 {
		e := apierr.Conflict("user_owns_records", strings.Join(owning, ", "))
		e.Extra = map[string]any{"blocked_by": owning}
		return e
	}
	_, err := tx.Exec(ctx, "UPDATE activity_logs SET user_id = NULL WHERE company_id = ? AND user_id = ?", c.Scope.CompanyID, user.ID)
	return err
}

func (s *Service) writeErr(res *schema.Resource, err error) error {
	if store.IsUnique(err) {
		for _, f := range res.Fields {
			if f.Unique {
				return apierr.Conflict("duplicate", f.Name)
			}
		}
		if res.Name == "field" {
			return apierr.Conflict("duplicate", "key")
		}
		return apierr.Conflict("duplicate", res.Name)
	}
	return err
}

// afterWrite stores what lives outside the record's row.
func (s *Service) afterWrite(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, id int64, pw *pending) error {
	for _, ch := range pw.children {
		if err := tx.ReplaceChildren(ctx, c.Scope, ch.table, ch.parentCol, id, ch.cols, ch.rows); err != nil {
			return err
		}
	}
	if len(pw.fieldValues) > 0 {
		if err := tx.SetFieldValues(ctx, c.Scope, res.Name, id, pw.fieldValues); err != nil {
			return err
		}
	}
	return nil
}

// log writes the activity log entry and the webhook events of a change.
func (s *Service) log(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, event string, row *store.Row, pw *pending) error {
	if res.Name == "activity_log" || res.Name == "address" {
		return nil
	}
	if err := tx.LogActivity(ctx, c.Scope, store.Activity{Event: event, SubjectType: res.Name, SubjectID: row.ID,
		Changes: pw.changed, UserID: c.P.UserID, ClientID: c.P.ClientID}); err != nil {
		return err
	}
	if s.Events == nil || !res.Events {
		return nil
	}
	data := Plain(res, row)
	base := Event{CompanyID: c.Scope.CompanyID, Resource: res, RecordID: row.ID, Data: data, UserID: c.P.UserID, ClientID: c.P.ClientID}
	ev := base
	ev.Name = res.Name + "." + event
	if event == "updated" {
		prev, err := s.eventPrevious(ctx, tx, c, res, row, pw)
		if err != nil {
			return err
		}
		ev.Previous = prev
	}
	if err := s.Events.Emit(ctx, tx, ev); err != nil {
		return err
	}
	if event == "deleted" {
		return nil
	}
	for _, er := range res.ExtraEvents {
		now := row.Vals[er.Field]
		var before any
		if pw.current != nil {
			before = pw.current.Vals[er.Field]
		}
		if now == er.Value && before != er.Value {
			extra := base
			extra.Name = res.Name + "." + er.Event
			if err := s.Events.Emit(ctx, tx, extra); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	keyRe  = regexp.MustCompile(`[^a-z0-9]+`)
	keyRe2 = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`) // what Slug gives
)

// Slug derives a custom field key from its name: lower case, accents
// dropped ("Één adres" -> "een_adres"), other runs of characters "_".
func Slug(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return strings.Trim(keyRe.ReplaceAllString(b.String(), "_"), "_")
}

// validate checks a body against the declaration (every failing field at
// once) and returns what to write.
func (s *Service) validate(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, body *Body, cur *store.Row, ext schema.Extent) (*pending, error) {
	creating := cur == nil
	var v apierr.Validation
	pw := &pending{vals: map[string]any{}, changed: map[string][2]any{}, previous: map[string]any{}, current: cur}
	var rawFieldValues json.RawMessage
	for _, k := range body.Keys {
		raw := body.Raw[k]
		if k == "field_values" && res.CustomFields {
			rawFieldValues = raw
			continue
		}
		f := res.Field(k)
		if f == nil || f.ReadOnly || res.Virtual {
			v.Add(k, "v_unknown", k)
			continue
		}
		if f.Type == schema.Nested {
			s.validateAddress(&v, k, raw, pw)
			continue
		}
		if f.Type == schema.JSON {
			pw.vals[k] = string(raw) // decoded by its special handler
			continue
		}
		val, ok := convert(&v, k, f, raw)
		if !ok {
			continue
		}
		pw.vals[k] = val
	}
	// Defaults and required fields on create.
	if creating {
		if res.Owner == "user_id" {
			if _, ok := pw.vals["user_id"]; !ok {
				pw.vals["user_id"] = c.Scope.UserID
			}
		}
		for _, f := range res.Fields {
			if _, ok := pw.vals[f.Name]; ok || v.Has(f.Name) {
				continue
			}
			if f.Default != nil {
				pw.vals[f.Name] = f.Default
			} else if f.Required {
				v.Add(f.Name, "v_required", f.Name)
			}
		}
		if res.Name == "role" {
			pw.vals["builtin"] = false
		}
	}
	// Own extent: the record must stay the caller's own.
	if ext == schema.Own && res.Owner == "user_id" {
		if uid, ok := pw.vals["user_id"]; ok && uid != c.Scope.UserID {
			action := "update"
			if creating {
				action = "create"
			}
			return nil, apierr.Forbidden(res.ScopeName() + "." + action + ".all")
		}
	}
	// Own extent on users: a user edits its own profile, not its role
	// (user.update.own must not lift a company_user to company_owner).
	if ext == schema.Own && res.Owner == "id" && cur != nil {
		if rid, ok := pw.vals["role_id"]; ok && rid != cur.Vals["role_id"] {
			return nil, apierr.Forbidden(res.ScopeName() + ".update.all")
		}
	}
	// Foreign keys must name records of the caller's company (resources.md:
	// "an <x>_id that names no record of the caller's company is a 422"),
	// whatever the token may read: a token without user.read still sets
	// user_id (it defaults to the caller). With only the own extent of a
	// target's read scope, other users' records do not exist for the token
	// (oauth.md), so they are not there to point at either.
	company := store.Scope{CompanyID: c.Scope.CompanyID, UserID: c.Scope.UserID}
	for _, f := range res.Fields {
		id, ok := pw.vals[f.Name].(int64)
		if f.Type != schema.Ref || !ok || f.ReadOnly {
			continue
		}
		if f.Ref == "user" && id == c.Scope.UserID {
			continue // the caller: authenticated this very request
		}
		target, scope := schema.Get(f.Ref), company
		if c.Scope.ReadExtent(target) == schema.Own {
			scope = c.Scope
		}
		if cur != nil && cur.Vals[f.Name] == id {
			continue // unchanged: it was allowed when it was set
		}
		exists, err := tx.Exists(ctx, scope, target, id)
		if err != nil {
			return nil, err
		}
		if !exists {
			v.Add(f.Name, "v_exists", f.Name)
		}
	}
	s.applyRules(&v, res, pw)
	if err := s.special(ctx, tx, c, res, &v, pw); err != nil {
		return nil, err
	}
	if fn := s.prepare[res.Name]; fn != nil {
		if err := fn(ctx, tx, c, cur, pw.vals, &v); err != nil {
			return nil, err
		}
	}
	if res.CustomFields {
		if err := s.validateFieldValues(ctx, tx, c, res, &v, rawFieldValues, pw); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// What changed, for the log and the webhook's previous values.
	for k, nv := range pw.vals {
		f := res.Field(k)
		if (f.Hidden && f.Type == schema.Password) || f.Secret {
			pw.changed[k] = [2]any{nil, "********"} // nothing secret is logged
			continue
		}
		if f.NoColumn {
			continue
		}
		var old any
		if cur != nil {
			old = cur.Vals[k]
			if reflect.DeepEqual(old, nv) {
				delete(pw.vals, k)
				continue
			}
		}
		jo, jn := JSONValue(f, old), JSONValue(f, nv)
		pw.changed[k] = [2]any{jo, jn}
		if cur != nil {
			pw.previous[k] = jo
		}
	}
	if err := s.addressChanges(ctx, tx, c, pw); err != nil {
		return nil, err
	}
	if err := s.fieldValueChanges(ctx, tx, c, res, pw); err != nil {
		return nil, err
	}
	if err := s.childChanges(ctx, tx, c, pw); err != nil {
		return nil, err
	}
	return pw, nil
}

// childChanges logs a replaced child list (field options, template items)
// as [old list, new list]; a list sent unchanged is not rewritten.
func (s *Service) childChanges(ctx context.Context, tx store.Conn, c Caller, pw *pending) error {
	kept := pw.children[:0]
	for _, ch := range pw.children {
		var old [][]any
		if pw.current != nil {
			var err error
			if old, err = tx.Children(ctx, c.Scope, ch.table, ch.parentCol, pw.current.ID, ch.cols); err != nil {
				return err
			}
		}
		before, after := make([]any, 0, len(old)), make([]any, 0, len(ch.rows))
		for _, r := range old {
			before = append(before, ch.logAs(r))
		}
		for _, r := range ch.rows {
			after = append(after, ch.logAs(r))
		}
		if pw.current != nil && reflect.DeepEqual(before, after) {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(ch.table, "field_"), "template_")
		pw.changed[name] = [2]any{before, after}
		if pw.current != nil {
			pw.previous[name] = before
		}
		kept = append(kept, ch)
	}
	pw.children = kept
	return nil
}

// addressChanges logs a nested address write field by field
// ("address.city": [old, new]); the old values are those of the holder's
// current address.
func (s *Service) addressChanges(ctx context.Context, tx store.Conn, c Caller, pw *pending) error {
	if pw.address == nil && !pw.addressNull {
		return nil
	}
	old := map[string]any{}
	if pw.current != nil {
		if aid, ok := pw.current.Vals["address_id"].(int64); ok {
			row, err := tx.Get(ctx, store.Scope{CompanyID: c.Scope.CompanyID}, schema.Address, aid)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if row != nil {
				old = Plain(schema.Address, row)
			}
		}
	}
	sent := pw.address
	if len(old) == 0 && sent != nil {
		sent = newAddress(sent) // a new address row: its defaults are written too
	}
	for _, f := range schema.Address.Fields {
		if f.ReadOnly {
			continue
		}
		var nv any
		if !pw.addressNull {
			v, ok := sent[f.Name]
			if !ok {
				continue
			}
			nv = JSONValue(f, v)
		}
		if !reflect.DeepEqual(old[f.Name], nv) {
			pw.changed["address."+f.Name] = [2]any{old[f.Name], nv}
		}
	}
	return nil
}

// fieldValueChanges logs custom field values ("field_values.<key>": [old,
// new]) and drops the ones sent unchanged.
func (s *Service) fieldValueChanges(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, pw *pending) error {
	if len(pw.fieldValues) == 0 {
		return nil
	}
	old := map[int64]any{}
	if pw.current != nil {
		probe := &store.Row{ID: pw.current.ID, Vals: pw.current.Vals}
		if err := tx.Load(ctx, store.Scope{CompanyID: c.Scope.CompanyID}, res, []*store.Row{probe},
			[]*query.WithNode{{Rel: res.Relation("field_values")}}); err != nil {
			return err
		}
		vals, _ := probe.Embeds["field_values"].([]store.FieldValue)
		for _, fv := range vals {
			old[fv.FieldID] = fv.Value
		}
	}
	for fid, p := range pw.fieldValues {
		d := pw.fieldDefs[fid]
		var nv any
		if p != nil {
			nv = store.DecodeFieldValue(d.Type, *p)
		}
		if reflect.DeepEqual(old[fid], nv) {
			delete(pw.fieldValues, fid)
			continue
		}
		pw.changed["field_values."+d.Key] = [2]any{old[fid], nv}
	}
	return nil
}

func (s *Service) validateAddress(v *apierr.Validation, k string, raw json.RawMessage, pw *pending) {
	if isNull(raw) {
		pw.addressNull = true
		return
	}
	if len(raw) == 0 || raw[0] != '{' {
		v.Add(k, "v_object", k)
		return
	}
	ab, err := DecodeBody(raw)
	if err != nil {
		v.Add(k, "v_object", k)
		return
	}
	pw.address = map[string]any{}
	for _, ak := range ab.Keys {
		f := schema.Address.Field(ak)
		path := k + "." + ak
		if f == nil || f.ReadOnly {
			v.Add(path, "v_unknown", path)
			continue
		}
		if val, ok := convert(v, path, f, ab.Raw[ak]); ok {
			pw.address[ak] = val
		}
	}
}

// newAddress is an address row to insert: the sent fields over the
// declared defaults (country NL). An update of an existing address leaves
// absent fields untouched.
func newAddress(sent map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range schema.Address.Fields {
		if f.Default != nil {
			out[f.Name] = f.Default
		}
	}
	for k, v := range sent {
		out[k] = v
	}
	return out
}

// applyRules enforces the declaration's Rules on the merged record.
func (s *Service) applyRules(v *apierr.Validation, res *schema.Resource, pw *pending) {
	get := func(name string) any {
		if x, ok := pw.vals[name]; ok {
			return x
		}
		if pw.current != nil {
			return pw.current.Vals[name]
		}
		return nil
	}
	for _, r := range res.Rules {
		switch r.Kind {
		case schema.StampWhen:
			if t, explicit := pw.vals[r.Target]; explicit {
				// A client may set the stamp (importing history) only in
				// agreement with the state: completed_at while done.
				in := slices.Contains(r.Values, fmt.Sprint(get(r.Field)))
				switch {
				case t != nil && !in:
					v.Add(r.Target, "v_stamp_state", r.Target, r.Field, strings.Join(r.Values, ", "))
				case t == nil && in:
					v.Add(r.Target, "v_required", r.Target)
				}
			}
			nv, sent := pw.vals[r.Field]
			if !sent {
				continue
			}
			in := false
			for _, x := range r.Values {
				if nv == x {
					in = true
				}
			}
			var before any
			if pw.current != nil {
				before = pw.current.Vals[r.Field]
			}
			if _, explicit := pw.vals[r.Target]; explicit {
				continue // checked below
			}
			switch {
			case in && before != nv:
				pw.vals[r.Target] = store.Now()
			case !in && get(r.Target) != nil:
				pw.vals[r.Target] = nil
			}
		case schema.NotBefore:
			a, _ := get(r.Field).(time.Time)
			b, _ := get(r.Other).(time.Time)
			if !a.IsZero() && !b.IsZero() && a.Before(b) && !v.Has(r.Field) {
				v.Add(r.Field, "v_after_or_equal", r.Field, r.Other)
			}
		case schema.AtLeastOne:
			any := false
			for _, f := range r.Fields {
				if get(f) != nil || v.Has(f) {
					any = true
				}
			}
			if !any {
				v.Add(r.Fields[0], "v_note_parent")
			}
		}
	}
}

// special handles what the few resources with child data need.
func (s *Service) special(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, v *apierr.Validation, pw *pending) error {
	switch res.Name {
	case "user":
		if _, sent := pw.vals["locale"]; !sent && pw.current == nil {
			pw.vals["locale"] = nil // follow the company setting (not the column's old default)
		}
		if pwd, ok := pw.vals["password"].(string); ok {
			pw.vals["password"] = auth.HashPassword(pwd)
		}
		if pw.current == nil {
			if _, ok := pw.vals["role_id"]; !ok && !v.Has("role_id") {
				var rid int64
				err := tx.QueryRow(ctx, "SELECT id FROM roles WHERE company_id = ? AND name = 'company_user'", c.Scope.CompanyID).Scan(&rid)
				if err != nil {
					return err
				}
				pw.vals["role_id"] = rid
			}
		}
		if email, ok := pw.vals["email"].(string); ok {
			var n int
			q := "SELECT COUNT(*) FROM users WHERE email = ?"
			args := []any{strings.ToLower(email)}
			if pw.current != nil {
				q += " AND id <> ?"
				args = append(args, pw.current.ID)
			}
			if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
				return err
			}
			if n > 0 && v.Err() == nil {
				return apierr.Conflict("duplicate", "email")
			}
		}
	case "role":
		if v, sent := pw.vals["permissions"]; sent && v == nil {
			pw.vals["permissions"] = []string{} // null clears the list
		}
		if l, ok := pw.vals["permissions"].([]string); ok {
			known := map[string]bool{}
			for _, sc := range schema.Scopes() {
				known[sc] = true
			}
			seen := map[string]bool{}
			var clean []string
			for _, p := range l {
				if !known[p] {
					v.Add("permissions", "v_permission", p)
					continue
				}
				if !seen[p] {
					seen[p] = true
					clean = append(clean, p)
				}
			}
			if clean == nil {
				clean = []string{}
			}
			pw.vals["permissions"] = clean
		} else if pw.current == nil {
			pw.vals["permissions"] = []string{}
		}
	case "field":
		name, hasName := pw.vals["name"].(string)
		if _, ok := pw.vals["key"]; !ok && pw.current == nil && hasName {
			// Derived from the name; a name without letters or digits
			// (only CJK, say) gives none, and the client must send one.
			if k := Slug(name); k != "" {
				pw.vals["key"] = k
			} else if !v.Has("key") {
				v.Add("key", "v_key_underivable")
			}
		} else if k, ok := pw.vals["key"].(string); ok && !keyRe2.MatchString(k) {
			// A key the client sends is kept as sent, so it must already
			// be one: rewriting it would make its field_values unwritable.
			v.Add("key", "v_key_format", "key")
		}
		if pw.current != nil {
			// Values are stored as the field's type and model read them:
			// neither may change under existing values.
			for _, col := range []string{"type", "model"} {
				if nv, ok := pw.vals[col]; ok && nv != pw.current.Vals[col] {
					var n int
					if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM field_values WHERE company_id = ? AND field_id = ? LIMIT 1) x", c.Scope.CompanyID, pw.current.ID).Scan(&n); err != nil {
						return err
					}
					if n > 0 {
						v.Add(col, "v_field_in_use", col)
					}
				}
			}
		}
		if l, ok := pw.vals["options"].([]string); ok {
			delete(pw.vals, "options")
			rows := make([][]any, 0, len(l))
			for i, label := range l {
				if strings.TrimSpace(label) == "" {
					v.Add(fmt.Sprintf("options.%d", i), "v_required", "options")
					continue
				}
				rows = append(rows, []any{strings.TrimSpace(label), int64(i)})
			}
			pw.children = append(pw.children, childWrite{table: "field_options", parentCol: "field_id", cols: []string{"label", "position"}, rows: rows,
				logAs: func(r []any) any { return r[0] }})
		}
	case "template":
		if raw, ok := pw.vals["items"]; ok {
			delete(pw.vals, "items")
			rows, ok := templateItems(v, raw)
			if ok {
				pw.children = append(pw.children, childWrite{table: "template_items", parentCol: "template_id",
					cols: []string{"description", "quantity", "unit_price", "vat_rate", "position"}, rows: rows,
					logAs: func(r []any) any {
						return map[string]any{"description": r[0], "quantity": store.FormatCents(store.ToInt64(r[1])),
							"unit_price": store.FormatCents(store.ToInt64(r[2])), "vat_rate": store.FormatCents(store.ToInt64(r[3])), "position": store.ToInt64(r[4])}
					}})
			}
		}
	}
	return nil
}

// templateItems validates the items list of a template.
func templateItems(v *apierr.Validation, raw any) ([][]any, bool) {
	s, _ := raw.(string)
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(s), &items); err != nil || !strings.HasPrefix(strings.TrimSpace(s), "[") {
		v.Add("items", "v_array", "items")
		return nil, false
	}
	var rows [][]any
	ok := true
	for i, item := range items {
		p := fmt.Sprintf("items.%d", i)
		body, err := DecodeBody(item)
		if err != nil || len(bytes.TrimSpace(item)) == 0 || item[0] != '{' {
			v.Add(p, "v_object", p)
			ok = false
			continue
		}
		row := []any{"", int64(0), int64(0), int64(0), int64(i)}
		for _, k := range body.Keys {
			r := body.Raw[k]
			switch k {
			case "description":
				str, good := asString(r)
				switch {
				case !good:
					v.Add(p+".description", "v_string", p+".description")
					ok = false
				case utf8.RuneCountInString(str) > 65535:
					v.Add(p+".description", "v_max_length", p+".description", 65535)
					ok = false
				}
				row[0] = str
			case "quantity", "unit_price", "vat_rate":
				// decimals are strings like money ("2.50"); a number is a 422
				str, good := asString(r)
				c, key := ParseCents(str)
				if !good {
					key = "v_decimal"
				}
				if key != "" {
					v.Add(p+"."+k, key, p+"."+k)
					ok = false
				}
				row[map[string]int{"quantity": 1, "unit_price": 2, "vat_rate": 3}[k]] = c
			case "position":
				n, good := asInt(r)
				if !good || n < 0 || n > math.MaxInt32 { // an INTEGER column
					v.Add(p+".position", "v_integer", p+".position")
					ok = false
				}
				row[4] = n
			default:
				v.Add(p+"."+k, "v_unknown", p+"."+k)
				ok = false
			}
		}
		rows = append(rows, row)
	}
	return rows, ok
}

// blank reports a JSON value a required field does not accept as given:
// an empty or white-space string, an empty list (Laravel's required).
func blank(raw json.RawMessage) bool {
	if s, ok := asString(raw); ok {
		return strings.TrimSpace(s) == ""
	}
	var l []json.RawMessage
	return json.Unmarshal(raw, &l) == nil && raw[0] == '[' && len(l) == 0
}

// validateFieldValues checks custom field values by key or by id.
func (s *Service) validateFieldValues(ctx context.Context, tx store.Conn, c Caller, res *schema.Resource, v *apierr.Validation, raw json.RawMessage, pw *pending) error {
	if raw == nil && pw.current != nil {
		return nil
	}
	defs, err := tx.FieldDefs(ctx, c.Scope, res.Name)
	if err != nil {
		return err
	}
	byKey := map[string]store.FieldDef{}
	pw.fieldDefs = map[int64]store.FieldDef{}
	for _, d := range defs {
		byKey[d.Key] = d
		pw.fieldDefs[d.ID] = d
	}
	given := map[int64]json.RawMessage{}
	if raw != nil && !isNull(raw) {
		switch raw[0] {
		case '{':
			b, err := DecodeBody(raw)
			if err != nil {
				v.Add("field_values", "v_object", "field_values")
				return nil
			}
			for _, k := range b.Keys {
				d, ok := byKey[k]
				if !ok {
					v.Add("field_values."+k, "v_unknown", "field_values."+k)
					continue
				}
				given[d.ID] = b.Raw[k]
			}
		case '[':
			// [{"field_id": 3, "value": "Retail"}] (or "key" instead of
			// field_id); value is required, null removes, nothing else goes.
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil {
				v.Add("field_values", "v_array", "field_values")
				return nil
			}
			for i, item := range items {
				p := fmt.Sprintf("field_values.%d", i)
				it, err := DecodeBody(item)
				if err != nil || len(bytes.TrimSpace(item)) == 0 || item[0] != '{' {
					v.Add(p, "v_object", p)
					continue
				}
				var d store.FieldDef
				found, named := false, false
				for _, k := range it.Keys {
					switch k {
					case "field_id":
						named = true
						if id, good := asInt(it.Raw[k]); good {
							d, found = pw.fieldDefs[id]
						}
					case "key":
						if !named {
							named = true
							if key, good := asString(it.Raw[k]); good {
								d, found = byKey[key]
							}
						}
					case "value":
					default:
						v.Add(p+"."+k, "v_unknown", p+"."+k)
					}
				}
				switch {
				case !named:
					v.Add(p+".field_id", "v_required", p+".field_id")
				case !found:
					v.Add(p+".field_id", "v_exists", "field_id")
				}
				val, hasValue := it.Raw["value"]
				if !hasValue {
					v.Add(p+".value", "v_required", p+".value")
				}
				if found && hasValue {
					given[d.ID] = val
				}
			}
		default:
			v.Add("field_values", "v_object", "field_values")
			return nil
		}
	}
	pw.fieldValues = map[int64]*string{}
	for id, r := range given {
		d := pw.fieldDefs[id]
		path := "field_values." + d.Key
		if isNull(r) || (d.Required && blank(r)) {
			if d.Required {
				v.Add(path, "v_required", path)
				continue
			}
			pw.fieldValues[id] = nil
			continue
		}
		if text, ok := EncodeFieldValue(v, path, d, r); ok {
			pw.fieldValues[id] = &text
		}
	}
	if pw.current == nil {
		for _, d := range defs {
			if _, ok := given[d.ID]; d.Required && !ok {
				v.Add("field_values."+d.Key, "v_required", "field_values."+d.Key)
			}
		}
	}
	return nil
}
