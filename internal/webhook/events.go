package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cirqll/core/internal/resource"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Ping is the event POST /api/webhook/{id}/test sends.
const Ping = "ping"

// EventNames lists every event a subscription may name, sorted:
// <resource>.created/updated/deleted of every resource with events, their
// extra events (chance.won, chance.lost, task.completed) and ping.
func EventNames() []string {
	out := []string{Ping}
	for _, r := range schema.Resources() {
		if !r.Events {
			continue
		}
		out = append(out, r.Name+".created", r.Name+".updated", r.Name+".deleted")
		for _, e := range r.ExtraEvents {
			out = append(out, r.Name+"."+e.Event)
		}
	}
	sort.Strings(out)
	return out
}

var known = func() map[string]bool {
	m := map[string]bool{"*": true}
	for _, n := range EventNames() {
		m[n] = true
	}
	return m
}()

// wants reports whether a subscription's event list covers name.
func wants(events []string, name string) bool {
	for _, e := range events {
		if e == name || e == "*" {
			return true
		}
	}
	return false
}

// Emit writes the event to the outbox in the transaction of the change:
// it commits with the change or not at all. The payload is rendered now,
// once, the way Show renders the record.
func (s *System) Emit(ctx context.Context, tx store.Conn, ev resource.Event) error {
	// A company without an active subscription has nobody to deliver to,
	// and a subscription only gets events that occur after it was created:
	// writing the event would only make work for the fan-out, which would
	// delete it. The count is cached until the company's webhooks change.
	if n, err := tx.CachedCount(ctx, ev.CompanyID, []string{"webhooks"},
		"SELECT COUNT(*) FROM webhooks WHERE company_id = ? AND active = "+s.sql.true, ev.CompanyID); err != nil || n == 0 {
		return err
	}
	now := store.Now()
	uid := "evt_" + randID(16)
	body := payload(uid, ev.Name, now, ev.CompanyID, ev.Resource, ev.Data, ev.Previous, strings.HasSuffix(ev.Name, ".updated"))
	var owner any
	if o := ev.Resource.Owner; o != "" {
		if v, ok := ev.Data[o].(int64); ok {
			owner = v
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_events (company_id, uid, event, resource, record_id, owner_id, payload, occurred_at, dispatched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		ev.CompanyID, uid, ev.Name, ev.Resource.Name, ev.RecordID, owner, string(body), s.db.Dialect.Time(now))
	return err
}

// payload is the body of every delivery of an event:
// {"id", "event", "occurred_at", "company_id", "data", "previous"}; data
// holds the record's fields in declaration order, as Show returns them,
// and previous (updated events only) the old values of the changed fields.
func payload(uid, name string, at time.Time, company int64, res *schema.Resource, data, previous map[string]any, withPrevious bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":`)
	writeJSON(&b, uid)
	b.WriteString(`,"event":`)
	writeJSON(&b, name)
	b.WriteString(`,"occurred_at":`)
	writeJSON(&b, at.UTC().Format(resource.TimeFormat))
	b.WriteString(`,"company_id":`)
	b.WriteString(strconv.FormatInt(company, 10))
	b.WriteString(`,"data":`)
	ordered(&b, res, data)
	if withPrevious {
		b.WriteString(`,"previous":`)
		ordered(&b, res, previous)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// ordered writes m as a JSON object with the declared fields of res first,
// in declaration order, then any other keys sorted.
func ordered(b *bytes.Buffer, res *schema.Resource, m map[string]any) {
	b.WriteByte('{')
	first := true
	done := make(map[string]bool, len(m))
	put := func(k string, v any) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSON(b, k)
		b.WriteByte(':')
		writeJSON(b, v)
	}
	for _, f := range res.Fields {
		if v, ok := m[f.Name]; ok {
			put(f.Name, v)
			done[f.Name] = true
		}
	}
	var rest []string
	for k := range m {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		put(k, m[k])
	}
	b.WriteByte('}')
}

func writeJSON(b *bytes.Buffer, v any) {
	if r, ok := v.(json.RawMessage); ok {
		if len(r) == 0 {
			b.WriteString("null")
		} else {
			b.Write(r)
		}
		return
	}
	j, err := json.Marshal(v)
	if err != nil {
		b.WriteString("null")
		return
	}
	b.Write(j)
}
