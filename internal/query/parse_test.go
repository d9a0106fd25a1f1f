package query

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
)

// customFields is the test company's custom field catalogue.
var customFields = map[string]struct {
	id  int64
	typ string
}{
	"customer.industry":  {3, "text"},
	"customer.employees": {4, "number"},
	"customer.founded":   {5, "date"},
	"customer.vip":       {6, "boolean"},
	"customer.tags":      {7, "multiselect"},
	"customer.revenue":   {8, "decimal"},
	"customer.seen_at":   {9, "datetime"},
	"contact.hobby":      {10, "text"},
}

func lookupCustom(model, key string) (int64, string, bool) {
	f, ok := customFields[model+"."+key]
	return f.id, f.typ, ok
}

// full may read everything.
var full = Access{CustomField: lookupCustom}

// denying returns an Access that may read everything but the named resources.
func denying(names ...string) Access {
	return Access{CustomField: lookupCustom, CanRead: func(r *schema.Resource) bool {
		for _, n := range names {
			if r.Name == n {
				return false
			}
		}
		return true
	}}
}

// vals builds url.Values from key, value pairs (keys may repeat).
func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// dump renders a filter tree compactly for assertions.
func dump(n Node) string {
	switch n := n.(type) {
	case nil:
		return "<nil>"
	case *And:
		parts := make([]string, len(n.Items))
		for i, it := range n.Items {
			parts[i] = dump(it)
		}
		return "(" + strings.Join(parts, " & ") + ")"
	case *Or:
		parts := make([]string, len(n.Items))
		for i, it := range n.Items {
			parts[i] = dump(it)
		}
		return "(" + strings.Join(parts, " | ") + ")"
	case *Cond:
		var path []string
		for _, r := range n.Path {
			path = append(path, r.Name)
		}
		if n.Custom != nil {
			path = append(path, "field_values", n.Custom.Key)
		} else {
			path = append(path, n.Field.Name)
		}
		s := strings.Join(path, ".") + " "
		if n.Not {
			s += "!"
		}
		s += string(n.Op)
		if n.Op != OpNull {
			var vs []string
			for _, v := range n.Values {
				switch v := v.(type) {
				case time.Time:
					vs = append(vs, v.Format(time.RFC3339))
				case string:
					vs = append(vs, fmt.Sprintf("%q", v))
				default:
					vs = append(vs, fmt.Sprintf("%T(%v)", v, v))
				}
			}
			s += " " + strings.Join(vs, ";")
		}
		return s
	}
	return "?"
}

// wantErr asserts a 400 on param at pos with key.
func wantErr(t *testing.T, err error, param string, pos int, key string) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want *apierr.Error %s@%d %s, got %v", param, pos, key, err)
	}
	if ae.Status != 400 || ae.Parameter != param || len(ae.Positions) != 1 ||
		ae.Positions[0].Position != pos || ae.Positions[0].Msg.Key != key {
		t.Fatalf("want 400 %s@%d %s, got %v", param, pos, key, ae)
	}
	if !i18n.Has(key) {
		t.Fatalf("message %s not registered", key)
	}
	if nl := i18n.T("nl", key, ae.Positions[0].Msg.Args...); nl == i18n.T("en", key, ae.Positions[0].Msg.Args...) {
		t.Fatalf("message %s has no Dutch translation", key)
	}
}

func TestFilterParse(t *testing.T) {
	cust, task, chance, todo := schema.Get("customer"), schema.Get("task"), schema.Get("chance"), schema.Get("todo")
	user, email := schema.Get("user"), schema.Get("email")
	good := []struct {
		res    *schema.Resource
		filter string
		want   string
	}{
		{cust, "name:eq:Example", `name eq "Example"`},
		{cust, "  name:eq:Example", `name eq "Example"`},
		{cust, "status:eq:lead,and,user_id:gt:5", `(status eq "lead" & user_id gt int64(5))`},
		{cust, "status:eq:lead,user_id:gt:5", `(status eq "lead" & user_id gt int64(5))`},
		{cust, "status:eq:lead , AND , user_id:gt:5", `(status eq "lead" & user_id gt int64(5))`},
		{cust, "id:eq:1,or,id:eq:2,and,id:eq:3", `(id eq int64(1) | (id eq int64(2) & id eq int64(3)))`},
		{cust, "id:eq:1,Or,id:eq:2,aNd,id:eq:3,OR,id:eq:4", `(id eq int64(1) | (id eq int64(2) & id eq int64(3)) | id eq int64(4))`},
		{cust, "(id:eq:1,or,id:eq:2),and,id:eq:3", `((id eq int64(1) | id eq int64(2)) & id eq int64(3))`},
		{cust, "id:eq:1,and,(id:eq:2,or,id:eq:3)", `(id eq int64(1) & (id eq int64(2) | id eq int64(3)))`},
		{cust, "((id:eq:1))", `id eq int64(1)`},
		{cust, "( id:eq:1 ) , ( id:eq:2 )", `(id eq int64(1) & id eq int64(2))`},
		{cust, `name:eq:"Acme, Inc. (NL): yes"`, `name eq "Acme, Inc. (NL): yes"`},
		{cust, `name:eq:"say \"hi\" \\ bye"`, `name eq "say \"hi\" \\ bye"`},
		{cust, `name:eq:"x" ,id:eq:1`, `(name eq "x" & id eq int64(1))`},
		{cust, "name:eq:Acme Holding B.V.,id:gt:0", `(name eq "Acme Holding B.V." & id gt int64(0))`},
		{cust, `name:eq:say "hi"`, `name eq "say \"hi\""`},
		{cust, "name:eq:", `name eq ""`},
		{cust, "name:like:50%_", `name like "50%_"`},
		{cust, "name:contains:x", `name like "x"`},
		{cust, "name:starts_with:Ac,name:ends_with:me", `(name starts_with "Ac" & name ends_with "me")`},
		{cust, "name:not:like:test", `name !like "test"`},
		{cust, "status:ne:lead", `status !eq "lead"`},
		{cust, "status:NOT:eq:lead", `status !eq "lead"`},
		{cust, "status:not:in:lead;prospect", `status !in "lead";"prospect"`},
		{cust, "status:in:lead; customer", `status in "lead";"customer"`},
		{cust, "id:in:1;2;3", `id in int64(1);int64(2);int64(3)`},
		{cust, "user.name:eq:Bob", `user.name eq "Bob"`},
		{cust, "user.role.name:eq:admin", `user.role.name eq "admin"`},
		{cust, "contacts.first_name:like:an", `contacts.first_name like "an"`},
		{cust, "contacts.user.company.name:eq:X", `contacts.user.company.name eq "X"`},
		{cust, "address.city:eq:Utrecht", `address.city eq "Utrecht"`},
		{cust, "created_at:gt:2024-01-01T10:00:00+02:00", `created_at gt 2024-01-01T08:00:00Z`},
		{cust, "created_at:gte:2024-01-01", `created_at gte 2024-01-01T00:00:00Z`},
		{cust, `updated_at:lt:"2024-01-01T10:00:00Z"`, `updated_at lt 2024-01-01T10:00:00Z`},
		{cust, "field_values.industry:eq:Retail", `field_values.industry eq "Retail"`},
		{cust, "field_values.employees:gte:+40", `field_values.employees gte "40"`},
		{cust, "field_values.vip:eq:1", `field_values.vip eq "true"`},
		{cust, "field_values.seen_at:lt:2024-05-01", `field_values.seen_at lt "2024-05-01T00:00:00Z"`},
		{cust, "field_values.founded:null:", `field_values.founded null`},
		{cust, "contacts.field_values.hobby:eq:golf", `contacts.field_values.hobby eq "golf"`},
		{chance, "amount:gte:12.5", `amount gte int64(1250)`},
		{chance, "amount:lt:-3", `amount lt int64(-300)`},
		{chance, "amount:eq:0.07", `amount eq int64(7)`},
		{chance, "expected_close_date:lte:2024-12-31", `expected_close_date lte "2024-12-31"`},
		{task, "due_at:null:", `due_at null`},
		{task, "due_at:null", `due_at null`},
		{task, "due_at:null:whatever", `due_at null`},
		{task, "due_at:notnull:,id:gt:1", `(due_at !null & id gt int64(1))`},
		{task, "due_at:not:null:", `due_at !null`},
		{task, "due_at:not:notnull", `due_at null`},
		{todo, "done:eq:true", `done eq bool(true)`},
		{todo, "done:ne:0", `done !eq bool(false)`},
		{todo, "task.customer.name:eq:A", `task.customer.name eq "A"`},
		{user, "company.name:eq:Acme", `company.name eq "Acme"`},
		{user, "active:eq:FALSE", `active eq bool(false)`},
		{email, "from:eq:a@b.nl", `from eq "a@b.nl"`},
		{cust, "origin_id:eq:1", `origin_id eq int64(1)`}, // "or" prefix is not a connector
		{cust, "andx:eq:1,or,id:eq:1", ""},                // unknown field (checked below as bad)
	}
	for _, g := range good {
		if g.want == "" {
			continue
		}
		p, err := ParseIndex(g.res, vals("filter", g.filter), full)
		if err != nil {
			t.Errorf("%s %q: %v", g.res.Name, g.filter, err)
			continue
		}
		if got := dump(p.Filter); got != g.want {
			t.Errorf("%s %q:\n got %s\nwant %s", g.res.Name, g.filter, got, g.want)
		}
	}

	long201 := strings.Repeat("id:eq:1,", 200) + "id:eq:2"
	deep := strings.Repeat("(", 33) + "id:eq:1" + strings.Repeat(")", 33)
	bad := []struct {
		res    *schema.Resource
		acc    *Access
		filter string
		pos    int
		key    string
	}{
		{cust, nil, "nme:eq:x", 0, "q_unknown_field"},
		{cust, nil, "andx:eq:1,or,id:eq:1", 0, "q_unknown_field"},
		{cust, nil, "name:eq:x,and,bogus:eq:1", 14, "q_unknown_field"},
		{cust, nil, "user.bogus:eq:x", 5, "q_unknown_field"},
		{cust, nil, "bogus.name:eq:x", 0, "q_unknown_field"},
		{cust, nil, "user.password:eq:x", 5, "q_unknown_field"},
		{user, nil, "password:eq:x", 0, "q_unknown_field"},
		{cust, nil, "address:eq:x", 0, "q_not_filterable"},
		{email, nil, "id:gt:1,to:eq:x", 8, "q_not_filterable"},
		{cust, nil, "field_values:eq:x", 0, "q_unknown_field"},
		{cust, nil, "field_values.nope:eq:1", 13, "q_unknown_custom_field"},
		{schema.Get("user"), nil, "field_values.industry:eq:1", 0, "q_unknown_field"},
		{cust, nil, "field_values.employees:eq:abc", 26, "q_bad_number"},
		{cust, nil, "field_values.vip:gt:1", 17, "q_operator_not_allowed"},
		{cust, nil, "field_values.employees:like:1", 23, "q_operator_not_allowed"},
		{cust, nil, "name:equals:x", 5, "q_unknown_operator"},
		{cust, nil, "name:not:not:eq:x", 9, "q_unknown_operator"},
		{cust, nil, "name:not", 8, "q_missing_operator"},
		{cust, nil, "name", 0, "q_missing_operator"},
		{cust, nil, "id:eq:1,name", 8, "q_missing_operator"},
		{cust, nil, "name:", 5, "q_missing_operator"},
		{cust, nil, "name:eq", 7, "q_missing_value"},
		{cust, nil, "id:in", 5, "q_missing_value"},
		{cust, nil, "name:eq:x,and", 10, "q_dangling_connector"},
		{cust, nil, "name:eq:x,and,", 10, "q_dangling_connector"},
		{cust, nil, "and,name:eq:x", 0, "q_dangling_connector"},
		{cust, nil, " OR ,name:eq:x", 1, "q_dangling_connector"},
		{cust, nil, "name:eq:x,or", 10, "q_dangling_connector"},
		{cust, nil, "name:eq:x,or,", 10, "q_dangling_connector"},
		{cust, nil, "name:eq:x,and,or,name:eq:y", 10, "q_dangling_connector"},
		{cust, nil, "(name:eq:x,or)", 11, "q_dangling_connector"},
		{cust, nil, "name:eq:x,and)", 10, "q_dangling_connector"},
		{cust, nil, "(name:eq:x", 0, "q_unbalanced_open"},
		{cust, nil, "id:eq:1,((id:eq:2),or,id:eq:3", 8, "q_unbalanced_open"},
		{cust, nil, "name:eq:x)", 9, "q_unbalanced_close"},
		{cust, nil, "(id:eq:1)),id:eq:2", 9, "q_unbalanced_close"},
		{cust, nil, ")", 0, "q_unbalanced_close"},
		{cust, nil, "()", 0, "q_empty_group"},
		{cust, nil, "name:eq:x,,name:eq:y", 10, "q_expected_condition"},
		{cust, nil, "name:eq:x,", 10, "q_expected_condition"},
		{cust, nil, "(id:eq:1,)", 9, "q_expected_condition"},
		{cust, nil, `name:eq:"abc`, 8, "q_unterminated_quote"},
		{cust, nil, `name:eq:x,and,name:eq:"abc\"`, 22, "q_unterminated_quote"},
		{cust, nil, `name:eq:"a\x"`, 10, "q_bad_escape"},
		{cust, nil, `name:eq:"x"y`, 11, "q_unexpected"},
		{cust, nil, "(id:eq:1)(id:eq:2)", 9, "q_unexpected"},
		{cust, nil, "(id:eq:1)id:eq:2", 9, "q_unexpected"},
		{cust, nil, "user_id:eq:abc", 11, "q_bad_id"},
		{cust, nil, "user_id:eq:1.5", 11, "q_bad_id"},
		{cust, nil, "id:eq:99999999999999999999", 6, "q_bad_integer"},
		{cust, nil, "user_id:in:1;x;3", 13, "q_bad_id"},
		{cust, nil, `user_id:in:"1;x;3"`, 11, "q_bad_id"},
		{cust, nil, "id:in:1;;3", 8, "q_bad_integer"},
		{cust, nil, "status:in:", 10, "q_empty_list"},
		{cust, nil, "status:not:in: ", 14, "q_empty_list"},
		{cust, nil, "status:eq:won", 10, "q_enum_value"},
		{cust, nil, "status:in:lead;won", 15, "q_enum_value"},
		{cust, nil, "created_at:gt:yesterday", 14, "q_bad_datetime"},
		{cust, nil, "created_at:gt:2024-13-01", 14, "q_bad_datetime"},
		{chance, nil, "expected_close_date:eq:2024-02-30", 23, "q_bad_date"},
		{chance, nil, "amount:eq:1.234", 10, "q_bad_money"},
		{chance, nil, "amount:eq:1.", 10, "q_bad_money"},
		{chance, nil, "amount:eq:abc", 10, "q_bad_money"},
		{todo, nil, "done:eq:yes", 8, "q_bad_boolean"},
		{todo, nil, "done:gt:1", 5, "q_operator_not_allowed"},
		{cust, nil, "user_id:like:3", 8, "q_operator_not_allowed"},
		{cust, nil, "created_at:contains:2024", 11, "q_operator_not_allowed"},
		{cust, nil, "name:eq:é,bogus:eq:1", 10, "q_unknown_field"}, // characters, not bytes
		// at the 9th relation
		{cust, nil, strings.Repeat("contacts.customer.", 4) + "user.name:eq:x", 72, "q_path_too_long"},
		{cust, ptr(denying("user")), "id:eq:1,user.name:eq:x", 8, "q_relation_forbidden"},
		{cust, ptr(denying("contact")), "contacts.first_name:eq:x", 0, "q_relation_forbidden"},
		{cust, ptr(denying("company")), "user.company.name:eq:x", 12, "q_unknown_field"}, // company readable; name exists
		{cust, nil, long201, 1600, "q_too_many_conditions"},
		{cust, nil, deep, 32, "q_too_deep"},
		{cust, nil, "name:eq:" + strings.Repeat("x", 3993), 4000, "q_too_long"},
		{cust, nil, "name:eq:\x00", 8, "q_invalid_character"},
		{cust, nil, "name:eq:ab\xff", 10, "q_invalid_character"},
	}
	for _, b := range bad {
		acc := full
		if b.acc != nil {
			acc = *b.acc
		}
		if b.key == "q_unknown_field" && b.filter == "user.company.name:eq:x" {
			// company is always readable (ReadScope "-"): this must parse.
			if _, err := ParseIndex(b.res, vals("filter", b.filter), acc); err != nil {
				t.Errorf("user.company.name with company unreadable: %v", err)
			}
			continue
		}
		_, err := ParseIndex(b.res, vals("filter", b.filter), acc)
		t.Run(b.filter[:min(len(b.filter), 40)], func(t *testing.T) { wantErr(t, err, "filter", b.pos, b.key) })
	}
	// the 4000-character boundary itself is fine
	if _, err := ParseIndex(cust, vals("filter", "name:eq:"+strings.Repeat("x", 3992)), full); err != nil {
		t.Errorf("4000 characters: %v", err)
	}
	// 200 conditions and 32 levels are fine
	if _, err := ParseIndex(cust, vals("filter", strings.Repeat("id:eq:1,", 199)+"id:eq:2"), full); err != nil {
		t.Errorf("200 conditions: %v", err)
	}
	if _, err := ParseIndex(cust, vals("filter", strings.Repeat("(", 32)+"id:eq:1"+strings.Repeat(")", 32)), full); err != nil {
		t.Errorf("32 levels: %v", err)
	}
	// empty filter is no filter
	if p, err := ParseIndex(cust, vals("filter", ""), full); err != nil || p.Filter != nil {
		t.Errorf("empty filter: %v %v", p, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestFilterArrayForm(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseIndex(cust, vals("filter[]", "status:eq:lead", "filter[]", "or", "filter[]", "id:eq:1"), full)
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(p.Filter); got != `(status eq "lead" | id eq int64(1))` {
		t.Fatalf("got %s", got)
	}
	// positions as if comma-joined: "status:eq:lead,bogus:eq:1"
	_, err = ParseIndex(cust, vals("filter[]", "status:eq:lead", "filter[]", "bogus:eq:1"), full)
	wantErr(t, err, "filter", 15, "q_unknown_field")
	// plain and array forms together: plain first
	_, err = ParseIndex(cust, vals("filter[]", "bogus:eq:1", "filter", "id:eq:1"), full)
	wantErr(t, err, "filter", 8, "q_unknown_field")
}

func withPaths(nodes []*WithNode, prefix string) []string {
	var out []string
	for _, n := range nodes {
		p := prefix + n.Rel.Name
		out = append(out, p)
		out = append(out, withPaths(n.Children, p+".")...)
	}
	return out
}

func TestWith(t *testing.T) {
	cust, user := schema.Get("customer"), schema.Get("user")
	good := []struct {
		res    *schema.Resource
		v      url.Values
		weight int
		paths  string
	}{
		{cust, vals("with", "field_values,contracts.field_values,chances.field_values,tasks.field_values"), 16,
			"field_values contracts contracts.field_values chances chances.field_values tasks tasks.field_values"},
		{cust, vals("with", "field_values,appointments,assignments,chances,contracts,tasks"), 16,
			"field_values appointments assignments chances contracts tasks"},
		{cust, vals("with", "user,user.company"), 3, "user user.company"},
		{cust, vals("with[]", "user", "with[]", "user.company"), 3, "user user.company"},
		{cust, vals("with", "user.company"), 3, "user user.company"},
		{cust, vals("with", "user, user ,user"), 1, "user"},
		{cust, vals("with", "contacts.user.company"), 8, "contacts contacts.user contacts.user.company"},
		{cust, vals("with", "user.company.address"), 6, "user user.company user.company.address"},
		{cust, vals("with", "address,origin"), 2, "address origin"},
		{user, vals("with", "role.permissions,customers"), 6, "role role.permissions customers"},
		{schema.Get("field"), vals("with", "options"), 1, "options"},
		{schema.Get("template"), vals("with", "items,user"), 2, "items user"},
		{cust, vals("with", ""), 0, ""},
	}
	for _, g := range good {
		p, err := ParseIndex(g.res, g.v, full)
		if err != nil {
			t.Errorf("%v: %v", g.v, err)
			continue
		}
		if !p.HasWith || p.Weight != g.weight || strings.Join(withPaths(p.With, ""), " ") != g.paths {
			t.Errorf("%v: weight %d paths %v", g.v, p.Weight, withPaths(p.With, ""))
		}
	}
	p, _ := ParseIndex(cust, url.Values{}, full)
	if p.HasWith || p.Weight != 0 || p.With != nil {
		t.Errorf("no with: %+v", p)
	}
	p, _ = ParseIndex(cust, vals("with", "contacts.user"), full)
	if n := p.With[0]; n.Target != schema.Get("contact") || n.Children[0].Target != schema.Get("user") {
		t.Errorf("targets: %+v", n)
	}
	p, _ = ParseIndex(cust, vals("with", "field_values"), full)
	if p.With[0].Target != nil || p.With[0].Rel.Kind != schema.Special {
		t.Errorf("special: %+v", p.With[0])
	}
	// company and address are readable even when their resources are not;
	// special relations when their holder is.
	if _, err := ParseIndex(user, vals("with", "company.address"), denying("company", "address")); err != nil {
		t.Errorf("company/address: %v", err)
	}

	bad := []struct {
		res *schema.Resource
		v   url.Values
		acc Access
		pos int
		key string
	}{
		{cust, vals("with", "bogus"), full, 0, "q_unknown_relation"},
		{cust, vals("with", "user,bogus"), full, 5, "q_unknown_relation"},
		{cust, vals("with", "user.bogus"), full, 5, "q_unknown_relation"},
		{cust, vals("with", "name"), full, 0, "q_unknown_relation"},
		{cust, vals("with", "user.customers"), full, 5, "q_nesting"},
		{cust, vals("with", "contacts.notes"), full, 9, "q_nesting"},
		{cust, vals("with", "contacts.user.customers"), full, 14, "q_nesting"},
		{cust, vals("with", "contracts.field_values.x"), full, 23, "q_unknown_relation"},
		{user, vals("with", "field_values"), full, 0, "q_unknown_relation"},
		{cust, vals("with", "field_values,appointments,assignments,chances,contracts,tasks,user"), full, 62, "q_with_weight"},
		{cust, vals("with", "contacts,tasks,chances,user.role.permissions,notes"), full, 45, "q_with_weight"},
		{cust, vals("with", "user,,contacts"), full, 5, "q_empty_item"},
		{cust, vals("with", "contacts"), denying("contact"), 0, "q_relation_forbidden"},
		{cust, vals("with", "user.role"), denying("role"), 5, "q_relation_forbidden"},
		{cust, vals("with[]", "user", "with[]", "bogus"), full, 5, "q_unknown_relation"},
	}
	for _, b := range bad {
		_, err := ParseIndex(b.res, b.v, b.acc)
		wantErr(t, err, "with", b.pos, b.key)
		_, err = ParseShow(b.res, b.v, b.acc)
		wantErr(t, err, "with", b.pos, b.key)
	}
}

func showString(n *ShowNode) string {
	var parts []string
	for _, f := range n.Fields {
		parts = append(parts, f.Name)
	}
	for _, r := range n.Rels {
		parts = append(parts, r.Rel.Name+"{"+showString(r.Node)+"}")
	}
	return strings.Join(parts, ",")
}

func TestShow(t *testing.T) {
	cust, user := schema.Get("customer"), schema.Get("user")
	good := []struct {
		res  *schema.Resource
		v    url.Values
		want string
	}{
		{cust, vals("show", "name,email"), "id,name,email"},
		{cust, vals("show", "id,name"), "id,name"},
		{cust, vals("show", "name,user.name"), "id,name,user_id,user{id,name}"},
		{cust, vals("show", "user.name,user.email,user_id"), "id,user_id,user{id,name,email}"},
		{cust, vals("show", "user.role.name"), "id,user_id,user{id,role_id,role{id,name}}"},
		{cust, vals("show", "address_id,address.city,created_at"), "id,address_id,created_at,address{id,city}"},
		{cust, vals("show[]", "name", "show[]", "origin.name"), "id,name,origin_id,origin{id,name}"},
		{user, vals("show", "name,company.name"), "id,name,company_id,company{id,name}"},
		{schema.Get("email"), vals("show", "to,cc"), "id,to,cc"},
	}
	for _, g := range good {
		p, err := ParseShow(g.res, g.v, full)
		if err != nil {
			t.Errorf("%v: %v", g.v, err)
			continue
		}
		if got := showString(p.Show); got != g.want {
			t.Errorf("%v: got %s want %s", g.v, got, g.want)
		}
	}
	if p, _ := ParseShow(cust, url.Values{}, full); p.Show != nil {
		t.Error("no show must be nil")
	}
	p, _ := ParseShow(user, vals("show", "company.name"), full)
	if p.Show.Fields[1] != CompanyIDField {
		t.Errorf("company_id field: %+v", p.Show.Fields[1])
	}

	bad := []struct {
		res *schema.Resource
		v   url.Values
		acc Access
		pos int
		key string
	}{
		{cust, vals("show", "bogus"), full, 0, "q_unknown_field"},
		{cust, vals("show", "name,bogus"), full, 5, "q_unknown_field"},
		{cust, vals("show", "address"), full, 0, "q_unknown_field"},
		{user, vals("show", "password"), full, 0, "q_unknown_field"},
		{cust, vals("show", "user.password"), full, 5, "q_unknown_field"},
		{cust, vals("show", "contacts.first_name"), full, 0, "q_show_to_many"},
		{cust, vals("show", "user.customers.name"), full, 5, "q_show_to_many"},
		{cust, vals("show", "field_values.industry"), full, 0, "q_unknown_relation"},
		{cust, vals("show", "bogus.name"), full, 0, "q_unknown_relation"},
		{cust, vals("show", "user.name"), denying("user"), 0, "q_relation_forbidden"},
		{cust, vals("show", "name,,email"), full, 5, "q_empty_item"},
		{cust, vals("show[]", "name", "show[]", "bogus"), full, 5, "q_unknown_field"},
	}
	for _, b := range bad {
		_, err := ParseShow(b.res, b.v, b.acc)
		wantErr(t, err, "show", b.pos, b.key)
	}
}

func TestCount(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseShow(cust, vals("count", "assignments,contracts,assignments"), full)
	if err != nil || len(p.Count) != 2 || p.Count[0].Name != "assignments" || p.Count[1].Name != "contracts" {
		t.Fatalf("count: %v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("count[]", "contacts", "count[]", "notes"), full)
	if err != nil || len(p.Count) != 2 {
		t.Fatalf("count array: %v %v", p, err)
	}
	bad := []struct {
		v   url.Values
		acc Access
		pos int
		key string
	}{
		{vals("count", "user"), full, 0, "q_count_not_to_many"},
		{vals("count", "contacts,field_values"), full, 9, "q_count_not_to_many"},
		{vals("count", "contacts.notes"), full, 0, "q_count_not_to_many"},
		{vals("count", "bogus"), full, 0, "q_unknown_relation"},
		{vals("count", "contacts"), denying("contact"), 0, "q_relation_forbidden"},
		{vals("count", ",contacts"), full, 0, "q_empty_item"},
	}
	for _, b := range bad {
		_, err := ParseIndex(cust, b.v, b.acc)
		wantErr(t, err, "count", b.pos, b.key)
	}
}

func TestOrderByParse(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseIndex(cust, vals("order_by", "name:asc,created_at:DESC,user.role.name:desc,status"), full)
	if err != nil {
		t.Fatal(err)
	}
	o := p.OrderBy
	if len(o) != 4 || o[0].Field.Name != "name" || o[0].Desc || !o[1].Desc || o[1].Field.Name != "created_at" ||
		len(o[2].Path) != 2 || o[2].Path[1].Name != "role" || !o[2].Desc || o[3].Desc {
		t.Fatalf("orders: %+v", o)
	}
	p, err = ParseIndex(cust, vals("order_by[]", "name:desc", "order_by[]", "id"), full)
	if err != nil || len(p.OrderBy) != 2 || !p.OrderBy[0].Desc {
		t.Fatalf("array form: %+v %v", p, err)
	}
	nine := strings.Repeat("name,", 8) + "id"
	bad := []struct {
		res *schema.Resource
		v   url.Values
		acc Access
		pos int
		key string
	}{
		{cust, vals("order_by", "bogus:asc"), full, 0, "q_unknown_field"},
		{cust, vals("order_by", "name:asc,bogus"), full, 9, "q_unknown_field"},
		{cust, vals("order_by", "name:up"), full, 5, "q_bad_direction"},
		{cust, vals("order_by", "name:"), full, 5, "q_bad_direction"},
		{cust, vals("order_by", "name:asc:desc"), full, 5, "q_bad_direction"},
		{cust, vals("order_by", "contacts.first_name:asc"), full, 0, "q_order_to_many"},
		{cust, vals("order_by", "field_values.industry"), full, 0, "q_unknown_field"},
		{cust, vals("order_by", "address"), full, 0, "q_not_sortable"},
		{schema.Get("email"), vals("order_by", "to"), full, 0, "q_not_sortable"},
		{schema.Get("user"), vals("order_by", "password"), full, 0, "q_unknown_field"},
		{cust, vals("order_by", "user.name"), denying("user"), 0, "q_relation_forbidden"},
		{cust, vals("order_by", nine), full, 40, "q_too_many_orders"},
		{cust, vals("order_by", "name,,id"), full, 5, "q_empty_item"},
		{cust, vals("order_by[]", "name", "order_by[]", "bogus"), full, 5, "q_unknown_field"},
	}
	for _, b := range bad {
		_, err := ParseIndex(b.res, b.v, b.acc)
		wantErr(t, err, "order_by", b.pos, b.key)
	}
	if p, err := ParseIndex(cust, vals("order_by", strings.Repeat("name,", 7)+"id"), full); err != nil || len(p.OrderBy) != 8 {
		t.Errorf("8 fields: %v", err)
	}
}

func TestPaging(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseIndex(cust, url.Values{}, full)
	if err != nil || p.Offset != 0 || p.Limit != 100 || !p.Total || p.HasAfter || p.Filter != nil || p.Show != nil {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("offset", "10000000", "limit", "1000", "total", "false"), full)
	if err != nil || p.Offset != 10000000 || p.Limit != 1000 || p.Total {
		t.Fatalf("max: %+v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("per_page", "25", "limit", "0"), full)
	if err != nil || p.Limit != 0 {
		t.Fatalf("limit wins: %+v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("per_page", "25"), full)
	if err != nil || p.Limit != 25 {
		t.Fatalf("per_page: %+v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("after", "42", "limit", "10"), full)
	if err != nil || !p.HasAfter || p.After != 42 {
		t.Fatalf("after: %+v %v", p, err)
	}
	p, err = ParseIndex(cust, vals("total", "true"), full)
	if err != nil || !p.Total {
		t.Fatalf("total=true: %+v %v", p, err)
	}
	bad := []struct {
		v     url.Values
		param string
		key   string
	}{
		{vals("offset", "-1"), "offset", "q_range"},
		{vals("offset", "10000001"), "offset", "q_range"},
		{vals("offset", "abc"), "offset", "q_integer"},
		{vals("offset", ""), "offset", "q_integer"},
		{vals("offset", "1e3"), "offset", "q_integer"},
		{vals("offset", "99999999999999999999999"), "offset", "q_range"},
		{vals("limit", "1001"), "limit", "q_range"},
		{vals("limit", "-1"), "limit", "q_range"},
		{vals("limit", "ten"), "limit", "q_integer"},
		{vals("per_page", "2000"), "per_page", "q_range"},
		{vals("per_page", "1.5"), "per_page", "q_integer"},
		{vals("total", "nope"), "total", "q_boolean"},
		{vals("after", "x"), "after", "q_integer"},
		{vals("after", "-5"), "after", "q_non_negative"},
		{vals("after", "5", "order_by", "name"), "after", "q_after_combined"},
		{vals("after", "5", "offset", "0"), "after", "q_after_combined"},
	}
	for _, b := range bad {
		_, err := ParseIndex(cust, b.v, full)
		wantErr(t, err, b.param, 0, b.key)
	}
}

func TestParseShowIgnoresIndexParams(t *testing.T) {
	cust := schema.Get("customer")
	p, err := ParseShow(cust, vals("filter", "((", "order_by", "bogus", "limit", "-5", "after", "x", "with", "user"), full)
	if err != nil || len(p.With) != 1 || p.Filter != nil {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestCharacterPositions(t *testing.T) {
	cust := schema.Get("customer")
	_, err := ParseIndex(cust, vals("with", "ü,bogus"), full)
	wantErr(t, err, "with", 0, "q_unknown_relation")
	_, err = ParseIndex(cust, vals("order_by", "name:asc,naam€"), full)
	wantErr(t, err, "order_by", 9, "q_unknown_field")
	_, err = ParseIndex(cust, vals("filter", `name:eq:"€€",bogus:eq:1`), full)
	wantErr(t, err, "filter", 13, "q_unknown_field")
	_, err = ParseIndex(cust, vals("show", "name,\xfe"), full)
	wantErr(t, err, "show", 5, "q_invalid_character")
}
